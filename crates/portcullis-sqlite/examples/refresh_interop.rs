//! Portcullis exchanges a refresh token Flask-Security issued and starts a
//! family of its own, in Flask-Security's database, for Flask-Security to
//! accept (`cargo xtask interop`).
//!
//! usage: `refresh_interop DB FLASK.json OUT.json` — DB and FLASK.json as
//! `xtask/interop/refresh_interop.py fs-issues` writes them; OUT.json gets
//! `rotated` (Flask-Security's family moved on by Portcullis), `issued` (a
//! family Portcullis started) and `spent` (the token Portcullis exchanged).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr
)]

use std::sync::Arc;

use portcullis_core::flows::ClientInfo;
use portcullis_core::{ConfigLoader, Security};
use portcullis_sqlite::{SqliteConfig, SqliteStore};
use serde_json::{Value, json};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, meta, out] = args.as_slice() else {
        eprintln!("usage: refresh_interop DB FLASK.json OUT.json");
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
            ("SECURITY_REFRESH_TOKEN", "true"),
            ("SECURITY_REFRESH_TOKEN_COOKIE_NAME", ""),
        ])
        .build()
        .unwrap();
    let security = Security::builder(config)
        .store(Arc::new(store))
        .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
        .build()
        .unwrap();
    let spent = meta["refresh_token"].as_str().unwrap();
    let done = security
        .refresh(spent, &ClientInfo::default())
        .await
        .expect("Flask-Security's refresh token exchanges");
    assert_eq!(done.user.email, meta["email"].as_str().unwrap());
    let issued = security
        .issue_refresh_token(&done.user)
        .await
        .unwrap()
        .unwrap();
    let out_json = json!({"rotated": done.refresh_token, "issued": issued, "spent": spent});
    std::fs::write(out, serde_json::to_string_pretty(&out_json).unwrap()).unwrap();
    println!("ok   Portcullis exchanged Flask-Security's refresh token and issued its own");
}
