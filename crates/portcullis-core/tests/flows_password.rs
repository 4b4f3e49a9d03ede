//! Changing and resetting passwords.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use portcullis_core::flows::{ChangePasswordForm, ClientInfo, LoginForm, ResetPasswordForm};
use portcullis_core::{MailKind, MessageKey as K, UserStore};

const NEW: &str = "Brand-New-Passphrase-42";

fn change(current: &str, new: &str, confirm: &str) -> ChangePasswordForm {
    ChangePasswordForm {
        password: secret(current),
        new_password: secret(new),
        new_password_confirm: secret(confirm),
    }
}

fn login(email: &str, pw: &str) -> LoginForm {
    LoginForm {
        email: Some(email.into()),
        password: secret(pw),
        ..LoginForm::default()
    }
}

#[tokio::test]
async fn change_password_ends_other_sessions_and_tokens() {
    let e = env(&[("SECURITY_CHANGEABLE", "true")]);
    let u = e.user("cp@example.com").await;
    let old_token = e.security.issue_auth_token(&u, T0);
    let changed = e
        .security
        .change_password(&u, change(PASSWORD, NEW, NEW), &ClientInfo::default())
        .await
        .unwrap();
    assert_ne!(changed.user.fs_uniquifier, u.fs_uniquifier);
    assert!(
        e.security
            .load_session_user(&u.fs_uniquifier)
            .await
            .unwrap()
            .is_none(),
        "other sessions end"
    );
    assert!(
        e.security
            .authenticate_token(&old_token)
            .await
            .unwrap()
            .is_none(),
        "old tokens end"
    );
    assert!(
        e.security
            .load_session_user(&changed.login.user.fs_uniquifier)
            .await
            .unwrap()
            .is_some()
    );
    let new_token = e
        .security
        .issue_auth_token(&changed.user, changed.login.fs_paa);
    assert!(
        e.security
            .authenticate_token(&new_token)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        e.outbox.last_to("cp@example.com").unwrap().0,
        MailKind::ChangeNotice
    );
    assert_eq!(
        e.hooks.signals(),
        ["password-changed", "user-authenticated"]
    );
    assert_eq!(
        errors(
            e.security
                .login(login("cp@example.com", PASSWORD), &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("password", K::InvalidPassword)]
    );
    e.security
        .login(login("cp@example.com", NEW), &ClientInfo::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn change_password_checks() {
    let e = env(&[("SECURITY_CHANGEABLE", "true")]);
    let u = e.user("cc@example.com").await;
    let c = &ClientInfo::default();
    assert_eq!(
        errors(
            e.security
                .change_password(&u, change("wrong-password", NEW, NEW), c)
                .await
                .unwrap_err()
        ),
        [("password", K::InvalidPassword)]
    );
    assert_eq!(
        errors(
            e.security
                .change_password(&u, change(PASSWORD, PASSWORD, PASSWORD), c)
                .await
                .unwrap_err()
        ),
        [("password", K::PasswordIsTheSame)]
    );
    assert_eq!(
        errors(
            e.security
                .change_password(&u, change(PASSWORD, NEW, "something-else"), c)
                .await
                .unwrap_err()
        ),
        [("new_password_confirm", K::RetypePasswordMismatch)]
    );
    assert_eq!(
        errors(
            e.security
                .change_password(&u, change(PASSWORD, "short", "short"), c)
                .await
                .unwrap_err()
        ),
        [("new_password", K::PasswordInvalidLength)]
    );
    assert_eq!(
        errors(
            e.security
                .change_password(&u, ChangePasswordForm::default(), c)
                .await
                .unwrap_err()
        ),
        [
            ("password", K::PasswordNotProvided),
            ("new_password", K::PasswordNotProvided)
        ]
    );
    // Nothing changed.
    assert_eq!(
        e.store
            .find_user_by_id(u.id)
            .await
            .unwrap()
            .unwrap()
            .password,
        u.password
    );
    assert!(e.outbox.is_empty());
}

#[tokio::test]
async fn forgot_and_reset_with_a_single_use_link() {
    let e = env(&[("SECURITY_RECOVERABLE", "true")]);
    let u = e.user("fr@example.com").await;
    e.security
        .send_reset_instructions(Some("FR@example.com"), &Default::default())
        .await
        .unwrap();
    let (kind, mail) = e.outbox.last_to("fr@example.com").unwrap();
    assert_eq!(kind, MailKind::ResetInstructions);
    assert_eq!(mail.subject, "Password reset instructions");
    assert!(
        mail.text
            .unwrap()
            .contains("This link will expire in 1 day.")
    );
    let token = e.token_from_mail("fr@example.com", "/reset/");
    assert_eq!(e.security.reset_token_user(&token).await.unwrap().id, u.id);
    let form = ResetPasswordForm {
        password: secret(NEW),
        password_confirm: secret(NEW),
    };
    let done = e
        .security
        .reset_password(&token, form.clone(), &ClientInfo::default())
        .await
        .unwrap();
    assert!(done.login.is_none());
    assert_eq!(
        e.outbox.last_to("fr@example.com").unwrap().0,
        MailKind::ResetNotice
    );
    e.security
        .login(login("fr@example.com", NEW), &ClientInfo::default())
        .await
        .unwrap();
    // Used once: the uniquifier it names is gone.
    assert_eq!(
        errors(
            e.security
                .reset_password(&token, form, &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("", K::InvalidResetPasswordToken)]
    );
    assert_eq!(
        e.hooks.signals(),
        [
            "password-reset-instructions-sent",
            "password-reset",
            "user-authenticated"
        ]
    );
}

#[tokio::test]
async fn reset_links_expire_and_resist_tampering() {
    let e = env(&[("SECURITY_RECOVERABLE", "true")]);
    e.user("rx@example.com").await;
    e.security
        .send_reset_instructions(Some("rx@example.com"), &Default::default())
        .await
        .unwrap();
    let token = e.token_from_mail("rx@example.com", "/reset/");
    let form = ResetPasswordForm {
        password: secret(NEW),
        password_confirm: secret(NEW),
    };
    assert_eq!(
        errors(
            e.security
                .reset_password("garbage", form.clone(), &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("", K::InvalidResetPasswordToken)]
    );
    // Change the signature's first character (every bit of it counts; the
    // last character of a 20-byte base64 signature carries padding bits).
    let at = token.rfind('.').unwrap() + 1;
    let was = token.as_bytes()[at];
    let forged = format!(
        "{}{}{}",
        &token[..at],
        if was == b'A' { 'B' } else { 'A' },
        &token[at + 1..]
    );
    assert!(e.security.reset_token_user(&forged).await.is_err());
    // Policy errors leave the link usable.
    let weak = ResetPasswordForm {
        password: secret("short"),
        password_confirm: secret("short"),
    };
    assert_eq!(
        errors(
            e.security
                .reset_password(&token, weak, &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("password", K::PasswordInvalidLength)]
    );
    let mismatch = ResetPasswordForm {
        password: secret(NEW),
        password_confirm: secret("other-passphrase"),
    };
    assert_eq!(
        errors(
            e.security
                .reset_password(&token, mismatch, &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("password_confirm", K::RetypePasswordMismatch)]
    );
    let sent = e.outbox.len();
    e.clock.advance(86_401.0);
    assert_eq!(
        errors(
            e.security
                .reset_password(&token, form, &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("", K::PasswordResetExpired)]
    );
    assert_eq!(
        e.outbox.len(),
        sent + 1,
        "an expired link brings fresh instructions"
    );
}

#[tokio::test]
async fn who_may_ask_for_a_reset() {
    let e = env(&[
        ("SECURITY_RECOVERABLE", "true"),
        ("SECURITY_CONFIRMABLE", "true"),
    ]);
    let off = e.user("off@example.com").await;
    e.store.set_active(off.id, false).await.unwrap();
    assert_eq!(
        errors(
            e.security
                .send_reset_instructions(Some("nobody@example.com"), &Default::default())
                .await
                .unwrap_err()
        ),
        [("email", K::UserDoesNotExist)]
    );
    assert_eq!(
        errors(
            e.security
                .send_reset_instructions(Some("off@example.com"), &Default::default())
                .await
                .unwrap_err()
        ),
        [("email", K::DisabledAccount)]
    );
    assert_eq!(
        errors(
            e.security
                .send_reset_instructions(Some(""), &Default::default())
                .await
                .unwrap_err()
        ),
        [("email", K::EmailNotProvided)]
    );
    assert!(e.outbox.is_empty());

    let g = env(&[
        ("SECURITY_RECOVERABLE", "true"),
        ("SECURITY_RETURN_GENERIC_RESPONSES", "true"),
    ]);
    g.security
        .send_reset_instructions(Some("nobody@example.com"), &Default::default())
        .await
        .unwrap();
    assert!(g.outbox.is_empty());
}

#[tokio::test]
async fn auto_login_after_reset() {
    let e = env(&[
        ("SECURITY_RECOVERABLE", "true"),
        ("SECURITY_AUTO_LOGIN_AFTER_RESET", "true"),
    ]);
    let before = e.user("al@example.com").await;
    e.security
        .send_reset_instructions(Some("al@example.com"), &Default::default())
        .await
        .unwrap();
    let token = e.token_from_mail("al@example.com", "/reset/");
    let done = e
        .security
        .reset_password(
            &token,
            ResetPasswordForm {
                password: secret(NEW),
                password_confirm: secret(NEW),
            },
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    // Logged in as that user, with the new password, in a new session
    // (the reset rotated the uniquifier, ending the ones before).
    let auto = done.login.expect("logged in after the reset");
    assert_eq!(auto.user.id, before.id);
    assert_ne!(auto.user.fs_uniquifier, before.fs_uniquifier);
    assert!(
        e.security
            .load_session_user(&auto.user.fs_uniquifier)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        e.security
            .load_session_user(&before.fs_uniquifier)
            .await
            .unwrap()
            .is_none()
    );
    e.security
        .login(login("al@example.com", NEW), &ClientInfo::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn admin_change_password_checks_policy_and_ends_sessions() {
    let e = env(&[]);
    let u = e.user("adm@example.com").await;
    assert_eq!(
        errors(
            e.security
                .admin_change_password(&u, "short", true)
                .await
                .unwrap_err()
        ),
        [("password", K::PasswordInvalidLength)]
    );
    let changed = e
        .security
        .admin_change_password(&u, NEW, false)
        .await
        .unwrap();
    assert_ne!(changed.fs_uniquifier, u.fs_uniquifier);
    assert!(e.outbox.is_empty(), "no notice without notify");
    e.security
        .login(login("adm@example.com", NEW), &ClientInfo::default())
        .await
        .unwrap();
    e.security
        .admin_change_password(&changed, "Third-Passphrase-2026", true)
        .await
        .unwrap();
    assert_eq!(
        e.outbox.last_to("adm@example.com").unwrap().0,
        MailKind::ChangeNotice
    );
}

#[tokio::test]
async fn a_link_signed_for_one_purpose_is_refused_for_another() {
    let e = env(&[
        ("SECURITY_RECOVERABLE", "true"),
        ("SECURITY_CONFIRMABLE", "true"),
        ("SECURITY_CHANGE_EMAIL", "true"),
    ]);
    let u = e.user("salt@example.com").await;
    e.security
        .send_reset_instructions(Some("salt@example.com"), &Default::default())
        .await
        .unwrap();
    let reset = e.token_from_mail("salt@example.com", "/reset/");
    // Each kind has its own salt: a reset token is no confirmation or change-email token.
    assert_eq!(
        errors(
            e.security
                .confirm_email(&reset, &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("", K::InvalidConfirmationToken)]
    );
    assert_eq!(
        errors(e.security.finish_change_email(&reset).await.unwrap_err()),
        [("", K::ApiError)]
    );
    e.security
        .start_change_email(&u, Some("salt2@example.com"))
        .await
        .unwrap();
    let change = e.token_from_mail("salt2@example.com", "/change-email/");
    assert_eq!(
        errors(
            e.security
                .reset_password(
                    &change,
                    ResetPasswordForm {
                        password: secret(NEW),
                        password_confirm: secret(NEW)
                    },
                    &ClientInfo::default()
                )
                .await
                .unwrap_err()
        ),
        [("", K::InvalidResetPasswordToken)]
    );
}

/// Every password hash and verification of register, change and reset runs
/// on the configured CPU pool (argon2 off the async executor): the pool
/// counts each one, so a flow that hashed inline would count fewer.
#[tokio::test]
async fn change_and_reset_hash_on_the_cpu_pool() {
    use std::sync::atomic::Ordering;
    let e = env(&[
        ("SECURITY_CHANGEABLE", "true"),
        ("SECURITY_RECOVERABLE", "true"),
    ]);
    let u = e.user("pool@example.com").await;
    let jobs = || e.cpu.0.load(Ordering::SeqCst);
    let before = jobs();
    e.security
        .change_password(&u, change(PASSWORD, NEW, NEW), &ClientInfo::default())
        .await
        .unwrap();
    assert_eq!(
        jobs() - before,
        2,
        "verify the current password, hash the new one"
    );
    e.security
        .send_reset_instructions(Some("pool@example.com"), &Default::default())
        .await
        .unwrap();
    let token = e.token_from_mail("pool@example.com", "/reset/");
    let before = jobs();
    e.security
        .reset_password(
            &token,
            ResetPasswordForm {
                password: secret("Third-Passphrase-Here-7"),
                password_confirm: secret("Third-Passphrase-Here-7"),
            },
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert_eq!(jobs() - before, 1, "hash the new password");
}

#[test]
fn the_password_forms_keep_their_passwords_out_of_debug() {
    let change = ChangePasswordForm {
        password: secret("old-secret-1"),
        new_password: secret("new-secret-2"),
        new_password_confirm: secret("new-secret-2"),
    };
    assert_eq!(format!("{change:?}"), "ChangePasswordForm { .. }");
    let reset = ResetPasswordForm {
        password: secret("new-secret-3"),
        password_confirm: secret("new-secret-3"),
    };
    assert_eq!(format!("{reset:?}"), "ResetPasswordForm { .. }");
}
