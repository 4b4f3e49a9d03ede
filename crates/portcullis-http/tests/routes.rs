//! Which of Portcullis' endpoints exist (each only with its feature on, as
//! Flask-Security registers its views), which methods each takes, and who
//! may use the anonymous-only ones. (Found by mutation testing of
//! `endpoints.rs`, `docs/testing.md`.)
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use portcullis_core::flows::ClientInfo;
use portcullis_core::{ConfigLoader, NewUser, SecretString, Security, UserStore};
use portcullis_http::{HttpRequest, HttpResponse, Portcullis, SessionState};
use portcullis_mail::MemoryOutbox;
use portcullis_memory::MemoryStore;

const PW: &str = "Correct-Horse-Battery-9";
const BROWSER: &str = "text/html";
const JSON: &str = "application/json";

/// Portcullis over a memory store; `/user-sessions` exists only with
/// [`with_sessions`].
async fn app(vars: &[(&'static str, &'static str)]) -> Portcullis {
    app_with(vars, None).await
}

/// As [`app`], with an OAuth provider.
async fn app_with(
    vars: &[(&'static str, &'static str)],
    provider: Option<Arc<dyn portcullis_core::oauth::OAuthProvider>>,
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
    let mut builder = Security::builder(config)
        .store(store.clone())
        .mailer(Arc::new(MemoryOutbox::new()));
    if let Some(p) = provider {
        builder = builder.oauth_provider(p);
    }
    let security = builder.build().unwrap();
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
    let uri: Uri = uri.parse().unwrap();
    let mut h = HeaderMap::new();
    h.insert("accept", HeaderValue::from_str(accept).unwrap());
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
        assert_eq!(r.headers.get("location").unwrap(), "/", "{method} {path}");
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
        Some(Arc::new(Idp)),
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
        let to = r
            .headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
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
        let to = r
            .headers
            .get("location")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            to.starts_with("/oops?error=") && to.contains("access_denied"),
            "{to}"
        );
        assert!(s.values().get("portcullis_oauth").is_none());
        assert!(s.get_str("fs_oauth_next").is_none());
    }
}
