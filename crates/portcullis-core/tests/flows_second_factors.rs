//! Two-factor and unified sign-in flows without a web layer: setup state
//! tokens, codes against a fake clock, the validity token.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use portcullis_core::crypto::Totp;
use portcullis_core::flows::TfSetupStarted;
use portcullis_core::{FormErrors, MessageKey as K};

fn second_factor_env() -> Env {
    env(&[
        ("SECURITY_TWO_FACTOR", "true"),
        (
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            r#"["email", "authenticator"]"#,
        ),
        ("SECURITY_UNIFIED_SIGNIN", "true"),
        (
            "SECURITY_US_ENABLED_METHODS",
            r#"["password", "email", "authenticator"]"#,
        ),
        (
            "SECURITY_TOTP_SECRETS",
            r#"{"1": "flows-test-totp-secret"}"#,
        ),
        ("SECURITY_TOTP_ISSUER", "flows"),
        ("SECURITY_TWO_FACTOR_ALWAYS_VALIDATE", "false"),
    ])
}

fn form_error(e: &FormErrors) -> K {
    e.entries()[0].1.key
}

#[tokio::test]
async fn setup_state_tokens_round_trip_expire_and_refuse_garbage() {
    let e = second_factor_env();
    let user = e.user("ada@example.com").await;
    let TfSetupStarted::Pending {
        factor,
        authenticator,
    } = e
        .security
        .tf_start_setup(&user, Some("authenticator"), None)
        .await
        .unwrap()
    else {
        panic!("a pending factor");
    };
    let b32 = authenticator.unwrap().b32key;
    // Each flow reads its own token and only its own.
    let tf = e.security.tf_setup_token(&factor);
    assert_eq!(e.security.tf_read_setup_token(&tf).unwrap(), factor);
    let us = e.security.us_setup_token(&factor);
    assert_eq!(e.security.us_read_setup_token(&us).unwrap(), factor);
    assert_eq!(
        form_error(&e.security.tf_read_setup_token(&us).unwrap_err()),
        K::ApiError
    );
    assert_eq!(
        form_error(&e.security.us_read_setup_token("garbage").unwrap_err()),
        K::ApiError
    );
    // The code of the pending secret stores the factor.
    let code = Totp::from_base32(&b32).unwrap().code_at(T0 as i64);
    let stored = e
        .security
        .tf_finish_setup(&user, &factor, Some(&code), false)
        .await
        .unwrap();
    assert_eq!(stored.tf_primary_method.as_deref(), Some("authenticator"));
    assert!(e.security.tf_required(&stored, None).await.unwrap());
    // After SECURITY_TWO_FACTOR_SETUP_WITHIN (30 minutes) the token has expired.
    e.clock.advance(1801.0);
    let err = e.security.tf_read_setup_token(&tf).unwrap_err();
    assert_eq!(form_error(&err), K::TwoFactorSetupExpired);
    let text = err.render(e.security.messages())[0].1.clone();
    assert!(text.contains("30 minutes"), "{text}");
    // A code from 30 minutes ago no longer logs in; the current one does.
    let old = Totp::from_base32(&b32).unwrap().code_at(T0 as i64);
    assert!(
        e.security
            .tf_check_login_code(&stored, Some(&old))
            .await
            .is_err()
    );
    let now = Totp::from_base32(&b32).unwrap().code_at(T0 as i64 + 1801);
    e.security
        .tf_check_login_code(&stored, Some(&now))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_validity_token_is_per_user_and_expires() {
    let e = second_factor_env();
    let ada = e.user("ada@example.com").await;
    let bo = e.user("bo@example.com").await;
    let token = e.security.tf_validity_token(&ada);
    assert!(e.security.tf_validity_ok(&ada, Some(&token)));
    assert!(!e.security.tf_validity_ok(&bo, Some(&token)));
    assert!(!e.security.tf_validity_ok(&ada, Some("garbage")));
    e.clock.advance(30.0 * 86_400.0 + 1.0);
    assert!(!e.security.tf_validity_ok(&ada, Some(&token)));
}
