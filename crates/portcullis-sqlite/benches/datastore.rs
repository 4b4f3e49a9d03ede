//! The hot datastore calls on SQLite: find a user by `fs_uniquifier` (every
//! authenticated request), by email (every login), create a user, record a
//! login. 10,000 users with a role each.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis_core::{NewRole, NewUser, RoleStore, UserStore};
use portcullis_sqlite::{SqliteConfig, SqliteStore};

const USERS: usize = 10_000;

fn datastore(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("portcullis-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.db");
    let _ = std::fs::remove_file(&path);
    let (store, uniquifiers) = rt.block_on(async {
        let store = SqliteStore::open(SqliteConfig::file(&path)).await.unwrap();
        store
            .create_role(NewRole {
                name: "user".into(),
                description: None,
                permissions: vec!["user-read".into()],
            })
            .await
            .unwrap();
        let mut uniq = Vec::new();
        for i in 0..USERS {
            let u = store
                .create_user(NewUser {
                    roles: vec!["user".into()],
                    ..NewUser::new(format!("user{i}@example.com"), None)
                })
                .await
                .unwrap();
            uniq.push(u.fs_uniquifier);
        }
        (store, uniq)
    });

    let i = AtomicU64::new(0);
    let next = || i.fetch_add(7919, Ordering::Relaxed) as usize % USERS;
    c.bench_function("sqlite/find_user_by_uniquifier", |b| {
        b.to_async(&rt).iter(|| {
            let u = uniquifiers[next()].clone();
            let store = store.clone();
            async move { store.find_user_by_uniquifier(&u).await.unwrap().unwrap() }
        })
    });
    c.bench_function("sqlite/find_user_by_email", |b| {
        b.to_async(&rt).iter(|| {
            let email = format!("USER{}@example.com", next());
            let store = store.clone();
            async move { store.find_user_by_email(&email).await.unwrap().unwrap() }
        })
    });
    let n = AtomicU64::new(0);
    c.bench_function("sqlite/create_user", |b| {
        b.to_async(&rt).iter(|| {
            let email = format!("new{}@example.com", n.fetch_add(1, Ordering::Relaxed));
            let store = store.clone();
            async move { store.create_user(NewUser::new(email, None)).await.unwrap() }
        })
    });
    c.bench_function("sqlite/record_login", |b| {
        b.to_async(&rt).iter(|| {
            let id = (next() + 1) as i64;
            let store = store.clone();
            async move {
                store
                    .record_login(id, Some("127.0.0.1"), chrono::Utc::now())
                    .await
                    .unwrap()
            }
        })
    });
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, datastore);
criterion_main!(benches);
