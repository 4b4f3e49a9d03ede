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
    Anonymous, Authorized, Guard, Policy, PortcullisAxum, Rule, SessionOptions, TokioCpuPool,
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
            get(ok).route_layer(Guard::roles_accepted(["admin", "editor"])),
        )
        .route(
            "/perms-accepted",
            get(ok).route_layer(Guard::permissions_accepted(["edit", "nothing"])),
        )
        .route(
            "/perms-required",
            get(ok).route_layer(Guard::permissions_required(["edit", "write"])),
        )
        .route(
            "/anon-layer",
            get(ok).route_layer(Guard::anonymous_required()),
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
        .route(
            "/session-only",
            get(ok).route_layer(Guard::new(
                Rule::authenticated().mechanisms([Mechanism::Session]),
            )),
        );
    (auth.wrap(app), security, admin, editor)
}

async fn call(app: &Router, path: &str, token: Option<&str>) -> StatusCode {
    let mut req = Request::get(path);
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
