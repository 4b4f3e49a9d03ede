//! Two-factor authentication at the core, without a web layer: the setup
//! choices and their refusals, codes by mail, SMS and authenticator with
//! each method's own window and single-use scope, a wrong login code
//! counted against the account, disabling, the rescue options, when a
//! second factor is due, and the notices and signals of each step.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::*;
use portcullis_core::crypto::totp::Totp;
use portcullis_core::events::Event;
use portcullis_core::flows::{
    AuthenticatorSetup, ClientInfo, PendingFactor, TfRescue, TfSetupStarted,
};
use portcullis_core::{
    Clock, FlowError, MailKind, MessageKey as K, SecretString, User, UserPatch, UserStore,
};
use portcullis_mail::MemorySms;

/// Each method its own window, so a mix-up between them shows.
fn tf_vars() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SECURITY_TWO_FACTOR", "true"),
        (
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            r#"["email", "authenticator", "sms"]"#,
        ),
        ("SECURITY_TOTP_SECRETS", TOTP_SECRETS),
        ("SECURITY_TOTP_ISSUER", "flows"),
        ("SECURITY_TWO_FACTOR_AUTHENTICATOR_VALIDITY", "30"),
        ("SECURITY_TWO_FACTOR_MAIL_VALIDITY", "300"),
        ("SECURITY_TWO_FACTOR_SMS_VALIDITY", "90"),
    ]
}

fn tf_env(extra: &[(&'static str, &'static str)]) -> (Env, Arc<MemorySms>) {
    let mut vars = tf_vars();
    vars.extend_from_slice(extra);
    let sms = Arc::new(MemorySms::new());
    let texts = sms.clone();
    (env_with(&vars, move |b| b.sms_sender(texts)), sms)
}

impl Env {
    /// The code in the last mail to `to`, and that mail's kind.
    fn mailed_code(&self, to: &str) -> (MailKind, String) {
        let (kind, mail) = self.outbox.last_to(to).expect("a mail");
        (
            kind,
            code_in(mail.text.as_deref().unwrap_or_default()).expect("a code"),
        )
    }

    /// Sends `user` their emailed code (their stored secret's) and reads it
    /// from the mail.
    async fn email_code_sent(&self, user: &User) -> String {
        let secret = user.tf_totp_secret.as_ref().unwrap().expose();
        self.security
            .tf_send_code(user, "email", secret, None)
            .await
            .unwrap();
        self.mailed_code(&user.email).1
    }

    fn kinds(&self) -> Vec<MailKind> {
        self.outbox.messages().into_iter().map(|(k, _)| k).collect()
    }

    /// A factor `/tf-setup` started (and the authenticator values, if any).
    async fn pending(
        &self,
        user: &User,
        setup: Option<&str>,
        phone: Option<&str>,
    ) -> (PendingFactor, Option<Box<AuthenticatorSetup>>) {
        match self.security.tf_start_setup(user, setup, phone).await {
            Ok(TfSetupStarted::Pending {
                factor,
                authenticator,
            }) => (factor, authenticator),
            other => panic!("a pending factor: {other:?}"),
        }
    }

    /// `user` with a stored two-factor `method` (a fresh secret).
    async fn with_factor(&self, user: &User, method: &str) -> User {
        let (factor, _) = self.pending(user, Some("authenticator"), None).await;
        let patch = UserPatch {
            tf_primary_method: Some(Some(method.to_owned())),
            tf_totp_secret: Some(Some(factor.totp_secret.clone())),
            ..UserPatch::default()
        };
        self.store.update_user(user.id, patch).await.unwrap()
    }
}

fn form_keys(e: FlowError) -> Vec<(&'static str, K)> {
    errors(e)
}

#[tokio::test]
async fn the_setup_offers_the_enabled_methods_and_disable_only_when_optional() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    assert_eq!(
        e.security.tf_available_methods(&ann),
        ["email", "authenticator", "sms"]
    );
    let ann = e.with_factor(&ann, "authenticator").await;
    assert_eq!(
        e.security.tf_available_methods(&ann),
        ["disable", "email", "authenticator", "sms"]
    );
    // Unknown choices are refused, and nothing is mailed.
    for bad in [None, Some(""), Some("carrier-pigeon"), Some("webauthn")] {
        let err = e
            .security
            .tf_start_setup(&ann, bad, None)
            .await
            .unwrap_err();
        assert_eq!(form_keys(err), [("setup", K::TwoFactorMethodNotAvailable)]);
    }
    assert!(e.outbox.is_empty());

    let (req, _) = tf_env(&[("SECURITY_TWO_FACTOR_REQUIRED", "true")]);
    let bo = req.user("bo@example.com").await;
    let bo = req.with_factor(&bo, "authenticator").await;
    assert_eq!(
        req.security.tf_available_methods(&bo),
        ["email", "authenticator", "sms"]
    );
    let err = req
        .security
        .tf_start_setup(&bo, Some("disable"), None)
        .await
        .unwrap_err();
    assert_eq!(form_keys(err), [("setup", K::TwoFactorMethodNotAvailable)]);
    assert_eq!(
        req.store
            .find_user_by_id(bo.id)
            .await
            .unwrap()
            .unwrap()
            .tf_primary_method
            .as_deref(),
        Some("authenticator")
    );
}

#[tokio::test]
async fn mail_is_emails_old_name_only_when_email_is_enabled() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    let (factor, authenticator) = e.pending(&ann, Some("mail"), None).await;
    assert_eq!(factor.method, "email");
    assert!(authenticator.is_none());
    let (kind, code) = e.mailed_code("ann@example.com");
    assert_eq!(kind, MailKind::TwoFactorInstructions);
    assert_eq!(
        code,
        totp_of(factor.totp_secret.expose()).code_at(T0 as i64)
    );
    assert_eq!(e.hooks.signals(), ["tf-security-token-sent"]);

    let only_app = env(&[
        ("SECURITY_TWO_FACTOR", "true"),
        (
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            r#"["authenticator"]"#,
        ),
        ("SECURITY_TOTP_SECRETS", TOTP_SECRETS),
        ("SECURITY_TOTP_ISSUER", "flows"),
    ]);
    let bo = only_app.user("bo@example.com").await;
    for choice in ["mail", "email", "sms"] {
        let err = only_app
            .security
            .tf_start_setup(&bo, Some(choice), None)
            .await
            .unwrap_err();
        assert_eq!(form_keys(err), [("setup", K::TwoFactorMethodNotAvailable)]);
    }
    assert!(only_app.outbox.is_empty());
}

#[tokio::test]
async fn an_sms_factor_needs_a_valid_phone_and_texts_the_code() {
    let (e, sms) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    for bad in [None, Some(""), Some("   "), Some("12"), Some("not a phone")] {
        let err = e
            .security
            .tf_start_setup(&ann, Some("sms"), bad)
            .await
            .unwrap_err();
        assert_eq!(form_keys(err), [("phone", K::PhoneInvalid)], "{bad:?}");
    }
    assert!(sms.messages().is_empty());
    let (factor, _) = e
        .pending(&ann, Some("sms"), Some(" +44 7911 123456 "))
        .await;
    assert_eq!(factor.phone.as_deref(), Some("+447911123456"));
    let code = sms.last_code_to("+447911123456").expect("a text");
    assert_eq!(
        code,
        totp_of(factor.totp_secret.expose()).code_at(T0 as i64)
    );
    // The code stores the factor with its phone.
    let stored = e
        .security
        .tf_finish_setup(&ann, &factor, Some(&code), false)
        .await
        .unwrap();
    assert_eq!(stored.tf_primary_method.as_deref(), Some("sms"));
    assert_eq!(stored.tf_phone_number.as_deref(), Some("+447911123456"));
}

#[tokio::test]
async fn a_code_that_cannot_be_sent_is_a_send_failure_on_setup() {
    let e = env_with(&tf_vars(), |b| {
        b.mailer(Arc::new(Down)).sms_sender(Arc::new(Down))
    });
    let ann = e.user("ann@example.com").await;
    for (method, phone) in [("email", None), ("sms", Some("+447911123456"))] {
        match e.security.tf_start_setup(&ann, Some(method), phone).await {
            Err(FlowError::SendFailed(f)) => {
                assert!(f.has("setup", K::FailedToSendCode), "{method}");
            }
            other => panic!("{method}: {other:?}"),
        }
    }
    // The authenticator sends nothing, so it starts.
    assert!(
        e.security
            .tf_start_setup(&ann, Some("authenticator"), None)
            .await
            .is_ok()
    );
    assert!(e.hooks.signals().is_empty());
}

#[tokio::test]
async fn finishing_a_setup_checks_the_code_once_and_says_where_it_came_from() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    let (factor, authenticator) = e.pending(&ann, Some("authenticator"), None).await;
    let app = authenticator.unwrap();
    assert_eq!(
        (app.issuer.as_str(), app.username.as_str()),
        ("flows", "ann@example.com")
    );
    assert!(app.uri.starts_with("otpauth://totp/"), "{}", app.uri);
    assert!(app.qr_svg.starts_with("data:image/svg+xml;base64,"));
    let code = Totp::from_base32(&app.b32key).unwrap().code_at(T0 as i64);
    assert_eq!(
        code,
        totp_of(factor.totp_secret.expose()).code_at(T0 as i64)
    );
    let wrong = other_than(&code);
    for (given, key) in [
        (None, K::FieldRequired),
        (Some("  "), K::FieldRequired),
        (Some(wrong.as_str()), K::TwoFactorInvalidToken),
    ] {
        let err = e
            .security
            .tf_finish_setup(&ann, &factor, given, false)
            .await
            .unwrap_err();
        assert_eq!(form_keys(err), [("code", key)]);
    }
    // A wrong code at setup is not a failed sign-in.
    assert!(e.hooks.signals().is_empty());
    assert!(
        e.store
            .find_user_by_id(ann.id)
            .await
            .unwrap()
            .unwrap()
            .tf_primary_method
            .is_none()
    );
    let stored = e
        .security
        .tf_finish_setup(&ann, &factor, Some(&code), false)
        .await
        .unwrap();
    assert_eq!(stored.tf_primary_method.as_deref(), Some("authenticator"));
    assert_eq!(stored.tf_totp_secret, Some(factor.totp_secret.clone()));
    assert_eq!(e.hooks.signals(), ["tf-profile-changed"]);
    assert_eq!(e.kinds(), [MailKind::FactorAddedNotice]);
    // The same code again is refused: it was used.
    let err = e
        .security
        .tf_finish_setup(&stored, &factor, Some(&code), true)
        .await
        .unwrap_err();
    assert_eq!(form_keys(err), [("code", K::TwoFactorInvalidToken)]);
    // At login, the next code confirms rather than changes the profile.
    e.clock.advance(30.0);
    let next = totp_of(factor.totp_secret.expose()).code_at(T0 as i64 + 30);
    e.security
        .tf_finish_setup(&stored, &factor, Some(&next), true)
        .await
        .unwrap();
    assert_eq!(
        e.hooks.signals(),
        ["tf-profile-changed", "tf-code-confirmed"]
    );
}

#[tokio::test]
async fn notices_follow_the_setting() {
    let (e, _) = tf_env(&[("SECURITY_SEND_SECURITY_NOTICE_EMAIL", "false")]);
    let ann = e.user("ann@example.com").await;
    let ann = e.with_factor(&ann, "authenticator").await;
    let off = e.security.tf_disable(&ann).await.unwrap();
    assert!(off.tf_primary_method.is_none());
    assert!(e.outbox.is_empty());
    assert_eq!(e.hooks.signals(), ["tf-disabled"]);
}

#[tokio::test]
async fn disabling_clears_the_factor_and_tells_the_owner_which() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    let (factor, _) = e.pending(&ann, Some("sms"), Some("+447911123456")).await;
    let code = totp_of(factor.totp_secret.expose()).code_at(T0 as i64);
    let ann = e
        .security
        .tf_finish_setup(&ann, &factor, Some(&code), false)
        .await
        .unwrap();
    assert!(e.security.tf_required(&ann, None).await.unwrap());
    let TfSetupStarted::Disabled(off) = e
        .security
        .tf_start_setup(&ann, Some("disable"), None)
        .await
        .unwrap()
    else {
        panic!("disabled");
    };
    assert!(off.tf_primary_method.is_none());
    assert!(off.tf_totp_secret.is_none());
    assert!(off.tf_phone_number.is_none());
    assert!(!e.security.tf_required(&off, None).await.unwrap());
    let (kind, mail) = e.outbox.last_to("ann@example.com").unwrap();
    assert_eq!(kind, MailKind::FactorRemovedNotice);
    assert!(mail.text.unwrap_or_default().contains("sms"));
    assert_eq!(
        e.hooks.signals(),
        [
            "tf-security-token-sent",
            "tf-profile-changed",
            "tf-disabled"
        ]
    );
}

#[tokio::test]
async fn each_method_has_its_own_window() {
    // authenticator: 30 s; email: 300 s; sms: 90 s (tf_vars).
    for (method, fresh, stale) in [
        ("authenticator", 0, 90),
        ("google_authenticator", 0, 90),
        ("email", 240, 390),
        ("mail", 240, 390),
        ("sms", 60, 150),
    ] {
        let (e, _) = tf_env(&[]);
        let user = e.user("ann@example.com").await;
        let user = e.with_factor(&user, method).await;
        let secret = user.tf_totp_secret.clone().unwrap();
        let totp = totp_of(secret.expose());
        // Codes by mail or text count only once one was sent.
        if !method.ends_with("authenticator") {
            let m = if method == "mail" { "email" } else { method };
            e.security
                .tf_send_code(&user, m, secret.expose(), Some("+447911123456"))
                .await
                .unwrap();
        }
        let now = T0 as i64;
        let old = totp.code_at(now - stale);
        let err = e.security.tf_check_login_code(&user, Some(&old)).await;
        assert!(err.is_err(), "{method}: a code {stale} s old is refused");
        let recent = totp.code_at(now - fresh);
        e.security
            .tf_check_login_code(&user, Some(&recent))
            .await
            .unwrap_or_else(|err| panic!("{method}: a code {fresh} s old is good: {err:?}"));
    }
}

#[tokio::test]
async fn a_step_used_by_one_method_is_still_free_for_the_others() {
    let (e, sms) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    let ann = e.with_factor(&ann, "email").await;
    let secret = ann.tf_totp_secret.clone().unwrap();
    let mailed = e.email_code_sent(&ann).await;
    assert_eq!(mailed, totp_of(secret.expose()).code_at(T0 as i64));
    e.security
        .tf_check_login_code(&ann, Some(&mailed))
        .await
        .unwrap();
    // In the same 30 s: a new SMS factor is texted this step's code, not
    // the next one's, as the email scope's use is not the SMS scope's ...
    let (factor, _) = e.pending(&ann, Some("sms"), Some("+447911123456")).await;
    let texted = sms.last_code_to("+447911123456").unwrap();
    assert_eq!(
        texted,
        totp_of(factor.totp_secret.expose()).code_at(T0 as i64)
    );
    // ... and an authenticator's code of this step is good.
    let (factor, _) = e.pending(&ann, Some("authenticator"), None).await;
    let code = totp_of(factor.totp_secret.expose()).code_at(T0 as i64);
    e.security
        .tf_finish_setup(&ann, &factor, Some(&code), false)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_setup_state_names_one_of_the_methods() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    let (factor, _) = e.pending(&ann, Some("authenticator"), None).await;
    let pigeon = PendingFactor {
        method: "carrier-pigeon".into(),
        ..factor.clone()
    };
    let token = e.security.tf_setup_token(&pigeon);
    assert_eq!(
        e.security.tf_read_setup_token(&token).unwrap_err(),
        portcullis_core::FormErrors::form(K::ApiError)
    );
    let token = e.security.tf_setup_token(&factor);
    assert_eq!(e.security.tf_read_setup_token(&token).unwrap(), factor);
}

#[tokio::test]
async fn a_code_given_at_login_is_signalled_with_its_method() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    e.security.tf_code_confirmed(&ann, "sms").await;
    match e.hooks.events().into_iter().last().unwrap() {
        Event::TfCodeConfirmed { user, method } => {
            assert_eq!((user.id, method.as_str()), (ann.id, "sms"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_sent_code_is_remembered_for_its_methods_window_only() {
    // The record that a code was sent outlives the code by the method's
    // window (twice it plus 30 s): SMS 90 s → 210 s; email 300 s → 630 s.
    for (method, remembered) in [("sms", 210), ("email", 630)] {
        let (e, _) = tf_env(&[]);
        let user = e.user("ann@example.com").await;
        let user = e.with_factor(&user, method).await;
        let secret = user.tf_totp_secret.clone().unwrap();
        let totp = totp_of(secret.expose());
        e.security
            .tf_send_code(&user, method, secret.expose(), Some("+447911123456"))
            .await
            .unwrap();
        // Still remembered at its last second: the current code is good.
        e.clock.advance(remembered as f64 - 1.0);
        let now = e.clock.unix_time() as i64;
        e.security
            .tf_check_login_code(&user, Some(&totp.code_at(now)))
            .await
            .unwrap_or_else(|err| panic!("{method}: sent {remembered} s ago: {err:?}"));
        // Past it, a current code (one step on) was never sent: refused.
        e.clock.advance(31.0);
        let now = e.clock.unix_time() as i64;
        let err = e
            .security
            .tf_check_login_code(&user, Some(&totp.code_at(now)))
            .await
            .unwrap_err();
        assert_eq!(
            form_keys(err),
            [("code", K::TwoFactorInvalidToken)],
            "{method}"
        );
    }
}

#[tokio::test]
async fn an_unknown_method_has_no_codes() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    let ann = e.with_factor(&ann, "carrier-pigeon").await;
    let code = totp_of(ann.tf_totp_secret.as_ref().unwrap().expose()).code_at(T0 as i64);
    let err = e
        .security
        .tf_check_login_code(&ann, Some(&code))
        .await
        .unwrap_err();
    assert_eq!(form_keys(err), [("code", K::TwoFactorInvalidToken)]);
    // Without a factor there is nothing to check.
    let bo = e.user("bo@example.com").await;
    let err = e
        .security
        .tf_check_login_code(&bo, Some("123456"))
        .await
        .unwrap_err();
    assert_eq!(form_keys(err), [("code", K::TwoFactorInvalidToken)]);
}

#[tokio::test]
async fn emailed_login_codes_count_only_after_one_was_sent_and_only_once() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    let ann = e.with_factor(&ann, "email").await;
    let secret = ann.tf_totp_secret.clone().unwrap();
    let code = totp_of(secret.expose()).code_at(T0 as i64);
    // Guessed from the secret, never sent: refused.
    assert!(
        e.security
            .tf_check_login_code(&ann, Some(&code))
            .await
            .is_err()
    );
    let mailed = e.email_code_sent(&ann).await;
    assert_eq!(mailed, code);
    e.security
        .tf_check_login_code(&ann, Some(&mailed))
        .await
        .unwrap();
    assert!(
        e.security
            .tf_check_login_code(&ann, Some(&mailed))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn each_method_uses_its_codes_once_in_its_own_scope() {
    let (e, _) = tf_env(&[]);
    // Two users' codes are separate; so are two methods of one user.
    let ann = e.user("ann@example.com").await;
    let ann = e.with_factor(&ann, "authenticator").await;
    let code = totp_of(ann.tf_totp_secret.as_ref().unwrap().expose()).code_at(T0 as i64);
    e.security
        .tf_check_login_code(&ann, Some(&code))
        .await
        .unwrap();
    // The same step of a new SMS factor is still unused.
    let (factor, _) = e.pending(&ann, Some("sms"), Some("+447911123456")).await;
    let sms_code = totp_of(factor.totp_secret.expose()).code_at(T0 as i64);
    let ann = e
        .security
        .tf_finish_setup(&ann, &factor, Some(&sms_code), false)
        .await
        .unwrap();
    // ... and so is the same step of an emailed code.
    let ann = e.with_factor(&ann, "email").await;
    let mailed = e.email_code_sent(&ann).await;
    e.security
        .tf_check_login_code(&ann, Some(&mailed))
        .await
        .unwrap();
}

#[tokio::test]
async fn wrong_login_codes_are_failed_sign_ins_that_lock_the_account() {
    let (e, _) = tf_env(&[
        ("SECURITY_LIMIT_FAILED_PER_ACCOUNT", "3/1h"),
        ("SECURITY_LOCKOUT_WITHIN", "600"),
    ]);
    let ann = e.user("ann@example.com").await;
    let ann = e.with_factor(&ann, "authenticator").await;
    let code = totp_of(ann.tf_totp_secret.as_ref().unwrap().expose()).code_at(T0 as i64);
    // A missing code is a form error, not an attempt.
    for _ in 0..5 {
        let err = e
            .security
            .tf_check_login_code(&ann, None)
            .await
            .unwrap_err();
        assert_eq!(form_keys(err), [("code", K::FieldRequired)]);
    }
    assert!(
        e.security
            .account_locked_until(&ann)
            .await
            .unwrap()
            .is_none()
    );
    for _ in 0..3 {
        let err = e
            .security
            .tf_check_login_code(&ann, Some(&other_than(&code)))
            .await
            .unwrap_err();
        assert_eq!(form_keys(err), [("code", K::TwoFactorInvalidToken)]);
    }
    let failed: Vec<_> = e
        .hooks
        .events()
        .into_iter()
        .filter_map(|ev| match ev {
            Event::UserFailedAuthn { auth_type, tfa, .. } => Some((auth_type, tfa)),
            _ => None,
        })
        .collect();
    assert_eq!(failed, [("code", true); 3]);
    assert!(
        e.security
            .account_locked_until(&ann)
            .await
            .unwrap()
            .is_some()
    );
    // Locked: even the right code is refused, and not used up.
    match e.security.tf_check_login_code(&ann, Some(&code)).await {
        Err(FlowError::Limited(l)) => assert!(l.errors.entries()[0].1.key == K::AccountLocked),
        other => panic!("{other:?}"),
    }
    e.security.unlock_account(&ann).await.unwrap();
    e.security
        .tf_check_login_code(&ann, Some(&code))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_second_factor_is_due_as_the_settings_say() {
    let (e, _) = tf_env(&[("SECURITY_TWO_FACTOR_ALWAYS_VALIDATE", "false")]);
    let ann = e.user("ann@example.com").await;
    assert!(!e.security.tf_required(&ann, None).await.unwrap());
    assert!(e.security.tf_setup_methods(&ann).await.unwrap().is_empty());
    let ann = e.with_factor(&ann, "authenticator").await;
    assert_eq!(
        e.security.tf_setup_methods(&ann).await.unwrap(),
        ["authenticator"]
    );
    assert!(e.security.tf_required(&ann, None).await.unwrap());
    // A remembered device skips it, for that user only.
    let token = e.security.tf_validity_token(&ann);
    assert!(!e.security.tf_required(&ann, Some(&token)).await.unwrap());
    assert!(e.security.tf_required(&ann, Some("garbage")).await.unwrap());
    // A method without a secret (or an empty one) is not set up.
    for secret in [None, Some(SecretString::new(""))] {
        let half = User {
            tf_totp_secret: secret,
            ..ann.clone()
        };
        assert!(e.security.tf_setup_methods(&half).await.unwrap().is_empty());
        assert!(!e.security.tf_required(&half, None).await.unwrap());
    }
    let empty_method = User {
        tf_primary_method: Some(String::new()),
        ..ann.clone()
    };
    assert!(
        e.security
            .tf_setup_methods(&empty_method)
            .await
            .unwrap()
            .is_empty()
    );

    // Always validate: the remembered device does not help.
    let (always, _) = tf_env(&[("SECURITY_TWO_FACTOR_ALWAYS_VALIDATE", "true")]);
    let bo = always.user("bo@example.com").await;
    let bo = always.with_factor(&bo, "authenticator").await;
    let token = always.security.tf_validity_token(&bo);
    assert!(
        always
            .security
            .tf_required(&bo, Some(&token))
            .await
            .unwrap()
    );

    // Required: due for everyone, factor or not (unless remembered).
    let (req, _) = tf_env(&[
        ("SECURITY_TWO_FACTOR_REQUIRED", "true"),
        ("SECURITY_TWO_FACTOR_ALWAYS_VALIDATE", "false"),
    ]);
    let cy = req.user("cy@example.com").await;
    assert!(req.security.tf_required(&cy, None).await.unwrap());
    let token = req.security.tf_validity_token(&cy);
    assert!(!req.security.tf_required(&cy, Some(&token)).await.unwrap());

    // Two-factor off: a stored factor is not asked for.
    let off = env(&[("SECURITY_TOTP_SECRETS", TOTP_SECRETS)]);
    let dee = off.user("dee@example.com").await;
    let dee = User {
        tf_primary_method: ann.tf_primary_method.clone(),
        tf_totp_secret: ann.tf_totp_secret.clone(),
        ..dee
    };
    assert!(
        off.security
            .tf_setup_methods(&dee)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!off.security.tf_required(&dee, None).await.unwrap());
}

#[tokio::test]
async fn the_account_name_is_the_username_when_usernames_are_on() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    let named = User {
        username: Some("ann".into()),
        ..ann.clone()
    };
    assert_eq!(e.security.calc_username(&named), "ann@example.com");
    let (u, _) = tf_env(&[("SECURITY_USERNAME_ENABLE", "true")]);
    assert_eq!(u.security.calc_username(&named), "ann");
    let blank = User {
        username: Some(String::new()),
        ..ann.clone()
    };
    assert_eq!(u.security.calc_username(&blank), "ann@example.com");
    assert_eq!(u.security.calc_username(&ann), "ann@example.com");
}

fn client() -> ClientInfo {
    ClientInfo {
        remote_addr: Some("198.51.100.7".into()),
    }
}

#[tokio::test]
async fn the_rescue_options_follow_the_settings_and_the_prefix() {
    let (e, _) = tf_env(&[
        ("SECURITY_TWO_FACTOR_RESCUE_EMAIL", "false"),
        ("SECURITY_URL_PREFIX", "/auth/"),
    ]);
    let ann = e.user("ann@example.com").await;
    assert_eq!(
        e.security.tf_rescue_options(&ann),
        [("help", "/auth/tf-rescue".to_owned())]
    );
    assert_eq!(e.security.path("/x"), "/auth/x");
    let err = e
        .security
        .tf_rescue(&ann, Some("email"), &client())
        .await
        .unwrap_err();
    assert_eq!(form_keys(err), [("help_setup", K::NotAValidChoice)]);

    let (rc, _) = tf_env(&[("SECURITY_MULTI_FACTOR_RECOVERY_CODES", "true")]);
    let bo = rc.user("bo@example.com").await;
    assert_eq!(rc.security.path("/x"), "/x");
    assert_eq!(
        rc.security.tf_rescue_options(&bo),
        [
            ("help", "/tf-rescue".to_owned()),
            ("email", "/tf-rescue".to_owned())
        ]
    );
    rc.security.mf_generate_recovery_codes(&bo).await.unwrap();
    let bo = rc.store.find_user_by_id(bo.id).await.unwrap().unwrap();
    assert_eq!(
        rc.security.tf_rescue_options(&bo),
        [
            ("help", "/tf-rescue".to_owned()),
            ("email", "/tf-rescue".to_owned()),
            ("recovery_code", "/mf-recovery".to_owned())
        ]
    );
    assert_eq!(
        rc.security
            .tf_rescue(&bo, Some("recovery_code"), &client())
            .await
            .unwrap(),
        TfRescue::UseRecoveryCode
    );
}

#[tokio::test]
async fn a_rescue_mail_carries_the_primary_methods_code_and_help_goes_to_the_admins() {
    let (e, _) = tf_env(&[
        ("SECURITY_TWO_FACTOR_RESCUE_MAIL", "help@example.com"),
        ("SECURITY_LIMIT_SEND_PER_ACCOUNT", "3/1h"),
    ]);
    let ann = e.user("ann@example.com").await;
    let ann = e.with_factor(&ann, "authenticator").await;
    for bad in [None, Some(""), Some("phone-a-friend")] {
        let err = e
            .security
            .tf_rescue(&ann, bad, &client())
            .await
            .unwrap_err();
        assert_eq!(form_keys(err), [("help_setup", K::NotAValidChoice)]);
    }
    assert_eq!(
        e.security
            .tf_rescue(&ann, Some("email"), &client())
            .await
            .unwrap(),
        TfRescue::CodeMailed
    );
    let (kind, code) = e.mailed_code("ann@example.com");
    assert_eq!(kind, MailKind::TwoFactorInstructions);
    // The mailed code is the authenticator's, accepted once.
    e.security
        .tf_check_login_code(&ann, Some(&code))
        .await
        .unwrap();
    assert!(
        e.security
            .tf_check_login_code(&ann, Some(&code))
            .await
            .is_err()
    );

    assert_eq!(
        e.security
            .tf_rescue(&ann, Some("help"), &client())
            .await
            .unwrap(),
        TfRescue::HelpRequested
    );
    let (kind, _) = e
        .outbox
        .last_to("help@example.com")
        .expect("the admins were mailed");
    assert_eq!(kind, MailKind::TwoFactorRescue);
    // Each request counts against the send budget (three per hour here).
    e.security
        .tf_rescue(&ann, Some("help"), &client())
        .await
        .unwrap();
    match e.security.tf_rescue(&ann, Some("help"), &client()).await {
        Err(FlowError::Limited(_)) => {}
        other => panic!("{other:?}"),
    }
    // An emailed primary: the rescue code is the email method's, counted as sent.
    let bo = e.user("bo@example.com").await;
    let bo = e.with_factor(&bo, "email").await;
    e.security
        .tf_rescue(&bo, Some("email"), &client())
        .await
        .unwrap();
    let (_, code) = e.mailed_code("bo@example.com");
    e.security
        .tf_check_login_code(&bo, Some(&code))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_rescue_mail_that_cannot_be_sent_is_a_send_failure() {
    let e = env_with(&tf_vars(), |b| {
        b.mailer(Arc::new(Down)).sms_sender(Arc::new(Down))
    });
    let ann = e.user("ann@example.com").await;
    let ann = e.with_factor(&ann, "authenticator").await;
    match e.security.tf_rescue(&ann, Some("email"), &client()).await {
        Err(FlowError::SendFailed(f)) => assert!(f.has("help_setup", K::FailedToSendCode)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_pending_factor_and_the_authenticator_values_keep_the_key_out_of_debug() {
    let (e, _) = tf_env(&[]);
    let ann = e.user("ann@example.com").await;
    let (factor, authenticator) = e.pending(&ann, Some("authenticator"), None).await;
    assert_eq!(
        format!("{factor:?}"),
        r#"PendingFactor { method: "authenticator", phone: None, .. }"#
    );
    let app = authenticator.unwrap();
    assert_eq!(
        format!("{app:?}"),
        r#"AuthenticatorSetup { username: "ann@example.com", issuer: "flows", .. }"#
    );
}
