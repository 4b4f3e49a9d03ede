//! Building responses: Flask-Security's JSON envelope, errors, redirects.

use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, SET_COOKIE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderValue, StatusCode};
use portcullis_core::config::CookieOptions;
use portcullis_core::{FormErrors, Messages};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// A response, framework-neutral.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// `{"meta": {"code": N}, "response": …}` with `status`, its keys in
    /// order as Flask's `jsonify` writes them.
    pub fn envelope(status: StatusCode, mut response: Value) -> Self {
        sort_keys(&mut response);
        Self::envelope_of(status, &response)
    }

    /// The envelope around `response`, written straight to bytes (no
    /// intermediate `Value`: this is every 401's path); `response`'s keys
    /// must already be in order (a struct's fields declared sorted, or a
    /// `Value` through [`sort_keys`]).
    fn envelope_of<T: Serialize>(status: StatusCode, response: &T) -> Self {
        #[derive(Serialize)]
        struct Meta {
            code: u16,
        }
        #[derive(Serialize)]
        struct Envelope<'a, T> {
            meta: Meta,
            response: &'a T,
        }
        let envelope = Envelope {
            meta: Meta {
                code: status.as_u16(),
            },
            response,
        };
        let body = flask_json(&envelope);
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        Self {
            status,
            headers,
            body,
        }
    }

    /// 200 with `response`.
    pub fn ok(response: Map<String, Value>) -> Self {
        Self::envelope(StatusCode::OK, Value::Object(response))
    }

    /// `{"errors": [msg]}` with `status` (no `field_errors`, as
    /// Flask-Security's `json_error_response`).
    pub fn error(status: StatusCode, message: &str) -> Self {
        #[derive(Serialize)]
        struct Errors<'a> {
            errors: [&'a str; 1],
        }
        Self::envelope_of(status, &Errors { errors: [message] })
    }

    /// 400 with `errors` and `field_errors` (`""` for form-level).
    pub fn form_errors(errors: &FormErrors, messages: &Messages) -> Self {
        Self::form_errors_with(StatusCode::BAD_REQUEST, errors, messages)
    }

    /// `errors` and `field_errors` with `status` (Flask-Security answers 500
    /// this way when a code could not be sent).
    pub fn form_errors_with(status: StatusCode, errors: &FormErrors, messages: &Messages) -> Self {
        let rendered = errors.render(messages);
        let mut fields: Map<String, Value> = Map::new();
        for (field, text) in &rendered {
            if let Value::Array(list) = fields
                .entry((*field).to_owned())
                .or_insert_with(|| json!([]))
            {
                list.push(json!(text));
            }
        }
        let all: Vec<&String> = rendered.iter().map(|(_, t)| t).collect();
        Self::envelope(status, json!({"errors": all, "field_errors": fields}))
    }

    /// 302 to `location`.
    pub fn redirect(location: &str) -> Self {
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(location) {
            headers.insert(LOCATION, v);
        }
        Self {
            status: StatusCode::FOUND,
            headers,
            body: Vec::new(),
        }
    }

    /// Sets `Cache-Control` to `value` (built once by
    /// `cache_control_header`), or removes it.
    pub fn with_cache_control(mut self, value: Option<&HeaderValue>) -> Self {
        match value {
            Some(v) => {
                self.headers.insert(CACHE_CONTROL, v.clone());
            }
            None => {
                self.headers.remove(CACHE_CONTROL);
            }
        }
        self
    }

    /// Adds `Retry-After: <seconds>` (429 and 503 answers).
    pub fn with_retry_after(mut self, seconds: i64) -> Self {
        self.headers.insert(
            http::header::RETRY_AFTER,
            HeaderValue::from(seconds.max(1).unsigned_abs()),
        );
        self
    }

    /// Adds `WWW-Authenticate: Basic realm="…"`.
    pub fn with_basic_challenge(mut self, realm: &str) -> Self {
        let realm = realm.replace(['"', '\\'], "");
        if let Ok(v) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
            self.headers.insert(WWW_AUTHENTICATE, v);
        }
        self
    }

    /// Adds a cookie.
    pub fn with_cookie(
        self,
        name: &str,
        value: &str,
        options: &CookieOptions,
        delete: bool,
    ) -> Self {
        self.set_cookie(name, value, options, delete.then_some(0))
    }

    /// Adds a cookie that lasts `max_age` seconds, and `Vary: Cookie`
    /// (the two-factor validity cookie).
    pub fn with_lasting_cookie(
        self,
        name: &str,
        value: &str,
        options: &CookieOptions,
        max_age: i64,
    ) -> Self {
        let mut r = self.set_cookie(name, value, options, Some(max_age.max(1)));
        r.headers
            .append(http::header::VARY, HeaderValue::from_static("Cookie"));
        r
    }

    fn set_cookie(
        mut self,
        name: &str,
        value: &str,
        options: &CookieOptions,
        max_age: Option<i64>,
    ) -> Self {
        if let Some(v) = cookie_header(name, value, options, max_age) {
            self.headers.append(SET_COOKIE, v);
        }
        self
    }

    /// The body as JSON (for tests and adapters that inspect it).
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// `SECURITY_CACHE_CONTROL` as a header: the directives that are on;
/// `None` when none is. werkzeug writes them in the order they were set and
/// Flask-Security's default sets `private` then `no-store`; a map has no
/// order, so the well-known ones come in that order, the rest after.
pub(crate) fn cache_control_header(
    directives: &std::collections::BTreeMap<String, bool>,
) -> Option<HeaderValue> {
    const ORDER: [&str; 6] = [
        "public",
        "private",
        "no-cache",
        "no-store",
        "no-transform",
        "must-revalidate",
    ];
    let mut on: Vec<&str> = directives
        .iter()
        .filter(|(_, v)| **v)
        .map(|(k, _)| k.as_str())
        .collect();
    on.sort_by_key(|d| ORDER.iter().position(|o| o == d).unwrap_or(ORDER.len()));
    (!on.is_empty())
        .then(|| HeaderValue::from_str(&on.join(", ")).ok())
        .flatten()
}

/// A `Set-Cookie` value (`max_age`: `Some(0)` deletes, `None` a session cookie).
pub(crate) fn cookie_header(
    name: &str,
    value: &str,
    options: &CookieOptions,
    max_age: Option<i64>,
) -> Option<HeaderValue> {
    let mut c = format!("{name}={value}; Path={}", options.path);
    if let Some(d) = &options.domain {
        c.push_str(&format!("; Domain={d}"));
    }
    match max_age {
        Some(0) => c.push_str("; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0"),
        Some(age) => c.push_str(&format!("; Max-Age={age}")),
        None => {}
    }
    if options.secure {
        c.push_str("; Secure");
    }
    if options.httponly {
        c.push_str("; HttpOnly");
    }
    if let Some(s) = &options.samesite {
        c.push_str(&format!("; SameSite={s}"));
    }
    HeaderValue::from_str(&c).ok()
}

/// Whether `target` is safe to redirect to: a path on this site, not a
/// scheme-relative (`//host`) or backslash trick, no control characters; or
/// an absolute URL on `host`.
pub fn is_safe_redirect(target: &str, host: Option<&str>) -> bool {
    is_allowed_redirect(target, host, &RedirectRules::default())
}

/// Other hosts a `next` may name (Flask-Security's
/// `SECURITY_REDIRECT_ALLOW_SUBDOMAINS` with `SERVER_NAME`, and
/// `SECURITY_REDIRECT_BASE_DOMAIN` with `SECURITY_REDIRECT_ALLOWED_SUBDOMAINS`).
#[derive(Debug, Clone, Copy, Default)]
pub struct RedirectRules<'a> {
    /// Any subdomain of this host (and the host itself).
    pub subdomains_of: Option<&'a str>,
    /// The base domain of `allowed_subdomains`.
    pub base_domain: Option<&'a str>,
    /// Subdomains of `base_domain` (`"."`: the base domain itself).
    pub allowed_subdomains: &'a [String],
}

impl<'a> RedirectRules<'a> {
    /// The rules `config` sets.
    pub fn from_config(config: &'a portcullis_core::SecurityConfig) -> Self {
        Self {
            subdomains_of: config
                .server_name
                .as_deref()
                .filter(|_| config.redirect_allow_subdomains),
            base_domain: config.redirect_base_domain.as_deref(),
            allowed_subdomains: &config.redirect_allowed_subdomains,
        }
    }

    fn allows(&self, netloc: &str) -> bool {
        if let Some(base) = self.subdomains_of
            && (netloc.eq_ignore_ascii_case(base)
                || netloc
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", base.to_ascii_lowercase())))
        {
            return true;
        }
        let Some(base) = self.base_domain else {
            return false;
        };
        self.allowed_subdomains.iter().any(|sub| {
            let allowed = if sub == "." {
                base.to_owned()
            } else {
                format!("{sub}.{base}")
            };
            allowed.eq_ignore_ascii_case(netloc)
        })
    }
}

/// [`is_safe_redirect`], also allowing the hosts `rules` name
/// (Flask-Security's `validate_redirect_url`).
pub fn is_allowed_redirect(target: &str, host: Option<&str>, rules: &RedirectRules<'_>) -> bool {
    if target.is_empty() || target.chars().any(|c| c.is_control()) || target.contains('\\') {
        return false;
    }
    if target.starts_with('/') {
        return !target.starts_with("//");
    }
    let lower = target.to_ascii_lowercase();
    for scheme in ["http://", "https://"] {
        if let Some(rest) = lower.strip_prefix(scheme) {
            let netloc = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let netloc = netloc.rsplit('@').next().unwrap_or_default();
            return host.is_some_and(|h| h.eq_ignore_ascii_case(netloc)) || rules.allows(netloc);
        }
    }
    false
}

/// `url` with its host replaced by `netloc`, as Python's
/// `urlsplit(url)._replace(netloc=…)` then `urlunsplit` (a path becomes
/// `//netloc/path`).
pub(crate) fn with_netloc(url: &str, netloc: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()) => {
            (format!("{s}:"), r)
        }
        _ => (String::new(), url.strip_prefix("//").unwrap_or(url)),
    };
    let had_netloc = !scheme.is_empty() || url.starts_with("//");
    let path = if had_netloc {
        rest.find(['/', '?', '#']).map_or("", |i| &rest[i..])
    } else {
        url
    };
    let sep = if path.is_empty() || path.starts_with('/') {
        ""
    } else {
        "/"
    };
    format!("{scheme}//{netloc}{sep}{path}")
}

/// `view` with `params` added to its query string.
pub fn with_query(view: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return view.to_owned();
    }
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        s.append_pair(k, v);
    }
    let sep = if view.contains('?') { '&' } else { '?' };
    format!("{view}{sep}{}", s.finish())
}

/// Serializes as Flask's JSON provider (`app.json`, which `jsonify` and so
/// Flask-Security's `render_json` use) writes outside debug mode: compact
/// separators, every character outside printable ASCII as a `\u` escape
/// of four hex digits (`ensure_ascii`: `ü` is `\u00fc`), and a final
/// newline. Keys are written in the
/// order given: Flask sorts them, see [`sort_keys`]. A response that
/// differs only in bytes is still a difference a client's tests can see.
pub(crate) fn flask_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, AsciiFormatter);
    // Serializing a `Value` or a struct of strings and numbers cannot fail.
    if value.serialize(&mut ser).is_err() {
        out.clear();
    }
    out.push(b'\n');
    out
}

/// Sorts every object's keys, as Flask's `sort_keys = True`.
pub(crate) fn sort_keys(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.sort_keys();
            map.values_mut().for_each(sort_keys);
        }
        Value::Array(items) => items.iter_mut().for_each(sort_keys),
        _ => {}
    }
}

/// serde_json's compact output with Python's `ensure_ascii`.
struct AsciiFormatter;

impl serde_json::ser::Formatter for AsciiFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        while let Some(at) = rest.find(|c: char| !(' '..='~').contains(&c)) {
            writer.write_all(&rest.as_bytes()[..at])?;
            let c = rest[at..].chars().next().unwrap_or_default();
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            rest = &rest[at + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }
}

#[cfg(test)]
mod next_tests {
    use super::with_next;

    #[test]
    fn quotes_next_as_flask_url_for() {
        assert_eq!(with_next("/login", "/profile"), "/login?next=/profile");
        assert_eq!(
            with_next("/login", "/a b?x=1&y=é"),
            "/login?next=/a+b?x%3D1%26y%3D%C3%A9"
        );
        assert_eq!(with_next("/p?lang=de", "/x"), "/p?lang=de&next=/x");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_bytes_are_flasks() {
        // Flask-Security 5.9.2's answer to a wrong password, byte for byte.
        let mut errors = FormErrors::new();
        errors.add("password", portcullis_core::MessageKey::InvalidPassword);
        let r = HttpResponse::form_errors(&errors, &Messages::default());
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "{\"meta\":{\"code\":400},\"response\":{\"errors\":[\"Invalid password\"],\"field_errors\":{\"password\":[\"Invalid password\"]}}}\n"
        );
        // Python's json.dumps(…, sort_keys=True, separators=(",", ":"),
        // ensure_ascii=True) of the same value.
        let value = json!({"b": 1, "a": {"d": "Ungültiges \u{1F600}\u{7f}\n\"/\\ \u{1} \u{2028}", "c": [{"z": 1, "y": 2}]}});
        let r = HttpResponse::envelope(StatusCode::OK, value);
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            concat!(
                r#"{"meta":{"code":200},"response":"#,
                r#"{"a":{"c":[{"y":2,"z":1}],"d":"Ung\u00fcltiges \ud83d\ude00\u007f\n\"/\\ \u0001 \u2028"},"b":1}}"#,
                "\n"
            )
        );
        let r = HttpResponse::error(StatusCode::UNAUTHORIZED, "Nicht angemeldet ü");
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "{\"meta\":{\"code\":401},\"response\":{\"errors\":[\"Nicht angemeldet \\u00fc\"]}}\n"
        );
    }

    #[test]
    fn netloc_replacement_as_python() {
        use super::with_netloc;
        assert_eq!(
            with_netloc("/confirmed", "localhost:8081"),
            "//localhost:8081/confirmed"
        );
        assert_eq!(
            with_netloc("/confirmed?a=1", "localhost:8081"),
            "//localhost:8081/confirmed?a=1"
        );
        assert_eq!(
            with_netloc("https://app.example.com/x#y", "spa.example.com"),
            "https://spa.example.com/x#y"
        );
        assert_eq!(with_netloc("//old/x", "new"), "//new/x");
        assert_eq!(with_netloc("http://old", "new"), "http://new");
        assert_eq!(with_netloc("confirmed", "h"), "//h/confirmed");
    }

    #[test]
    fn redirect_safety() {
        for ok in ["/", "/todos", "/a?next=//x", "https://app.example.com/x"] {
            assert!(is_safe_redirect(ok, Some("app.example.com")), "{ok}");
        }
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "https://evil.com/x",
            "https://app.example.com@evil.com/",
            "javascript:alert(1)",
            "\\\\evil",
            "/x\ny",
            "",
            "evil.com",
        ] {
            assert!(!is_safe_redirect(bad, Some("app.example.com")), "{bad}");
        }
    }

    #[test]
    fn redirect_allowlists_as_flask_security() {
        use super::{RedirectRules, is_allowed_redirect};
        let subs = ["api".to_owned(), ".".to_owned()];
        let none = RedirectRules::default();
        let sub = RedirectRules {
            subdomains_of: Some("example.com"),
            ..RedirectRules::default()
        };
        let side = RedirectRules {
            base_domain: Some("example.org"),
            allowed_subdomains: &subs,
            ..RedirectRules::default()
        };
        let host = Some("app.example.com");
        for (url, rules, ok) in [
            ("https://shop.example.com/x", &none, false),
            ("https://shop.example.com/x", &sub, true),
            ("https://example.com/", &sub, true),
            ("https://SHOP.Example.com/", &sub, true),
            ("https://evilexample.com/", &sub, false),
            ("https://example.com.evil.net/", &sub, false),
            ("https://api.example.org/x", &side, true),
            ("https://example.org/x", &side, true),
            ("https://www.example.org/x", &side, false),
            ("https://api.example.org/x", &none, false),
            ("//api.example.org/x", &side, false),
            ("javascript://api.example.org/x", &side, false),
        ] {
            assert_eq!(is_allowed_redirect(url, host, rules), ok, "{url}");
        }
    }

    #[test]
    fn envelopes() {
        let r = HttpResponse::error(StatusCode::UNAUTHORIZED, "no");
        assert_eq!(
            r.json().unwrap(),
            json!({"meta": {"code": 401}, "response": {"errors": ["no"]}})
        );
        // Byte for byte as Flask's jsonify writes it, escapes included.
        let r = HttpResponse::error(StatusCode::FORBIDDEN, "a \"quoted\" \\ é");
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            r#"{"meta":{"code":403},"response":{"errors":["a \"quoted\" \\ \u00e9"]}}"#.to_owned()
                + "\n"
        );
        let mut e = FormErrors::field("email", portcullis_core::MessageKey::EmailNotProvided);
        e.add("", portcullis_core::MessageKey::ApiError);
        let r = HttpResponse::form_errors(&e, &Messages::default());
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            r.json().unwrap()["response"]["field_errors"][""][0],
            "Input not appropriate for requested API"
        );
        assert_eq!(
            with_query("/confirmed", &[("success", "A b"), ("email", "a@b.c")]),
            "/confirmed?success=A+b&email=a%40b.c"
        );
        assert_eq!(with_query("/x?y=1", &[("a", "b")]), "/x?y=1&a=b");
    }
}

/// `target?next=<next>`, the query value quoted as Flask's `url_for` quotes
/// it (werkzeug keeps `/`, `:`, `?`, `@` and other sub-delimiters), so a
/// login redirect reads `/login?next=/profile` as from Flask-Security.
pub(crate) fn with_next(target: &str, next: &str) -> String {
    const SAFE: &[u8] = b"-._~!$'()*,/:;?@";
    let mut q = String::with_capacity(next.len());
    for &b in next.as_bytes() {
        match b {
            b' ' => q.push('+'),
            _ if b.is_ascii_alphanumeric() || SAFE.contains(&b) => q.push(char::from(b)),
            _ => q.push_str(&format!("%{b:02X}")),
        }
    }
    let sep = if target.contains('?') { '&' } else { '?' };
    format!("{target}{sep}next={q}")
}
