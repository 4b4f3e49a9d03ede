//! Closing the store when a server stops: the work in hand finishes, the
//! WAL is checkpointed into the database file and removed, and later calls
//! are refused rather than reopening the file.
#![allow(missing_docs, clippy::expect_used)]

use portcullis_core::ErrorKind;
use portcullis_core::store::{NewUser, UserStore};
use portcullis_sqlite::{SqliteConfig, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_leaves_every_commit_in_the_file_alone() {
    let dir = std::env::temp_dir().join(format!(
        "portcullis-sqlite-close-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let db = dir.join("test.db");
    let store = SqliteStore::open(SqliteConfig::file(&db))
        .await
        .expect("open sqlite");
    // A clone, as an app holds the store in several places.
    let other = store.clone();
    let writes: Vec<_> = (0..8)
        .map(|i| {
            let s = other.clone();
            tokio::spawn(async move {
                s.create_user(NewUser::new(format!("u{i}@example.com"), None))
                    .await
            })
        })
        .collect();
    for w in writes {
        w.await.expect("join").expect("create_user");
    }
    let wal = dir.join("test.db-wal");
    assert!(wal.exists(), "WAL mode: commits sit in the -wal file first");

    store.close().await.expect("close");
    assert!(!wal.exists(), "the WAL is checkpointed and removed");
    assert!(
        !dir.join("test.db-shm").exists(),
        "the -shm file is removed"
    );
    let err = other
        .find_user_by_email("u1@example.com")
        .await
        .expect_err("a closed store refuses work");
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");

    // The file alone, copied elsewhere, holds every user.
    let copy = dir.join("copy.db");
    std::fs::copy(&db, &copy).expect("copy");
    let conn = rusqlite::Connection::open(&copy).expect("open the copy");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM user", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 8);
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
}
