//! Recovery codes encrypted at rest (`SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS`,
//! `_CODE_TTL`), as Flask-Security stores them with cryptography's Fernet:
//! new codes are stored as Fernet tokens, codes Flask-Security encrypted
//! validate, each works once, and a key rotation or a time to live is
//! honoured.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use portcullis_core::{SecretString, UserPatch, UserStore};

// Made by Python's cryptography 4x (Fernet.generate_key(), Fernet(k).encrypt).
const K1: &str = "SncEd0j6E70aXC5E9XmY6G55cYu0Z2yODygn5ag20vg=";
const K2: &str = "fU-ynLfSCWzctRmQGEntLGXWAwM-qK8ljExs1HA6QJ4=";
const BY_K1: &str = "gAAAAABrEKFcrmAUDyWw28CEdGzMpeuW5Q2d45sIM13VrE79OQ6F8btvU13_nDaySptSHn06yYfz-tnL5H7CYz_4h86grsGbsQ==";
const BY_K2: &str = "gAAAAABrEKFc6t46HQpQRQbSwBfczEzyNjTLztWASsxvzYpQO0WDhnKrA_KKapK4PusY1SDWtrwi-3I131ps2Dih2FpiRKY_1Q==";

fn rc_env(keys: &str, extra: &[(&'static str, &'static str)]) -> Env {
    let mut vars = vec![
        ("SECURITY_TWO_FACTOR", "true"),
        (
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            r#"["authenticator"]"#,
        ),
        ("SECURITY_MULTI_FACTOR_RECOVERY_CODES", "true"),
        ("SECURITY_TOTP_SECRETS", r#"{"1": "rc-test-totp-secret"}"#),
        ("SECURITY_TOTP_ISSUER", "rc"),
        ("SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS", keys),
    ];
    vars.extend_from_slice(extra);
    env(&vars)
}

#[tokio::test]
async fn new_codes_are_stored_encrypted_and_work_once() {
    let e = rc_env(&format!(r#"["{K1}"]"#), &[]);
    let user = e.user("ada@example.com").await;
    let codes = e.security.mf_generate_recovery_codes(&user).await.unwrap();
    let user = e.store.find_user_by_id(user.id).await.unwrap().unwrap();
    let stored: Vec<String> = user
        .mf_recovery_codes
        .clone()
        .unwrap()
        .iter()
        .map(|c| c.expose().to_owned())
        .collect();
    assert_eq!(stored.len(), codes.len());
    for (s, c) in stored.iter().zip(&codes) {
        assert!(s.starts_with("gAAAAA") && !s.contains(c.as_str()), "{s}");
    }
    assert_eq!(e.security.mf_recovery_codes(&user), codes);

    e.security
        .mf_use_recovery_code(&user, Some(&codes[0]))
        .await
        .unwrap();
    let user = e.store.find_user_by_id(user.id).await.unwrap().unwrap();
    assert!(
        e.security
            .mf_use_recovery_code(&user, Some(&codes[0]))
            .await
            .is_err(),
        "a code works once"
    );
    assert_eq!(e.security.mf_recovery_codes(&user), codes[1..]);
    // A stored token is not a code.
    assert!(
        e.security
            .mf_use_recovery_code(&user, Some(&stored[1]))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn codes_flask_security_encrypted_validate_with_any_listed_key() {
    // K2 is the new primary key; K1 still opens the older codes.
    let e = rc_env(&format!(r#"["{K2}", "{K1}"]"#), &[]);
    let user = e.user("grace@example.com").await;
    let user = e
        .store
        .update_user(
            user.id,
            UserPatch {
                mf_recovery_codes: Some(Some(vec![
                    SecretString::new(BY_K1),
                    SecretString::new(BY_K2),
                    SecretString::new("aaaa-bbbb-cccc"),
                ])),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    // The plaintext one is not a Fernet token: left out, as Flask-Security does.
    assert_eq!(
        e.security.mf_recovery_codes(&user),
        ["abcd-1234-ef56", "0000-1111-2222"]
    );
    assert!(
        e.security
            .mf_use_recovery_code(&user, Some("aaaa-bbbb-cccc"))
            .await
            .is_err()
    );
    e.security
        .mf_use_recovery_code(&user, Some("abcd-1234-ef56"))
        .await
        .unwrap();
    let user = e.store.find_user_by_id(user.id).await.unwrap().unwrap();
    let left: Vec<String> = user
        .mf_recovery_codes
        .unwrap()
        .iter()
        .map(|c| c.expose().to_owned())
        .collect();
    assert_eq!(left, [BY_K2, "aaaa-bbbb-cccc"], "only the used token went");
}

#[tokio::test]
async fn a_time_to_live_ends_old_codes() {
    // The vectors were made on 2026-12-02: older than a second by now.
    let e = rc_env(
        &format!(r#"["{K1}"]"#),
        &[("SECURITY_MULTI_FACTOR_RECOVERY_CODE_TTL", "1")],
    );
    let user = e.user("old@example.com").await;
    let user = e
        .store
        .update_user(
            user.id,
            UserPatch {
                mf_recovery_codes: Some(Some(vec![SecretString::new(BY_K1)])),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert!(e.security.mf_recovery_codes(&user).is_empty());
    assert!(
        e.security
            .mf_use_recovery_code(&user, Some("abcd-1234-ef56"))
            .await
            .is_err()
    );
}

#[test]
fn a_key_that_is_not_a_fernet_key_stops_the_build() {
    let e = portcullis_core::ConfigLoader::new()
        .set("SECRET_KEY", "k".repeat(32))
        .set("SECURITY_PASSWORD_SALT", "s")
        .set(
            "SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS",
            serde_json::json!(["hunter2"]),
        )
        .build()
        .unwrap()
        .0
        .recovery_code_cipher()
        .unwrap_err();
    assert!(e.to_string().contains("Fernet key"), "{e}");
    assert!(!e.to_string().contains("hunter2"));
}
