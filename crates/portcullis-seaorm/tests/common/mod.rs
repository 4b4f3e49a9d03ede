//! Factories for the conformance suite: one fresh database per test.
#![allow(dead_code, clippy::expect_used)]

use std::sync::Arc;

use portcullis_seaorm::scratch::ScratchDb;
use portcullis_seaorm::{SeaOrmConfig, SeaOrmStore};
use portcullis_testkit::Harness;

/// A store on a fresh scratch database of the server `var` names, or `None`
/// (with a message saying so) when the variable is not set.
pub(crate) async fn on_server(var: &str) -> Option<(SeaOrmStore, ScratchDb)> {
    let Ok(server) = std::env::var(var) else {
        portcullis_testkit::skip(&format!(
            "{var} is not set, so this test did not run against a real server (set {var}, e.g. as .ci/run does)"
        ));
        return None;
    };
    let db = ScratchDb::create(&server)
        .await
        .unwrap_or_else(|e| panic!("cannot create a scratch database via {var}: {e:?}"));
    let store = SeaOrmStore::open(SeaOrmConfig::new(db.url()))
        .await
        .expect("open and migrate the scratch database");
    extend(&store).await;
    Some((store, db))
}

/// Adds the testkit's application columns to `user`, as an application
/// extending Flask-Security's model would, and has the store read them.
pub(crate) async fn extend(store: &SeaOrmStore) {
    use portcullis_seaorm::Dialect as D;
    use portcullis_seaorm::sea_orm::ConnectionTrait;
    use portcullis_testkit::app_fields::{Dialect, ddl};
    let dialect = match store.dialect() {
        D::Postgres => Dialect::Postgres,
        D::MySql => Dialect::MySql,
        D::Sqlite => Dialect::Sqlite,
    };
    for statement in ddl(dialect) {
        store
            .connection()
            .execute_unprepared(&statement)
            .await
            .expect("add an application column");
    }
    store
        .refresh_application_fields()
        .await
        .expect("read the columns");
}

/// A harness on a scratch database of the server `var` names.
pub(crate) async fn server_harness(var: &str) -> Option<Harness> {
    let (store, db) = on_server(var).await?;
    let pool = store.clone();
    Some(Harness::new(Arc::new(store)).with_teardown(async move {
        let _ = pool.close().await;
        db.drop_database().await.expect("drop the scratch database");
    }))
}

/// A store on a fresh SQLite file.
pub(crate) async fn sqlite() -> (SeaOrmStore, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-seaorm-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}", dir.join("test.db").display());
    let store = SeaOrmStore::open(SeaOrmConfig::new(url))
        .await
        .expect("open sqlite");
    extend(&store).await;
    (store, dir)
}

/// A harness on a fresh SQLite file.
pub(crate) async fn sqlite_harness() -> Option<Harness> {
    let (store, dir) = sqlite().await;
    Some(Harness::new(Arc::new(store)).with_teardown(async move {
        let _ = std::fs::remove_dir_all(&dir);
    }))
}
