//! Drives Flask-Security's JSON API through `Portcullis::handle`, keeping
//! one session the way an adapter would.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use portcullis_core::flows::ClientInfo;
use portcullis_core::{ConfigLoader, Security};
use portcullis_http::{HttpRequest, HttpResponse, Portcullis, SessionState};
use portcullis_mail::MemoryOutbox;
use portcullis_memory::MemoryStore;
use serde_json::{Value, json};

struct Client {
    app: Portcullis,
    outbox: Arc<MemoryOutbox>,
    session: SessionState,
    csrf: Option<String>,
}

fn app(extra: &[(&str, &str)]) -> Client {
    app_with(extra, |b| b)
}

fn app_with(
    extra: &[(&str, &str)],
    builder: impl FnOnce(
        portcullis_core::flows::SecurityBuilder,
    ) -> portcullis_core::flows::SecurityBuilder,
) -> Client {
    let mut vars = vec![
        ("SECRET_KEY", "http-test-secret"),
        ("SECURITY_PASSWORD_SALT", "http-test-salt"),
        (
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
            r#"{"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}"#,
        ),
        ("SECURITY_REGISTERABLE", "true"),
        ("SECURITY_CONFIRMABLE", "true"),
        ("SECURITY_RECOVERABLE", "true"),
        ("SECURITY_CHANGEABLE", "true"),
        ("SECURITY_CHANGE_EMAIL", "true"),
        ("SECURITY_TRACKABLE", "true"),
        ("SECURITY_REDIRECT_BEHAVIOR", "spa"),
        ("SECURITY_POST_CONFIRM_VIEW", "/confirmed"),
        ("SECURITY_CONFIRM_ERROR_VIEW", "/confirm-error"),
        ("SECURITY_RESET_VIEW", "/reset-password"),
        ("SECURITY_RESET_ERROR_VIEW", "/reset-password-error"),
        ("SECURITY_POST_CHANGE_EMAIL_VIEW", "/change-email-done"),
        ("SECURITY_CHANGE_EMAIL_ERROR_VIEW", "/change-email-error"),
        ("SECURITY_CSRF_PROTECT_MECHANISMS", r#"["session","basic"]"#),
        ("SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS", "true"),
        ("SECURITY_CSRF_COOKIE_NAME", "XSRF-TOKEN"),
    ];
    vars.extend_from_slice(extra);
    let (config, _) = ConfigLoader::new().vars(vars).build().unwrap();
    let outbox = Arc::new(MemoryOutbox::new());
    let security = builder(
        Security::builder(config)
            .store(Arc::new(MemoryStore::new()))
            .mailer(outbox.clone())
            .base_url("http://127.0.0.1:8000"),
    )
    .build()
    .unwrap();
    Client {
        app: Portcullis::new(security).unwrap(),
        outbox,
        session: SessionState::default(),
        csrf: None,
    }
}

impl Client {
    async fn send(
        &mut self,
        method: Method,
        uri: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> HttpResponse {
        let uri: Uri = uri.parse().unwrap();
        let mut h = HeaderMap::new();
        h.insert("accept", HeaderValue::from_static("application/json"));
        if body.is_some() {
            h.insert("content-type", HeaderValue::from_static("application/json"));
        }
        for (k, v) in headers {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let client = ClientInfo {
            remote_addr: Some("127.0.0.1".into()),
        };
        let req = HttpRequest {
            method: &method,
            uri: &uri,
            headers: &h,
            body: body.unwrap_or("").as_bytes(),
            client: &client,
        };
        let r = self
            .app
            .handle(&req, &mut self.session)
            .await
            .expect("a Portcullis endpoint");
        if let Some(t) = r
            .json()
            .and_then(|j| j["response"]["csrf_token"].as_str().map(str::to_owned))
        {
            self.csrf = Some(t);
        }
        r
    }

    async fn post(&mut self, uri: &str, body: Value) -> HttpResponse {
        let csrf = self.csrf.clone().unwrap_or_default();
        self.send(
            Method::POST,
            uri,
            Some(&body.to_string()),
            &[("X-XSRF-Token", &csrf)],
        )
        .await
    }

    async fn get(&mut self, uri: &str) -> HttpResponse {
        self.send(Method::GET, uri, None, &[]).await
    }

    fn link(&self, to: &str, path: &str) -> String {
        let link = self.outbox.link_to(to, path).unwrap();
        link.strip_prefix("http://127.0.0.1:8000")
            .unwrap()
            .to_owned()
    }
}

fn location(r: &HttpResponse) -> String {
    r.headers
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_account_lifecycle_over_the_json_api() {
    let mut c = app(&[]);
    let pw = "Correct-Horse-Battery-9";
    // Register: 200 with user {}; confirmation needed before login.
    let r = c
        .post(
            "/register",
            json!({"email": "ada@example.com", "password": pw, "password_confirm": pw}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json().unwrap();
    assert_eq!(body["response"]["user"], json!({}));
    assert!(body["response"]["csrf_token"].is_string());
    let r = c
        .post(
            "/login",
            json!({"email": "ada@example.com", "password": pw}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.json().unwrap()["response"]["field_errors"]["email"][0],
        "Email requires confirmation."
    );
    // Confirm by the mailed link: SPA redirect with the message under its category.
    let link = c.link("ada@example.com", "/confirm/");
    let r = c.get(&link).await;
    assert_eq!(r.status, StatusCode::FOUND);
    assert_eq!(
        location(&r),
        "/confirmed?success=Thank+you.+Your+email+has+been+confirmed.&email=ada%40example.com&identity=ada%40example.com"
    );
    assert_eq!(
        location(&c.get(&link).await),
        "/confirm-error?info=Your+email+has+already+been+confirmed."
    );
    assert!(
        location(&c.get("/confirm/garbage").await)
            .starts_with("/confirm-error?error=Invalid+confirmation+token.")
    );
    // Login with a session and a token.
    let r = c
        .post(
            "/login?include_auth_token",
            json!({"email": "ADA@example.com", "password": pw}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.json().unwrap();
    assert_eq!(body["response"]["tf_required"], false);
    let token = body["response"]["user"]["authentication_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(c.session.needs_new_id());
    assert!(
        r.headers
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("XSRF-TOKEN="))
    );
    // Session mutation without CSRF token: refused; with it: fine.
    let r = c
        .send(Method::POST, "/change", Some(r#"{"password": "x"}"#), &[])
        .await;
    assert_eq!(
        r.json().unwrap()["response"]["errors"][0],
        "The CSRF token is missing."
    );
    let r = c.get("/change").await;
    assert_eq!(r.json().unwrap()["response"]["active_password"], true);
    // Token-authenticated mutation needs no CSRF token (session and basic only).
    let mut api = app(&[]);
    api.app = c.app.clone();
    let r = api
        .send(
            Method::GET,
            "/verify",
            None,
            &[("Authentication-Token", &token)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // Change password: old token and the other session die.
    let mut other = Client {
        app: c.app.clone(),
        outbox: c.outbox.clone(),
        session: c.session.clone(),
        csrf: c.csrf.clone(),
    };
    let new_pw = "Brand-New-Passphrase-42";
    let r = c
        .post(
            "/change?include_auth_token",
            json!({"password": pw, "new_password": new_pw, "new_password_confirm": new_pw}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
    assert!(r.json().unwrap()["response"]["user"]["authentication_token"].is_string());
    assert_eq!(
        api.send(
            Method::GET,
            "/verify",
            None,
            &[("Authentication-Token", &token)]
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(other.get("/change").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        c.get("/change").await.status,
        StatusCode::OK,
        "this session was renewed"
    );
    // Forgot / reset: the link hands the token to the SPA; single use.
    let mut anon = app(&[]);
    anon.app = c.app.clone();
    assert_eq!(
        anon.post("/reset", json!({"email": "ada@example.com"}))
            .await
            .status,
        StatusCode::OK
    );
    let link = c.link("ada@example.com", "/reset/");
    let r = anon.get(&link).await;
    let token = link.rsplit('/').next().unwrap();
    assert_eq!(location(&r), format!("/reset-password?token={token}"));
    let third = "Third-Passphrase-2026";
    let r = anon
        .post(&link, json!({"password": third, "password_confirm": third}))
        .await;
    assert_eq!(
        r.json().unwrap(),
        json!({"meta": {"code": 200}, "response": {}})
    );
    let r = anon
        .post(&link, json!({"password": third, "password_confirm": third}))
        .await;
    assert_eq!(
        r.json().unwrap()["response"]["field_errors"][""][0],
        "Invalid reset password token."
    );
    assert!(
        location(&anon.get(&link).await)
            .starts_with("/reset-password-error?error=Invalid+reset+password+token.")
    );
    // Change email (fresh session needed): log in again, then follow the link.
    c.session = SessionState::default();
    c.get("/login").await;
    assert_eq!(
        c.post(
            "/login",
            json!({"email": "ada@example.com", "password": third})
        )
        .await
        .status,
        StatusCode::OK
    );
    let r = c.get("/change-email").await;
    assert_eq!(
        r.json().unwrap()["response"]["current_email"],
        "ada@example.com"
    );
    assert_eq!(
        c.post("/change-email", json!({"email": "ada@new.example.com"}))
            .await
            .status,
        StatusCode::OK
    );
    let link = c.link("ada@new.example.com", "/change-email/");
    let r = c.get(&link).await;
    assert!(location(&r).starts_with(
        "/change-email-done?success=Change+of+email+address+confirmed&email=ada%40new.example.com"
    ));
    // Logout ends the session and clears the CSRF cookie.
    let r = c.post("/logout", json!({})).await;
    assert_eq!(
        r.json().unwrap(),
        json!({"meta": {"code": 200}, "response": {}})
    );
    assert!(
        r.headers
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap().contains("XSRF-TOKEN=;"))
    );
    assert_eq!(c.get("/change").await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn bad_input_gets_a_4xx_envelope() {
    let mut c = app(&[]);
    let cases: Vec<(Option<&str>, StatusCode)> = vec![
        (Some("{bad json"), StatusCode::BAD_REQUEST),
        (Some("[1, 2]"), StatusCode::BAD_REQUEST),
        (
            Some(r#"{"email": 5, "password": ["x"]}"#),
            StatusCode::BAD_REQUEST,
        ),
        (Some(r#"{}"#), StatusCode::BAD_REQUEST),
        (
            Some(r#"{"email": "nobody@example.com", "password": "whatever1"}"#),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (body, status) in cases {
        let r = c.send(Method::POST, "/login", body, &[]).await;
        assert_eq!(r.status, status, "{body:?}");
        let j = r.json().expect("always an envelope");
        assert_eq!(j["meta"]["code"], status.as_u16());
        assert!(j["response"]["errors"].is_array());
    }
    let r = c
        .send(Method::POST, "/login", Some(r#"{"email": 5}"#), &[])
        .await;
    assert_eq!(
        r.json().unwrap()["response"]["field_errors"]["email"][0],
        "Input not appropriate for requested API"
    );
    let big = format!(r#"{{"email": "{}"}}"#, "a".repeat(70_000));
    assert_eq!(
        c.send(Method::POST, "/login", Some(&big), &[]).await.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        c.send(Method::PUT, "/login", None, &[]).await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );
    assert_eq!(
        c.get("/change").await.json().unwrap(),
        json!({"meta": {"code": 401}, "response": {"errors": ["You must sign in to view this resource."]}})
    );
    let r = c
        .send(
            Method::GET,
            "/change",
            None,
            &[("Authentication-Token", "garbage")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Paths that are not ours, or whose feature is off, are the app's.
    let uri: Uri = "/todos".parse().unwrap();
    let h = HeaderMap::new();
    let req = HttpRequest {
        method: &Method::GET,
        uri: &uri,
        headers: &h,
        body: b"",
        client: &ClientInfo::default(),
    };
    assert!(c.app.handle(&req, &mut c.session).await.is_none());
}

#[tokio::test]
async fn csrf_is_required_on_unauthenticated_endpoints_by_default() {
    let mut c = app(&[("SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS", "false")]);
    let r = c
        .send(
            Method::POST,
            "/login",
            Some(r#"{"email": "a@example.com", "password": "x"}"#),
            &[],
        )
        .await;
    assert_eq!(
        r.json().unwrap()["response"]["errors"][0],
        "The CSRF token is missing."
    );
    c.get("/login").await;
    let r = c
        .post(
            "/login",
            json!({"email": "a@example.com", "password": "whatever1"}),
        )
        .await;
    assert_eq!(
        r.json().unwrap()["response"]["field_errors"]["email"][0],
        "Specified user does not exist"
    );
}

#[tokio::test]
async fn http_basic_and_its_challenge() {
    let mut c = app(&[
        (
            "SECURITY_API_ENABLED_METHODS",
            r#"["session","token","basic"]"#,
        ),
        ("SECURITY_CONFIRMABLE", "false"),
    ]);
    let pw = "Correct-Horse-Battery-9";
    c.post(
        "/register",
        json!({"email": "basic@example.com", "password": pw, "password_confirm": pw}),
    )
    .await;
    let mut fresh = app(&[]);
    fresh.app = c.app.clone();
    let good = format!(
        "Basic {}",
        portcullis_core::crypto::encoding::b64_encode(format!("basic@example.com:{pw}").as_bytes())
    );
    assert_eq!(
        fresh
            .send(Method::GET, "/change", None, &[("Authorization", &good)])
            .await
            .status,
        StatusCode::OK
    );
    let bad = format!(
        "Basic {}",
        portcullis_core::crypto::encoding::b64_encode(b"basic@example.com:nope")
    );
    let r = fresh
        .send(Method::GET, "/change", None, &[("Authorization", &bad)])
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.headers.get("www-authenticate").unwrap(),
        "Basic realm=\"Login Required\""
    );
}

#[tokio::test]
async fn the_apps_payload_is_response_user() {
    let mut c = app_with(&[("SECURITY_CONFIRMABLE", "false")], |b| {
        b.security_payload(|u| {
            serde_json::json!({"email": u.email, "id": u.id})
                .as_object()
                .cloned()
                .unwrap_or_default()
        })
    });
    c.get("/login").await;
    let pw = "Correct-Horse-Battery-9";
    let r = c
        .post(
            "/register",
            json!({"email": "pay@example.com", "password": pw, "password_confirm": pw}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
    let user = &r.json().unwrap()["response"]["user"];
    assert_eq!(user["email"], "pay@example.com", "{user}");
    c.post("/logout", json!({})).await;
    let r = c
        .post(
            "/login?include_auth_token",
            json!({"email": "pay@example.com", "password": pw}),
        )
        .await;
    let user = &r.json().unwrap()["response"]["user"];
    assert_eq!(user["email"], "pay@example.com", "{user}");
    assert!(
        user["id"].is_i64() && user["authentication_token"].is_string(),
        "{user}"
    );
    // GET /change carries it too; without a hook, `user` stays `{}`.
    let r = c.get("/change").await;
    assert_eq!(
        r.json().unwrap()["response"]["user"]["email"],
        "pay@example.com"
    );
    let mut plain = app(&[("SECURITY_CONFIRMABLE", "false")]);
    plain.get("/login").await;
    let r = plain
        .post(
            "/register",
            json!({"email": "plain@example.com", "password": pw, "password_confirm": pw}),
        )
        .await;
    assert_eq!(r.json().unwrap()["response"]["user"], json!({}));
}

#[tokio::test]
async fn a_next_that_leaves_the_site_fails_the_login() {
    let mut c = app(&[("SECURITY_CONFIRMABLE", "false")]);
    c.get("/login").await;
    let pw = "Correct-Horse-Battery-9";
    let r = c
        .post(
            "/register",
            json!({"email": "nx@example.com", "password": pw, "password_confirm": pw}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    c.post("/logout", json!({})).await;
    let creds = json!({"email": "nx@example.com", "password": pw});
    for next in [
        "http://google.com",
        "http:///google.com",
        "//evil.example/x",
    ] {
        let r = c
            .post(
                &format!("/login?next={}", next.replace('/', "%2F")),
                creds.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{next}");
        let j = r.json().unwrap();
        assert_eq!(
            j["response"]["errors"][0], "Redirections outside the domain are forbidden",
            "{next}: {j}"
        );
        assert!(j["response"]["field_errors"]["next"].is_array());
        let mut body = creds.clone();
        body["next"] = json!(next);
        assert_eq!(c.post("/login", body).await.status, StatusCode::BAD_REQUEST);
    }
    let r = c.post("/login?next=%2Ftodos", creds).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.json());
}
