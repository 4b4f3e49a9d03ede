//! A session in use has its expiry pushed back, at most once per
//! fourteenth of the inactivity window; one at rest is not written to.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use chrono::{DateTime, TimeDelta, Utc};
use http::{Request, StatusCode};
use portcullis_axum::{CurrentUser, PortcullisAxum, SessionOptions};
use portcullis_core::store::{SessionRecord, SessionStore};
use portcullis_core::{ConfigLoader, NewUser, Security, UserStore};
use portcullis_http::Portcullis;
use portcullis_memory::MemoryStore;
use serde_json::json;
use tower::ServiceExt;

async fn setup() -> (Router, Arc<MemoryStore>, String) {
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "session-secret"),
            ("SECURITY_PASSWORD_SALT", "session-salt"),
        ])
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    let user = store
        .create_user(NewUser::new("someone@example.com", None))
        .await
        .unwrap();
    let security = Security::builder(config)
        .store(store.clone())
        .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
        .build()
        .unwrap();
    let auth = PortcullisAxum::new(
        Portcullis::new(security).unwrap(),
        store.clone(),
        SessionOptions {
            // Pushed back at most once every two seconds.
            inactivity: TimeDelta::seconds(28),
            ..SessionOptions::default()
        },
    )
    .unwrap();
    let app = Router::new().route("/me", get(|u: CurrentUser| async move { u.user.email }));
    // A logged-in session, as a login leaves it, never touched since.
    let id = portcullis_core::store::new_uniquifier();
    store
        .create_session(&SessionRecord {
            id: id.clone(),
            data: [(
                "portcullis".to_owned(),
                json!({"_user_id": user.fs_uniquifier, "_fresh": true}),
            )]
            .into_iter()
            .collect(),
            expires_at: Utc::now() + TimeDelta::seconds(28),
            user: Some(user.fs_uniquifier.clone()),
        })
        .await
        .unwrap();
    (auth.wrap(app), store, id)
}

/// Status, and whether the session cookie was (re)sent.
async fn get_me(app: &Router, id: Option<&str>) -> (StatusCode, bool) {
    let mut req = Request::get("/me").header("accept", "application/json");
    if let Some(id) = id {
        req = req.header("Cookie", format!("session={id}"));
    }
    let resp = app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let cookie = resp
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("session="));
    (resp.status(), cookie)
}

async fn expiry(store: &MemoryStore, id: &str) -> DateTime<Utc> {
    store
        .load_session(id, Utc::now())
        .await
        .unwrap()
        .expect("the session is still there")
        .expires_at
}

#[tokio::test]
async fn a_session_in_use_is_kept_alive_without_a_write_per_request() {
    let (app, store, id) = setup().await;
    // Never touched: the first use pushes the expiry back and resends the cookie.
    assert_eq!(get_me(&app, Some(&id)).await, (StatusCode::OK, true));
    let first = expiry(&store, &id).await;
    // Within the two seconds: nothing written, no cookie.
    assert_eq!(get_me(&app, Some(&id)).await, (StatusCode::OK, false));
    assert_eq!(expiry(&store, &id).await, first);
    // Three seconds later: pushed back again.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(get_me(&app, Some(&id)).await, (StatusCode::OK, true));
    let later = expiry(&store, &id).await;
    assert!(later > first, "{later} should be after {first}");
    assert!(later <= Utc::now() + TimeDelta::seconds(29));
    // No session, no cookie: an anonymous caller gets no session made for them.
    assert_eq!(get_me(&app, None).await, (StatusCode::UNAUTHORIZED, false));
}

#[tokio::test]
async fn an_idle_session_ends() {
    let (app, store, id) = setup().await;
    // Expired in the store (idle past the window): no longer logged in.
    let mut record = store.load_session(&id, Utc::now()).await.unwrap().unwrap();
    record.expires_at = Utc::now() - TimeDelta::seconds(1);
    store.save_session(&record).await.unwrap();
    assert_eq!(get_me(&app, Some(&id)).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_session_ended_meanwhile_is_not_written_back() {
    let (app, store, id) = setup().await;
    let auth = app_portcullis(&store);
    let mut cookie = http::HeaderMap::new();
    cookie.insert("cookie", format!("session={id}").parse().unwrap());
    // A request begins with the session loaded and changes it ...
    let ctx = auth
        .open_session(&cookie, Default::default())
        .await
        .unwrap();
    ctx.with_session(|s| s.set("app_key", json!("x"))).await;
    // ... while another request logs the session out.
    store.delete_session(&id).await.unwrap();
    let mut headers = http::HeaderMap::new();
    auth.close_session(ctx, &mut headers).await.unwrap();
    assert!(
        store.load_session(&id, Utc::now()).await.unwrap().is_none(),
        "the ended session stays ended"
    );
    assert!(
        headers.get("set-cookie").is_none(),
        "no cookie for it either"
    );
    // The same change to a live session is saved, its own keys kept.
    let (_, store, id) = setup().await;
    let auth = app_portcullis(&store);
    cookie.insert("cookie", format!("session={id}").parse().unwrap());
    let ctx = auth
        .open_session(&cookie, Default::default())
        .await
        .unwrap();
    ctx.with_session(|s| s.set("app_key", json!("x"))).await;
    auth.close_session(ctx, &mut headers).await.unwrap();
    let saved = store.load_session(&id, Utc::now()).await.unwrap().unwrap();
    assert_eq!(saved.data["portcullis"]["app_key"], "x");
    assert!(saved.data["portcullis"]["_user_id"].is_string());
    drop(app);
}

fn app_portcullis(store: &Arc<MemoryStore>) -> Portcullis {
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "session-secret"),
            ("SECURITY_PASSWORD_SALT", "session-salt"),
        ])
        .build()
        .unwrap();
    let security = Security::builder(config)
        .store(store.clone())
        .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
        .build()
        .unwrap();
    Portcullis::new(security)
        .unwrap()
        .with_sessions(store.clone(), SessionOptions::default())
        .unwrap()
}
