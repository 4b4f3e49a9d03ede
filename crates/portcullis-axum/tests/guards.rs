//! Every guard, as layer and as extractor, driven in-process.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use chrono::TimeDelta;
use http::{Request, StatusCode};
use portcullis_axum::{
    Anonymous, Authorized, CurrentUser, Guard, Policy, PortcullisAxum, Rule, SessionOptions,
    TokioCpuPool,
};
use portcullis_core::flows::{CpuPool, run_on};
use portcullis_core::{ConfigLoader, NewRole, NewUser, RoleStore, Security, User, UserStore};
use portcullis_http::{Mechanism, Portcullis};
use portcullis_memory::MemoryStore;
use tower::ServiceExt;

struct Admins;
impl Policy for Admins {
    fn rule() -> Rule {
        Rule::roles_required(["admin"])
    }
}

async fn who(u: Option<CurrentUser>) -> String {
    u.map_or_else(|| "anonymous".to_owned(), |u| u.user.email)
}

async fn setup() -> (Router, Security, User, User) {
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "guard-secret"),
            ("SECURITY_PASSWORD_SALT", "guard-salt"),
        ])
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    store
        .create_role(NewRole {
            name: "admin".into(),
            description: None,
            permissions: vec!["write".into()],
        })
        .await
        .unwrap();
    store
        .create_role(NewRole {
            name: "editor".into(),
            description: None,
            permissions: vec!["edit".into()],
        })
        .await
        .unwrap();
    let admin = store
        .create_user(NewUser {
            roles: vec!["admin".into()],
            ..NewUser::new("admin@example.com", None)
        })
        .await
        .unwrap();
    let editor = store
        .create_user(NewUser {
            roles: vec!["editor".into()],
            ..NewUser::new("editor@example.com", None)
        })
        .await
        .unwrap();
    let security = Security::builder(config)
        .store(store.clone())
        .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
        .build()
        .unwrap();
    let auth = PortcullisAxum::new(
        Portcullis::new(security.clone()).unwrap(),
        store,
        SessionOptions::default(),
    )
    .unwrap();
    let ok = || async { "ok" };
    let app = Router::new()
        .route(
            "/roles-accepted",
            get(ok).route_layer(Guard::new(Rule::roles_accepted(["admin", "editor"]))),
        )
        .route(
            "/perms-accepted",
            get(ok).route_layer(Guard::new(Rule::permissions_accepted(["edit", "nothing"]))),
        )
        .route(
            "/perms-required",
            get(ok).route_layer(Guard::new(Rule::permissions_required(["edit", "write"]))),
        )
        .route(
            "/anon-layer",
            get(ok).route_layer(Guard::new(Rule::anonymous())),
        )
        .route("/anon", get(|_: Anonymous| async { "anon" }))
        .route(
            "/policy",
            get(|a: Authorized<Admins>| async move { a.0.user.email }),
        )
        .route(
            "/fresh",
            get(ok).route_layer(Guard::new(
                Rule::authenticated().fresh_within(TimeDelta::seconds(60)),
            )),
        )
        .route("/maybe", get(who).post(who))
        .route(
            "/session-only",
            get(ok).route_layer(Guard::new(
                Rule::authenticated().mechanisms([Mechanism::Session]),
            )),
        );
    (auth.wrap(app), security, admin, editor)
}

/// A GET as an API client sends it (asking for JSON: a browser's is
/// redirected to the login page instead of a 401).
async fn call(app: &Router, path: &str, token: Option<&str>) -> StatusCode {
    let mut req = Request::get(path).header("accept", "application/json");
    if let Some(t) = token {
        req = req.header("Authentication-Token", t);
    }
    app.clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn layers_and_extractors_enforce_their_rules() {
    let (app, security, admin, editor) = setup().await;
    let now = security.clock().unix_time();
    let a = security.issue_auth_token(&admin, now);
    let e = security.issue_auth_token(&editor, now);
    for (path, anon, admin_s, editor_s) in [
        ("/roles-accepted", 401, 200, 200),
        ("/perms-accepted", 401, 403, 200),
        ("/perms-required", 401, 403, 403),
        ("/anon-layer", 200, 400, 400),
        ("/anon", 200, 400, 400),
        ("/policy", 401, 200, 403),
        ("/fresh", 401, 200, 200),
        ("/session-only", 401, 401, 401),
    ] {
        assert_eq!(
            call(&app, path, None).await.as_u16(),
            anon,
            "{path} anonymous"
        );
        assert_eq!(
            call(&app, path, Some(&a)).await.as_u16(),
            admin_s,
            "{path} admin"
        );
        assert_eq!(
            call(&app, path, Some(&e)).await.as_u16(),
            editor_s,
            "{path} editor"
        );
    }
    // A token whose primary authentication is older than the window is stale.
    let old = security.issue_auth_token(&admin, now - 3600.0);
    assert_eq!(
        call(&app, "/fresh", Some(&old)).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call(&app, "/roles-accepted", Some(&old)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_cpu_pool_caps_concurrent_jobs() {
    let pool = Arc::new(TokioCpuPool::new(2));
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (pool, running, most) = (pool.clone(), running.clone(), most.clone());
            tokio::spawn(async move {
                run_on(pool.as_ref() as &dyn CpuPool, move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(30));
                    running.fetch_sub(1, Ordering::SeqCst);
                })
                .await
                .unwrap()
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(
        most.load(Ordering::SeqCst),
        2,
        "at most the limit, and the limit is used"
    );
}

/// A logged-in session as a login leaves it, in `store`; its cookie.
async fn session_for(store: &dyn portcullis_core::store::SessionStore, user: &User) -> String {
    let id = portcullis_core::store::new_uniquifier();
    store
        .create_session(&portcullis_core::store::SessionRecord {
            id: id.clone(),
            data: [(
                "portcullis".to_owned(),
                serde_json::json!({"_user_id": user.fs_uniquifier, "_fresh": true}),
            )]
            .into_iter()
            .collect(),
            expires_at: chrono::Utc::now() + TimeDelta::hours(1),
            user: Some(user.fs_uniquifier.clone()),
        })
        .await
        .unwrap();
    format!("session={id}")
}

#[tokio::test]
async fn a_session_only_rule_lets_a_session_in_and_nothing_else() {
    let (app, security, admin, _) = setup().await;
    let store = security.store().clone();
    let sessions = store
        .session_store()
        .expect("the memory store keeps sessions");
    let cookie = session_for(sessions.as_ref(), &admin).await;
    let get = |cookie: Option<&str>, token: Option<&str>| {
        let mut req = Request::get("/session-only").header("accept", "application/json");
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        if let Some(t) = token {
            req = req.header("Authentication-Token", t);
        }
        req.body(Body::empty()).unwrap()
    };
    let status = |req: Request<Body>| async { app.clone().oneshot(req).await.unwrap().status() };
    assert_eq!(status(get(Some(&cookie), None)).await, StatusCode::OK);
    let token = security.issue_auth_token(&admin, security.clock().unix_time());
    assert_eq!(
        status(get(None, Some(&token))).await,
        StatusCode::UNAUTHORIZED,
        "a token does not count where only the session does"
    );
    assert_eq!(
        status(get(Some("session=forged"), None)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_optional_user_is_refused_not_made_anonymous_without_csrf() {
    let (app, security, admin, _) = setup().await;
    let sessions = security.store().clone().session_store().unwrap();
    let cookie = session_for(sessions.as_ref(), &admin).await;
    let call = |method: &str, cookie: Option<&str>| {
        let mut req = Request::builder().method(method).uri("/maybe");
        if let Some(c) = cookie {
            req = req.header("Cookie", c);
        }
        let app = app.clone();
        let req = req.body(Body::empty()).unwrap();
        async move {
            let resp = app.oneshot(req).await.unwrap();
            let status = resp.status();
            let body = axum::body::to_bytes(resp.into_body(), 1 << 16)
                .await
                .unwrap();
            (status, String::from_utf8(body.to_vec()).unwrap())
        }
    };
    assert_eq!(
        call("GET", Some(&cookie)).await,
        (StatusCode::OK, "admin@example.com".to_owned())
    );
    assert_eq!(
        call("POST", None).await,
        (StatusCode::OK, "anonymous".to_owned())
    );
    // A forged cross-site POST rides the session cookie without the token.
    let (status, body) = call("POST", Some(&cookie)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("CSRF"), "{body}");
}
