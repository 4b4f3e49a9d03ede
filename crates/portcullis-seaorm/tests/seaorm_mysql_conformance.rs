//! The full datastore conformance suite through SeaORM on mysql, one fresh
//! database per test.
#![allow(missing_docs, clippy::expect_used)]

mod common;

use portcullis_testkit::Harness;

async fn fresh() -> Option<Harness> {
    common::server_harness("PORTCULLIS_TEST_MYSQL_URL").await
}

portcullis_testkit::conformance_tests!(fresh);
