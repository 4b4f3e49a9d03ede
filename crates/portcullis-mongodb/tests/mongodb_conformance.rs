//! The full datastore conformance suite against the MongoDB server
//! `PORTCULLIS_TEST_MONGODB_URL` names: a database per test
//! (`portcullis_test_<random>`), dropped afterwards. Without the variable
//! every test says SKIPPED (a failure under `PORTCULLIS_TEST_REQUIRE_SERVERS`,
//! which `.ci/run` sets; it runs them on mongoeco, see the crate README).
#![allow(missing_docs, clippy::expect_used)]

use std::sync::Arc;

use portcullis_mongodb::{MongoConfig, MongoStore};
use portcullis_testkit::Harness;

const VAR: &str = "PORTCULLIS_TEST_MONGODB_URL";

async fn store() -> Option<MongoStore> {
    let Ok(url) = std::env::var(VAR) else {
        portcullis_testkit::skip(&format!(
            "{VAR} is not set, so this test did not run against MongoDB (set it to a mongodb:// URL)"
        ));
        return None;
    };
    let mut config = MongoConfig::new(url);
    config.database = Some(format!(
        "portcullis_test_{}",
        &portcullis_core::store::new_uniquifier()[..12]
    ));
    Some(
        MongoStore::open(config)
            .await
            .expect("connect and create indexes"),
    )
}

async fn fresh() -> Option<Harness> {
    let store = store().await?;
    let db = store.clone();
    Some(Harness::new(Arc::new(store)).with_teardown(async move {
        db.drop_database().await.expect("drop the test database");
    }))
}

portcullis_testkit::conformance_tests!(fresh);
