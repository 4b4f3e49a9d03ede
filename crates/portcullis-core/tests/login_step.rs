//! Core's login step without a web layer: a first factor leads to a login
//! or to a half-login in the right state, with its code sent when the
//! method sends one; the validity token skips the second factor; a
//! half-login survives serialisation.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use portcullis_core::events::AuthnVia;
use portcullis_core::flows::{
    ClientInfo, CodeDelivery, LoginStep, PendingLogin, PendingState, TfSetupStarted,
};
use portcullis_core::{FlowError, User, UserPatch, UserStore};

fn tf_env(extra: &[(&'static str, &'static str)]) -> Env {
    let mut vars = vec![
        ("SECURITY_TWO_FACTOR", "true"),
        (
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            r#"["email", "authenticator"]"#,
        ),
        (
            "SECURITY_TOTP_SECRETS",
            r#"{"1": "login-step-test-totp-secret"}"#,
        ),
        ("SECURITY_TOTP_ISSUER", "steps"),
        ("SECURITY_TWO_FACTOR_ALWAYS_VALIDATE", "false"),
        ("SECURITY_TRACKABLE", "true"),
    ];
    vars.extend_from_slice(extra);
    env(&vars)
}

/// `user` with `method` set up as their second factor (a secret made by
/// the setup flow, stored directly).
async fn with_method(e: &Env, user: &User, method: &str) -> User {
    let TfSetupStarted::Pending { factor, .. } = e
        .security
        .tf_start_setup(user, Some(method), None)
        .await
        .unwrap()
    else {
        panic!("a pending factor");
    };
    e.store
        .update_user(
            user.id,
            UserPatch {
                tf_primary_method: Some(Some(method.to_owned())),
                tf_totp_secret: Some(Some(factor.totp_secret)),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap()
}

fn client() -> ClientInfo {
    ClientInfo {
        remote_addr: Some("192.0.2.7".into()),
    }
}

async fn step(e: &Env, user: User, validity: Option<&str>) -> LoginStep {
    e.security
        .start_login(user, AuthnVia::Password, true, validity, &client())
        .await
        .unwrap()
}

#[tokio::test]
async fn without_a_second_factor_the_first_one_logs_in() {
    let e = tf_env(&[]);
    let user = e.user("ada@example.com").await;
    let LoginStep::Done(done) = step(&e, user, None).await else {
        panic!("logged in at once");
    };
    assert_eq!(done.authn_via, vec![AuthnVia::Password]);
    assert!(done.remember);
    assert_eq!(done.user.login_count, Some(1), "tracked");
    assert_eq!(done.user.current_login_ip.as_deref(), Some("192.0.2.7"));
}

#[tokio::test]
async fn an_authenticator_user_is_asked_for_a_code_and_nothing_is_sent() {
    let e = tf_env(&[]);
    let ada = e.user("ada@example.com").await;
    let ada = with_method(&e, &ada, "authenticator").await;
    let sent_before = e.outbox.messages().len();
    let LoginStep::SecondFactor(p) = step(&e, ada.clone(), None).await else {
        panic!("a second factor is due");
    };
    assert_eq!(p.state, PendingState::Ready);
    assert_eq!(p.method.as_deref(), Some("authenticator"));
    assert_eq!(p.delivery, CodeDelivery::NotNeeded);
    assert_eq!(p.user, ada.fs_uniquifier);
    assert!(p.remember);
    assert_eq!(e.outbox.messages().len(), sent_before, "nothing mailed");
    // Not logged in yet: nothing tracked.
    let stored = e.store.find_user_by_id(ada.id).await.unwrap().unwrap();
    assert_eq!(stored.login_count.unwrap_or(0), 0);
    // Each half-login has its own code budget.
    let LoginStep::SecondFactor(again) = step(&e, ada, None).await else {
        panic!("a second factor is due");
    };
    assert_ne!(p.nonce, again.nonce);
}

#[tokio::test]
async fn an_email_user_gets_the_code_mailed() {
    let e = tf_env(&[]);
    let bo = e.user("bo@example.com").await;
    let bo = with_method(&e, &bo, "email").await;
    let sent_before = e.outbox.messages().len();
    let LoginStep::SecondFactor(p) = step(&e, bo, None).await else {
        panic!("a second factor is due");
    };
    assert_eq!(
        (p.state, p.delivery),
        (PendingState::Ready, CodeDelivery::Sent)
    );
    assert_eq!(
        e.outbox.messages().len(),
        sent_before + 1,
        "the code went out"
    );
}

#[tokio::test]
async fn the_send_budget_refuses_a_flood_of_code_mails() {
    let e = tf_env(&[("SECURITY_LIMIT_SEND_PER_ACCOUNT", "2/1h")]);
    let bo = e.user("bo@example.com").await;
    let bo = with_method(&e, &bo, "email").await;
    let mut refused = None;
    for _ in 0..5 {
        match e
            .security
            .start_login(bo.clone(), AuthnVia::Password, false, None, &client())
            .await
        {
            Ok(LoginStep::SecondFactor(_)) => {}
            Ok(LoginStep::Done(_)) => panic!("a second factor is due"),
            Err(err) => {
                refused = Some(err);
                break;
            }
        }
    }
    assert!(
        matches!(refused, Some(FlowError::Limited(_))),
        "{refused:?}"
    );
}

#[tokio::test]
async fn required_without_a_method_means_setting_one_up() {
    let e = tf_env(&[("SECURITY_TWO_FACTOR_REQUIRED", "true")]);
    let cy = e.user("cy@example.com").await;
    let LoginStep::SecondFactor(p) = step(&e, cy, None).await else {
        panic!("a second factor is required");
    };
    assert_eq!(p.state, PendingState::SetupFromLogin);
    assert_eq!(p.method, None);
}

#[tokio::test]
async fn a_valid_device_token_skips_the_second_factor_unless_always_validate() {
    let e = tf_env(&[]);
    let ada = e.user("ada@example.com").await;
    let ada = with_method(&e, &ada, "authenticator").await;
    let token = e.security.tf_validity_token(&ada);
    assert!(matches!(
        step(&e, ada.clone(), Some(&token)).await,
        LoginStep::Done(_)
    ));
    assert!(matches!(
        step(&e, ada.clone(), Some("garbage")).await,
        LoginStep::SecondFactor(_)
    ));
    let strict = tf_env(&[("SECURITY_TWO_FACTOR_ALWAYS_VALIDATE", "true")]);
    let dee = strict.user("dee@example.com").await;
    let dee = with_method(&strict, &dee, "authenticator").await;
    let token = strict.security.tf_validity_token(&dee);
    assert!(matches!(
        step(&strict, dee, Some(&token)).await,
        LoginStep::SecondFactor(_)
    ));
}

#[test]
fn a_half_login_round_trips_through_json() {
    let p = PendingLogin {
        user: "uniq".into(),
        remember: true,
        nonce: "n1".into(),
        state: PendingState::Select,
        method: None,
        setup_methods: vec!["email".into(), "authenticator".into()],
        delivery: CodeDelivery::NotNeeded,
    };
    let text = serde_json::to_string(&p).unwrap();
    assert!(text.contains("\"select\""), "{text}");
    assert_eq!(serde_json::from_str::<PendingLogin>(&text).unwrap(), p);
}
