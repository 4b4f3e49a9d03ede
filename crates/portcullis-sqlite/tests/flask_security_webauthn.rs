//! Keys Flask-Security 5.9.2 registered (`fixtures/webauthn/`, made by
//! `xtask/interop/wan_interop.py fs-registers` with py_webauthn and a
//! software authenticator; the sidecar JSON holds each key's private half)
//! sign in under Portcullis unchanged: kim's security key as the second
//! factor her password alone no longer passes, lee's passkey on its own.
//!
//! `cargo xtask interop` runs this again on keys Flask-Security registers
//! there and then (`PORTCULLIS_WAN_FIXTURE_DIR`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::sync::Arc;

use portcullis_core::crypto::encoding::urlsafe_decode;
use portcullis_core::events::AuthnVia;
use portcullis_core::flows::{
    ClientInfo, LoginForm, LoginStep, PendingState, RelyingParty, WanPurpose,
};
use portcullis_core::{ConfigLoader, SecretString, Security};
use portcullis_sqlite::{SqliteConfig, SqliteStore};
use portcullis_testkit::webauthn::{SoftAuthenticator, SoftCredential};
use serde_json::Value;

fn fixture_dir() -> PathBuf {
    std::env::var_os("PORTCULLIS_WAN_FIXTURE_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webauthn"),
        PathBuf::from,
    )
}

async fn open() -> (Security, Value, PathBuf) {
    let src = fixture_dir();
    let meta: Value = serde_json::from_str(
        &std::fs::read_to_string(src.join("flask_security_webauthn.json")).unwrap(),
    )
    .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "portcullis-wan-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("flask.sqlite");
    std::fs::copy(src.join("flask_security_webauthn.sqlite"), &db).unwrap();
    let store = SqliteStore::open(SqliteConfig::file(&db)).await.unwrap();
    assert!(store.migration_report().adopted);
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", meta["secret_key"].as_str().unwrap()),
            (
                "SECURITY_PASSWORD_SALT",
                meta["password_salt"].as_str().unwrap(),
            ),
            ("SECURITY_WEBAUTHN", "true"),
        ])
        .build()
        .unwrap();
    let security = Security::builder(config)
        .store(Arc::new(store))
        .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
        .build()
        .unwrap();
    (security, meta, dir)
}

fn soft_key(key: &Value) -> SoftCredential {
    SoftCredential::from_pem(
        urlsafe_decode(key["credential_id"].as_str().unwrap()).unwrap(),
        key["private_key_pem"].as_str().unwrap(),
        urlsafe_decode(key["user_handle"].as_str().unwrap()).unwrap(),
        key["rp_id"].as_str().unwrap(),
        u32::try_from(key["sign_count"].as_u64().unwrap()).unwrap(),
    )
    .unwrap()
}

fn key_of<'m>(meta: &'m Value, usage: &str) -> &'m Value {
    meta["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["usage"] == usage)
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flask_security_security_key_is_the_second_factor() {
    let (s, meta, dir) = open().await;
    let key = key_of(&meta, "secondary");
    let email = key["email"].as_str().unwrap();
    let client = ClientInfo::default();
    let rp = RelyingParty::from_host("localhost", false).unwrap();
    assert_eq!(rp.origin, meta["origin"].as_str().unwrap());

    // The password alone does not log her in: the key is asked for.
    let form = LoginForm {
        email: Some(email.to_owned()),
        password: Some(SecretString::new(
            meta["password"].as_str().unwrap().to_owned(),
        )),
        ..LoginForm::default()
    };
    let (user, remember) = s.authenticate_password(form, &client).await.unwrap();
    let step = s
        .start_login(user.clone(), AuthnVia::Password, remember, None, &client)
        .await
        .unwrap();
    let LoginStep::SecondFactor(pending) = step else {
        panic!("a user whose second factor is a key logged in with the password alone");
    };
    assert_eq!(pending.state, PendingState::Ready);
    assert_eq!(pending.method.as_deref(), Some("webauthn"));

    // The key Flask-Security registered answers Portcullis' challenge.
    let options = s
        .wan_start_signin(Some(&user), &["secondary"], &rp)
        .await
        .unwrap();
    let allowed = options.credential_options["allowCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(allowed.len(), 1);
    assert_eq!(allowed[0]["id"], key["credential_id"]);
    let auth = SoftAuthenticator::new(&rp.origin);
    let mut cred = soft_key(key);
    let text = auth.assert(&mut cred, &options.credential_options);
    let done = s
        .wan_finish_signin(
            &options.state,
            Some(&text),
            WanPurpose::Secondary(&user),
            &rp,
            &client,
        )
        .await
        .unwrap();
    assert_eq!(done.user.id, user.id);
    let stored = s.store().find_webauthn(&cred.id).await.unwrap().unwrap();
    assert_eq!(stored.sign_count, i64::from(cred.counter));
    assert!(stored.lastuse_datetime > stored.create_datetime);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flask_security_passkey_signs_in_alone() {
    let (s, meta, dir) = open().await;
    let key = key_of(&meta, "first");
    let client = ClientInfo::default();
    let rp = RelyingParty::from_host("localhost", false).unwrap();
    let options = s.wan_start_signin(None, &["first"], &rp).await.unwrap();
    let auth = SoftAuthenticator::new(&rp.origin);
    let mut cred = soft_key(key);
    let text = auth.assert(&mut cred, &options.credential_options);
    let asserted = s
        .wan_finish_signin(&options.state, Some(&text), WanPurpose::First, &rp, &client)
        .await
        .unwrap();
    assert_eq!(asserted.user.email, key["email"].as_str().unwrap());
    let user = s
        .store()
        .find_user_by_email(key["email"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    let step = s
        .passkey_login(asserted, false, None, &client)
        .await
        .unwrap();
    let LoginStep::Done(done) = step else {
        panic!("a passkey user without a second factor is logged in");
    };
    assert_eq!(done.user.id, user.id);
    assert_eq!(done.authn_via, [AuthnVia::Webauthn]);
    std::fs::remove_dir_all(dir).unwrap();
}
