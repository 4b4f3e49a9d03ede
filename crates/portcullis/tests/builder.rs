//! The facade's builder, end to end in-process: one URL opens the store
//! that keeps users, sessions and attempt counters; `layer()` serves
//! Portcullis' endpoints beside the app's routes; `require` guards.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::{Request, StatusCode};
use portcullis::axum::CurrentUser;
use portcullis::{Auth, BuildError, Rule};
use serde_json::{Value, json};
use tower::ServiceExt;

async fn call(app: &Router, req: Request<Body>) -> (StatusCode, Vec<String>, Value) {
    let resp = app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let cookies = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        cookies,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

fn json_post(path: &str, body: Value, cookie: Option<&str>) -> Request<Body> {
    let mut req = Request::post(path).header("content-type", "application/json");
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    req.body(Body::from(body.to_string())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_url_one_layer_a_working_login() {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-facade-{}",
        portcullis::core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let auth = Auth::builder()
        .set("SECRET_KEY", "facade-secret")
        .set("SECURITY_PASSWORD_SALT", "facade-salt")
        .set("SECURITY_REGISTERABLE", true)
        .set("SECURITY_SEND_REGISTER_EMAIL", false)
        // No DNS here (as Flask-Security's own tests run).
        .set(
            "SECURITY_EMAIL_VALIDATOR_ARGS",
            json!({"check_deliverability": false}),
        )
        .set("SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS", true)
        .set(
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
            json!({"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}),
        )
        .database_url(format!("sqlite://{}", dir.join("app.db").display()))
        .build()
        .await
        .unwrap();
    let app = Router::new()
        .route("/api/me", get(|u: CurrentUser| async move { u.user.email }))
        .route(
            "/api/admin",
            get(|| async { "admins only" })
                .route_layer(auth.require(Rule::roles_required(["admin"]))),
        )
        .layer(auth.layer());

    let creds = json!({"email": "facade@example.com", "password": "Facade-Passw0rd-42"});
    let mut register = creds.clone();
    register["password_confirm"] = creds["password"].clone();
    let (status, _, body) = call(&app, json_post("/register", register, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, cookies, body) = call(&app, json_post("/login", creds, None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let session = cookies
        .iter()
        .find(|c| c.starts_with("session="))
        .expect("a session cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let me = Request::get("/api/me")
        .header("cookie", &session)
        .body(Body::empty())
        .unwrap();
    let resp = app.clone().oneshot(me).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let admin = Request::get("/api/admin")
        .header("cookie", &session)
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&app, admin).await.0, StatusCode::FORBIDDEN);
    let anon = Request::get("/api/me")
        .header("accept", "application/json")
        .body(Body::empty())
        .unwrap();
    assert_eq!(call(&app, anon).await.0, StatusCode::UNAUTHORIZED);
    // A request that does not ask for JSON is a browser's: to the login
    // page (Flask-Security's default_unauthn_handler).
    let browser = Request::get("/api/me").body(Body::empty()).unwrap();
    let resp = app.clone().oneshot(browser).await.unwrap();
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(resp.headers()["location"], "/login?next=/api/me");
    // The sessions live in the same SQLite file as the user: one from the
    // registration (which logs in without confirmation), one from the login.
    let store = portcullis::sqlite::SqliteStore::open_url(&format!(
        "sqlite://{}",
        dir.join("app.db").display()
    ))
    .await
    .unwrap();
    let user = portcullis::core::UserStore::find_user_by_email(&store, "facade@example.com")
        .await
        .unwrap()
        .unwrap();
    let sessions = portcullis::core::store::SessionStore::list_user_sessions(
        &store,
        &user.fs_uniquifier,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(sessions.len(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_missing_store_or_secret_says_what_to_set() {
    let err = Auth::builder()
        .set("SECRET_KEY", "k")
        .set("SECURITY_PASSWORD_SALT", "s")
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, BuildError::Missing(_)));
    assert!(err.to_string().contains("database_url"), "{err}");
    let err = Auth::builder()
        .database_url("sqlite://unused.db")
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, BuildError::Config(_)));
    assert!(err.to_string().contains("SECRET_KEY"), "{err}");
    let err = Auth::builder()
        .set("SECRET_KEY", "k")
        .set("SECURITY_PASSWORD_SALT", "s")
        .database_url("ftp://nowhere")
        .build()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no backend for ftp://"), "{err}");
}

#[tokio::test]
async fn the_sms_service_and_mail_server_come_from_the_settings() {
    let dir = std::env::temp_dir().join(format!("pc-builder-sms-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("a.db").display());
    let err = Auth::builder()
        .set("SECRET_KEY", "k")
        .set("SECURITY_PASSWORD_SALT", "s")
        .set("SECURITY_SMS_SERVICE", "Nexmo")
        .database_url(&url)
        .build()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("\"Nexmo\" is not a service"),
        "{err}"
    );
    let err = Auth::builder()
        .set("SECRET_KEY", "k")
        .set("SECURITY_PASSWORD_SALT", "s")
        .set("MAIL_SERVER", "127.0.0.1")
        .set("MAIL_PORT", "not-a-port")
        .database_url(&url)
        .build()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("MAIL_PORT"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn with_security_reaches_core_builder_options() {
    let dir = std::env::temp_dir().join(format!("pc-builder-payload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("a.db").display());
    let auth = Auth::builder()
        .set("SECRET_KEY", "k")
        .set("SECURITY_PASSWORD_SALT", "s")
        .database_url(&url)
        .with_security(|b| {
            b.security_payload(|u| {
                serde_json::json!({"email": u.email})
                    .as_object()
                    .cloned()
                    .unwrap_or_default()
            })
        })
        .build()
        .await
        .unwrap();
    let user = auth
        .security()
        .store()
        .create_user(portcullis::core::NewUser::new("p@example.com", None))
        .await
        .unwrap();
    assert_eq!(
        auth.security().security_payload(&user)["email"],
        "p@example.com"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn oauth_without_its_feature_says_which_feature() {
    let dir = std::env::temp_dir().join(format!("pc-builder-oauth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("a.db").display());
    let Err(err) = Auth::builder()
        .set("SECRET_KEY", "k")
        .set("SECURITY_PASSWORD_SALT", "s")
        .set("SECURITY_OAUTH_ENABLE", true)
        .database_url(&url)
        .build()
        .await
    else {
        panic!("refused without the oauth feature");
    };
    assert!(err.to_string().contains("`oauth` feature"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_folder_overrides_the_pages_by_their_flask_security_names() {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-facade-tpl-{}",
        portcullis::core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(dir.join("security")).unwrap();
    std::fs::write(
        dir.join("security/login_user.html"),
        "<h1>Our own sign-in page</h1>",
    )
    .unwrap();
    let auth = Auth::builder()
        .set("SECRET_KEY", "k")
        .set("SECURITY_PASSWORD_SALT", "s")
        .set("SECURITY_RECOVERABLE", true)
        .set("TEMPLATE_FOLDER", dir.display().to_string())
        .database_url(format!("sqlite://{}", dir.join("app.db").display()))
        .build()
        .await
        .unwrap();
    let app = Router::new().layer(auth.layer());
    let page = |path: &str| {
        let app = app.clone();
        let req = Request::get(path)
            .header("accept", "text/html")
            .body(Body::empty())
            .unwrap();
        async move {
            let resp = app.oneshot(req).await.unwrap();
            let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .unwrap();
            String::from_utf8(body.to_vec()).unwrap()
        }
    };
    assert_eq!(page("/login").await.trim(), "<h1>Our own sign-in page</h1>");
    // Pages the folder does not have stay the built-in ones.
    assert!(page("/reset").await.contains("forgot_password_form"));
    std::fs::remove_dir_all(&dir).unwrap();
}
