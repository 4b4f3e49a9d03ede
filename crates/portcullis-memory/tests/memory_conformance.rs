//! The full datastore conformance suite against the memory store.
#![allow(missing_docs)]

use std::sync::Arc;

use portcullis_memory::MemoryStore;
use portcullis_testkit::Harness;

async fn fresh() -> Option<Harness> {
    Some(Harness::new(Arc::new(MemoryStore::new())))
}

portcullis_testkit::conformance_tests!(fresh);

/// Core's in-process attempt store, which a memory-backed app uses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempt_store_contract() {
    let store = std::sync::Arc::new(portcullis_core::store::MemoryAttempts::new());
    portcullis_testkit::suite::attempt_store_contract(store).await;
}
