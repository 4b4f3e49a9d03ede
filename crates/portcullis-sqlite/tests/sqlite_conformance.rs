//! The full datastore conformance suite against SQLite, one fresh database
//! file per test.
#![allow(missing_docs, clippy::expect_used)]

use std::sync::Arc;

use portcullis_sqlite::{SqliteConfig, SqliteStore};
use portcullis_testkit::{Harness, app_fields};

async fn fresh() -> Option<Harness> {
    fresh_with(true).await
}

async fn fresh_with(inline_point_reads: bool) -> Option<Harness> {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-sqlite-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let config = SqliteConfig {
        inline_point_reads,
        ..SqliteConfig::file(dir.join("test.db"))
    };
    let store = SqliteStore::open(config).await.expect("open sqlite");
    // The suite runs on a `user` table the application extended.
    let conn = rusqlite::Connection::open(dir.join("test.db")).expect("open for DDL");
    for ddl in app_fields::ddl(app_fields::Dialect::Sqlite) {
        conn.execute_batch(&ddl).expect("add an application column");
    }
    store
        .refresh_application_fields()
        .await
        .expect("read the columns");
    Some(Harness::new(Arc::new(store)).with_teardown(async move {
        let _ = std::fs::remove_dir_all(&dir);
    }))
}

portcullis_testkit::conformance_tests!(fresh);

/// The same suite with every read on the blocking pool
/// (`inline_point_reads` off).
mod blocking_reads {
    use super::*;

    async fn fresh() -> Option<Harness> {
        fresh_with(false).await
    }

    portcullis_testkit::conformance_tests!(fresh);
}
