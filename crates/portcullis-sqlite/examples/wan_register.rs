//! Portcullis registers WebAuthn keys into a Flask-Security database, for
//! Flask-Security to sign in with (`cargo xtask interop`).
//!
//! usage: `wan_register DB META.json OUT.json` — DB a Flask-Security
//! database with the users of META.json (as `xtask/interop/wan_interop.py
//! fs-registers` writes it); registers a security key for the user with a
//! `secondary` key and a passkey for the one with a `first` key, through
//! Portcullis' own ceremonies and a software authenticator on
//! `http://localhost`, and writes their private halves to OUT.json.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::sync::Arc;

use portcullis_core::crypto::encoding::urlsafe_encode;
use portcullis_core::flows::RelyingParty;
use portcullis_core::{ConfigLoader, Security};
use portcullis_sqlite::{SqliteConfig, SqliteStore};
use portcullis_testkit::webauthn::SoftAuthenticator;
use serde_json::{Value, json};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, meta, out] = args.as_slice() else {
        eprintln!("usage: wan_register DB META.json OUT.json");
        std::process::exit(2);
    };
    let meta: Value = serde_json::from_str(&std::fs::read_to_string(meta).unwrap()).unwrap();
    let store = SqliteStore::open(SqliteConfig::file(db)).await.unwrap();
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
    let s = Security::builder(config)
        .store(Arc::new(store))
        .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
        .build()
        .unwrap();
    let rp = RelyingParty::from_host("localhost", false).unwrap();
    let auth = SoftAuthenticator::new(&rp.origin);
    let mut keys = Vec::new();
    for key in meta["keys"].as_array().unwrap() {
        let email = key["email"].as_str().unwrap();
        let usage = key["usage"].as_str().unwrap();
        let user = s.store().find_user_by_email(email).await.unwrap().unwrap();
        let name = format!("portcullis-{usage}");
        let started = s
            .wan_start_register(&user, Some(&name), Some(usage), &rp)
            .await
            .unwrap();
        let (cred, text) = auth.register(&started.credential_options);
        s.wan_finish_register(&user, &started.state, Some(&text), &rp)
            .await
            .unwrap();
        keys.push(json!({
            "email": email,
            "usage": usage,
            "credential_id": urlsafe_encode(&cred.id),
            "user_handle": urlsafe_encode(&cred.user_handle),
            "rp_id": cred.rp_id,
            "sign_count": cred.counter,
            "private_key_pem": cred.private_key_pem(),
        }));
        println!("Portcullis registered a {usage} key for {email}");
    }
    let mut result = meta.clone();
    result["keys"] = json!(keys);
    std::fs::write(out, serde_json::to_string_pretty(&result).unwrap()).unwrap();
}
