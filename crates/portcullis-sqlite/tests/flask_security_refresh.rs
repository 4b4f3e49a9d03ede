//! A refresh token Flask-Security 5.9.2 issued (`fixtures/refresh/`, made by
//! `xtask/interop/refresh_interop.py fs-issues`: a login with
//! `include_auth_token`, then one exchange, so its family is at generation
//! 2 in Flask-Security's own `fs_refresh_tracker`) exchanges under
//! Portcullis on that database; the spent generation is a replay that
//! revokes the family; a family Portcullis starts there works too.
//!
//! `cargo xtask interop` runs this again on a token Flask-Security issues
//! there and then (`PORTCULLIS_REFRESH_FIXTURE_DIR`), and has Flask-Security
//! accept Portcullis' tokens (`examples/refresh_interop.rs`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use portcullis_core::flows::ClientInfo;
use portcullis_core::{ConfigLoader, FakeClock, FlowError, Security};
use portcullis_sqlite::{SqliteConfig, SqliteStore};
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    std::env::var_os("PORTCULLIS_REFRESH_FIXTURE_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/refresh"),
        PathBuf::from,
    )
}

async fn open() -> (Security, Value, Arc<FakeClock>) {
    let src = fixture_dir();
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(src.join("flask_security_refresh.json")).unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "portcullis-refresh-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("flask.sqlite");
    std::fs::copy(src.join("flask_security_refresh.sqlite"), &db).unwrap();
    let store = SqliteStore::open(SqliteConfig::file(&db)).await.unwrap();
    assert!(store.migration_report().adopted);
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", meta["secret_key"].as_str().unwrap()),
            (
                "SECURITY_PASSWORD_SALT",
                meta["password_salt"].as_str().unwrap(),
            ),
            ("SECURITY_REFRESH_TOKEN", "true"),
            ("SECURITY_REFRESH_TOKEN_COOKIE_NAME", ""),
        ])
        .build()
        .unwrap();
    // The fixture's family idles out seven days after it was made: read it
    // a minute later.
    let clock = Arc::new(FakeClock::new(meta["issued_at"].as_f64().unwrap() + 60.0));
    let security = Security::builder(config)
        .store(Arc::new(store))
        .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
        .clock(clock.clone())
        .build()
        .unwrap();
    (security, meta, clock)
}

fn reason(e: FlowError) -> String {
    match e {
        FlowError::Form(f) => {
            assert!(
                f.entries()
                    .iter()
                    .all(|(field, _)| *field == "refresh_token")
            );
            let m = &f.entries()[0].1;
            format!("{:?}:{:?}", m.key, m.args)
        }
        other => panic!("expected a form error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_flask_security_refresh_token_exchanges_and_its_replay_revokes_the_family() {
    let (security, meta, _clock) = open().await;
    let client = ClientInfo::default();
    let current = meta["refresh_token"].as_str().unwrap();
    let done = security.refresh(current, &client).await.unwrap();
    assert_eq!(done.user.email, meta["email"].as_str().unwrap());
    let auth = security
        .authenticate_token(&done.auth_token)
        .await
        .unwrap()
        .expect("the new auth token authenticates");
    assert_eq!(auth.user.id, done.user.id);
    // Portcullis' next token goes on, as Flask-Security's did.
    let next = security
        .refresh(&done.refresh_token, &client)
        .await
        .unwrap();

    // Flask-Security's spent generation: a replay, which revokes the family.
    let spent = meta["spent_refresh_token"].as_str().unwrap();
    let e = reason(security.refresh(spent, &client).await.unwrap_err());
    assert!(
        e.contains("RefreshTokenInvalid") && e.contains("GEN_MISMATCH"),
        "{e}"
    );
    let e = reason(
        security
            .refresh(&next.refresh_token, &client)
            .await
            .unwrap_err(),
    );
    assert!(e.contains("REVOKED"), "{e}");

    // A family Portcullis starts in Flask-Security's table.
    let issued = security
        .issue_refresh_token(&done.user)
        .await
        .unwrap()
        .unwrap();
    assert!(security.refresh(&issued, &client).await.is_ok());
}

#[tokio::test]
async fn the_fixture_family_expires_as_flask_security_says() {
    let (security, meta, clock) = open().await;
    clock.advance(8.0 * 86_400.0);
    let e = reason(
        security
            .refresh(
                meta["refresh_token"].as_str().unwrap(),
                &ClientInfo::default(),
            )
            .await
            .unwrap_err(),
    );
    assert!(e.contains("EXPIRED"), "{e}");
}
