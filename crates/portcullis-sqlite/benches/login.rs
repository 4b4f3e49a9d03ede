//! What attempt limits cost a login on the embedded default: `Security::login`
//! on SQLite (users and attempt counters in the same file, Flask-Security's
//! default argon2), with the limits on and with
//! `SECURITY_DANGER_DISABLE_ATTEMPT_LIMITS`, for the right password (two
//! counter clears) and a wrong one (three counter increments); and the
//! attempt store's `hit` and `get` alone.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis_core::flows::{ClientInfo, LoginForm};
use portcullis_core::{ConfigLoader, Email, Mailer, NewUser, SecretString, Security, UserStore};
use portcullis_sqlite::{SqliteConfig, SqliteStore};

#[derive(Debug)]
struct NoMail;

#[async_trait::async_trait]
impl Mailer for NoMail {
    async fn send(&self, _: &Email) -> portcullis_core::Result<()> {
        Ok(())
    }
}

fn security(store: &SqliteStore, limits: bool) -> Security {
    let mut vars = vec![
        ("SECRET_KEY", "bench-secret"),
        ("SECURITY_PASSWORD_SALT", "bench-salt"),
        // One identity from one address fails on every iteration.
        (
            "SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS",
            "1000000000/1h",
        ),
        ("SECURITY_LIMIT_FAILED_PER_ADDRESS", "1000000000/1h"),
        ("SECURITY_LIMIT_FAILED_PER_ACCOUNT", "1000000000/1h"),
    ];
    if !limits {
        vars.push(("SECURITY_DANGER_DISABLE_ATTEMPT_LIMITS", "true"));
    }
    let (config, _) = ConfigLoader::new().vars(vars).build().unwrap();
    let store = Arc::new(store.clone());
    Security::builder(config)
        .store(store.clone())
        .attempt_store(store)
        .mailer(Arc::new(NoMail))
        .build()
        .unwrap()
}

fn form(password: &str) -> LoginForm {
    LoginForm {
        email: Some("bench@example.com".into()),
        password: Some(SecretString::new(password.to_owned())),
        ..LoginForm::default()
    }
}

fn login(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = std::env::temp_dir().join(format!("portcullis-bench-login-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bench.db");
    let _ = std::fs::remove_file(&path);
    let store = rt
        .block_on(SqliteStore::open(SqliteConfig::file(&path)))
        .unwrap();
    let on = security(&store, true);
    let off = security(&store, false);
    rt.block_on(async {
        let hash = on.hash_password("Correct-Horse-Battery-9").await.unwrap();
        let mut new = NewUser::new("bench@example.com", Some(SecretString::new(hash)));
        new.active = true;
        store.create_user(new).await.unwrap();
    });
    let client = ClientInfo {
        remote_addr: Some("192.0.2.1".into()),
    };
    let mut group = c.benchmark_group("login");
    group.sample_size(30);
    for (name, s) in [("limits_on", &on), ("limits_off", &off)] {
        group.bench_function(format!("right_password/{name}"), |b| {
            b.to_async(&rt).iter(|| async {
                s.login(form("Correct-Horse-Battery-9"), &client)
                    .await
                    .unwrap()
            })
        });
        group.bench_function(format!("wrong_password/{name}"), |b| {
            b.to_async(&rt).iter(|| async {
                s.login(form("wrong-password-1"), &client)
                    .await
                    .unwrap_err()
            })
        });
    }
    group.finish();
    // The limits' own work, without argon2's noise: what a failed login
    // adds (three counters) and a guarded one reads.
    use portcullis_core::store::AttemptStore;
    let now = chrono::Utc::now();
    let window = chrono::TimeDelta::hours(1);
    c.bench_function("attempts/sqlite/hit", |b| {
        b.to_async(&rt)
            .iter(|| async { store.hit("pc:bench:hit", window, now).await.unwrap() })
    });
    c.bench_function("attempts/sqlite/get", |b| {
        b.to_async(&rt)
            .iter(|| async { store.get("pc:bench:hit", now).await.unwrap() })
    });
    let _ = std::fs::remove_dir_all(&dir);
}

criterion_group!(benches, login);
criterion_main!(benches);
