//! The full datastore conformance suite against the memory store.
#![allow(missing_docs)]

use std::sync::Arc;

use portcullis_memory::MemoryStore;
use portcullis_testkit::Harness;

async fn fresh() -> Option<Harness> {
    Some(Harness::new(Arc::new(MemoryStore::new())))
}

portcullis_testkit::conformance_tests!(fresh);

#[tokio::test]
async fn session_store_contract() {
    portcullis_testkit::suite::session_store_contract(&MemoryStore::new()).await;
}
