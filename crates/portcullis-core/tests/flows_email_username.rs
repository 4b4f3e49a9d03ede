//! Changing the email address and the username; recovering the username.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use portcullis_core::{MailKind, MessageKey as K, UserPatch, UserStore};

#[tokio::test]
async fn change_email_by_a_link_to_the_new_address() {
    let e = env(&[("SECURITY_CHANGE_EMAIL", "true")]);
    let u = e.user("before@example.com").await;
    e.security
        .start_change_email(&u, Some("After@Example.com"))
        .await
        .unwrap();
    let (kind, mail) = e.outbox.last_to("After@example.com").unwrap();
    assert_eq!(kind, MailKind::ChangeEmailInstructions);
    assert_eq!(mail.subject, "Confirm your new email address");
    assert!(e.outbox.last_to("before@example.com").is_none());
    e.clock.advance(60.0);
    let token = e.token_from_mail("After@example.com", "/change-email/");
    let changed = e.security.finish_change_email(&token).await.unwrap();
    assert_eq!(changed.old_email, "before@example.com");
    assert_eq!(changed.user.email, "After@example.com");
    assert_eq!(changed.user.confirmed_at, Some(e.security.now()));
    assert!(
        e.store
            .find_user_by_email("before@example.com")
            .await
            .unwrap()
            .is_none()
    );
    // Reusing the link fails: the old address it was made for is gone.
    assert_eq!(
        errors(e.security.finish_change_email(&token).await.unwrap_err()),
        [("", K::ApiError)]
    );
    assert_eq!(
        e.hooks.signals(),
        ["change-email-instructions-sent", "change-email"]
    );
}

#[tokio::test]
async fn change_email_refusals() {
    let e = env(&[("SECURITY_CHANGE_EMAIL", "true")]);
    let u = e.user("me@example.com").await;
    e.user("taken@example.com").await;
    assert_eq!(
        errors(
            e.security
                .start_change_email(&u, Some("TAKEN@example.com"))
                .await
                .unwrap_err()
        ),
        [("email", K::EmailAlreadyAssociated)]
    );
    assert_eq!(
        errors(
            e.security
                .start_change_email(&u, Some("nope"))
                .await
                .unwrap_err()
        ),
        [("email", K::InvalidEmailAddress)]
    );
    assert_eq!(
        errors(e.security.start_change_email(&u, None).await.unwrap_err()),
        [("email", K::EmailNotProvided)]
    );
    // Taken between the mail and the click.
    e.security
        .start_change_email(&u, Some("race@example.com"))
        .await
        .unwrap();
    let token = e.token_from_mail("race@example.com", "/change-email/");
    e.user("race@example.com").await;
    assert_eq!(
        errors(e.security.finish_change_email(&token).await.unwrap_err()),
        [("", K::EmailAlreadyAssociated)]
    );
    // Expired.
    e.security
        .start_change_email(&u, Some("late@example.com"))
        .await
        .unwrap();
    let late = e.token_from_mail("late@example.com", "/change-email/");
    e.clock.advance(7201.0);
    assert_eq!(
        errors(e.security.finish_change_email(&late).await.unwrap_err()),
        [("", K::ChangeEmailExpired)]
    );
    assert_eq!(
        errors(e.security.finish_change_email("garbage").await.unwrap_err()),
        [("", K::ApiError)]
    );
    assert_eq!(
        e.store.find_user_by_id(u.id).await.unwrap().unwrap().email,
        "me@example.com"
    );

    let g = env(&[
        ("SECURITY_CHANGE_EMAIL", "true"),
        ("SECURITY_RETURN_GENERIC_RESPONSES", "true"),
    ]);
    let gu = g.user("gme@example.com").await;
    g.user("gtaken@example.com").await;
    g.security
        .start_change_email(&gu, Some("gtaken@example.com"))
        .await
        .unwrap();
    assert!(g.outbox.is_empty(), "nothing is sent to a taken address");
}

#[tokio::test]
async fn change_and_recover_username() {
    let e = env(&[
        ("SECURITY_USERNAME_ENABLE", "true"),
        ("SECURITY_CHANGE_USERNAME", "true"),
        ("SECURITY_USERNAME_RECOVERY", "true"),
    ]);
    let u = e.user("un@example.com").await;
    let other = e.user("other@example.com").await;
    e.store
        .update_user(
            other.id,
            UserPatch {
                username: Some(Some("taken".into())),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        errors(
            e.security
                .change_username(&u, Some("Taken"))
                .await
                .unwrap_err()
        ),
        [("username", K::UsernameAlreadyAssociated)]
    );
    assert_eq!(
        errors(
            e.security
                .change_username(&u, Some("no"))
                .await
                .unwrap_err()
        ),
        [("username", K::UsernameInvalidLength)]
    );
    assert_eq!(
        errors(e.security.change_username(&u, Some("")).await.unwrap_err()),
        [("username", K::UsernameNotProvided)]
    );
    let changed = e
        .security
        .change_username(&u, Some("newname"))
        .await
        .unwrap();
    assert_eq!(changed.username.as_deref(), Some("newname"));
    assert_eq!(
        e.outbox.last_to("un@example.com").unwrap().0,
        MailKind::ChangeUsernameNotice
    );

    e.security
        .recover_username(Some("un@example.com"), &Default::default())
        .await
        .unwrap();
    let (kind, mail) = e.outbox.last_to("un@example.com").unwrap();
    assert_eq!(kind, MailKind::UsernameRecovery);
    assert!(mail.text.unwrap().contains("newname"));
    assert_eq!(
        errors(
            e.security
                .recover_username(Some("nobody@example.com"), &Default::default())
                .await
                .unwrap_err()
        ),
        [("email", K::UserDoesNotExist)]
    );
    assert_eq!(
        e.hooks.signals(),
        ["username-changed", "username-recovery-email-sent"]
    );
}
