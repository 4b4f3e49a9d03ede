//! The full datastore conformance suite through SeaORM on sqlite, one fresh
//! database per test.
#![allow(missing_docs, clippy::expect_used)]

mod common;

use portcullis_testkit::Harness;

async fn fresh() -> Option<Harness> {
    common::sqlite_harness().await
}

portcullis_testkit::conformance_tests!(fresh);
