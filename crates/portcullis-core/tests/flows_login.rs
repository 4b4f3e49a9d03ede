//! Login, re-authentication, freshness, auth tokens and sessions.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::atomic::Ordering;

use chrono::TimeDelta;
use common::*;
use portcullis_core::events::Event;
use portcullis_core::flows::{ClientInfo, Freshness, LoginForm};
use portcullis_core::{Clock, MessageKey as K, NewUser, SecretString, UserPatch, UserStore};

fn login(email: &str, pw: &str) -> LoginForm {
    LoginForm {
        email: Some(email.into()),
        password: secret(pw),
        ..LoginForm::default()
    }
}

#[tokio::test]
async fn login_tracks_and_announces() {
    let e = env(&[("SECURITY_TRACKABLE", "true")]);
    e.user("ann@example.com").await;
    let client = ClientInfo {
        remote_addr: Some("203.0.113.5".into()),
    };
    let a = e
        .security
        .login(login("ANN@example.com", PASSWORD), &client)
        .await
        .unwrap();
    assert_eq!(a.user.login_count, Some(1));
    assert_eq!(a.fs_paa, T0);
    assert!(!a.remember);
    e.clock.advance(60.0);
    let b = e
        .security
        .login(
            LoginForm {
                remember: Some(true),
                ..login("ann@example.com", PASSWORD)
            },
            &client,
        )
        .await
        .unwrap();
    assert_eq!(b.user.login_count, Some(2));
    assert!(b.remember);
    assert_eq!(b.user.last_login_at, a.user.current_login_at);
    assert_eq!(
        e.hooks.signals(),
        ["user-authenticated", "user-authenticated"]
    );
}

#[tokio::test]
async fn wrong_password_unknown_user_and_missing_fields() {
    let e = env(&[]);
    e.user("bob@example.com").await;
    assert_eq!(
        errors(
            e.security
                .login(
                    login("bob@example.com", "wrong-password"),
                    &ClientInfo::default()
                )
                .await
                .unwrap_err()
        ),
        [("password", K::InvalidPassword)]
    );
    assert!(matches!(
        e.hooks.events().last(),
        Some(Event::UserFailedAuthn {
            auth_type: "password",
            ..
        })
    ));
    assert_eq!(
        errors(
            e.security
                .login(
                    login("nobody@example.com", PASSWORD),
                    &ClientInfo::default()
                )
                .await
                .unwrap_err()
        ),
        [("email", K::UserDoesNotExist)]
    );
    assert_eq!(
        errors(
            e.security
                .login(login("not an email", PASSWORD), &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("email", K::InvalidEmailAddress)]
    );
    assert_eq!(
        errors(
            e.security
                .login(LoginForm::default(), &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [
            ("email", K::EmailNotProvided),
            ("password", K::PasswordNotProvided)
        ]
    );
}

#[tokio::test]
async fn unknown_users_cost_a_hash_like_known_ones() {
    let e = env(&[]);
    e.user("known@example.com").await;
    let before = e.cpu.0.load(Ordering::SeqCst);
    let _ = e
        .security
        .login(
            login("known@example.com", "wrong-password"),
            &ClientInfo::default(),
        )
        .await;
    let known = e.cpu.0.load(Ordering::SeqCst) - before;
    let _ = e
        .security
        .login(
            login("unknown@example.com", "wrong-password"),
            &ClientInfo::default(),
        )
        .await;
    let unknown = e.cpu.0.load(Ordering::SeqCst) - before - known;
    assert_eq!((known, unknown), (1, 1));
}

#[tokio::test]
async fn inactive_and_unconfirmed_users_are_refused_after_the_password() {
    let e = env(&[("SECURITY_CONFIRMABLE", "true")]);
    let u = e.user("off@example.com").await;
    e.store.set_active(u.id, false).await.unwrap();
    assert_eq!(
        errors(
            e.security
                .login(login("off@example.com", PASSWORD), &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("email", K::DisabledAccount)]
    );
    let v = e.user("unconf@example.com").await;
    e.store
        .update_user(
            v.id,
            UserPatch {
                confirmed_at: Some(None),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        errors(
            e.security
                .login(
                    login("unconf@example.com", PASSWORD),
                    &ClientInfo::default()
                )
                .await
                .unwrap_err()
        ),
        [("email", K::ConfirmationRequired)]
    );
    // A wrong password says only that, even for those users.
    assert_eq!(
        errors(
            e.security
                .login(
                    login("off@example.com", "nope-nope"),
                    &ClientInfo::default()
                )
                .await
                .unwrap_err()
        ),
        [("password", K::InvalidPassword)]
    );

    let lenient = env(&[
        ("SECURITY_CONFIRMABLE", "true"),
        ("SECURITY_LOGIN_WITHOUT_CONFIRMATION", "true"),
    ]);
    let w = lenient.user("w@example.com").await;
    lenient
        .store
        .update_user(
            w.id,
            UserPatch {
                confirmed_at: Some(None),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    lenient
        .security
        .login(login("w@example.com", PASSWORD), &ClientInfo::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn generic_responses_hide_which_part_was_wrong() {
    let e = env(&[("SECURITY_RETURN_GENERIC_RESPONSES", "true")]);
    let u = e.user("gen@example.com").await;
    for form in [
        login("gen@example.com", "wrong-password"),
        login("nobody@example.com", PASSWORD),
    ] {
        assert_eq!(
            errors(
                e.security
                    .login(form, &ClientInfo::default())
                    .await
                    .unwrap_err()
            ),
            [("", K::GenericAuthnFailed)]
        );
    }
    e.store.set_active(u.id, false).await.unwrap();
    assert_eq!(
        errors(
            e.security
                .login(login("gen@example.com", PASSWORD), &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("", K::GenericAuthnFailed)]
    );
}

#[tokio::test]
async fn a_flask_security_pbkdf2_hash_is_upgraded_at_login() {
    let e = env(&[]);
    let pbkdf2 = portcullis_core::crypto::CryptContext::builder()
        .default_scheme(portcullis_core::crypto::Scheme::Pbkdf2Sha512)
        .build()
        .unwrap();
    let legacy = portcullis_core::crypto::PasswordHasher::builder(pbkdf2)
        .password_salt("test-password-salt")
        .build()
        .unwrap();
    let hash = legacy.hash_password(PASSWORD).unwrap();
    let u = e
        .store
        .create_user(NewUser::new("old@example.com", secret(&hash)))
        .await
        .unwrap();
    let a = e
        .security
        .login(login("old@example.com", PASSWORD), &ClientInfo::default())
        .await
        .unwrap();
    let stored = e
        .store
        .find_user_by_id(u.id)
        .await
        .unwrap()
        .unwrap()
        .password
        .unwrap();
    assert!(
        stored.expose().starts_with("$argon2id$"),
        "upgraded: {}",
        stored.expose()
    );
    assert_eq!(a.user.password, Some(stored));
    e.security
        .login(login("old@example.com", PASSWORD), &ClientInfo::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_corrupt_stored_hash_is_a_wrong_password_not_a_crash() {
    let e = env(&[]);
    e.store
        .create_user(NewUser::new(
            "bad@example.com",
            Some(SecretString::new("$argon2id$garbage")),
        ))
        .await
        .unwrap();
    e.store
        .create_user(NewUser::new("none@example.com", None))
        .await
        .unwrap();
    for who in ["bad@example.com", "none@example.com"] {
        assert_eq!(
            errors(
                e.security
                    .login(login(who, PASSWORD), &ClientInfo::default())
                    .await
                    .unwrap_err()
            ),
            [("password", K::InvalidPassword)]
        );
    }
}

#[tokio::test]
async fn reauthentication_and_freshness() {
    let e = env(&[]);
    let u = e.user("fresh@example.com").await;
    assert_eq!(
        errors(
            e.security
                .reauthenticate(&u, secret("wrong-one").as_ref(), &Default::default())
                .await
                .unwrap_err()
        ),
        [("password", K::InvalidPassword)]
    );
    assert_eq!(
        errors(
            e.security
                .reauthenticate(&u, None, &Default::default())
                .await
                .unwrap_err()
        ),
        [("password", K::PasswordNotProvided)]
    );
    e.clock.advance(10.0);
    let paa = e
        .security
        .reauthenticate(&u, secret(PASSWORD).as_ref(), &Default::default())
        .await
        .unwrap();
    assert_eq!(paa, T0 + 10.0);
    let day = TimeDelta::hours(24);
    let hour = TimeDelta::hours(1);
    assert_eq!(
        e.security.check_freshness(Some(paa), None, day, hour),
        Freshness::Fresh {
            grace_until: (T0 + 10.0) as i64 + 3600
        }
    );
    e.clock.advance(86_400.0);
    assert_eq!(
        e.security.check_freshness(Some(paa), None, day, hour),
        Freshness::Stale
    );
    assert_eq!(
        e.security.check_freshness(None, None, day, hour),
        Freshness::Stale
    );
    // Within a grace period it stays fresh; a negative window never asks.
    let now = (T0 + 86_410.0) as i64;
    assert!(matches!(
        e.security
            .check_freshness(Some(paa), Some(now + 5), day, hour),
        Freshness::Fresh { .. }
    ));
    assert!(matches!(
        e.security
            .check_freshness(None, None, TimeDelta::seconds(-1), hour),
        Freshness::Fresh { .. }
    ));
    // A window of zero is not "never ask": it always asks.
    let just_now = e.clock.unix_time();
    assert_eq!(
        e.security
            .check_freshness(Some(just_now), None, TimeDelta::zero(), hour),
        Freshness::Stale
    );
    // An fs_paa of 0 is no authentication at all, however long the window.
    assert_eq!(
        e.security
            .check_freshness(Some(0.0), None, TimeDelta::days(40_000), hour),
        Freshness::Stale
    );
    // A grace period ends at its second.
    assert_eq!(
        e.security.check_freshness(Some(paa), Some(now), day, hour),
        Freshness::Stale
    );
}

#[tokio::test]
async fn auth_tokens_and_sessions_name_active_users_only() {
    let e = env(&[]);
    let u = e.user("tok@example.com").await;
    let token = e.security.issue_auth_token(&u, T0);
    let t = e
        .security
        .authenticate_token(&token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((t.user.id, t.token.fs_paa), (u.id, Some(T0)));
    assert!(
        e.security
            .authenticate_token("garbage")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        e.security
            .load_session_user(&u.fs_uniquifier)
            .await
            .unwrap()
            .is_some()
    );
    // 15 minutes by default.
    e.clock.advance(901.0);
    assert!(
        e.security
            .authenticate_token(&token)
            .await
            .unwrap()
            .is_none()
    );
    let fresh = e.security.issue_auth_token(&u, T0);
    e.store.set_active(u.id, false).await.unwrap();
    assert!(
        e.security
            .authenticate_token(&fresh)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        e.security
            .load_session_user(&u.fs_uniquifier)
            .await
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_login_form_shows_who_and_not_the_password() {
    let form = LoginForm {
        username: Some("ann".into()),
        ..login("ann@example.com", "hunter2-secret")
    };
    let shown = format!("{form:?}");
    assert_eq!(
        shown,
        r#"LoginForm { email: Some("ann@example.com"), username: Some("ann"), .. }"#
    );
}

#[tokio::test]
async fn http_basic_credentials_are_limited_like_a_login() {
    let e = env(&[
        ("SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS", "2/1h"),
        ("SECURITY_LIMIT_FAILED_PER_ADDRESS", "4/1h"),
    ]);
    let ann = e.user("ann@example.com").await;
    let bo = e.user("bo@example.com").await;
    let at = |a: &str| ClientInfo {
        remote_addr: Some(a.into()),
    };
    let s = &e.security;
    let check = |who: &'static str, pw: &'static str, from: ClientInfo| async move {
        s.verify_credentials(who, pw, &from)
            .await
            .unwrap()
            .map(|u| u.id)
    };
    assert_eq!(
        check("ann@example.com", PASSWORD, at("10.0.0.1")).await,
        Some(ann.id)
    );
    for _ in 0..2 {
        assert_eq!(check("ann@example.com", "nope", at("10.0.0.1")).await, None);
    }
    // Over the pair's budget: the right password is not even looked at...
    assert_eq!(
        check("ann@example.com", PASSWORD, at("10.0.0.1")).await,
        None
    );
    // ... while another address, or another account, is still fine.
    assert_eq!(
        check("ann@example.com", PASSWORD, at("10.0.0.2")).await,
        Some(ann.id)
    );
    assert_eq!(
        check("bo@example.com", PASSWORD, at("10.0.0.1")).await,
        Some(bo.id)
    );
    // Unknown identities count against the address: two more failures
    // fill its budget of four, and then no one gets in from there.
    assert_eq!(
        check("nobody@example.com", PASSWORD, at("10.0.0.1")).await,
        None
    );
    assert_eq!(
        check("nobody2@example.com", PASSWORD, at("10.0.0.1")).await,
        None
    );
    assert_eq!(
        check("bo@example.com", PASSWORD, at("10.0.0.1")).await,
        None
    );
    assert_eq!(
        check("bo@example.com", PASSWORD, at("10.0.0.3")).await,
        Some(bo.id)
    );
    // Inactive users never pass.
    e.deactivate(bo.id).await;
    assert_eq!(
        check("bo@example.com", PASSWORD, at("10.0.0.4")).await,
        None
    );
}

#[tokio::test]
async fn a_login_looks_the_identity_up_by_its_own_attributes_case_rule() {
    // Usernames compared exactly, emails without case (emails always are):
    // a login by username must use the username's rule, not the email's.
    let e = env(&[
        ("SECURITY_USERNAME_ENABLE", "true"),
        (
            "SECURITY_USER_IDENTITY_ATTRIBUTES",
            r#"[{"email": {"mapper": "uia_email_mapper", "case_insensitive": true}}, {"username": {"mapper": "uia_username_mapper", "case_insensitive": false}}]"#,
        ),
    ]);
    let hash = e.security.hash_password(PASSWORD).await.unwrap();
    e.store
        .create_user(NewUser {
            confirmed_at: Some(e.security.now()),
            username: Some("ann".into()),
            ..NewUser::new("ann@example.com", secret(&hash))
        })
        .await
        .unwrap();
    let by_name = |name: &str| LoginForm {
        username: Some(name.into()),
        password: secret(PASSWORD),
        ..LoginForm::default()
    };
    let c = ClientInfo::default();
    let err = e.security.login(by_name("ANN"), &c).await.unwrap_err();
    assert_eq!(errors(err), [("username", K::UserDoesNotExist)]);
    e.security.login(by_name("ann"), &c).await.unwrap();
}

#[tokio::test]
async fn no_identity_at_all_is_a_form_error_when_usernames_are_on() {
    // Flask-Security's email field is optional with usernames on: with
    // neither, the form says USER_DOES_NOT_EXIST (not "email not
    // provided"), and only once a password was given.
    let c = ClientInfo::default();
    let e = env(&[("SECURITY_USERNAME_ENABLE", "true")]);
    let none = |password: Option<&str>| LoginForm {
        password: password.and_then(secret),
        ..LoginForm::default()
    };
    let err = e
        .security
        .login(none(Some(PASSWORD)), &c)
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("", K::UserDoesNotExist)]);
    let err = e.security.login(none(None), &c).await.unwrap_err();
    assert_eq!(errors(err), [("password", K::PasswordNotProvided)]);
    // Without usernames, the email is required.
    let e = env(&[]);
    let err = e
        .security
        .login(none(Some(PASSWORD)), &c)
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("email", K::EmailNotProvided)]);
}
