//! Expired sessions are deleted in the background.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use portcullis_axum::{PortcullisAxum, SessionOptions};
use portcullis_core::store::{SessionRecord, SessionStore};
use portcullis_core::{ConfigLoader, Security};
use portcullis_http::Portcullis;
use portcullis_memory::MemoryStore;

#[tokio::test]
async fn expired_sessions_are_swept() {
    let (config, _) = ConfigLoader::new()
        .vars([("SECRET_KEY", "k"), ("SECURITY_PASSWORD_SALT", "s")])
        .build()
        .unwrap();
    let store = Arc::new(MemoryStore::new());
    let security = Security::builder(config)
        .store(store.clone())
        .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
        .build()
        .unwrap();
    let now = chrono::Utc::now();
    let old = SessionRecord {
        id: "old".into(),
        data: Default::default(),
        expires_at: now - chrono::TimeDelta::seconds(5),
        user: None,
    };
    let live = SessionRecord {
        id: "live".into(),
        data: Default::default(),
        expires_at: now + chrono::TimeDelta::hours(1),
        user: None,
    };
    store.create_session(&old).await.unwrap();
    store.create_session(&live).await.unwrap();
    let auth = PortcullisAxum::new(
        Portcullis::new(security).unwrap(),
        store.clone(),
        SessionOptions::default(),
    )
    .unwrap();
    let task = auth
        .spawn_expired_session_cleanup(Duration::from_millis(10))
        .expect("a session store to sweep");
    tokio::time::sleep(Duration::from_millis(100)).await;
    task.abort();
    // The sweep already took the expired one: nothing is left to delete, and the live one stays.
    assert_eq!(
        store
            .delete_expired_sessions(chrono::Utc::now())
            .await
            .unwrap(),
        0
    );
    assert!(
        store
            .load_session("live", chrono::Utc::now())
            .await
            .unwrap()
            .is_some()
    );
}
