//! The attempt-store contract against the Redis server
//! `PORTCULLIS_TEST_REDIS_URL` names (`.ci/run` sets it), under a prefix of
//! its own that is deleted afterwards.
#![allow(missing_docs, clippy::expect_used)]

use std::sync::Arc;

use portcullis_redis::RedisAttempts;

const VAR: &str = "PORTCULLIS_TEST_REDIS_URL";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempt_store_contract() {
    let Ok(url) = std::env::var(VAR) else {
        portcullis_testkit::skip(&format!(
            "{VAR} is not set, so this test did not run against Redis"
        ));
        return;
    };
    let prefix = format!(
        "portcullis-test:{}:",
        &portcullis_core::store::new_uniquifier()[..12]
    );
    let store = RedisAttempts::open(&url)
        .await
        .expect("connect to Redis")
        .with_prefix(prefix);
    portcullis_testkit::suite::attempt_store_contract(Arc::new(store)).await;
}

#[tokio::test]
async fn a_server_that_is_down_is_unavailable() {
    // Nothing listens on port 1; connecting fails as "unavailable".
    match RedisAttempts::open("redis://127.0.0.1:1").await {
        Err(e) => assert_eq!(e.kind(), portcullis_core::ErrorKind::Unavailable, "{e:?}"),
        Ok(_) => panic!("connected to nothing"),
    }
}

#[tokio::test]
async fn session_store_contract() {
    let Ok(url) = std::env::var(VAR) else {
        portcullis_testkit::skip(&format!(
            "{VAR} is not set, so this test did not run against Redis"
        ));
        return;
    };
    let prefix = format!(
        "portcullis-test:{}:",
        &portcullis_core::store::new_uniquifier()[..12]
    );
    let store = portcullis_redis::RedisSessions::open(&url)
        .await
        .expect("connect to Redis")
        .with_prefix(prefix);
    portcullis_testkit::suite::session_store_contract(&store).await;
}
