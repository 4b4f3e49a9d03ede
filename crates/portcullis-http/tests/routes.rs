//! Which of Portcullis' endpoints exist (each only with its feature on, as
//! Flask-Security registers its views), which methods each takes, and who
//! may use the anonymous-only ones. (Found by mutation testing of
//! `endpoints.rs`, `docs/testing.md`.)
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use portcullis_core::flows::{ClientInfo, SecurityBuilder};
use portcullis_core::{ConfigLoader, MailKind, NewUser, SecretString, Security, UserStore};
use portcullis_http::{HttpRequest, HttpResponse, Portcullis, SessionState};
use portcullis_mail::MemoryOutbox;
use portcullis_memory::MemoryStore;

const PW: &str = "Correct-Horse-Battery-9";
const BROWSER: &str = "text/html";
const JSON: &str = "application/json";

/// Portcullis over a memory store; `/user-sessions` exists only with
/// [`with_sessions`].
async fn app(vars: &[(&'static str, &'static str)]) -> Portcullis {
    app_with(vars, |b| b).await
}

/// As [`app`], with `customize` applied to the builder (an OAuth
/// provider, a clock, …).
async fn app_with(
    vars: &[(&'static str, &'static str)],
    customize: impl FnOnce(SecurityBuilder) -> SecurityBuilder,
) -> Portcullis {
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "routes-secret"),
            ("SECURITY_PASSWORD_SALT", "routes-salt"),
            (
                "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
                r#"{"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}"#,
            ),
            ("SECURITY_TOTP_SECRETS", r#"{"1": "routes-totp"}"#),
            ("SECURITY_TOTP_ISSUER", "routes"),
            ("SECURITY_CSRF_PROTECT_MECHANISMS", "[]"),
            ("SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS", "true"),
        ])
        .vars(vars.iter().copied())
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    let security = customize(
        Security::builder(config)
            .store(store.clone())
            .mailer(Arc::new(MemoryOutbox::new())),
    )
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
    Portcullis::new(security).unwrap()
}

fn with_sessions(p: Portcullis) -> Portcullis {
    p.with_session_store(Arc::new(MemoryStore::new()))
}

async fn send(
    app: &Portcullis,
    s: &mut SessionState,
    method: Method,
    uri: &str,
    accept: &str,
    json: Option<&str>,
) -> HttpResponse {
    send_with(app, s, method, uri, accept, json, &[]).await
}

/// As [`send`], with extra request headers (`cookie`, a token, …).
async fn send_with(
    app: &Portcullis,
    s: &mut SessionState,
    method: Method,
    uri: &str,
    accept: &str,
    json: Option<&str>,
    headers: &[(&'static str, &str)],
) -> HttpResponse {
    let uri: Uri = uri.parse().unwrap();
    let mut h = HeaderMap::new();
    h.insert("accept", HeaderValue::from_str(accept).unwrap());
    for (name, value) in headers {
        h.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    if json.is_some() {
        h.insert("content-type", HeaderValue::from_static("application/json"));
    }
    let client = ClientInfo::default();
    let req = HttpRequest {
        method: &method,
        uri: &uri,
        headers: &h,
        body: json.unwrap_or("").as_bytes(),
        client: &client,
    };
    app.handle(&req, s).await.unwrap()
}

const EVERY_FEATURE: &[(&str, &str)] = &[
    ("SECURITY_REGISTERABLE", "true"),
    ("SECURITY_CONFIRMABLE", "true"),
    ("SECURITY_RECOVERABLE", "true"),
    ("SECURITY_CHANGEABLE", "true"),
    ("SECURITY_CHANGE_EMAIL", "true"),
    ("SECURITY_CHANGE_USERNAME", "true"),
    ("SECURITY_USERNAME_ENABLE", "true"),
    ("SECURITY_USERNAME_RECOVERY", "true"),
    ("SECURITY_PASSWORDLESS", "true"),
    ("SECURITY_TWO_FACTOR", "true"),
    ("SECURITY_TWO_FACTOR_ENABLED_METHODS", r#"["email"]"#),
    ("SECURITY_UNIFIED_SIGNIN", "true"),
    ("SECURITY_US_ENABLED_METHODS", r#"["password", "email"]"#),
    ("SECURITY_WEBAUTHN", "true"),
    ("SECURITY_MULTI_FACTOR_RECOVERY_CODES", "true"),
    ("SECURITY_USER_SESSIONS", "true"),
    ("SECURITY_REFRESH_TOKEN", "true"),
];

/// Every endpoint path, exact or with a token.
const PATHS: &[&str] = &[
    "/register",
    "/confirm",
    "/confirm/t0k",
    "/reset",
    "/reset/t0k",
    "/change",
    "/change-email",
    "/change-email/t0k",
    "/change-username",
    "/recover-username",
    "/login/t0k",
    "/tf-setup",
    "/tf-setup/t0k",
    "/tf-validate",
    "/tf-select",
    "/tf-rescue",
    "/us-signin",
    "/us-signin/send-code",
    "/us-verify",
    "/us-verify/send-code",
    "/us-setup",
    "/us-setup/t0k",
    "/us-verify-link",
    "/wan-register",
    "/wan-register/t0k",
    "/wan-signin",
    "/wan-signin/t0k",
    "/wan-delete",
    "/wan-verify",
    "/wan-verify/t0k",
    "/mf-recovery-codes",
    "/mf-recovery",
    "/user-sessions",
];

#[tokio::test]
async fn each_endpoint_exists_only_with_its_feature_on() {
    let off = app(&[]).await;
    for path in ["/login", "/logout", "/verify", "/unlock/t0k"] {
        assert!(off.is_endpoint(path), "{path} is always there");
    }
    for path in PATHS {
        assert!(!off.is_endpoint(path), "{path} with every feature off");
    }
    let on = with_sessions(app(EVERY_FEATURE).await);
    for path in PATHS.iter().chain(&["/login", "/refresh-token"]) {
        assert!(on.is_endpoint(path), "{path} with every feature on");
    }
    // A token is one non-empty path segment.
    for path in ["/reset/", "/reset/a/b", "/confirm/", "/tf-setup/a/b"] {
        assert!(!on.is_endpoint(path), "{path}");
    }
}

#[tokio::test]
async fn the_features_that_need_another_are_there_only_with_it() {
    // Recovery codes go with a second factor (two-factor or WebAuthn; alone
    // they stop the app), and not without their own setting.
    let without_codes = app(&[
        ("SECURITY_TWO_FACTOR", "true"),
        ("SECURITY_TWO_FACTOR_ENABLED_METHODS", r#"["email"]"#),
    ])
    .await;
    assert!(!without_codes.is_endpoint("/mf-recovery-codes"));
    for with in ["SECURITY_TWO_FACTOR", "SECURITY_WEBAUTHN"] {
        let p = app(&[
            ("SECURITY_MULTI_FACTOR_RECOVERY_CODES", "true"),
            (with, "true"),
            ("SECURITY_TWO_FACTOR_ENABLED_METHODS", r#"["email"]"#),
        ])
        .await;
        assert!(
            p.is_endpoint("/mf-recovery-codes") && p.is_endpoint("/mf-recovery"),
            "{with}"
        );
    }
    // Verification needs freshness to be checked at all (a negative
    // SECURITY_FRESHNESS turns it off), WebAuthn's also a use for it.
    let fresh_off = app(&[
        ("SECURITY_FRESHNESS", "-1"),
        ("SECURITY_UNIFIED_SIGNIN", "true"),
        ("SECURITY_US_ENABLED_METHODS", r#"["password", "email"]"#),
        ("SECURITY_WEBAUTHN", "true"),
    ])
    .await;
    for path in [
        "/verify",
        "/us-verify",
        "/us-verify/send-code",
        "/wan-verify",
        "/wan-verify/t0k",
    ] {
        assert!(!fresh_off.is_endpoint(path), "{path} without freshness");
    }
    assert!(fresh_off.is_endpoint("/us-signin") && fresh_off.is_endpoint("/wan-signin"));
    let no_wan_verify = app(&[
        ("SECURITY_WEBAUTHN", "true"),
        ("SECURITY_WAN_ALLOW_AS_VERIFY", "[]"),
    ])
    .await;
    assert!(!no_wan_verify.is_endpoint("/wan-verify"));
    assert!(no_wan_verify.is_endpoint("/wan-register"));
    // The unlock link only where attempt limits lock accounts.
    let no_limits = app(&[("SECURITY_DANGER_DISABLE_ATTEMPT_LIMITS", "true")]).await;
    assert!(!no_limits.is_endpoint("/unlock/t0k"));
    // User sessions need a session store to list.
    let bare = app(&[("SECURITY_USER_SESSIONS", "true")]).await;
    assert!(
        with_sessions(app(&[("SECURITY_USER_SESSIONS", "true")]).await)
            .is_endpoint("/user-sessions")
    );
    assert!(!bare.is_endpoint("/user-sessions"));
}

#[tokio::test]
async fn unified_sign_in_can_take_over_the_login_url() {
    let us = ("SECURITY_US_ENABLED_METHODS", r#"["password", "email"]"#);
    let p = app(&[
        ("SECURITY_UNIFIED_SIGNIN", "true"),
        ("SECURITY_US_SIGNIN_REPLACES_LOGIN", "true"),
        us,
    ])
    .await;
    let mut s = SessionState::default();
    let r = send(&p, &mut s, Method::GET, "/login", JSON, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.json().unwrap()["response"]["available_methods"].is_array(),
        "the us-signin answer"
    );
    // Without it, /login is the password login.
    let p = app(&[("SECURITY_UNIFIED_SIGNIN", "true"), us]).await;
    let r = send(&p, &mut s, Method::GET, "/login", JSON, None).await;
    assert!(
        r.json().unwrap()["response"]
            .get("available_methods")
            .is_none()
    );
}

#[tokio::test]
async fn each_endpoint_takes_only_its_methods() {
    let p = app(EVERY_FEATURE).await;
    let mut s = SessionState::default();
    // Mailed links are followed, never posted to.
    for path in [
        "/confirm/t0k",
        "/change-email/t0k",
        "/us-verify-link",
        "/login/t0k",
        "/unlock/t0k",
    ] {
        let r = send(&p, &mut s, Method::POST, path, JSON, Some("{}")).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "POST {path}");
    }
    // The second step of a ceremony is only posted.
    for path in [
        "/tf-setup/t0k",
        "/us-setup/t0k",
        "/us-signin/send-code",
        "/us-verify/send-code",
        "/wan-register/t0k",
        "/wan-signin/t0k",
        "/wan-verify/t0k",
        "/refresh-token",
    ] {
        let r = send(&p, &mut s, Method::GET, path, JSON, None).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "GET {path}");
    }
    // Logout by GET only when SECURITY_LOGOUT_METHODS says so.
    let r = send(&p, &mut s, Method::GET, "/logout", JSON, None).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let p = app(&[("SECURITY_LOGOUT_METHODS", r#"["GET", "POST"]"#)]).await;
    let r = send(&p, &mut s, Method::GET, "/logout", JSON, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        send(&p, &mut s, Method::PUT, "/login", JSON, None)
            .await
            .status,
        StatusCode::METHOD_NOT_ALLOWED
    );
}

async fn logged_in(p: &Portcullis) -> SessionState {
    let mut s = SessionState::default();
    let body = format!(r#"{{"email": "ann@example.com", "password": "{PW}"}}"#);
    let r = send(p, &mut s, Method::POST, "/login", JSON, Some(&body)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
    assert!(s.user_id().is_some(), "{:?} {:?}", r.json(), s.values());
    s
}

#[tokio::test]
async fn anonymous_only_endpoints_turn_a_signed_in_caller_away() {
    // Every feature but passwordless (which makes /login the "send me a
    // link" form).
    let features: Vec<(&str, &str)> = EVERY_FEATURE
        .iter()
        .copied()
        .filter(|(k, _)| *k != "SECURITY_PASSWORDLESS")
        .collect();
    let p = app(&features).await;
    let mut s = logged_in(&p).await;
    let refused = |r: &HttpResponse| {
        r.status == StatusCode::BAD_REQUEST
            && r.json().unwrap()["response"]["errors"][0]
                == "You can only access this endpoint when not logged in."
    };
    // Every method (anonymous_user_required), JSON gets the 400 …
    for (method, path) in [
        (Method::GET, "/register"),
        (Method::POST, "/register"),
        (Method::GET, "/recover-username"),
        (Method::POST, "/tf-rescue"),
        (Method::POST, "/mf-recovery"),
        (Method::POST, "/us-signin/send-code"),
        (Method::GET, "/us-verify-link"),
        (Method::POST, "/wan-signin"),
    ] {
        let body = (method == Method::POST).then_some("{}");
        let r = send(&p, &mut s, method.clone(), path, JSON, body).await;
        assert!(refused(&r), "{method} {path}: {:?}", r.json());
    }
    // … login and unified sign-in only on a post: a JSON GET still answers
    // (an SPA reads its CSRF token).
    for path in ["/login", "/us-signin"] {
        assert!(
            refused(&send(&p, &mut s, Method::POST, path, JSON, Some("{}")).await),
            "{path}"
        );
        assert_eq!(
            send(&p, &mut s, Method::GET, path, JSON, None).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    // A browser is sent to the post-login view instead, GETs included.
    for (method, path) in [
        (Method::GET, "/login"),
        (Method::GET, "/us-signin"),
        (Method::GET, "/register"),
        (Method::POST, "/login"),
    ] {
        let r = send(&p, &mut s, method.clone(), path, BROWSER, None).await;
        assert_eq!(r.status, StatusCode::FOUND, "{method} {path}");
        assert_eq!(location(&r), "/", "{method} {path}");
    }
    // And a stranger is let in.
    let mut anon = SessionState::default();
    assert_eq!(
        send(&p, &mut anon, Method::GET, "/register", JSON, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&p, &mut anon, Method::GET, "/login", BROWSER, None)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_logout_without_a_session_is_still_an_ok() {
    let p = app(&[]).await;
    let mut anon = SessionState::default();
    let r = send(&p, &mut anon, Method::POST, "/logout", JSON, Some("{}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let mut s = logged_in(&p).await;
    let r = send(&p, &mut s, Method::POST, "/logout", JSON, Some("{}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(s.user_id().is_none());
}

#[tokio::test]
async fn the_oauth_endpoints_exist_only_with_oauth_and_verify_only_with_freshness() {
    let paths = [
        "/login/oauthstart/x",
        "/login/oauthresponse/x",
        "/login/oauth-verify-start/x",
        "/login/oauth-verify-response/x",
    ];
    let off = app(&[]).await;
    for p in paths {
        assert!(!off.is_endpoint(p), "{p} without OAuth");
    }
    let on = app(&[("SECURITY_OAUTH_ENABLE", "true")]).await;
    for p in paths {
        assert!(on.is_endpoint(p), "{p} with OAuth");
    }
    let stale = app(&[
        ("SECURITY_OAUTH_ENABLE", "true"),
        ("SECURITY_FRESHNESS", "-1"),
    ])
    .await;
    assert!(stale.is_endpoint(paths[0]) && stale.is_endpoint(paths[1]));
    for p in &paths[2..] {
        assert!(!stale.is_endpoint(p), "{p} without freshness");
    }
    // No provider called x: 404 to a browser and to JSON; a GET start and
    // a POST response are not allowed.
    for accept in [BROWSER, JSON] {
        let mut s = SessionState::default();
        let r = send(&on, &mut s, Method::POST, paths[0], accept, Some("{}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{accept}");
        let r = send(&on, &mut s, Method::GET, paths[1], accept, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{accept}");
        let r = send(&on, &mut s, Method::GET, paths[0], accept, None).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{accept}");
        let r = send(&on, &mut s, Method::POST, paths[1], accept, Some("{}")).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{accept}");
        // Re-authentication needs a signed-in caller.
        let r = send(&on, &mut s, Method::POST, paths[2], accept, Some("{}")).await;
        assert_ne!(
            r.status,
            StatusCode::NOT_FOUND,
            "{accept}: asked to sign in first"
        );
    }
}

#[tokio::test]
async fn the_refresh_token_endpoint_answers_json_even_to_a_browser() {
    let p = app(&[("SECURITY_REFRESH_TOKEN", "true")]).await;
    let mut s = SessionState::default();
    let r = send(
        &p,
        &mut s,
        Method::POST,
        "/refresh-token",
        BROWSER,
        Some("{}"),
    )
    .await;
    assert!(
        r.json().is_some(),
        "a JSON envelope, not a page: {}",
        r.status
    );
    assert_ne!(r.status, StatusCode::NOT_FOUND);
    // A good refresh from a browser: the new tokens, as JSON.
    let p = app(&[
        ("SECURITY_REFRESH_TOKEN", "true"),
        ("SECURITY_REFRESH_TOKEN_COOKIE_NAME", ""),
    ])
    .await;
    let login = format!(r#"{{"email": "ann@example.com", "password": "{PW}"}}"#);
    let r = send(
        &p,
        &mut s,
        Method::POST,
        "/login?include_auth_token",
        JSON,
        Some(&login),
    )
    .await;
    let token = r.json().unwrap()["response"]["user"]["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let body = format!(r#"{{"refresh_token": "{token}"}}"#);
    let mut anon = SessionState::default();
    let r = send(
        &p,
        &mut anon,
        Method::POST,
        "/refresh-token",
        BROWSER,
        Some(&body),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json().expect("JSON to a browser");
    assert!(j["response"]["user"]["refresh_token"].is_string(), "{j}");
}

/// A provider that sends the browser to `https://idp.example/auth`.
#[derive(Debug)]
struct Idp;

#[async_trait::async_trait]
impl portcullis_core::oauth::OAuthProvider for Idp {
    fn name(&self) -> &str {
        "idp"
    }
    async fn authorization_url(
        &self,
        r: &portcullis_core::oauth::OAuthAuthorize<'_>,
    ) -> Result<String, portcullis_core::oauth::OAuthFailure> {
        Ok(format!(
            "https://idp.example/auth?state={}&redirect_uri={}",
            r.state, r.redirect_uri
        ))
    }
    async fn identity(
        &self,
        _: &portcullis_core::oauth::OAuthExchange<'_>,
    ) -> Result<portcullis_core::oauth::OAuthIdentity, portcullis_core::oauth::OAuthFailure> {
        Err(portcullis_core::oauth::OAuthFailure::new(
            "access_denied",
            "no",
        ))
    }
}

#[tokio::test]
async fn an_oauth_start_sends_the_browser_to_the_provider_with_its_state_in_the_session() {
    let p = app_with(
        &[
            ("SECURITY_OAUTH_ENABLE", "true"),
            ("SECURITY_REDIRECT_BEHAVIOR", "spa"),
            ("SECURITY_LOGIN_ERROR_VIEW", "/oops"),
        ],
        |b| b.oauth_provider(Arc::new(Idp)),
    )
    .await;
    for accept in [BROWSER, JSON] {
        let mut s = SessionState::default();
        let r = send(
            &p,
            &mut s,
            Method::POST,
            "/login/oauthstart/idp?next=/x",
            accept,
            Some("{}"),
        )
        .await;
        assert_eq!(r.status, StatusCode::FOUND, "{accept}");
        let to = location(&r).to_owned();
        assert!(to.starts_with("https://idp.example/auth?state="), "{to}");
        assert!(
            to.ends_with("redirect_uri=http://localhost/login/oauthresponse/idp"),
            "{to}"
        );
        assert_eq!(s.get_str("fs_oauth_next"), Some("/x"));
        let state = to
            .split("state=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap()
            .to_owned();
        let kept = s.values()["portcullis_oauth"]["state"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(kept, state);
        // The provider refuses: the error view, the request used up.
        let back = format!("/login/oauthresponse/idp?code=c&state={state}");
        let r = send(&p, &mut s, Method::GET, &back, accept, None).await;
        let to = location(&r).to_owned();
        assert!(
            to.starts_with("/oops?error=") && to.contains("access_denied"),
            "{to}"
        );
        assert!(s.values().get("portcullis_oauth").is_none());
        assert!(s.get_str("fs_oauth_next").is_none());
    }
}

/// The `Set-Cookie` headers of `r` for `name`.
fn set_cookies<'r>(r: &'r HttpResponse, name: &str) -> Vec<&'r str> {
    r.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(|v| v.starts_with(&format!("{name}=")))
        .collect()
}

#[tokio::test]
async fn a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_refused() {
    let p = app(&[]).await;
    let mut s = SessionState::default();
    // A JSON object padded with spaces: valid JSON of any length.
    let body = |len: usize| {
        let core = r#"{"email": "ann@example.com", "password": "wrong"}"#;
        format!("{core}{}", " ".repeat(len - core.len()))
    };
    let at = body(portcullis_http::MAX_BODY);
    let r = send(&p, &mut s, Method::POST, "/login", JSON, Some(&at)).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "read and refused as a login"
    );
    let over = body(portcullis_http::MAX_BODY + 1);
    let r = send(&p, &mut s, Method::POST, "/login", JSON, Some(&over)).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn the_remember_cookie_is_set_when_asked_and_cleared_only_when_sent() {
    let p = app(&[]).await;
    let mut s = SessionState::default();
    let forget = format!(r#"{{"email": "ann@example.com", "password": "{PW}"}}"#);
    let r = send(&p, &mut s, Method::POST, "/login", JSON, Some(&forget)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(set_cookies(&r, "remember_token").is_empty());
    let mut s = SessionState::default();
    let remember =
        format!(r#"{{"email": "ann@example.com", "password": "{PW}", "remember": true}}"#);
    let r = send(&p, &mut s, Method::POST, "/login", JSON, Some(&remember)).await;
    let set = set_cookies(&r, "remember_token");
    assert_eq!(set.len(), 1, "{set:?}");
    assert!(set[0].len() > "remember_token=".len() + 10, "{set:?}");
    // A logout without the cookie leaves the browser's cookies alone...
    let r = send(&p, &mut s, Method::POST, "/logout", JSON, Some("{}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(set_cookies(&r, "remember_token").is_empty());
    // ... and with it, clears it.
    let mut s = logged_in(&p).await;
    let r = send_with(
        &p,
        &mut s,
        Method::POST,
        "/logout",
        JSON,
        Some("{}"),
        &[("cookie", "remember_token=abc")],
    )
    .await;
    let cleared = set_cookies(&r, "remember_token");
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert!(cleared[0].starts_with("remember_token=;"), "{cleared:?}");
}

#[tokio::test]
async fn a_logout_clears_the_refresh_cookie_only_once_nobody_is_signed_in() {
    let p = app(&[("SECURITY_REFRESH_TOKEN", "true")]).await;
    let cookie = [("cookie", "fs_refresh=abc")];
    let mut anon = SessionState::default();
    let r = send_with(
        &p,
        &mut anon,
        Method::POST,
        "/logout",
        JSON,
        Some("{}"),
        &cookie,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let cleared = set_cookies(&r, "fs_refresh");
    assert_eq!(cleared.len(), 1, "{cleared:?}");
    assert!(cleared[0].starts_with("fs_refresh=;"), "{cleared:?}");
    // A logout refused (GET where only POST logs out) leaves it.
    let mut s = logged_in(&p).await;
    let r = send_with(&p, &mut s, Method::GET, "/logout", JSON, None, &cookie).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(s.user_id().is_some());
    assert!(set_cookies(&r, "fs_refresh").is_empty());
    // No cookie sent, none cleared.
    let r = send(&p, &mut anon, Method::POST, "/logout", JSON, Some("{}")).await;
    assert!(set_cookies(&r, "fs_refresh").is_empty());
}

/// The session's and a token's POST to `/change` without a CSRF token.
async fn change_without_csrf(vars: &[(&'static str, &'static str)]) -> (StatusCode, StatusCode) {
    let mut all = vec![("SECURITY_CHANGEABLE", "true")];
    all.extend_from_slice(vars);
    let p = app(&all).await;
    let mut s = logged_in(&p).await;
    let change = format!(
        r#"{{"password": "{PW}", "new_password": "Another-Horse-7", "new_password_confirm": "Another-Horse-7"}}"#
    );
    let by_session = send(&p, &mut s, Method::POST, "/change", JSON, Some(&change)).await;
    // A token from a new login, with whichever password is now current.
    let current = if by_session.status == StatusCode::OK {
        "Another-Horse-7"
    } else {
        PW
    };
    let mut t = SessionState::default();
    let login = format!(r#"{{"email": "ann@example.com", "password": "{current}"}}"#);
    let r = send(
        &p,
        &mut t,
        Method::POST,
        "/login?include_auth_token",
        JSON,
        Some(&login),
    )
    .await;
    let token = r.json().unwrap()["response"]["user"]["authentication_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let back = format!(
        r#"{{"password": "{current}", "new_password": "Third-Horse-8", "new_password_confirm": "Third-Horse-8"}}"#
    );
    let mut none = SessionState::default();
    let by_token = send_with(
        &p,
        &mut none,
        Method::POST,
        "/change",
        JSON,
        Some(&back),
        &[("Authentication-Token", &token)],
    )
    .await;
    (by_session.status, by_token.status)
}

#[tokio::test]
async fn csrf_is_checked_for_the_protected_mechanisms_only() {
    use StatusCode as S;
    let session = ("SECURITY_CSRF_PROTECT_MECHANISMS", r#"["session"]"#);
    let token = ("SECURITY_CSRF_PROTECT_MECHANISMS", r#"["token"]"#);
    assert_eq!(
        change_without_csrf(&[session]).await,
        (S::BAD_REQUEST, S::OK)
    );
    assert_eq!(change_without_csrf(&[token]).await, (S::OK, S::BAD_REQUEST));
    assert_eq!(
        change_without_csrf(&[("SECURITY_CSRF_PROTECT_MECHANISMS", "[]")]).await,
        (S::OK, S::OK)
    );
    // WTF_CSRF_ENABLED off: nothing is checked.
    assert_eq!(
        change_without_csrf(&[session, ("WTF_CSRF_ENABLED", "false")]).await,
        (S::OK, S::OK)
    );
}

#[tokio::test]
async fn a_verified_session_is_fresh_again() {
    let clock = Arc::new(portcullis_core::FakeClock::new(1_800_000_000.0));
    let c = clock.clone();
    let p = app_with(
        &[
            ("SECURITY_TWO_FACTOR", "true"),
            (
                "SECURITY_TWO_FACTOR_ENABLED_METHODS",
                r#"["authenticator"]"#,
            ),
            ("SECURITY_FRESHNESS", "60"),
            ("SECURITY_FRESHNESS_GRACE_PERIOD", "0"),
        ],
        move |b| b.clock(c),
    )
    .await;
    let mut s = logged_in(&p).await;
    let setup = r#"{"setup": "authenticator"}"#;
    let r = send(&p, &mut s, Method::POST, "/tf-setup", JSON, Some(setup)).await;
    assert_eq!(r.status, StatusCode::OK, "fresh after the login");
    clock.advance(120.0);
    let r = send(&p, &mut s, Method::POST, "/tf-setup", JSON, Some(setup)).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "stale two minutes later"
    );
    let verify = format!(r#"{{"password": "{PW}"}}"#);
    let r = send(&p, &mut s, Method::POST, "/verify", JSON, Some(&verify)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = send(&p, &mut s, Method::POST, "/tf-setup", JSON, Some(setup)).await;
    assert_eq!(r.status, StatusCode::OK, "fresh after /verify");
}

#[tokio::test]
async fn an_anonymous_browser_asking_to_reauthenticate_by_oauth_is_sent_to_the_login_page() {
    let p = app_with(&[("SECURITY_OAUTH_ENABLE", "true")], |b| {
        b.oauth_provider(Arc::new(Idp))
    })
    .await;
    let mut s = SessionState::default();
    let path = "/login/oauth-verify-start/idp";
    let r = send(&p, &mut s, Method::POST, path, BROWSER, None).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let to = location(&r);
    assert!(to.starts_with("/login?next="), "{to}");
    // A JSON client gets the 401 envelope.
    let r = send(&p, &mut s, Method::POST, path, JSON, Some("{}")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A signed-in browser goes to the provider.
    let mut signed_in = logged_in(&p).await;
    let r = send(&p, &mut signed_in, Method::POST, path, BROWSER, None).await;
    assert_eq!(r.status, StatusCode::FOUND);
    let to = location(&r);
    assert!(to.starts_with("https://idp.example/auth?"), "{to}");
}

#[tokio::test]
async fn get_login_names_the_signed_in_user_to_json_and_nobody_otherwise() {
    let p = app(&[]).await;
    let mut anon = SessionState::default();
    let r = send(&p, &mut anon, Method::GET, "/login", JSON, None).await;
    let j = r.json().unwrap();
    assert!(j["response"].get("user").is_none(), "{j}");
    assert!(j["response"]["csrf_token"].is_string(), "{j}");
    let mut s = logged_in(&p).await;
    let r = send(&p, &mut s, Method::GET, "/login", JSON, None).await;
    let j = r.json().unwrap();
    assert!(j["response"]["user"].is_object(), "{j}");
}

#[tokio::test]
async fn a_registration_that_would_log_in_asks_for_a_due_second_factor_first() {
    let tf = [
        ("SECURITY_REGISTERABLE", "true"),
        ("SECURITY_TWO_FACTOR", "true"),
        ("SECURITY_TWO_FACTOR_REQUIRED", "true"),
        ("SECURITY_TWO_FACTOR_ENABLED_METHODS", r#"["email"]"#),
    ];
    let body =
        format!(r#"{{"email": "bo@example.com", "password": "{PW}", "password_confirm": "{PW}"}}"#);
    let p = app(&tf).await;
    let mut s = SessionState::default();
    let r = send(&p, &mut s, Method::POST, "/register", JSON, Some(&body)).await;
    let j = r.json().unwrap();
    assert_eq!(r.status, StatusCode::OK, "{j}");
    assert_eq!(j["response"]["tf_required"], true, "{j}");
    assert!(
        s.user_id().is_none(),
        "not logged in before the second factor"
    );
    // Registered but to be confirmed first: no login, so no second factor yet.
    let mut confirm = tf.to_vec();
    confirm.push(("SECURITY_CONFIRMABLE", "true"));
    let p = app(&confirm).await;
    let mut s = SessionState::default();
    let r = send(&p, &mut s, Method::POST, "/register", JSON, Some(&body)).await;
    assert_eq!(r.status, StatusCode::OK);
    let j = r.json().unwrap();
    assert!(j["response"].get("tf_required").is_none(), "{j}");
    assert!(j["response"]["user"].is_object(), "{j}");
    assert!(s.user_id().is_none());
}

fn location(r: &HttpResponse) -> &str {
    r.headers
        .get("location")
        .map(|v| v.to_str().unwrap())
        .unwrap_or_else(|| panic!("no redirect: {} {:?}", r.status, r.json()))
}

#[tokio::test]
async fn a_confirmation_link_logs_in_only_when_asked_and_works_once() {
    let confirm = [
        ("SECURITY_REGISTERABLE", "true"),
        ("SECURITY_CONFIRMABLE", "true"),
    ];
    let body =
        format!(r#"{{"email": "bo@example.com", "password": "{PW}", "password_confirm": "{PW}"}}"#);
    for auto_login in [false, true] {
        let outbox = Arc::new(MemoryOutbox::new());
        let mailer = outbox.clone();
        let mut vars = confirm.to_vec();
        vars.push((
            "SECURITY_AUTO_LOGIN_AFTER_CONFIRM",
            if auto_login { "true" } else { "false" },
        ));
        let p = app_with(&vars, move |b| b.mailer(mailer)).await;
        let mut s = SessionState::default();
        let r = send(&p, &mut s, Method::POST, "/register", JSON, Some(&body)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
        assert!(s.user_id().is_none(), "not before the address is confirmed");
        // The welcome mail carries the link; asking again sends the
        // instructions (and nothing else).
        let again = r#"{"email": "bo@example.com"}"#;
        let r = send(&p, &mut s, Method::POST, "/confirm", JSON, Some(again)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
        let kinds: Vec<_> = outbox.messages().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            kinds,
            [MailKind::Welcome, MailKind::ConfirmationInstructions]
        );
        let token = outbox.token_to("bo@example.com", "/confirm/").unwrap();
        let uri = format!("/confirm/{token}");
        let mut s = SessionState::default();
        let r = send(&p, &mut s, Method::GET, &uri, BROWSER, None).await;
        assert_eq!(r.status, StatusCode::FOUND);
        let (to, logged_in) = if auto_login {
            ("/", true)
        } else {
            ("/login", false)
        };
        assert_eq!(location(&r), to, "auto-login {auto_login}");
        assert_eq!(s.user_id().is_some(), logged_in, "auto-login {auto_login}");
        let flashes = s.take_flashes();
        assert_eq!(
            flashes,
            [(
                "success".to_owned(),
                "Thank you. Your email has been confirmed.".to_owned()
            )]
        );
        // The link is spent: the second click lands on the confirm page
        // with the reason, and logs nobody in.
        let mut again = SessionState::default();
        let r = send(&p, &mut again, Method::GET, &uri, BROWSER, None).await;
        assert_eq!(location(&r), "/confirm");
        assert!(again.user_id().is_none());
        assert_eq!(
            again.take_flashes(),
            [(
                "info".to_owned(),
                "Your email has already been confirmed.".to_owned()
            )]
        );
    }
}

#[tokio::test]
async fn an_unlock_link_ends_the_lock_and_a_forged_one_does_not() {
    let p = app(&[("SECURITY_LIMIT_FAILED_PER_ACCOUNT", "2/1h")]).await;
    let login = |pw: &str| format!(r#"{{"email": "ann@example.com", "password": "{pw}"}}"#);
    let mut s = SessionState::default();
    for _ in 0..2 {
        send(
            &p,
            &mut s,
            Method::POST,
            "/login",
            JSON,
            Some(&login("wrong")),
        )
        .await;
    }
    let r = send(&p, &mut s, Method::POST, "/login", JSON, Some(&login(PW))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "locked");
    let ann = p
        .security()
        .store()
        .find_user_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    let token = p.security().unlock_token(&ann);
    let forged = format!("/unlock/{}x", &token);
    let r = send(&p, &mut s, Method::GET, &forged, BROWSER, None).await;
    assert_eq!(location(&r), "/login");
    assert_eq!(s.take_flashes()[0].0, "error");
    let r = send(&p, &mut s, Method::POST, "/login", JSON, Some(&login(PW))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "still locked");
    let r = send(
        &p,
        &mut s,
        Method::GET,
        &format!("/unlock/{token}"),
        BROWSER,
        None,
    )
    .await;
    assert_eq!(location(&r), "/login");
    assert_eq!(s.take_flashes()[0].0, "success");
    assert!(s.user_id().is_none(), "an unlock link logs nobody in");
    let r = send(&p, &mut s, Method::POST, "/login", JSON, Some(&login(PW))).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
}

#[tokio::test]
async fn webauthn_requests_reach_webauthn() {
    let p = app(&[("SECURITY_WEBAUTHN", "true")]).await;
    let mut anon = SessionState::default();
    // The relying party is the request's host.
    let host = [("host", "localhost")];
    let r = send_with(
        &p,
        &mut anon,
        Method::POST,
        "/wan-signin",
        JSON,
        Some("{}"),
        &host,
    )
    .await;
    let j = r.json().unwrap();
    assert_eq!(r.status, StatusCode::OK, "{j}");
    assert!(
        j["response"]["credential_options"]["challenge"].is_string(),
        "{j}"
    );
    assert!(j["response"]["wan_state"].is_string(), "{j}");
    let mut s = logged_in(&p).await;
    let r = send_with(
        &p,
        &mut s,
        Method::POST,
        "/wan-register",
        JSON,
        Some(r#"{"name": "key1", "usage": "first"}"#),
        &host,
    )
    .await;
    let j = r.json().unwrap();
    assert_eq!(r.status, StatusCode::OK, "{j}");
    assert_eq!(
        j["response"]["credential_options"]["user"]["name"], "ann@example.com",
        "{j}"
    );
}

#[tokio::test]
async fn a_store_that_is_down_is_a_503_to_retry_and_anything_else_a_500_that_says_nothing() {
    let p = app(&[]).await;
    let busy = p.flow_failure(&portcullis_core::Error::unavailable("the pool is full"));
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.headers.get("retry-after").unwrap(), "1");
    let failed = p.flow_failure(&portcullis_core::Error::internal("table users is gone"));
    assert_eq!(failed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(failed.headers.get("retry-after").is_none());
    for r in [&busy, &failed] {
        let text = r.json().unwrap().to_string();
        assert!(
            !text.contains("pool") && !text.contains("users"),
            "the cause stays in the log: {text}"
        );
    }
}

#[tokio::test]
async fn a_reset_that_would_log_in_asks_for_a_due_second_factor_first() {
    let outbox = Arc::new(MemoryOutbox::new());
    let mailer = outbox.clone();
    let vars = [
        ("SECURITY_RECOVERABLE", "true"),
        ("SECURITY_AUTO_LOGIN_AFTER_RESET", "true"),
        ("SECURITY_TWO_FACTOR", "true"),
        ("SECURITY_TWO_FACTOR_REQUIRED", "true"),
        ("SECURITY_TWO_FACTOR_ENABLED_METHODS", r#"["email"]"#),
    ];
    let p = app_with(&vars, move |b| b.mailer(mailer)).await;
    let mut s = SessionState::default();
    let ask = r#"{"email": "ann@example.com"}"#;
    let r = send(&p, &mut s, Method::POST, "/reset", JSON, Some(ask)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
    let token = outbox.token_to("ann@example.com", "/reset/").unwrap();
    let new_pw = "Another-Horse-Battery-7";
    let body = format!(r#"{{"password": "{new_pw}", "password_confirm": "{new_pw}"}}"#);
    let uri = format!("/reset/{token}");
    let r = send(&p, &mut s, Method::POST, &uri, JSON, Some(&body)).await;
    let j = r.json().unwrap();
    assert_eq!(r.status, StatusCode::OK, "{j}");
    assert_eq!(j["response"]["tf_required"], true, "{j}");
    assert!(
        s.user_id().is_none(),
        "not logged in before the second factor"
    );
}

#[tokio::test]
async fn an_oauth_logins_auth_token_is_handed_over_only_when_asked() {
    /// The auth token `GET uri` hands over in its user payload, if any.
    async fn handed(p: &Portcullis, s: &mut SessionState, uri: &str) -> Option<String> {
        let r = send(p, s, Method::GET, uri, JSON, None).await;
        let j = r.json().unwrap();
        j["response"]["user"]["authentication_token"]
            .as_str()
            .map(str::to_owned)
    }
    let p = app(&[]).await;
    let mut s = logged_in(&p).await;
    s.set("portcullis_oauth_auth_token", serde_json::json!("tok-123"));
    assert_eq!(handed(&p, &mut s, "/login").await, None, "not unasked");
    let asked = "/login?include_auth_token";
    assert_eq!(handed(&p, &mut s, asked).await.as_deref(), Some("tok-123"));
    assert_eq!(handed(&p, &mut s, asked).await, None, "once");
    // Nobody signed in: the token is not spent on an anonymous answer.
    let mut anon = SessionState::default();
    anon.set("portcullis_oauth_auth_token", serde_json::json!("tok-456"));
    assert_eq!(handed(&p, &mut anon, asked).await, None);
    assert_eq!(anon.get_str("portcullis_oauth_auth_token"), Some("tok-456"));
}
