//! The full datastore conformance suite through SeaORM on sqlite, one fresh
//! database per test.
#![allow(missing_docs, clippy::expect_used)]

mod common;

use portcullis_testkit::Harness;

async fn fresh() -> Option<Harness> {
    common::sqlite_harness().await
}

portcullis_testkit::conformance_tests!(fresh);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_store_contract() {
    let (store, dir) = common::sqlite().await;
    portcullis_testkit::suite::session_store_contract(&store).await;
    store.close().await.expect("close");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempt_store_contract() {
    let (store, dir) = common::sqlite().await;
    portcullis_testkit::suite::attempt_store_contract(std::sync::Arc::new(store.clone())).await;
    store.close().await.expect("close");
    let _ = std::fs::remove_dir_all(dir);
}
