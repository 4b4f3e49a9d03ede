//! The hot datastore calls through SeaORM, on PostgreSQL (and MySQL) when
//! `PORTCULLIS_TEST_POSTGRES_URL` / `PORTCULLIS_TEST_MYSQL_URL` name a
//! server, and on SQLite always: find a user by `fs_uniquifier` (every
//! authenticated request), by email (every login), create a user, record a
//! login. 10,000 users with a role each, as the SQLite backend's bench.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis_core::{NewRole, NewUser, RoleStore, UserStore};
use portcullis_seaorm::scratch::ScratchDb;
use portcullis_seaorm::{SeaOrmConfig, SeaOrmStore};
use tokio::runtime::Runtime;

const USERS: usize = 10_000;

async fn fill(store: &SeaOrmStore) -> Vec<String> {
    store
        .create_role(NewRole {
            name: "user".into(),
            description: None,
            permissions: vec!["user-read".into()],
        })
        .await
        .unwrap();
    let mut uniq = Vec::with_capacity(USERS);
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
    uniq
}

fn hot_calls(c: &mut Criterion, rt: &Runtime, name: &str, store: &SeaOrmStore) {
    let uniquifiers = rt.block_on(fill(store));
    let first_id = rt
        .block_on(store.find_user_by_uniquifier(&uniquifiers[0]))
        .unwrap()
        .unwrap()
        .id;
    let i = AtomicU64::new(0);
    let next = || i.fetch_add(7919, Ordering::Relaxed) as usize % USERS;
    c.bench_function(&format!("{name}/find_user_by_uniquifier"), |b| {
        b.to_async(rt).iter(|| {
            let u = uniquifiers[next()].clone();
            let store = store.clone();
            async move { store.find_user_by_uniquifier(&u).await.unwrap().unwrap() }
        })
    });
    c.bench_function(&format!("{name}/find_user_by_email"), |b| {
        b.to_async(rt).iter(|| {
            let email = format!("USER{}@example.com", next());
            let store = store.clone();
            async move { store.find_user_by_email(&email).await.unwrap().unwrap() }
        })
    });
    let n = AtomicU64::new(0);
    c.bench_function(&format!("{name}/create_user"), |b| {
        b.to_async(rt).iter(|| {
            let email = format!("new{}@example.com", n.fetch_add(1, Ordering::Relaxed));
            let store = store.clone();
            async move { store.create_user(NewUser::new(email, None)).await.unwrap() }
        })
    });
    c.bench_function(&format!("{name}/record_login"), |b| {
        b.to_async(rt).iter(|| {
            let id = first_id + next() as i64;
            let store = store.clone();
            async move {
                store
                    .record_login(id, Some("127.0.0.1"), chrono::Utc::now())
                    .await
                    .unwrap()
            }
        })
    });
}

fn datastore(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    for (name, var) in [
        ("seaorm-postgres", "PORTCULLIS_TEST_POSTGRES_URL"),
        ("seaorm-mysql", "PORTCULLIS_TEST_MYSQL_URL"),
    ] {
        let Ok(server) = std::env::var(var) else {
            eprintln!("SKIPPED {name}: set {var} to benchmark it");
            continue;
        };
        let db = rt.block_on(ScratchDb::create(&server)).unwrap();
        let store = rt
            .block_on(SeaOrmStore::open(SeaOrmConfig::new(db.url())))
            .unwrap();
        hot_calls(c, &rt, name, &store);
        rt.block_on(async {
            store.close().await.unwrap();
            db.drop_database().await.unwrap();
        });
    }
    let dir = std::env::temp_dir().join(format!("portcullis-seaorm-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let store = rt
        .block_on(SeaOrmStore::open(SeaOrmConfig::new(url)))
        .unwrap();
    hot_calls(c, &rt, "seaorm-sqlite", &store);
    drop(store);
    let _ = std::fs::remove_dir_all(dir);
}

criterion_group!(benches, datastore);
criterion_main!(benches);
