//! The conformance suite against the JSON-file store: what a third-party
//! backend's test file looks like.
#![allow(missing_docs, clippy::expect_used)]

use std::sync::Arc;

use custom_datastore::JsonFileStore;
use portcullis_testkit::Harness;

async fn fresh() -> Option<Harness> {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-json-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let store = JsonFileStore::open(dir.join("store.json")).expect("open");
    Some(Harness::new(Arc::new(store)).with_teardown(async move {
        let _ = std::fs::remove_dir_all(&dir);
    }))
}

portcullis_testkit::conformance_tests!(fresh);

#[test]
fn survives_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-json-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("store.json");
    let rt = tokio_like_block_on();
    rt(Box::pin(async {
        use portcullis_core::{NewUser, UserStore};
        let s = JsonFileStore::open(&path).expect("open");
        s.create_user(NewUser::new("kept@example.com", None))
            .await
            .expect("create");
    }));
    rt(Box::pin(async {
        use portcullis_core::UserStore;
        let s = JsonFileStore::open(&path).expect("reopen");
        assert!(
            s.find_user_by_email("KEPT@example.com")
                .await
                .expect("find")
                .is_some()
        );
    }));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The store's futures never wait on I/O readiness, so polling them to
/// completion needs no runtime.
fn tokio_like_block_on() -> impl Fn(std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>>) {
    |mut f| {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        while f.as_mut().poll(&mut cx).is_pending() {}
    }
}
