//! Browsers (no JSON in `Accept`): HTML forms, inline errors, redirects.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use portcullis_core::flows::ClientInfo;
use portcullis_core::{ConfigLoader, NewUser, SecretString, Security, UserStore};
use portcullis_http::{HttpRequest, HttpResponse, Pages, Portcullis, SessionState};
use portcullis_mail::MemoryOutbox;
use portcullis_memory::MemoryStore;

const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const PW: &str = "Correct-Horse-Battery-9";

async fn app(pages: Option<Pages>) -> Portcullis {
    app_with(pages, &[]).await
}

async fn app_with(pages: Option<Pages>, extra: &[(&'static str, &'static str)]) -> Portcullis {
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "browser-secret"),
            ("SECURITY_PASSWORD_SALT", "browser-salt"),
            ("SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS", r#"{"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}"#),
            ("SECURITY_REGISTERABLE", "true"),
            ("SECURITY_RECOVERABLE", "true"),
            ("SECURITY_CHANGEABLE", "true"),
        ])
        .vars(extra.iter().copied())
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    let security = Security::builder(config)
        .store(store.clone())
        .mailer(Arc::new(MemoryOutbox::new()))
        .build()
        .unwrap();
    let hash = security.hash_password(PW).await.unwrap();
    store
        .create_user(NewUser {
            confirmed_at: Some(security.now()),
            ..NewUser::new("ann@example.com", Some(SecretString::new(hash)))
        })
        .await
        .unwrap();
    let p = Portcullis::new(security).unwrap();
    match pages {
        Some(pages) => p.with_pages(pages),
        None => p,
    }
}

async fn send(
    app: &Portcullis,
    s: &mut SessionState,
    method: Method,
    uri: &str,
    accept: &str,
    form: Option<&str>,
) -> HttpResponse {
    let uri: Uri = uri.parse().unwrap();
    let mut h = HeaderMap::new();
    h.insert("accept", HeaderValue::from_str(accept).unwrap());
    h.insert("host", HeaderValue::from_static("app.example.com"));
    if form.is_some() {
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
    }
    let client = ClientInfo::default();
    let req = HttpRequest {
        method: &method,
        uri: &uri,
        headers: &h,
        body: form.unwrap_or("").as_bytes(),
        client: &client,
    };
    app.handle(&req, s).await.unwrap()
}

fn html(r: &HttpResponse) -> String {
    assert_eq!(
        r.headers.get("content-type").unwrap(),
        "text/html; charset=utf-8"
    );
    String::from_utf8(r.body.clone()).unwrap()
}

fn csrf_from(page: &str) -> String {
    let i = page.find(r#"<input id="csrf_token" name="csrf_token" type="hidden" value=""#);
    let i = i.expect("the form's csrf_token field") + 62;
    page[i..].split('"').next().unwrap().to_owned()
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn login_by_form_with_inline_errors_and_safe_next() {
    let app = app(None).await;
    let mut s = SessionState::default();
    let page = html(
        &send(
            &app,
            &mut s,
            Method::GET,
            "/login?next=/todos",
            BROWSER,
            None,
        )
        .await,
    );
    assert!(
        page.contains(
            "<form action=\"/login?next=/todos\" method=\"post\" name=\"login_user_form\" id=\"security-form\">"
        ) && page.contains(r#"id="email" name="email" required type="email""#)
            && page.contains(r#"id="password" name="password" required type="password""#)
            && page.contains(r#"href="/register""#)
    );
    let csrf = csrf_from(&page);
    // A form post without the CSRF token: the page again, with Flask-WTF's message.
    let r = send(
        &app,
        &mut s,
        Method::POST,
        "/login",
        BROWSER,
        Some("email=ann%40example.com&password=x"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    // As Flask-Security's render_form_errors writes it.
    assert!(html(&r).contains(
        r#"<div class="fs-div" id="fs-form-errors"><ul><li class="fs-error-msg">The CSRF token is missing.</li></ul></div>"#
    ));
    // Wrong password: re-rendered with the error under the field, email kept.
    let body = format!(
        "csrf_token={}&email=ann%40example.com&password=wrong-password",
        enc(&csrf)
    );
    let page = html(&send(&app, &mut s, Method::POST, "/login", BROWSER, Some(&body)).await);
    assert!(
        page.contains(r#"<ul><li class="fs-error-msg">Invalid password</li></ul>"#)
            && page.contains(r#"value="ann@example.com""#)
    );
    // Success goes to a safe `next`…
    let body = format!(
        "csrf_token={}&email=ann%40example.com&password={}&next=%2Ftodos",
        enc(&csrf),
        enc(PW)
    );
    let r = send(&app, &mut s, Method::POST, "/login", BROWSER, Some(&body)).await;
    assert_eq!(
        (
            r.status,
            r.headers.get("location").unwrap().to_str().unwrap()
        ),
        (StatusCode::FOUND, "/todos")
    );
    // …and never off-site.
    let mut s2 = SessionState::default();
    let csrf2 = csrf_from(&html(
        &send(&app, &mut s2, Method::GET, "/login", BROWSER, None).await,
    ));
    let body = format!(
        "csrf_token={}&email=ann%40example.com&password={}&next={}",
        enc(&csrf2),
        enc(PW),
        enc("https://evil.example.net/")
    );
    // An off-site `next` fails the form, as Flask-Security's
    // NextFormMixin: the page again, with the message, and no login.
    let r = send(&app, &mut s2, Method::POST, "/login", BROWSER, Some(&body)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(html(&r).contains("Redirections outside the domain are forbidden"));
    assert!(s2.user_id().is_none());
}

#[tokio::test]
async fn protected_pages_send_browsers_to_login_and_json_stays_json() {
    let app = app(None).await;
    let mut s = SessionState::default();
    let r = send(&app, &mut s, Method::GET, "/change", BROWSER, None).await;
    assert_eq!(
        (
            r.status,
            r.headers.get("location").unwrap().to_str().unwrap()
        ),
        (StatusCode::FOUND, "/login?next=/change")
    );
    // curl's `*/*` is a browser to Flask-Security (its best value is not
    // application/json); a JSON Accept, even of lower quality but more
    // specific than `*/*`, gets the 401 (checked against Flask-Security
    // 5.9.2's test client).
    let r = send(&app, &mut s, Method::GET, "/change", "*/*", None).await;
    assert_eq!(r.status, StatusCode::FOUND);
    for accept in ["application/json", "*/*, application/json;q=0.5"] {
        let r = send(&app, &mut s, Method::GET, "/change", accept, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{accept}");
        assert!(r.json().is_some());
    }
    // Forgot password by form shows what was sent, to the address as
    // normalised (the domain lower-cased, as Flask-Security's form has it).
    let csrf = csrf_from(&html(
        &send(&app, &mut s, Method::GET, "/reset", BROWSER, None).await,
    ));
    let body = format!("csrf_token={}&email=ann%40EXAMPLE.com", enc(&csrf));
    let page = html(&send(&app, &mut s, Method::POST, "/reset", BROWSER, Some(&body)).await);
    assert!(
        page.contains("Instructions to reset your password have been sent to ann@example.com.")
    );
}

#[tokio::test]
async fn pages_can_be_overridden_by_flask_security_name() {
    let dir = std::env::temp_dir().join(format!("portcullis-pages-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("login_user.html"),
        "<p>Our own login page {{ csrf_token|length > 10 }}</p>",
    )
    .unwrap();
    let app = app(Some(Pages::with_overrides(&dir))).await;
    let mut s = SessionState::default();
    assert_eq!(
        html(&send(&app, &mut s, Method::GET, "/login", BROWSER, None).await),
        "<p>Our own login page True</p>"
    );
    assert!(
        html(&send(&app, &mut s, Method::GET, "/register", BROWSER, None).await)
            .contains("Retype Password")
    );
    // A Flask app's folder layout (`security/…`) and the names its
    // SECURITY_*_TEMPLATE settings give; a name found nowhere falls back to
    // the built-in page; `..` never leaves the directory.
    std::fs::create_dir_all(dir.join("security")).unwrap();
    std::fs::create_dir_all(dir.join("custom")).unwrap();
    std::fs::write(
        dir.join("security/forgot_password.html"),
        "<p>Forgot: {{ form_name }}</p>",
    )
    .unwrap();
    std::fs::write(
        dir.join("custom/register.html"),
        "<p>CUSTOM REGISTER {{ title }} {{ fields|length }}</p>",
    )
    .unwrap();
    std::fs::write(dir.parent().unwrap().join("outside.html"), "<p>outside</p>").unwrap();
    let app = app_with(
        Some(Pages::with_overrides(&dir)),
        &[
            ("SECURITY_REGISTER_USER_TEMPLATE", "custom/register.html"),
            ("SECURITY_SEND_CONFIRMATION_TEMPLATE", "custom/missing.html"),
            ("SECURITY_CONFIRMABLE", "true"),
        ],
    )
    .await;
    let get = |path: &'static str| {
        let app = app.clone();
        async move {
            let mut s = SessionState::default();
            html(&send(&app, &mut s, Method::GET, path, BROWSER, None).await)
        }
    };
    assert_eq!(get("/register").await, "<p>CUSTOM REGISTER Register 3</p>");
    assert_eq!(get("/reset").await, "<p>Forgot: forgot_password_form</p>");
    assert!(
        get("/confirm").await.contains("send_confirmation_form"),
        "the built-in page"
    );
    assert_eq!(get("/login").await, "<p>Our own login page True</p>");
    let pages = Pages::with_overrides(&dir);
    let outside = pages.render_named("../outside.html", "login_user.html", &Default::default());
    let body = String::from_utf8(outside.body).unwrap();
    assert_eq!(
        body, "<p>Our own login page False</p>",
        "the page itself, not the file outside"
    );
    let _ = std::fs::remove_dir_all(dir);
    let _ = std::fs::remove_file(std::env::temp_dir().join("outside.html"));
}

#[tokio::test]
async fn two_factor_by_form_shows_the_qr_code_and_asks_for_the_code() {
    use portcullis_core::crypto::Totp;
    let app = app_with(
        None,
        &[
            ("SECURITY_TWO_FACTOR", "true"),
            (
                "SECURITY_TWO_FACTOR_ENABLED_METHODS",
                r#"["authenticator"]"#,
            ),
            ("SECURITY_TOTP_SECRETS", r#"{"1": "browser-totp-secret"}"#),
            ("SECURITY_TOTP_ISSUER", "browser"),
        ],
    )
    .await;
    let mut s = SessionState::default();
    let csrf = csrf_from(&html(
        &send(&app, &mut s, Method::GET, "/login", BROWSER, None).await,
    ));
    let login = format!(
        "csrf_token={}&email=ann%40example.com&password={}",
        enc(&csrf),
        enc(PW)
    );
    let r = send(&app, &mut s, Method::POST, "/login", BROWSER, Some(&login)).await;
    assert_eq!(r.headers.get("location").unwrap(), "/");
    // Set up the authenticator: the page shows the key and its QR code.
    let body = format!("csrf_token={}&setup=authenticator", enc(&csrf));
    let page = html(
        &send(
            &app,
            &mut s,
            Method::POST,
            "/tf-setup",
            BROWSER,
            Some(&body),
        )
        .await,
    );
    assert!(
        page.contains(r#"src="data:image/svg+xml;base64,"#),
        "{page}"
    );
    let key: String = page
        .split(['"', '<', '>', ' '])
        .find(|w| w.len() == 39 && w.matches('-').count() == 7)
        .expect("the key on the page")
        .replace('-', "");
    let totp = Totp::from_base32(&key).unwrap();
    let code = |t: &Totp| t.code_at(chrono::Utc::now().timestamp());
    let body = format!("csrf_token={}&code={}", enc(&csrf), code(&totp));
    let r = send(
        &app,
        &mut s,
        Method::POST,
        "/tf-validate",
        BROWSER,
        Some(&body),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FOUND,
        "{:?}",
        String::from_utf8_lossy(&r.body)
    );
    // Log out and in again: the browser is sent to the code page.
    send(&app, &mut s, Method::POST, "/logout", BROWSER, Some("")).await;
    let csrf = csrf_from(&html(
        &send(&app, &mut s, Method::GET, "/login", BROWSER, None).await,
    ));
    let login = format!(
        "csrf_token={}&email=ann%40example.com&password={}",
        enc(&csrf),
        enc(PW)
    );
    let r = send(&app, &mut s, Method::POST, "/login", BROWSER, Some(&login)).await;
    assert_eq!(
        r.headers.get("location").map(|l| l.to_str().unwrap()),
        Some("/tf-validate"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    assert!(s.user_id().is_none(), "not logged in before the code");
    let page = html(&send(&app, &mut s, Method::GET, "/tf-validate", BROWSER, None).await);
    assert!(page.contains(r#"name="code""#));
    // The setup's code is spent (codes are single-use): the next step's.
    let next = totp.code_at(chrono::Utc::now().timestamp() + 30);
    let body = format!("csrf_token={}&code={}", enc(&csrf_from(&page)), next);
    let r = send(
        &app,
        &mut s,
        Method::POST,
        "/tf-validate",
        BROWSER,
        Some(&body),
    )
    .await;
    assert_eq!(r.headers.get("location").unwrap(), "/");
    assert!(s.user_id().is_some());
}

#[tokio::test]
async fn the_remember_box_follows_security_default_remember_me() {
    for (default, checked) in [("false", false), ("true", true)] {
        let app = app_with(None, &[("SECURITY_DEFAULT_REMEMBER_ME", default)]).await;
        let mut s = SessionState::default();
        let page = html(&send(&app, &mut s, Method::GET, "/login", BROWSER, None).await);
        let input = page
            .split('<')
            .find(|tag| tag.contains(r#"name="remember""#))
            .expect("a remember checkbox");
        assert_eq!(input.contains("checked"), checked, "{default}: {input}");
    }
}

#[tokio::test]
async fn passwordless_has_a_page_and_says_the_link_was_sent() {
    let app = app_with(None, &[("SECURITY_PASSWORDLESS", "true")]).await;
    let mut s = SessionState::default();
    let page = html(&send(&app, &mut s, Method::GET, "/login", BROWSER, None).await);
    assert!(
        page.contains("Send Login Link") && !page.contains(r#"name="password""#),
        "{page}"
    );
    let csrf = csrf_from(&page);
    let body = format!("email=nobody%40example.com&csrf_token={}", enc(&csrf));
    let page = html(&send(&app, &mut s, Method::POST, "/login", BROWSER, Some(&body)).await);
    assert!(page.contains("Specified user does not exist"), "{page}");
}

/// The locale of a request, as Flask-Babel picks it: the app's selector
/// (a name no catalogue has still sets the durations' language), else
/// `Accept-Language` among the catalogues, else the default `en`; nothing
/// without catalogues.
#[tokio::test]
async fn the_locale_comes_from_the_selector_or_accept_language_else_the_default() {
    use portcullis_core::i18n::{Locale, format_duration, gettext};
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../portcullis-core/tests/fixtures/translations"
    );
    let with_catalogues = app_with(None, &[("SECURITY_I18N_DIRNAME", dir)]).await;
    let headers = |pairs: &[(&'static str, &'static str)]| {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    };
    let name = |p: &Portcullis, h: &HeaderMap| p.locale_for(h).map(|l| l.name().to_owned());
    let within = |l: Locale| l.sync_scope(|| format_duration(chrono::TimeDelta::hours(26)));
    // Accept-Language among the catalogues, else the default locale.
    let p = &with_catalogues;
    assert_eq!(
        name(p, &headers(&[("accept-language", "de-DE,de;q=0.9")])).as_deref(),
        Some("de_DE")
    );
    assert_eq!(
        name(p, &headers(&[("accept-language", "fr")])).as_deref(),
        Some("en")
    );
    assert_eq!(name(p, &headers(&[])).as_deref(), Some("en"));
    let en = p.locale_for(&headers(&[])).unwrap();
    assert_eq!(within(en), "1 day and 2 hours");
    // The app's selector wins over Accept-Language.
    let p = with_catalogues
        .with_locale_selector(|h| h.get("x-user-locale")?.to_str().ok().map(str::to_owned));
    let asks = headers(&[("x-user-locale", "ja_JP"), ("accept-language", "de")]);
    assert_eq!(name(&p, &asks).as_deref(), Some("ja_JP"));
    // A name without a catalogue: texts as written, durations in French.
    let fr = p
        .locale_for(&headers(&[("x-user-locale", "fr_FR")]))
        .unwrap();
    assert_eq!(fr.name(), "fr_FR");
    let (text, duration) = fr.sync_scope(|| {
        (
            gettext("Invalid password").into_owned(),
            format_duration(chrono::TimeDelta::hours(26)),
        )
    });
    assert_eq!(text, "Invalid password");
    assert_eq!(duration.replace('\u{a0}', " "), "1 jour et 2 heures");
    // The selector choosing nothing: the default.
    assert_eq!(
        name(&p, &headers(&[("accept-language", "de")])).as_deref(),
        Some("en")
    );
    // No catalogues: no locale, Flask-Security's plain English.
    let plain = app(None).await;
    assert_eq!(name(&plain, &headers(&[("accept-language", "de")])), None);
}
