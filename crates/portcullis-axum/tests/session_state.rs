//! What the session remembers between requests, through the axum layer:
//! a half-finished two-factor login is forgotten at logout, a remember-me
//! cookie logs in (not fresh), the login's "remember me" survives the
//! second factor, and the user's session list knows which one is asking.
//! (Found by mutation testing of `portcullis-http/src/session.rs`,
//! `docs/testing.md`.)
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use chrono::TimeDelta;
use http::{Request, StatusCode};
use portcullis_axum::{CurrentUser, Guard, PortcullisAxum, Rule, SessionOptions};
use portcullis_core::{ConfigLoader, NewUser, Security, UserStore};
use portcullis_http::Portcullis;
use portcullis_mail::MemoryOutbox;
use portcullis_memory::MemoryStore;
use serde_json::{Value, json};
use tower::ServiceExt;

const PW: &str = "Correct-Horse-Battery-9";

struct App {
    router: Router,
    store: Arc<MemoryStore>,
    outbox: Arc<MemoryOutbox>,
}

async fn app(two_factor: bool) -> App {
    app_with(two_factor, &[]).await
}

async fn app_with(two_factor: bool, extra: &[(&'static str, &'static str)]) -> App {
    let mut vars = vec![
        ("SECRET_KEY", "session-state-secret"),
        ("SECURITY_PASSWORD_SALT", "session-state-salt"),
        (
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
            r#"{"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}"#,
        ),
        ("SECURITY_USER_SESSIONS", "true"),
        ("SECURITY_CHANGE_EMAIL", "true"),
        ("SECURITY_CSRF_PROTECT_MECHANISMS", "[]"),
        ("SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS", "true"),
    ];
    if two_factor {
        vars.extend([
            ("SECURITY_TWO_FACTOR", "true"),
            ("SECURITY_TWO_FACTOR_ENABLED_METHODS", r#"["email"]"#),
            ("SECURITY_TOTP_SECRETS", r#"{"1": "session-state-totp"}"#),
            ("SECURITY_TOTP_ISSUER", "session-state"),
        ]);
    }
    vars.extend_from_slice(extra);
    let (config, _) = ConfigLoader::new().vars(vars).build().unwrap();
    let store = Arc::new(MemoryStore::new());
    let outbox = Arc::new(MemoryOutbox::new());
    let security = Security::builder(config)
        .store(store.clone())
        .mailer(outbox.clone())
        .build()
        .unwrap();
    let hash = security.hash_password(PW).await.unwrap();
    store
        .create_user(NewUser {
            active: true,
            ..NewUser::new("ann@example.com", Some(hash.into()))
        })
        .await
        .unwrap();
    let auth = PortcullisAxum::new(
        Portcullis::new(security).unwrap(),
        store.clone(),
        SessionOptions::default(),
    )
    .unwrap();
    let router = auth.wrap(
        Router::new()
            .route("/me", get(|u: CurrentUser| async move { u.user.email }))
            .route(
                "/admin",
                get(|| async { "admin" }).route_layer(Guard::new(Rule::roles_required(["admin"]))),
            )
            .route(
                "/fresh",
                get(|| async { "fresh" }).route_layer(Guard::new(
                    Rule::authenticated().fresh_within(TimeDelta::seconds(1)),
                )),
            ),
    );
    let app = App {
        router,
        store,
        outbox,
    };
    if two_factor {
        // Ann sets up the email code through the API, then logs out.
        let mut c = Client::default();
        c.login(&app, false).await;
        let r = c
            .call(&app, "POST", "/tf-setup", Some(json!({"setup": "email"})))
            .await;
        let token = r.body["response"]["tf_state_token"]
            .as_str()
            .unwrap()
            .to_owned();
        let code = mailed_code(&app);
        let r = c
            .call(
                &app,
                "POST",
                &format!("/tf-setup/{token}"),
                Some(json!({"code": code})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        c.call(&app, "POST", "/logout", Some(json!({}))).await;
    }
    app
}

/// A JSON client with a cookie jar.
#[derive(Default, Clone)]
struct Client {
    cookies: BTreeMap<String, String>,
}

struct Browsed {
    status: StatusCode,
    location: Option<String>,
}

struct Answer {
    status: StatusCode,
    body: Value,
    set_cookies: Vec<String>,
}

impl Client {
    async fn call(&mut self, app: &App, method: &str, path: &str, body: Option<Value>) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("accept", "application/json");
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", jar.join("; "));
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let resp = app.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let set_cookies: Vec<String> = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        for c in &set_cookies {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            body,
            set_cookies,
        }
    }

    async fn login(&mut self, app: &App, remember: bool) -> Answer {
        self.call(
            app,
            "POST",
            "/login",
            Some(json!({"email": "ann@example.com", "password": PW, "remember": remember})),
        )
        .await
    }

    /// A browser's GET: status and where it is sent.
    async fn browse(&mut self, app: &App, path: &str) -> Browsed {
        let mut req = Request::get(path).header("accept", "text/html");
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header("cookie", jar.join("; "));
        }
        let resp = app
            .router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        Browsed {
            status: resp.status(),
            location: resp
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
        }
    }

    async fn me(&mut self, app: &App) -> StatusCode {
        self.call(app, "GET", "/me", None).await.status
    }
}

fn mailed_code(app: &App) -> String {
    let (_, m) = app.outbox.last_to("ann@example.com").expect("a code mail");
    let text = m.text.unwrap_or_default();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a code")
        .to_owned()
}

fn sets_remember(a: &Answer) -> bool {
    a.set_cookies
        .iter()
        .any(|c| c.starts_with("remember_token=") && !c.starts_with("remember_token=;"))
}

#[tokio::test]
async fn logging_out_forgets_a_half_finished_two_factor_login() {
    let app = app(true).await;
    let mut c = Client::default();
    let r = c.login(&app, false).await;
    assert_eq!(r.body["response"]["tf_required"], json!(true), "{}", r.body);
    let code = mailed_code(&app);
    assert_eq!(
        c.call(&app, "POST", "/logout", Some(json!({})))
            .await
            .status,
        StatusCode::OK
    );
    // The code that would have finished it finishes nothing now.
    let r = c
        .call(&app, "POST", "/tf-validate", Some(json!({"code": code})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert_eq!(c.me(&app).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn remember_me_survives_the_second_factor_only_when_asked_for() {
    let app = app(true).await;
    for remember in [true, false] {
        let mut c = Client::default();
        c.login(&app, remember).await;
        let r = c
            .call(
                &app,
                "POST",
                "/tf-validate",
                Some(json!({"code": mailed_code(&app)})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            sets_remember(&r),
            remember,
            "remember={remember}: {:?}",
            r.set_cookies
        );
    }
}

#[tokio::test]
async fn a_remember_me_cookie_logs_in_without_freshness() {
    let app = app(false).await;
    let mut c = Client::default();
    let r = c.login(&app, true).await;
    assert!(sets_remember(&r), "{:?}", r.set_cookies);
    // A new browser session: only the remember-me cookie is left.
    let mut later = Client {
        cookies: c
            .cookies
            .iter()
            .filter(|(k, _)| k.as_str() == "remember_token")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    assert_eq!(later.me(&app).await, StatusCode::OK);
    // That request put the user in a new session: its cookie alone is
    // enough from now on.
    later.cookies.remove("remember_token");
    assert!(later.cookies.contains_key("session"), "{:?}", later.cookies);
    assert_eq!(later.me(&app).await, StatusCode::OK);
    // A password login is fresh; the remembered one is not, so a
    // freshness-guarded page (change email) asks it to verify.
    assert_eq!(
        c.call(&app, "GET", "/change-email", None).await.status,
        StatusCode::OK
    );
    let r = later.call(&app, "GET", "/change-email", None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    assert_eq!(r.body["response"]["reauth_required"], json!(true));
}

#[tokio::test]
async fn the_session_list_knows_which_session_is_asking() {
    let app = app(false).await;
    let mut here = Client::default();
    let mut there = Client::default();
    here.login(&app, false).await;
    there.login(&app, false).await;
    let r = here.call(&app, "GET", "/user-sessions", None).await;
    let sessions = r.body["response"]["sessions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sessions.len(), 2, "{}", r.body);
    assert_eq!(
        sessions
            .iter()
            .filter(|s| s["current"] == json!(true))
            .count(),
        1,
        "exactly this one is current: {}",
        r.body
    );
    // Ending the others keeps this one.
    let r = here
        .call(
            &app,
            "POST",
            "/user-sessions",
            Some(json!({"end": "others"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(here.me(&app).await, StatusCode::OK);
    assert_eq!(there.me(&app).await, StatusCode::UNAUTHORIZED);
    assert!(
        app.store
            .find_user_by_email("ann@example.com")
            .await
            .unwrap()
            .is_some()
    );
}

/// A six-digit code that is not `right`.
fn other_code(right: &str, i: u32) -> String {
    let n: u32 = right.parse().unwrap();
    format!("{:06}", (n + 1 + i) % 1_000_000)
}

#[tokio::test]
async fn the_fifth_wrong_code_ends_the_half_login_and_not_before() {
    let app = app(true).await;
    let mut c = Client::default();
    c.login(&app, false).await;
    let right = mailed_code(&app);
    let error = |a: &Answer| a.body["response"]["errors"].to_string();
    for i in 0..4 {
        let r = c
            .call(
                &app,
                "POST",
                "/tf-validate",
                Some(json!({"code": other_code(&right, i)})),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(
            error(&r).contains("Invalid code"),
            "attempt {i}: {}",
            error(&r)
        );
    }
    let r = c
        .call(
            &app,
            "POST",
            "/tf-validate",
            Some(json!({"code": other_code(&right, 9)})),
        )
        .await;
    assert!(error(&r).contains("Too many wrong codes"), "{}", error(&r));
    let r = c
        .call(&app, "POST", "/tf-validate", Some(json!({"code": right})))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "the half-login is over");
    assert_eq!(c.me(&app).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_browser_without_the_role_goes_to_the_unauthorized_view_and_json_gets_403() {
    let app = app_with(false, &[("SECURITY_UNAUTHORIZED_VIEW", "/nope")]).await;
    let mut c = Client::default();
    // A stranger's browser goes to the login page, JSON gets the 401.
    let r = c.browse(&app, "/admin").await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::FOUND, Some("/login?next=/admin"))
    );
    assert_eq!(
        c.call(&app, "GET", "/admin", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    c.login(&app, false).await;
    let r = c.browse(&app, "/admin").await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::FOUND, Some("/nope"))
    );
    assert_eq!(
        c.call(&app, "GET", "/admin", None).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_fresh_check_opens_a_grace_period_for_the_session() {
    let app = app_with(false, &[("SECURITY_FRESHNESS_GRACE_PERIOD", "3600")]).await;
    let mut c = Client::default();
    c.login(&app, false).await;
    // Fresh now (the login is under a second old): the grace period starts.
    assert_eq!(
        c.call(&app, "GET", "/fresh", None).await.status,
        StatusCode::OK
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // The login is older than the route's second, but the grace holds.
    assert_eq!(
        c.call(&app, "GET", "/fresh", None).await.status,
        StatusCode::OK
    );
    // A new login that never opened the grace: stale once its second is over.
    let mut other = Client::default();
    other.login(&app, false).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(
        other.call(&app, "GET", "/fresh", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}
