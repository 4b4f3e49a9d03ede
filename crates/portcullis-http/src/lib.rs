#![doc = include_str!("../README.md")]

mod auth;
mod body;
mod browser;
mod cpu;
pub mod csrf;
mod endpoints;
mod html;
pub mod input;
mod mfa;
mod oauth;
mod passwordless;
mod proxy;
mod refresh;
mod respond;
mod rule;
pub mod session;
mod user_sessions;
mod web;
mod webauthn;

pub use self::auth::{Mechanism, RequestAuth};
pub use self::body::{BODY_TIMEOUT, BodyRefused, read_body};
pub use self::cpu::{QUEUE_PER_SLOT, TokioCpuPool};
pub use self::csrf::{Csrf, CsrfFailure};
pub use self::html::{PAGES, Pages};
pub use self::input::FormData;
pub use self::respond::{
    HttpResponse, RedirectRules, is_allowed_redirect, is_safe_redirect, with_query,
};
pub use self::rule::{Policy, RequestHead, Rule};
pub use self::session::SessionState;
pub use self::user_sessions::session_summary;
pub use self::web::{RequestContext, SameSite, SessionOptions};

use http::{HeaderMap, Method, Uri};
use portcullis_core::flows::ClientInfo;
use portcullis_core::{Result, Security};

/// Largest request body Portcullis' endpoints read (64 KiB); adapters
/// should refuse larger ones before buffering them.
pub const MAX_BODY: usize = 64 * 1024;

/// A request, framework-neutral.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// Method.
    pub method: &'a Method,
    /// URI (path and query).
    pub uri: &'a Uri,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// The whole body (at most [`MAX_BODY`]).
    pub body: &'a [u8],
    /// The client (for login tracking).
    pub client: &'a ClientInfo,
}

impl HttpRequest<'_> {
    /// A query parameter.
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.uri.query()?;
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Whether a query parameter is present (with any value).
    pub fn has_query(&self, name: &str) -> bool {
        self.uri
            .query()
            .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == name))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A cookie the request carries.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim_matches('"').to_owned())
    }

    /// Whether the body is JSON.
    pub fn is_json(&self) -> bool {
        input::is_json_content_type(self.header("content-type"))
    }

    /// Flask-Security's `_default_want_json`: a JSON body, or an `Accept`
    /// header whose best value (Werkzeug's `accept_mimetypes.best`) is
    /// exactly `application/json`. So `*/*` (curl) and a missing header get
    /// HTML, as from Flask-Security; so does `application/*`.
    pub fn wants_json(&self) -> bool {
        self.is_json()
            || self
                .header("accept")
                .and_then(best_accepted)
                .is_some_and(|best| best == "application/json")
    }
}

/// Werkzeug's `MIMEAccept.best`: the values of an `Accept` header sorted,
/// stably, by specificity (each part of `type/subtype; params` that is
/// not `*`) and then quality, both descending; the first one, parameters
/// other than `q` kept (`application/json; level=1`). A value whose
/// quality does not parse is dropped.
fn best_accepted(header: &str) -> Option<String> {
    let mut values: Vec<(String, Vec<bool>, f32)> = Vec::new();
    'values: for part in header.split(',') {
        let mut bits = part.split(';').map(str::trim);
        let mime = bits.next().unwrap_or_default();
        if mime.is_empty() {
            continue;
        }
        let (mut value, mut q) = (mime.to_owned(), 1.0f32);
        for b in bits {
            match b.strip_prefix("q=") {
                Some(v) => match v.trim().parse() {
                    Ok(parsed) => q = parsed,
                    Err(_) => continue 'values,
                },
                None if !b.is_empty() => {
                    value.push_str("; ");
                    value.push_str(b);
                }
                None => {}
            }
        }
        let specific = value.split(['/', ';']).map(|p| p.trim() != "*").collect();
        values.push((value, specific, q));
    }
    values.sort_by(|a, b| {
        (&b.1, b.2)
            .partial_cmp(&(&a.1, a.2))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    values.into_iter().next().map(|(v, _, _)| v)
}

#[cfg(test)]
mod accept_tests {
    use super::best_accepted;

    /// Each header's `best`, as Werkzeug 3 gives it.
    #[test]
    fn the_best_accepted_value_is_werkzeugs() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        for (header, best) in [
            ("*/*", Some("*/*")),
            (chrome, Some("text/html")),
            ("application/json", Some("application/json")),
            (
                "application/json, text/plain, */*",
                Some("application/json"),
            ),
            ("application/*", Some("application/*")),
            ("application/json;q=0.1, text/html", Some("text/html")),
            ("*/*, application/json;q=0.5", Some("application/json")),
            ("text/html;q=0.5, application/json;q=0.5", Some("text/html")),
            (
                "application/json;q=0.5, text/html;q=0.5",
                Some("application/json"),
            ),
            (
                "application/json;charset=utf-8",
                Some("application/json; charset=utf-8"),
            ),
            ("application/json;q=abc", None),
            (
                "application/json;level=1;q=0.4, text/html;q=0.3",
                Some("application/json; level=1"),
            ),
            (" application/json ", Some("application/json")),
            ("", None),
        ] {
            assert_eq!(best_accepted(header).as_deref(), best, "{header:?}");
        }
    }
}

/// Flask-Security's HTTP behaviour over a [`Security`] service.
#[derive(Debug, Clone)]
pub struct Portcullis {
    inner: std::sync::Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    security: Security,
    csrf: Csrf,
    pages: Pages,
    /// `SECURITY_API_ENABLED_METHODS`, parsed once.
    api: Vec<Mechanism>,
    /// Where sessions are kept (and listed and ended for their user).
    sessions: Option<std::sync::Arc<dyn portcullis_core::store::SessionStore>>,
    /// The session cookie.
    session_options: SessionOptions,
    /// How long a client has to send an endpoint's request body.
    body_timeout: std::time::Duration,
    /// `SECURITY_CACHE_CONTROL` as a header value, built once (`None`: no header).
    cache_control: Option<http::HeaderValue>,
    /// The app's choice of locale for a request (else `Accept-Language`).
    locale_selector: Option<LocaleSelector>,
}

/// An app's locale selector (Flask-Babel's `locale_selector`): the name of
/// a locale for a request's headers, or `None` for untranslated texts.
#[derive(Clone)]
struct LocaleSelector(std::sync::Arc<SelectLocale>);

/// The function behind [`LocaleSelector`].
type SelectLocale = dyn Fn(&http::HeaderMap) -> Option<String> + Send + Sync;

impl std::fmt::Debug for LocaleSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LocaleSelector")
    }
}

impl Portcullis {
    /// Wraps a service.
    pub fn new(security: Security) -> Result<Self> {
        let csrf = Csrf::new(security.config())?;
        let security_cc = security.config().cache_control.clone();
        let api = security
            .config()
            .api_enabled_methods
            .iter()
            .filter_map(|m| Mechanism::parse(m))
            .collect();
        Ok(Self {
            inner: std::sync::Arc::new(Inner {
                security,
                csrf,
                pages: Pages::default(),
                api,
                sessions: None,
                session_options: SessionOptions::default(),
                body_timeout: BODY_TIMEOUT,
                cache_control: respond::cache_control_header(&security_cc),
                locale_selector: None,
            }),
        })
    }

    /// Keeps web sessions in `store` with the cookie `options` (see
    /// [`Portcullis::open_session`]); `SECURITY_USER_SESSIONS_URL` lists
    /// and ends the user's sessions there. Fails when an option cannot go
    /// into a `Set-Cookie` header.
    pub fn with_sessions(
        self,
        store: std::sync::Arc<dyn portcullis_core::store::SessionStore>,
        options: SessionOptions,
    ) -> Result<Self> {
        web::check_options(&options)?;
        Ok(self.rebuild(|i| {
            i.sessions = Some(store);
            i.session_options = options;
        }))
    }

    /// How long a client has to send the body of a request to one of
    /// Portcullis' endpoints (default [`BODY_TIMEOUT`], 30 s); then it
    /// gets 408 and the connection is closed.
    pub fn with_body_timeout(self, timeout: std::time::Duration) -> Self {
        self.rebuild(|i| i.body_timeout = timeout)
    }

    /// An endpoint's request body from the framework's stream of chunks:
    /// at most [`MAX_BODY`] bytes, within the body timeout. On refusal,
    /// answer [`BodyRefused::response`] and close the connection.
    pub async fn read_body<S, B, E>(&self, chunks: S) -> std::result::Result<Vec<u8>, BodyRefused>
    where
        S: futures_core::Stream<Item = std::result::Result<B, E>>,
        B: AsRef<[u8]>,
    {
        read_body(chunks, MAX_BODY, self.inner.body_timeout).await
    }

    /// The session cookie settings.
    pub fn session_options(&self) -> &SessionOptions {
        &self.inner.session_options
    }

    /// Keeps web sessions in `store` with the default cookie (see
    /// [`Portcullis::with_sessions`]).
    pub fn with_session_store(
        self,
        store: std::sync::Arc<dyn portcullis_core::store::SessionStore>,
    ) -> Self {
        self.rebuild(|i| i.sessions = Some(store))
    }

    /// The session store, when one was given.
    pub fn session_store(&self) -> Option<&dyn portcullis_core::store::SessionStore> {
        self.inner.sessions.as_deref()
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = match std::sync::Arc::try_unwrap(self.inner) {
            Ok(inner) => inner,
            Err(shared) => Inner {
                security: shared.security.clone(),
                csrf: shared.csrf.clone(),
                pages: shared.pages.clone(),
                api: shared.api.clone(),
                sessions: shared.sessions.clone(),
                session_options: shared.session_options.clone(),
                body_timeout: shared.body_timeout,
                cache_control: shared.cache_control.clone(),
                locale_selector: shared.locale_selector.clone(),
            },
        };
        change(&mut inner);
        Self {
            inner: std::sync::Arc::new(inner),
        }
    }

    /// Chooses each request's locale with `select` (from its headers: a
    /// cookie, a header the app sets…) instead of `Accept-Language`; a name
    /// no catalogue has, or `None`, leaves texts untranslated.
    pub fn with_locale_selector(
        self,
        select: impl Fn(&http::HeaderMap) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.rebuild(|i| i.locale_selector = Some(LocaleSelector(std::sync::Arc::new(select))))
    }

    /// The locale of a request: the app's selector's choice (a name no
    /// catalogue has still sets the language of durations, as with
    /// Flask-Babel), or the best match for its `Accept-Language` among the
    /// loaded catalogues, else the default locale (see
    /// [`portcullis_core::i18n`]). `None` without catalogues. Adapters run
    /// each whole request (the app's routes too) in it with
    /// [`portcullis_core::i18n::scoped`], so every text rendered during
    /// it is translated.
    pub fn locale_for(&self, headers: &http::HeaderMap) -> Option<portcullis_core::i18n::Locale> {
        use portcullis_core::i18n::Locale;
        let translations = self.security().translations();
        if translations.is_empty() {
            return None;
        }
        let chosen = match &self.inner.locale_selector {
            Some(select) => select.0(headers).map(|name| {
                translations
                    .locale(&name)
                    .unwrap_or_else(|| Locale::bare(&name))
            }),
            None => headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| translations.negotiate(v)),
        };
        Some(chosen.unwrap_or_else(|| translations.default_locale()))
    }

    /// Uses `pages` for browsers (e.g. [`Pages::with_overrides`]).
    pub fn with_pages(self, pages: Pages) -> Self {
        self.rebuild(|i| i.pages = pages)
    }

    /// The pages.
    pub fn pages(&self) -> &Pages {
        &self.inner.pages
    }

    /// The service.
    pub fn security(&self) -> &Security {
        &self.inner.security
    }

    /// The `Cache-Control` every endpoint answer carries.
    pub(crate) fn cache_control(&self) -> Option<&http::HeaderValue> {
        self.inner.cache_control.as_ref()
    }

    /// The CSRF helper.
    pub fn csrf(&self) -> &Csrf {
        &self.inner.csrf
    }

    /// The mechanisms `SECURITY_API_ENABLED_METHODS` allows.
    pub fn api_mechanisms(&self) -> &[Mechanism] {
        &self.inner.api
    }
}
