//! Attempt limits in core, on the memory stores and a fake clock: budgets
//! and their windows, the account lock and its link, the application's
//! `is_locked` hook, and the start-up refusal of a breached-password check
//! with no checker.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use portcullis_core::flows::{AccountLockHook, ClientInfo, LoginForm};
use portcullis_core::{ConfigLoader, ErrorKind, FlowError, Message, MessageKey, Security, User};

fn form(email: &str, password: &str) -> LoginForm {
    LoginForm {
        email: Some(email.into()),
        password: secret(password),
        ..LoginForm::default()
    }
}

fn from(addr: &str) -> ClientInfo {
    ClientInfo {
        remote_addr: Some(addr.into()),
    }
}

fn limited(e: FlowError) -> (i64, MessageKey) {
    match e {
        FlowError::Limited(l) => (l.retry_after, l.errors.entries()[0].1.key),
        other => panic!("expected a limit, got {other:?}"),
    }
}

#[tokio::test]
async fn the_identity_budget_ends_with_its_window_and_resets_on_success() {
    let e = env(&[("SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS", "3/60s")]);
    e.user("ann@example.com").await;
    let s = &e.security;
    for _ in 0..3 {
        let err = s
            .login(form("ann@example.com", "nope"), &from("10.0.0.1"))
            .await;
        assert_eq!(
            errors(err.unwrap_err()),
            [("password", MessageKey::InvalidPassword)]
        );
    }
    let err = s
        .login(form("ann@example.com", PASSWORD), &from("10.0.0.1"))
        .await;
    let (retry, key) = limited(err.unwrap_err());
    assert_eq!(key, MessageKey::TooManyAttempts);
    assert!((1..=60).contains(&retry), "{retry}");
    // Another address is not this pair.
    s.login(form("ann@example.com", PASSWORD), &from("10.0.0.2"))
        .await
        .unwrap();
    // The window ends: in again, and the success resets the pair's count.
    e.clock.advance(61.0);
    s.login(form("ann@example.com", PASSWORD), &from("10.0.0.1"))
        .await
        .unwrap();
    for _ in 0..3 {
        assert!(
            s.login(form("ann@example.com", "nope"), &from("10.0.0.1"))
                .await
                .is_err()
        );
    }
    let err = s
        .login(form("ann@example.com", "nope"), &from("10.0.0.1"))
        .await;
    assert_eq!(limited(err.unwrap_err()).1, MessageKey::TooManyAttempts);
}

#[tokio::test]
async fn a_locked_account_refuses_the_right_password_until_unlocked() {
    let e = env(&[
        ("SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS", "100/1h"),
        ("SECURITY_LIMIT_FAILED_PER_ACCOUNT", "4/1h"),
        ("SECURITY_LOCKOUT_WITHIN", "600"),
    ]);
    let user = e.user("bob@example.com").await;
    let s = &e.security;
    // From four places: no single address meets its own budget.
    for i in 0..4 {
        let addr = format!("10.0.0.{i}");
        assert!(
            s.login(form("bob@example.com", "nope"), &from(&addr))
                .await
                .is_err()
        );
    }
    assert!(s.account_locked_until(&user).await.unwrap().is_some());
    let err = s
        .login(form("bob@example.com", PASSWORD), &from("10.9.9.9"))
        .await;
    let (retry, key) = limited(err.unwrap_err());
    assert_eq!((key, retry), (MessageKey::AccountLocked, 600));
    // The owner was mailed the link once; it unlocks.
    let token = e.token_from_mail("bob@example.com", "/unlock/");
    assert_eq!(
        e.outbox
            .messages()
            .iter()
            .filter(|(k, _)| *k == portcullis_core::MailKind::UnlockInstructions)
            .count(),
        1
    );
    assert!(s.unlock_with_token("garbage").await.is_err());
    assert_eq!(s.unlock_with_token(&token).await.unwrap().id, user.id);
    s.login(form("bob@example.com", PASSWORD), &from("10.9.9.9"))
        .await
        .unwrap();
    // A link older than the lock is dead.
    for i in 0..4 {
        let addr = format!("10.0.1.{i}");
        assert!(
            s.login(form("bob@example.com", "nope"), &from(&addr))
                .await
                .is_err()
        );
    }
    let token = e.token_from_mail("bob@example.com", "/unlock/");
    e.clock.advance(601.0);
    assert!(s.unlock_with_token(&token).await.is_err());
    // ...and the lock has ended by itself.
    s.login(form("bob@example.com", PASSWORD), &from("10.9.9.9"))
        .await
        .unwrap();
}

#[derive(Debug)]
struct NoOneNamedMallory;

#[async_trait::async_trait]
impl AccountLockHook for NoOneNamedMallory {
    async fn is_locked(&self, user: &User) -> Option<Message> {
        user.email
            .starts_with("mallory@")
            .then(|| Message::new(MessageKey::DisabledAccount))
    }
}

#[tokio::test]
async fn the_application_lock_hook_refuses_after_the_password() {
    let e = env(&[]);
    e.user("mallory@example.com").await;
    e.user("alice@example.com").await;
    let security = Security::builder(e.security.config().clone())
        .store(e.store.clone())
        .mailer(e.outbox.clone())
        .lock_hook(Arc::new(NoOneNamedMallory))
        .build()
        .unwrap();
    let err = security
        .login(form("mallory@example.com", PASSWORD), &from("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("email", MessageKey::DisabledAccount)]);
    // A wrong password is still just a wrong password.
    let err = security
        .login(form("mallory@example.com", "nope"), &from("10.0.0.1"))
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("password", MessageKey::InvalidPassword)]);
    security
        .login(form("alice@example.com", PASSWORD), &from("10.0.0.1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn limits_can_only_be_turned_off_by_the_danger_setting() {
    let e = env(&[("SECURITY_DANGER_DISABLE_ATTEMPT_LIMITS", "true")]);
    e.user("carl@example.com").await;
    for _ in 0..40 {
        assert!(matches!(
            e.security
                .login(form("carl@example.com", "nope"), &from("10.0.0.1"))
                .await,
            Err(FlowError::Form(_))
        ));
    }
    e.security
        .login(form("carl@example.com", PASSWORD), &from("10.0.0.1"))
        .await
        .unwrap();
    for bad in ["0/5m", "5/0s", ""] {
        let r = ConfigLoader::new()
            .vars([
                ("SECRET_KEY", "k"),
                ("SECURITY_PASSWORD_SALT", "s"),
                ("SECURITY_LIMIT_FAILED_PER_ACCOUNT", bad),
            ])
            .build();
        assert!(r.is_err(), "{bad:?} was accepted");
    }
}

#[tokio::test]
async fn a_breached_password_check_without_a_checker_fails_at_start_up() {
    let e = env(&[]);
    let (config, _) = ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "k"),
            ("SECURITY_PASSWORD_SALT", "s"),
            ("SECURITY_PASSWORD_CHECK_BREACHED", "strict"),
        ])
        .build()
        .unwrap();
    let err = Security::builder(config.clone())
        .store(e.store.clone())
        .mailer(e.outbox.clone())
        .build()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.message().contains("SECURITY_PASSWORD_CHECK_BREACHED"),
        "{err}"
    );
    assert!(err.message().contains("breach_checker"), "{err}");
    Security::builder(config)
        .store(e.store.clone())
        .mailer(e.outbox.clone())
        .breach_checker(Arc::new(
            portcullis_core::validation::MemoryBreachChecker::new([]),
        ))
        .build()
        .unwrap();
}
