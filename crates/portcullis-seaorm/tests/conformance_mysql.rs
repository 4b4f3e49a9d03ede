//! The full datastore conformance suite through SeaORM on mysql, one fresh
//! database per test.
#![allow(missing_docs, clippy::expect_used)]

mod common;

use portcullis_testkit::Harness;

async fn fresh() -> Option<Harness> {
    common::server_harness("PORTCULLIS_TEST_MYSQL_URL").await
}

portcullis_testkit::conformance_tests!(fresh);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_store_contract() {
    let Some((store, db)) = common::on_server("PORTCULLIS_TEST_MYSQL_URL").await else {
        return;
    };
    portcullis_testkit::suite::session_store_contract(&store).await;
    store.close().await.expect("close");
    db.drop_database().await.expect("drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempt_store_contract() {
    let Some((store, db)) = common::on_server("PORTCULLIS_TEST_MYSQL_URL").await else {
        return;
    };
    portcullis_testkit::suite::attempt_store_contract(std::sync::Arc::new(store.clone())).await;
    store.close().await.expect("close");
    db.drop_database().await.expect("drop");
}
