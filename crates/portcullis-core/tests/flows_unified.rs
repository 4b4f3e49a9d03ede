//! Unified sign-in at the core, without a web layer: which methods a user
//! has, the identity and passcode checks with their refusals, codes sent
//! on request (with the magic link), re-authentication, setting methods up
//! and deleting them, and the magic link's checks.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use portcullis_core::crypto::totp::Totp;
use portcullis_core::events::Event;
use portcullis_core::flows::ClientInfo;
use portcullis_core::{
    Clock, FlowError, MailKind, MessageKey as K, NewUser, SecretString, User, UserPatch, UserStore,
};
use portcullis_mail::MemorySms;

fn us_vars() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SECURITY_UNIFIED_SIGNIN", "true"),
        (
            "SECURITY_US_ENABLED_METHODS",
            r#"["password", "email", "authenticator", "sms"]"#,
        ),
        ("SECURITY_TOTP_SECRETS", TOTP_SECRETS),
        ("SECURITY_TOTP_ISSUER", "flows"),
        ("SECURITY_US_TOKEN_VALIDITY", "120"),
    ]
}

fn us_env(extra: &[(&'static str, &'static str)]) -> (Env, Arc<MemorySms>) {
    let mut vars = us_vars();
    vars.extend_from_slice(extra);
    let sms = Arc::new(MemorySms::new());
    let texts = sms.clone();
    (env_with(&vars, move |b| b.sms_sender(texts)), sms)
}

fn client() -> ClientInfo {
    ClientInfo {
        remote_addr: Some("198.51.100.9".into()),
    }
}

impl Env {
    fn mail_text(&self, to: &str) -> (MailKind, String) {
        let (kind, mail) = self.outbox.last_to(to).expect("a mail");
        (kind, mail.text.unwrap_or_default())
    }

    /// Sets `method` up for `user` through `/us-setup` and its code.
    async fn set_up(&self, user: &User, method: &str, phone: Option<&str>) -> User {
        let started = self
            .security
            .us_start_setup(user, Some(method), &[], phone)
            .await
            .unwrap();
        let factor = started.pending.unwrap();
        let step = self.clock.unix_time() as i64;
        let code = totp_of(factor.totp_secret.expose()).code_at(step);
        self.security
            .us_finish_setup(user, &factor, Some(&code))
            .await
            .unwrap()
    }

    /// The current code of `user`'s `method` secret.
    fn code_of(&self, user: &User, method: &str) -> String {
        let secret = self.security.us_secrets(user).remove(method).unwrap();
        totp_of(&secret).code_at(self.clock.unix_time() as i64)
    }

    fn failed_authn(&self) -> Vec<&'static str> {
        self.hooks
            .events()
            .into_iter()
            .filter_map(|e| match e {
                Event::UserFailedAuthn { auth_type, .. } => Some(auth_type),
                _ => None,
            })
            .collect()
    }
}

async fn signin(
    e: &Env,
    identity: Option<&str>,
    passcode: Option<&str>,
) -> Result<String, Vec<(&'static str, K)>> {
    match e
        .security
        .us_signin(identity, passcode, None, &client())
        .await
    {
        Ok(s) => Ok(s.method),
        Err(err) => Err(errors(err)),
    }
}

#[tokio::test]
async fn the_methods_a_user_has_and_the_ones_to_set_up() {
    let (e, _) = us_env(&[]);
    assert_eq!(e.security.us_code_methods(), ["email", "sms"]);
    assert_eq!(
        e.security.us_setup_methods(),
        ["email", "authenticator", "sms"]
    );
    let ann = e.user("ann@example.com").await;
    assert_eq!(e.security.us_active_methods(&ann), ["password"]);
    let ann = e.set_up(&ann, "sms", Some("+447911123456")).await;
    let ann = e.set_up(&ann, "authenticator", None).await;
    assert_eq!(
        e.security.us_active_methods(&ann),
        ["password", "authenticator", "sms"]
    );
    // Stored as Flask-Security's json.dumps writes it.
    let stored = ann.us_totp_secrets.as_ref().unwrap().expose().to_owned();
    let secrets = e.security.us_secrets(&ann);
    assert_eq!(
        stored,
        format!(
            r#"{{"authenticator": "{}", "sms": "{}"}}"#,
            secrets["authenticator"].replace('"', "\\\""),
            secrets["sms"].replace('"', "\\\"")
        )
    );
    assert_eq!(ann.us_phone_number.as_deref(), Some("+447911123456"));
    // No password, no password method.
    let nopw = e
        .store
        .create_user(NewUser::new("nopw@example.com", None))
        .await
        .unwrap();
    assert!(e.security.us_active_methods(&nopw).is_empty());
    // Unreadable secrets are none.
    let broken = User {
        us_totp_secrets: Some(SecretString::new("not json")),
        ..ann.clone()
    };
    assert!(e.security.us_secrets(&broken).is_empty());
}

#[tokio::test]
async fn the_identity_is_checked_before_the_passcode() {
    let (e, _) = us_env(&[]);
    let ann = e.user("ann@example.com").await;
    assert_eq!(
        signin(&e, None, Some("x")).await,
        Err(vec![("identity", K::FieldRequired)])
    );
    assert_eq!(
        signin(&e, Some("  "), None).await,
        Err(vec![("identity", K::FieldRequired)])
    );
    assert_eq!(
        signin(&e, Some("nobody@example.com"), Some(PASSWORD)).await,
        Err(vec![("identity", K::UsSpecifyIdentity)])
    );
    assert_eq!(
        signin(&e, Some("ann@example.com"), None).await,
        Err(vec![("passcode", K::InvalidPasswordCode)])
    );
    assert_eq!(
        signin(&e, Some("ann@example.com"), Some("")).await,
        Err(vec![("passcode", K::InvalidPasswordCode)])
    );
    assert_eq!(
        signin(&e, Some(" ANN@example.com "), Some(PASSWORD)).await,
        Ok("password".into())
    );
    e.deactivate(ann.id).await;
    assert_eq!(
        signin(&e, Some("ann@example.com"), Some(PASSWORD)).await,
        Err(vec![("identity", K::DisabledAccount)])
    );
}

#[tokio::test]
async fn generic_responses_say_nothing_about_which_part_failed() {
    let (e, _) = us_env(&[("SECURITY_RETURN_GENERIC_RESPONSES", "true")]);
    e.user("ann@example.com").await;
    for (id, pc) in [
        ("nobody@example.com", PASSWORD),
        ("ann@example.com", "wrong"),
    ] {
        let err = signin(&e, Some(id), Some(pc)).await.unwrap_err();
        assert!(
            err.iter().all(|(_, k)| *k == K::GenericAuthnFailed) && !err.is_empty(),
            "{id}: {err:?}"
        );
    }
    let err = e
        .security
        .us_signin_send_code(Some("nobody@example.com"), Some("email"), &client())
        .await
        .unwrap_err();
    let keys = errors(err);
    assert!(
        keys.iter().all(|(_, k)| *k == K::GenericUsSignin) && !keys.is_empty(),
        "{keys:?}"
    );
}

#[tokio::test]
async fn a_wrong_passcode_is_a_failed_attempt_and_remember_follows_the_default() {
    let (e, _) = us_env(&[
        ("SECURITY_LIMIT_FAILED_PER_ACCOUNT", "3/1h"),
        ("SECURITY_DEFAULT_REMEMBER_ME", "true"),
    ]);
    let ann = e.user("ann@example.com").await;
    let ok = e
        .security
        .us_signin(Some("ann@example.com"), Some(PASSWORD), None, &client())
        .await
        .unwrap();
    assert!(ok.remember);
    let ok = e
        .security
        .us_signin(
            Some("ann@example.com"),
            Some(PASSWORD),
            Some(false),
            &client(),
        )
        .await
        .unwrap();
    assert!(!ok.remember);
    for _ in 0..3 {
        assert_eq!(
            signin(&e, Some("ann@example.com"), Some("wrong")).await,
            Err(vec![("passcode", K::InvalidPasswordCode)])
        );
    }
    // With a password, the failed password is what is signalled (by the
    // password check), not a failed passcode.
    assert!(!e.failed_authn().contains(&"passcode"));
    assert!(
        e.security
            .account_locked_until(&ann)
            .await
            .unwrap()
            .is_some()
    );
    match e
        .security
        .us_signin(Some("ann@example.com"), Some(PASSWORD), None, &client())
        .await
    {
        Err(FlowError::Limited(_)) => {}
        other => panic!("{other:?}"),
    }
    // A user without a password: the failure is a failed passcode.
    let nopw = e
        .store
        .create_user(NewUser {
            confirmed_at: Some(e.security.now()),
            ..NewUser::new("nopw@example.com", None)
        })
        .await
        .unwrap();
    let nopw = e.set_up(&nopw, "authenticator", None).await;
    assert!(
        signin(&e, Some("nopw@example.com"), Some("123456"))
            .await
            .is_err()
    );
    assert_eq!(e.failed_authn().last(), Some(&"passcode"));
    e.clock.advance(30.0);
    let code = e.code_of(&nopw, "authenticator");
    assert_eq!(
        signin(&e, Some("nopw@example.com"), Some(&code)).await,
        Ok("authenticator".into())
    );
}

#[tokio::test]
async fn without_the_password_method_a_password_is_no_passcode() {
    let (e, _) = us_env(&[("SECURITY_US_ENABLED_METHODS", r#"["email"]"#)]);
    e.user("ann@example.com").await;
    assert!(
        signin(&e, Some("ann@example.com"), Some(PASSWORD))
            .await
            .is_err()
    );
    assert_eq!(e.failed_authn().last(), Some(&"passcode"));
}

#[tokio::test]
async fn emailed_codes_count_once_and_only_after_sending() {
    let (e, _) = us_env(&[]);
    let ann = e.user("ann@example.com").await;
    let ann = e.set_up(&ann, "email", None).await;
    // Past the setup mail's window: no code is outstanding.
    e.clock.advance(300.0);
    let code = e.code_of(&ann, "email");
    assert!(
        signin(&e, Some("ann@example.com"), Some(&code))
            .await
            .is_err()
    );
    e.security
        .us_signin_send_code(Some("ann@example.com"), Some("email"), &client())
        .await
        .unwrap();
    let (kind, text) = e.mail_text("ann@example.com");
    assert_eq!(kind, MailKind::UsInstructions);
    assert_eq!(code_in(&text).as_deref(), Some(code.as_str()));
    // The magic link names the user and carries the code.
    let link = e
        .outbox
        .link_to("ann@example.com", "/us-verify-link")
        .unwrap();
    assert_eq!(
        link,
        format!(
            "https://app.example.com/us-verify-link?id={}&code={code}",
            ann.fs_uniquifier
        )
    );
    assert!(text.contains("2 minutes"), "{text}");
    assert_eq!(
        signin(&e, Some("ann@example.com"), Some(&code)).await,
        Ok("email".into())
    );
    assert!(
        signin(&e, Some("ann@example.com"), Some(&code))
            .await
            .is_err()
    );
    assert_eq!(
        e.hooks
            .signals()
            .iter()
            .filter(|s| **s == "us-security-token-sent")
            .count(),
        2
    );
}

#[tokio::test]
async fn sending_a_code_checks_the_method() {
    // Every request counts against the send budget, refused ones too.
    let (e, sms) = us_env(&[("SECURITY_LIMIT_SEND_PER_ACCOUNT", "50/1h")]);
    let ann = e.user("ann@example.com").await;
    let send = |chosen: Option<&'static str>| {
        let s = &e.security;
        async move {
            s.us_signin_send_code(Some("ann@example.com"), chosen, &client())
                .await
                .map_err(errors)
        }
    };
    for (chosen, key) in [
        (Some("password"), K::NotAValidChoice),
        (Some("authenticator"), K::NotAValidChoice),
        (None, K::UsMethodNotAvailable),
        (Some("email"), K::UsMethodNotAvailable),
        (Some("sms"), K::UsMethodNotAvailable),
    ] {
        assert_eq!(
            send(chosen).await,
            Err(vec![("chosen_method", key)]),
            "{chosen:?}"
        );
    }
    let ann = e.set_up(&ann, "sms", Some("+447911123456")).await;
    let before = sms.messages().len();
    send(Some("sms")).await.unwrap();
    assert_eq!(sms.messages().len(), before + 1);
    // The setup used this step's code, so the next step's is sent.
    let code = sms.last_code_to("+447911123456").unwrap();
    assert_eq!(
        code,
        totp_of(&e.security.us_secrets(&ann)["sms"]).code_at(T0 as i64 + 30)
    );
    // An SMS secret without a phone cannot be texted.
    e.store
        .update_user(
            ann.id,
            UserPatch {
                us_phone_number: Some(None),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        send(Some("sms")).await,
        Err(vec![("chosen_method", K::PhoneInvalid)])
    );
    // With sms no longer enabled, the stored secret is not offered.
    let (e2, _) = us_env(&[("SECURITY_US_ENABLED_METHODS", r#"["password", "email"]"#)]);
    let bo = e2.user("bo@example.com").await;
    let with_sms = User {
        us_totp_secrets: ann.us_totp_secrets.clone(),
        us_phone_number: Some("+447911123456".into()),
        ..bo
    };
    let err = e2
        .security
        .us_verify_send_code(&with_sms, Some("sms"), &client())
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("chosen_method", K::UsMethodNotAvailable)]);
}

#[tokio::test]
async fn unconfirmed_users_get_no_code_and_no_sign_in() {
    let (e, _) = us_env(&[("SECURITY_CONFIRMABLE", "true")]);
    let ann = e.user("ann@example.com").await;
    let ann = e.set_up(&ann, "email", None).await;
    e.store
        .update_user(
            ann.id,
            UserPatch {
                confirmed_at: Some(None),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    let before = e.outbox.len();
    let err = e
        .security
        .us_signin_send_code(Some("ann@example.com"), Some("email"), &client())
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("identity", K::ConfirmationRequired)]);
    assert_eq!(e.outbox.len(), before);
    assert_eq!(
        signin(&e, Some("ann@example.com"), Some(PASSWORD)).await,
        Err(vec![("identity", K::ConfirmationRequired)])
    );
}

#[tokio::test]
async fn a_code_that_cannot_be_sent_is_a_send_failure() {
    let e = env_with(&us_vars(), |b| {
        b.mailer(Arc::new(Down)).sms_sender(Arc::new(Down))
    });
    let ann = e.user("ann@example.com").await;
    for (method, phone) in [("email", None), ("sms", Some("+447911123456"))] {
        match e
            .security
            .us_start_setup(&ann, Some(method), &[], phone)
            .await
        {
            Err(FlowError::SendFailed(f)) => assert!(f.has("chosen_method", K::FailedToSendCode)),
            other => panic!("{method}: {other:?}"),
        }
    }
    // A stored email secret whose mail cannot go.
    let (ok, _) = us_env(&[]);
    let bo = ok.user("bo@example.com").await;
    let bo = ok.set_up(&bo, "email", None).await;
    let stored = User { id: ann.id, ..bo };
    e.store
        .update_user(
            ann.id,
            UserPatch {
                us_totp_secrets: Some(stored.us_totp_secrets.clone()),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    match e
        .security
        .us_signin_send_code(Some("ann@example.com"), Some("email"), &client())
        .await
    {
        Err(FlowError::SendFailed(f)) => assert!(f.has("chosen_method", K::FailedToSendCode)),
        other => panic!("{other:?}"),
    }
    match e
        .security
        .us_verify_send_code(&stored, Some("email"), &client())
        .await
    {
        Err(FlowError::SendFailed(f)) => assert!(f.has("chosen_method", K::FailedToSendCode)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn sending_is_limited_per_account() {
    let (e, _) = us_env(&[("SECURITY_LIMIT_SEND_PER_ACCOUNT", "2/1h")]);
    let ann = e.user("ann@example.com").await;
    let ann = e.set_up(&ann, "email", None).await;
    // Two requests per hour (the setup's own mail is not a request).
    for _ in 0..2 {
        e.security
            .us_verify_send_code(&ann, Some("email"), &client())
            .await
            .unwrap();
    }
    let (_, text) = e.mail_text("ann@example.com");
    assert!(
        !text.contains("/us-verify-link"),
        "no magic link to re-authenticate: {text}"
    );
    match e
        .security
        .us_verify_send_code(&ann, Some("email"), &client())
        .await
    {
        Err(FlowError::Limited(_)) => {}
        other => panic!("{other:?}"),
    }
    match e
        .security
        .us_signin_send_code(Some("ann@example.com"), Some("email"), &client())
        .await
    {
        Err(FlowError::Limited(_)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn reauthentication_takes_the_password_or_a_code_and_counts_failures() {
    let (e, _) = us_env(&[("SECURITY_LIMIT_FAILED_PER_ACCOUNT", "2/1h")]);
    let ann = e.user("ann@example.com").await;
    let ann = e.set_up(&ann, "authenticator", None).await;
    for empty in [None, Some("")] {
        let err = e
            .security
            .us_reauthenticate(&ann, empty, &client())
            .await
            .unwrap_err();
        assert_eq!(errors(err), [("passcode", K::InvalidPasswordCode)]);
    }
    e.clock.advance(100.0);
    let paa = e
        .security
        .us_reauthenticate(&ann, Some(PASSWORD), &client())
        .await
        .unwrap();
    assert_eq!(paa, T0 + 100.0);
    e.clock.advance(30.0);
    let code = e.code_of(&ann, "authenticator");
    let paa = e
        .security
        .us_reauthenticate(&ann, Some(&code), &client())
        .await
        .unwrap();
    assert_eq!(paa, T0 + 130.0);
    // A success resets the count: two more failures are needed to lock.
    let err = e
        .security
        .us_reauthenticate(&ann, Some("wrong"), &client())
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("passcode", K::InvalidPasswordCode)]);
    assert!(
        e.security
            .account_locked_until(&ann)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        e.security
            .us_reauthenticate(&ann, Some("wrong"), &client())
            .await
            .is_err()
    );
    assert!(
        e.security
            .account_locked_until(&ann)
            .await
            .unwrap()
            .is_some()
    );
    match e
        .security
        .us_reauthenticate(&ann, Some(PASSWORD), &client())
        .await
    {
        Err(FlowError::Limited(_)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_setup_needs_a_choice_or_a_deletion_of_an_active_method() {
    let (e, _) = us_env(&[]);
    let ann = e.user("ann@example.com").await;
    let bo = e.user("bo@example.com").await;
    e.set_up(&bo, "sms", Some("+447911123456")).await;
    let start = |chosen: Option<&'static str>, delete: Vec<String>, phone: Option<&'static str>| {
        let (s, ann) = (&e.security, ann.clone());
        async move {
            s.us_start_setup(&ann, chosen, &delete, phone)
                .await
                .map_err(errors)
        }
    };
    assert_eq!(
        start(None, vec![], None).await.unwrap_err(),
        [("", K::ApiError)]
    );
    assert_eq!(
        start(Some(""), vec![], None).await.unwrap_err(),
        [("", K::ApiError)]
    );
    assert_eq!(
        start(Some("password"), vec![], None).await.unwrap_err(),
        [("chosen_method", K::UsMethodNotAvailable)]
    );
    assert_eq!(
        start(Some("sms"), vec![], Some("12")).await.unwrap_err(),
        [("phone", K::PhoneInvalid)]
    );
    assert_eq!(
        start(Some("sms"), vec![], None).await.unwrap_err(),
        [("phone", K::PhoneInvalid)]
    );
    // Bo's number is his.
    assert_eq!(
        start(Some("sms"), vec![], Some("+44 7911 123456"))
            .await
            .unwrap_err(),
        [("phone", K::IdentityAlreadyAssociated)]
    );
    assert_eq!(
        start(None, vec!["sms".into()], None).await.unwrap_err(),
        [("delete_method", K::UsMethodNotAvailable)]
    );
    assert!(
        e.outbox
            .messages()
            .iter()
            .all(|(_, m)| m.to != "ann@example.com")
    );
    let started = start(Some("authenticator"), vec![], None).await.unwrap();
    assert!(started.user.is_none());
    let app = started.authenticator.unwrap();
    assert_eq!(app.username, "ann@example.com");
    let pending = started.pending.unwrap();
    assert_eq!(pending.method, "authenticator");
    assert_eq!(
        Totp::from_base32(&app.b32key).unwrap().code_at(T0 as i64),
        totp_of(pending.totp_secret.expose()).code_at(T0 as i64)
    );
}

#[tokio::test]
async fn deleting_a_method_removes_its_secret_and_phone_and_tells_the_owner() {
    let (e, _) = us_env(&[]);
    let ann = e.user("ann@example.com").await;
    let ann = e.set_up(&ann, "sms", Some("+447911123456")).await;
    let ann = e.set_up(&ann, "email", None).await;
    let out = e
        .security
        .us_start_setup(&ann, None, &["sms".to_owned()], None)
        .await
        .unwrap();
    let after = out.user.unwrap();
    assert!(out.pending.is_none());
    assert_eq!(e.security.us_active_methods(&after), ["password", "email"]);
    assert!(after.us_phone_number.is_none());
    let (kind, text) = e.mail_text("ann@example.com");
    assert_eq!(kind, MailKind::FactorRemovedNotice);
    assert!(text.contains("sms"), "{text}");
    let last = e.hooks.events().into_iter().last().unwrap();
    match last {
        Event::UsProfileChanged {
            methods, delete, ..
        } => {
            assert_eq!((methods, delete), (vec!["sms".to_owned()], true));
        }
        other => panic!("{other:?}"),
    }
    // Deleting the last one stores no secrets at all.
    let out = e
        .security
        .us_start_setup(&after, None, &["email".to_owned()], None)
        .await
        .unwrap();
    assert!(out.user.unwrap().us_totp_secrets.is_none());
    // The phone is free again.
    let bo = e.user("bo@example.com").await;
    let bo = e.set_up(&bo, "sms", Some("+447911123456")).await;
    assert_eq!(bo.us_phone_number.as_deref(), Some("+447911123456"));
}

#[tokio::test]
async fn finishing_a_setup_checks_the_passcode_once() {
    let (e, sms) = us_env(&[]);
    let ann = e.user("ann@example.com").await;
    let started = e
        .security
        .us_start_setup(&ann, Some("sms"), &[], Some("+447911123456"))
        .await
        .unwrap();
    let factor = started.pending.unwrap();
    assert_eq!(factor.phone.as_deref(), Some("+447911123456"));
    let code = sms.last_code_to("+447911123456").unwrap();
    for (given, key) in [
        (None, K::FieldRequired),
        (Some(" ".to_owned()), K::FieldRequired),
        (Some(other_than(&code)), K::InvalidPasswordCode),
    ] {
        let err = e
            .security
            .us_finish_setup(&ann, &factor, given.as_deref())
            .await
            .unwrap_err();
        assert_eq!(errors(err), [("passcode", key)]);
    }
    assert!(
        e.security
            .us_active_methods(&e.store.find_user_by_id(ann.id).await.unwrap().unwrap())
            == ["password"]
    );
    let done = e
        .security
        .us_finish_setup(&ann, &factor, Some(&code))
        .await
        .unwrap();
    assert_eq!(done.us_phone_number.as_deref(), Some("+447911123456"));
    assert_eq!(e.security.us_active_methods(&done), ["password", "sms"]);
    let (kind, _) = e.mail_text("ann@example.com");
    assert_eq!(kind, MailKind::FactorAddedNotice);
    match e.hooks.events().into_iter().last().unwrap() {
        Event::UsProfileChanged {
            methods, delete, ..
        } => {
            assert_eq!((methods, delete), (vec!["sms".to_owned()], false));
        }
        other => panic!("{other:?}"),
    }
    let err = e
        .security
        .us_finish_setup(&done, &factor, Some(&code))
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("passcode", K::InvalidPasswordCode)]);
    // A phone taken between start and finish is refused at the store.
    let bo = e.user("bo@example.com").await;
    let started = e
        .security
        .us_start_setup(&bo, Some("sms"), &[], Some("+16505551212"))
        .await
        .unwrap();
    let factor = started.pending.unwrap();
    e.store
        .update_user(
            ann.id,
            UserPatch {
                us_phone_number: Some(Some("+16505551212".into())),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    let code = sms.last_code_to("+16505551212").unwrap();
    let err = e
        .security
        .us_finish_setup(&bo, &factor, Some(&code))
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("phone", K::IdentityAlreadyAssociated)]);
    // Any other store failure is reported as what it is, not as a phone
    // that is taken: a user deleted between start and finish.
    let cy = e.user("cy@example.com").await;
    let started = e
        .security
        .us_start_setup(&cy, Some("sms"), &[], Some("+16505551313"))
        .await
        .unwrap();
    let factor = started.pending.unwrap();
    assert!(e.store.delete_user(cy.id).await.unwrap());
    let code = sms.last_code_to("+16505551313").unwrap();
    let err = e
        .security
        .us_finish_setup(&cy, &factor, Some(&code))
        .await
        .unwrap_err();
    match err {
        FlowError::Internal(inner) => {
            assert_eq!(inner.kind(), portcullis_core::ErrorKind::NotFound);
        }
        other => panic!("a missing user is no form error: {other:?}"),
    }
}

#[tokio::test]
async fn the_magic_link_is_checked_like_a_passcode() {
    let (e, _) = us_env(&[]);
    let ann = e.user("ann@example.com").await;
    let ann = e.set_up(&ann, "email", None).await;
    let id = ann.fs_uniquifier.clone();
    let link = |id: Option<&str>, code: Option<&str>| {
        let (s, id, code) = (&e.security, id.map(str::to_owned), code.map(str::to_owned));
        async move {
            s.us_verify_link(id.as_deref(), code.as_deref(), &client())
                .await
                .map(|u| u.id)
                .map_err(|r| r.0.key)
        }
    };
    assert_eq!(link(None, Some("123456")).await, Err(K::ApiError));
    assert_eq!(link(Some(&id), None).await, Err(K::ApiError));
    assert_eq!(link(Some(""), Some("123456")).await, Err(K::ApiError));
    assert_eq!(
        link(Some("nobody"), Some("123456")).await,
        Err(K::UserDoesNotExist)
    );
    // Past the setup mail's window: no code is outstanding.
    e.clock.advance(300.0);
    let code = e.code_of(&ann, "email");
    // Not sent yet: refused, and a failed passcode.
    assert_eq!(link(Some(&id), Some(&code)).await, Err(K::InvalidCode));
    assert_eq!(e.failed_authn().last(), Some(&"passcode"));
    e.security
        .us_signin_send_code(Some("ann@example.com"), Some("email"), &client())
        .await
        .unwrap();
    assert_eq!(
        link(Some(&id), Some(&other_than(&code))).await,
        Err(K::InvalidCode)
    );
    assert_eq!(link(Some(&id), Some(&code)).await, Ok(ann.id));
    assert_eq!(link(Some(&id), Some(&code)).await, Err(K::InvalidCode));
    // A user without an email secret has no link.
    let bo = e.user("bo@example.com").await;
    assert_eq!(
        link(Some(&bo.fs_uniquifier), Some(&code)).await,
        Err(K::InvalidCode)
    );
    e.deactivate(ann.id).await;
    assert_eq!(link(Some(&id), Some(&code)).await, Err(K::DisabledAccount));

    let (g, _) = us_env(&[("SECURITY_RETURN_GENERIC_RESPONSES", "true")]);
    let r = g
        .security
        .us_verify_link(Some("nobody"), Some("123456"), &client())
        .await;
    assert_eq!(r.unwrap_err().0.key, K::GenericAuthnFailed);
}

#[tokio::test]
async fn the_magic_link_stops_at_the_accounts_lock() {
    let (e, _) = us_env(&[("SECURITY_LIMIT_FAILED_PER_ACCOUNT", "2/1h")]);
    let ann = e.user("ann@example.com").await;
    let ann = e.set_up(&ann, "email", None).await;
    let id = ann.fs_uniquifier.clone();
    for _ in 0..2 {
        let r = e
            .security
            .us_verify_link(Some(&id), Some("000000"), &client())
            .await;
        assert_eq!(r.unwrap_err().0.key, K::InvalidCode);
    }
    let r = e
        .security
        .us_verify_link(Some(&id), Some("000000"), &client())
        .await;
    assert_eq!(r.unwrap_err().0.key, K::AccountLocked);
}

async fn registered(e: &Env, email: &str) -> User {
    let form = portcullis_core::flows::RegisterForm {
        email: Some(email.into()),
        password: secret(PASSWORD),
        password_confirm: secret(PASSWORD),
        username: None,
        json: false,
        fields: serde_json::Map::new(),
    };
    let r = e.security.register(form, &client()).await.unwrap();
    let id = r.user.map(|u| u.id).or(r.login.map(|l| l.user.id)).unwrap();
    e.store.find_user_by_id(id).await.unwrap().unwrap()
}

#[tokio::test]
async fn registration_sets_up_the_email_method_when_unified_sign_in_offers_it() {
    let (e, _) = us_env(&[("SECURITY_REGISTERABLE", "true")]);
    let ann = registered(&e, "ann@example.com").await;
    assert_eq!(e.security.us_active_methods(&ann), ["password", "email"]);
    // Its code works once sent.
    e.security
        .us_signin_send_code(Some("ann@example.com"), Some("email"), &client())
        .await
        .unwrap();
    let (_, text) = e.mail_text("ann@example.com");
    let code = code_in(&text).unwrap();
    assert_eq!(
        signin(&e, Some("ann@example.com"), Some(&code)).await,
        Ok("email".into())
    );
    // Without the email method, or without unified sign-in, nothing.
    let (no_email, _) = us_env(&[
        ("SECURITY_REGISTERABLE", "true"),
        (
            "SECURITY_US_ENABLED_METHODS",
            r#"["password", "authenticator"]"#,
        ),
    ]);
    let bo = registered(&no_email, "bo@example.com").await;
    assert!(bo.us_totp_secrets.is_none());
    let off = env(&[
        ("SECURITY_REGISTERABLE", "true"),
        ("SECURITY_US_ENABLED_METHODS", r#"["password", "email"]"#),
    ]);
    let cy = registered(&off, "cy@example.com").await;
    assert!(cy.us_totp_secrets.is_none());
}

#[tokio::test]
async fn only_attempts_with_a_passcode_spend_and_meet_the_budgets() {
    let (e, _) = us_env(&[
        ("SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS", "2/1h"),
        ("SECURITY_LIMIT_FAILED_PER_ADDRESS", "5/1h"),
    ]);
    e.user("ann@example.com").await;
    for _ in 0..2 {
        assert!(
            signin(&e, Some("ann@example.com"), Some("wrong"))
                .await
                .is_err()
        );
    }
    // Over the pair's budget, a request without a passcode is still only
    // a form error: nothing was tried.
    assert_eq!(
        signin(&e, Some("ann@example.com"), None).await,
        Err(vec![("passcode", K::InvalidPasswordCode)])
    );
    match e
        .security
        .us_signin(Some("ann@example.com"), Some(PASSWORD), None, &client())
        .await
    {
        Err(FlowError::Limited(_)) => {}
        other => panic!("{other:?}"),
    }
    // Unknown identities spend the address's budget (two so far, five in all).
    for who in ["x@example.com", "y@example.com", "z@example.com"] {
        assert_eq!(
            signin(&e, Some(who), Some(PASSWORD)).await,
            Err(vec![("identity", K::UsSpecifyIdentity)])
        );
    }
    e.user("bo@example.com").await;
    match e
        .security
        .us_signin(Some("bo@example.com"), Some(PASSWORD), None, &client())
        .await
    {
        Err(FlowError::Limited(_)) => {}
        other => panic!("the address is spent: {other:?}"),
    }
}
