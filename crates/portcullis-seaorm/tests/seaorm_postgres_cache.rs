//! The PostgreSQL cache (decision 0010): it serves repeated reads from
//! memory, and a change made by any writer — another store on the same
//! database, i.e. another instance or the CLI — is seen at the next read.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use portcullis_core::store::{SessionRecord, SessionStore};
use portcullis_core::{NewUser, RoleStore, UserStore};
use portcullis_seaorm::sea_orm::ConnectionTrait;
use portcullis_seaorm::{SeaOrmConfig, SeaOrmStore};

/// Polls `f` until it is true: a notification takes a moment to arrive.
async fn soon(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !f().await {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{what}: not seen within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_writer_is_seen_at_the_next_read() {
    let Some((a, db)) = common::on_server("PORTCULLIS_TEST_POSTGRES_URL").await else {
        return;
    };
    let b = SeaOrmStore::open(SeaOrmConfig::new(db.url()))
        .await
        .unwrap();
    let user = a
        .create_user(NewUser::new("cached@example.com", None))
        .await
        .unwrap();
    a.create_role(portcullis_core::NewRole::new("editor"))
        .await
        .unwrap();
    a.add_role_to_user(user.id, "editor").await.unwrap();
    let fsu = user.fs_uniquifier.clone();
    // Wait until A's listener serves (its first LISTEN is asynchronous).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let read = a.find_user_by_uniquifier(&fsu).await.unwrap().unwrap();
    assert!(read.active && read.roles.len() == 1);

    // Served from memory: a write that fires no trigger (replica mode, as
    // logical replication applies rows) is not seen by A.
    b.connection()
        .execute_unprepared(&format!(
            "SET session_replication_role = replica; \
             UPDATE \"user\" SET email = 'silent@example.com' WHERE fs_uniquifier = '{fsu}'; \
             SET session_replication_role = DEFAULT"
        ))
        .await
        .unwrap();
    let cached = a.find_user_by_uniquifier(&fsu).await.unwrap().unwrap();
    assert_eq!(
        cached.email, "cached@example.com",
        "not served from the cache"
    );

    // B deactivates the user: A sees it.
    b.set_active(user.id, false).await.unwrap();
    soon("deactivation", async || {
        !a.find_user_by_uniquifier(&fsu)
            .await
            .unwrap()
            .unwrap()
            .active
    })
    .await;
    // B takes the role away: A sees it.
    b.remove_role_from_user(user.id, "editor").await.unwrap();
    soon("role removal", async || {
        a.find_user_by_uniquifier(&fsu)
            .await
            .unwrap()
            .unwrap()
            .roles
            .is_empty()
    })
    .await;
    // B rotates the uniquifiers (a password change): the old ones find
    // no one on A, by session or by token.
    let token_uid = read.fs_token_uniquifier.clone().unwrap_or(fsu.clone());
    assert!(
        a.find_user_by_token_uniquifier(&token_uid)
            .await
            .unwrap()
            .is_some()
    );
    b.update_user(
        user.id,
        portcullis_core::UserPatch {
            fs_uniquifier: Some(portcullis_core::store::new_uniquifier()),
            fs_token_uniquifier: Some(Some(portcullis_core::store::new_uniquifier())),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    soon("rotation", async || {
        a.find_user_by_uniquifier(&fsu).await.unwrap().is_none()
            && a.find_user_by_token_uniquifier(&token_uid)
                .await
                .unwrap()
                .is_none()
    })
    .await;

    // Sessions: B ends one that A has cached.
    let now = chrono::Utc::now();
    let record = SessionRecord {
        id: "cached-session".into(),
        data: serde_json::Map::new(),
        expires_at: now + chrono::TimeDelta::hours(1),
        user: None,
    };
    a.create_session(&record).await.unwrap();
    assert!(
        a.load_session("cached-session", now)
            .await
            .unwrap()
            .is_some()
    );
    b.delete_session("cached-session").await.unwrap();
    soon("session end", async || {
        a.load_session("cached-session", now)
            .await
            .unwrap()
            .is_none()
    })
    .await;

    // A's own writes are seen by A at once, with no notification needed.
    let again = b.find_user_by_id(user.id).await.unwrap().unwrap();
    let _ = a
        .find_user_by_uniquifier(&again.fs_uniquifier)
        .await
        .unwrap();
    a.set_active(user.id, true).await.unwrap();
    assert!(
        a.find_user_by_uniquifier(&again.fs_uniquifier)
            .await
            .unwrap()
            .unwrap()
            .active
    );
    drop((a, b));
    db.drop_database().await.unwrap();
}
