//! Registration and email confirmation.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use portcullis_core::flows::{ClientInfo, LoginForm, RegisterForm};
use portcullis_core::validation::MemoryBreachChecker;
use portcullis_core::{MailKind, MessageKey as K, UserPatch, UserStore};

fn form(email: &str, pw: &str, confirm: &str) -> RegisterForm {
    RegisterForm {
        email: Some(email.into()),
        password: secret(pw),
        password_confirm: secret(confirm),
        username: None,
        json: false,
        fields: serde_json::Map::new(),
    }
}

#[tokio::test]
async fn register_then_confirm_then_login() {
    let e = env(&[
        ("SECURITY_CONFIRMABLE", "true"),
        ("SECURITY_TRACKABLE", "true"),
    ]);
    let r = e
        .security
        .register(
            form(" Ada@Example.COM ", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    let user = r.user.unwrap();
    assert_eq!(user.email, "Ada@example.com");
    assert!(r.login.is_none(), "confirmation comes first");
    assert!(
        user.password
            .as_ref()
            .unwrap()
            .expose()
            .starts_with("$argon2id$")
    );
    let (kind, mail) = e.outbox.last_to("Ada@example.com").unwrap();
    assert_eq!(kind, MailKind::Welcome);
    assert_eq!(mail.subject, "Welcome");
    assert!(mail.text.unwrap().contains("to confirm your email address"));
    // Unconfirmed: no login.
    let login = LoginForm {
        email: Some("ada@example.com".into()),
        password: secret(PASSWORD),
        ..LoginForm::default()
    };
    assert_eq!(
        errors(
            e.security
                .login(login.clone(), &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("email", K::ConfirmationRequired)]
    );
    // Confirm with the mailed link.
    let token = e.token_from_mail("Ada@example.com", "/confirm/");
    let c = e
        .security
        .confirm_email(&token, &ClientInfo::default())
        .await
        .unwrap();
    assert!(c.user.confirmed_at.is_some());
    assert!(c.login.is_none());
    // Reusing the link says so.
    assert_eq!(
        errors(
            e.security
                .confirm_email(&token, &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("", K::AlreadyConfirmed)]
    );
    let a = e
        .security
        .login(
            login,
            &ClientInfo {
                remote_addr: Some("192.0.2.9".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(a.user.login_count, Some(1));
    assert_eq!(a.user.current_login_ip.as_deref(), Some("192.0.2.9"));
    assert_eq!(
        e.hooks.signals(),
        ["user-registered", "user-confirmed", "user-authenticated"]
    );
}

#[tokio::test]
async fn a_required_second_factor_stops_the_automatic_login() {
    let e = env(&[
        ("SECURITY_TRACKABLE", "true"),
        ("SECURITY_TWO_FACTOR", "true"),
        ("SECURITY_TWO_FACTOR_REQUIRED", "true"),
        (
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            r#"["email", "authenticator"]"#,
        ),
        (
            "SECURITY_TOTP_SECRETS",
            r#"{"1": "flows-test-totp-secret"}"#,
        ),
        ("SECURITY_TOTP_ISSUER", "flows"),
    ]);
    let r = e
        .security
        .register(
            form("cy@example.com", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert!(r.login.is_none() && r.second_factor_due);
    // Nothing recorded: no login count, no user-authenticated.
    let stored = e
        .store
        .find_user_by_email("cy@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.login_count, None);
    assert_eq!(e.hooks.signals(), ["user-registered"]);
}

#[tokio::test]
async fn without_confirmation_registration_logs_in() {
    let e = env(&[]);
    let r = e
        .security
        .register(
            form("bo@example.com", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert!(!r.second_factor_due);
    let login = r.login.unwrap();
    assert_eq!(login.user.email, "bo@example.com");
    assert_eq!(login.fs_paa, T0);
    let mail = e.outbox.last_to("bo@example.com").unwrap().1.text.unwrap();
    assert!(
        !mail.contains("confirm"),
        "no confirmation link when not confirmable: {mail}"
    );
}

#[tokio::test]
async fn every_missing_field_is_reported_at_once() {
    let e = env(&[]);
    let err = e
        .security
        .register(RegisterForm::default(), &ClientInfo::default())
        .await
        .unwrap_err();
    assert_eq!(
        errors(err),
        [
            ("email", K::EmailNotProvided),
            ("password", K::PasswordNotProvided),
            ("password_confirm", K::PasswordNotProvided)
        ]
    );
    let err = e
        .security
        .register(
            form("not-an-email", "short", "other"),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        errors(err),
        [
            ("email", K::InvalidEmailAddress),
            ("password", K::PasswordInvalidLength),
            ("password_confirm", K::RetypePasswordMismatch)
        ]
    );
    assert!(e.outbox.is_empty());
}

#[tokio::test]
async fn password_policy_applies() {
    let e = env(&[("SECURITY_PASSWORD_COMPLEXITY_CHECKER", "zxcvbn")]);
    let err = e
        .security
        .register(
            form("z@example.com", "password1", "password1"),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("password", K::PasswordTooSimple)]);

    let (config, _) = portcullis_core::ConfigLoader::new()
        .vars([
            ("SECRET_KEY", "k"),
            ("SECURITY_PASSWORD_SALT", "s"),
            ("SECURITY_PASSWORD_CHECK_BREACHED", "true"),
        ])
        .build()
        .unwrap();
    let s = portcullis_core::Security::builder(config)
        .store(std::sync::Arc::new(portcullis_memory::MemoryStore::new()))
        .mailer(std::sync::Arc::new(portcullis_mail::MemoryOutbox::new()))
        .breach_checker(std::sync::Arc::new(MemoryBreachChecker::new([(
            "Breached-Passw0rd!",
            12,
        )])))
        .build()
        .unwrap();
    let err = s
        .register(
            form("h@example.com", "Breached-Passw0rd!", "Breached-Passw0rd!"),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("password", K::PasswordBreached)]);
}

#[tokio::test]
async fn duplicate_registration_is_refused_in_detail() {
    let e = env(&[]);
    e.user("dup@example.com").await;
    let err = e
        .security
        .register(
            form("DUP@example.com", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();
    let f = match err {
        portcullis_core::FlowError::Form(f) => f,
        other => panic!("{other:?}"),
    };
    assert!(f.has("email", K::EmailAlreadyAssociated));
    assert_eq!(
        f.render(e.security.messages())[0].1,
        "DUP@example.com is already associated with an account."
    );
    assert_eq!(
        e.store.list_users(&Default::default()).await.unwrap().len(),
        1
    );
}

#[tokio::test]
async fn duplicate_registration_with_generic_responses_looks_like_success() {
    let e = env(&[
        ("SECURITY_RETURN_GENERIC_RESPONSES", "true"),
        ("SECURITY_RECOVERABLE", "true"),
    ]);
    let owner = e.user("owner@example.com").await;
    let r = e
        .security
        .register(
            form("Owner@example.com", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert!(r.user.is_none() && r.login.is_none());
    assert_eq!(
        e.store.list_users(&Default::default()).await.unwrap().len(),
        1
    );
    let (kind, mail) = e.outbox.last_to(&owner.email).unwrap();
    assert_eq!(kind, MailKind::WelcomeExisting);
    assert!(
        mail.text
            .unwrap()
            .contains("https://app.example.com/reset/")
    );
    assert_eq!(e.hooks.signals(), ["user-not-registered"]);
    // The same answer for a fresh address, except that a user now exists.
    let r = e
        .security
        .register(
            form("fresh@example.com", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert!(r.user.is_some());
}

#[tokio::test]
async fn usernames_are_validated_and_unique() {
    let e = env(&[
        ("SECURITY_USERNAME_ENABLE", "true"),
        ("SECURITY_USERNAME_REQUIRED", "true"),
    ]);
    let mut f = form("u1@example.com", PASSWORD, PASSWORD);
    assert_eq!(
        errors(
            e.security
                .register(f.clone(), &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("username", K::UsernameNotProvided)]
    );
    f.username = Some("bad name!".into());
    assert_eq!(
        errors(
            e.security
                .register(f.clone(), &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("username", K::UsernameDisallowedCharacters)]
    );
    f.username = Some("alice".into());
    e.security
        .register(f, &ClientInfo::default())
        .await
        .unwrap();
    let mut g = form("u2@example.com", PASSWORD, PASSWORD);
    g.username = Some("ALICE".into());
    assert_eq!(
        errors(
            e.security
                .register(g, &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("username", K::UsernameAlreadyAssociated)]
    );
    // Login by username.
    let a = e
        .security
        .login(
            LoginForm {
                username: Some("alice".into()),
                password: secret(PASSWORD),
                ..LoginForm::default()
            },
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert_eq!(a.user.email, "u1@example.com");
}

#[tokio::test]
async fn confirmation_links_expire_and_resist_tampering() {
    let e = env(&[("SECURITY_CONFIRMABLE", "true")]);
    e.security
        .register(
            form("late@example.com", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    let token = e.token_from_mail("late@example.com", "/confirm/");
    let mut tampered = token.clone();
    tampered.insert(3, 'x');
    assert_eq!(
        errors(
            e.security
                .confirm_email(&tampered, &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("", K::InvalidConfirmationToken)]
    );
    assert_eq!(
        errors(
            e.security
                .confirm_email("garbage", &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("", K::InvalidConfirmationToken)]
    );
    e.clock.advance(2.0 * 86400.0 + 1.0);
    let err = e
        .security
        .confirm_email(&token, &ClientInfo::default())
        .await
        .unwrap_err();
    assert_eq!(errors(err), [("", K::ConfirmationExpired)]);
    // Ask for a new link; it works.
    e.security
        .send_confirmation(Some("late@example.com"), &Default::default())
        .await
        .unwrap();
    assert_eq!(
        e.outbox.last_to("late@example.com").unwrap().0,
        MailKind::ConfirmationInstructions
    );
    let fresh = e.token_from_mail("late@example.com", "/confirm/");
    e.security
        .confirm_email(&fresh, &ClientInfo::default())
        .await
        .unwrap();
    assert_eq!(
        errors(
            e.security
                .send_confirmation(Some("late@example.com"), &Default::default())
                .await
                .unwrap_err()
        ),
        [("email", K::AlreadyConfirmed)]
    );
    assert_eq!(
        errors(
            e.security
                .send_confirmation(Some("nobody@example.com"), &Default::default())
                .await
                .unwrap_err()
        ),
        [("email", K::UserDoesNotExist)]
    );
    assert_eq!(
        errors(
            e.security
                .send_confirmation(None, &Default::default())
                .await
                .unwrap_err()
        ),
        [("email", K::EmailNotProvided)]
    );
}

#[tokio::test]
async fn a_confirmation_link_dies_when_the_email_changes() {
    let e = env(&[("SECURITY_CONFIRMABLE", "true")]);
    let u = e
        .security
        .register(
            form("old@example.com", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap()
        .user
        .unwrap();
    let token = e.token_from_mail("old@example.com", "/confirm/");
    e.store
        .update_user(
            u.id,
            UserPatch {
                email: Some("new@example.com".into()),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        errors(
            e.security
                .confirm_email(&token, &ClientInfo::default())
                .await
                .unwrap_err()
        ),
        [("", K::InvalidConfirmationToken)]
    );
}

#[tokio::test]
async fn auto_login_after_confirm() {
    let e = env(&[
        ("SECURITY_CONFIRMABLE", "true"),
        ("SECURITY_AUTO_LOGIN_AFTER_CONFIRM", "true"),
    ]);
    e.security
        .register(
            form("auto@example.com", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    let token = e.token_from_mail("auto@example.com", "/confirm/");
    assert!(
        e.security
            .confirm_email(&token, &ClientInfo::default())
            .await
            .unwrap()
            .login
            .is_some()
    );
}

/// Registration hashes the password on the configured CPU pool.
#[tokio::test]
async fn register_hashes_on_the_cpu_pool() {
    use std::sync::atomic::Ordering;
    let e = env(&[("SECURITY_REGISTERABLE", "true")]);
    let before = e.cpu.0.load(Ordering::SeqCst);
    e.security
        .register(
            form("pooled@example.com", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert_eq!(e.cpu.0.load(Ordering::SeqCst) - before, 1, "one hash");
}

/// The application's registration fields (Flask-Security's documents:
/// `first_name`, `last_name`): read from the form, validated, stored in
/// the user's application fields, shown by the payload hook.
fn with_names(
    b: portcullis_core::flows::SecurityBuilder,
) -> portcullis_core::flows::SecurityBuilder {
    use portcullis_core::flows::RegisterField;
    b.register_field("first_name", RegisterField::text(10).required())
        .register_field("last_name", RegisterField::text(10))
        .register_field(
            "age",
            RegisterField::custom(|v| match v {
                serde_json::Value::Number(_) => Ok(v.clone()),
                serde_json::Value::String(s) => s
                    .trim()
                    .parse::<i64>()
                    .map(serde_json::Value::from)
                    .map_err(|_| "Not a valid integer value.".to_owned()),
                _ => Err("Not a valid integer value.".to_owned()),
            }),
        )
        .security_payload(|u| {
            let mut p = serde_json::Map::new();
            p.insert("email".into(), u.email.clone().into());
            for k in ["first_name", "last_name"] {
                if let Some(v) = u.fields.get(k) {
                    p.insert(k.into(), v.clone());
                }
            }
            p
        })
}

fn named(email: &str, fields: serde_json::Value) -> RegisterForm {
    RegisterForm {
        fields: fields.as_object().cloned().unwrap(),
        ..form(email, PASSWORD, PASSWORD)
    }
}

#[tokio::test]
async fn registration_stores_the_applications_fields() {
    let e = env_with(&[], with_names);
    let r = e
        .security
        .register(
            named(
                "ada@example.com",
                serde_json::json!({"first_name": "Ada", "last_name": "Lovelace", "age": "36", "nickname": "ignored"}),
            ),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    let user = r.user.unwrap();
    let want = serde_json::json!({"first_name": "Ada", "last_name": "Lovelace", "age": 36});
    assert_eq!(serde_json::Value::Object(user.fields.clone()), want);
    let stored = e
        .store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(serde_json::Value::Object(stored.fields.clone()), want);
    assert_eq!(
        serde_json::Value::Object(e.security.security_payload(&stored)),
        serde_json::json!({"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"})
    );
    // Optional fields may be left out (or blank): nothing is stored for them.
    let r = e
        .security
        .register(
            named(
                "bob@example.com",
                serde_json::json!({"first_name": "Bob", "last_name": "  "}),
            ),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(r.user.unwrap().fields),
        serde_json::json!({"first_name": "Bob"})
    );
}

#[tokio::test]
async fn registration_field_errors_come_with_the_others_and_store_nothing() {
    let e = env_with(&[], with_names);
    for (fields, want) in [
        (
            serde_json::json!({}),
            vec![("first_name", K::FieldRequired)],
        ),
        (
            serde_json::json!({"first_name": ""}),
            vec![("first_name", K::FieldRequired)],
        ),
        (
            serde_json::json!({"first_name": "Augusta-Ada", "age": "old"}),
            vec![("first_name", K::AppFieldError), ("age", K::AppFieldError)],
        ),
        (
            serde_json::json!({"first_name": 7}),
            vec![("first_name", K::AppFieldError)],
        ),
    ] {
        let err = e
            .security
            .register(
                named("ada@example.com", fields.clone()),
                &ClientInfo::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(errors(err), want, "{fields}");
        assert!(
            e.store
                .find_user_by_email("ada@example.com")
                .await
                .unwrap()
                .is_none()
        );
    }
    // The validator's text is the field's message.
    let err = e
        .security
        .register(
            named(
                "ada@example.com",
                serde_json::json!({"first_name": "Augusta-Ada"}),
            ),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();
    let rendered = err.form_errors().unwrap().render(e.security.messages());
    assert_eq!(
        rendered,
        vec![(
            "first_name",
            "Field cannot be longer than 10 characters.".to_owned()
        )]
    );
    // With the form's own errors, all at once (as Flask-Security validates).
    let mut f = named("not-an-email", serde_json::json!({}));
    f.password = None;
    let fields: Vec<&str> = errors(
        e.security
            .register(f, &ClientInfo::default())
            .await
            .unwrap_err(),
    )
    .into_iter()
    .map(|(f, _)| f)
    .collect();
    assert_eq!(
        fields,
        ["email", "password", "password_confirm", "first_name"]
    );
}

#[test]
fn registration_fields_are_checked_at_build() {
    use portcullis_core::flows::RegisterField;
    for (name, why) in [
        ("email", "has email already"),
        ("password_confirm", "has password_confirm already"),
        ("fs_uniquifier", "Flask-Security's own"),
        ("first name", "letters, digits"),
    ] {
        let (config, _) = portcullis_core::ConfigLoader::new()
            .vars([("SECRET_KEY", "k"), ("SECURITY_PASSWORD_SALT", "s")])
            .build()
            .unwrap();
        let err = portcullis_core::Security::builder(config)
            .store(std::sync::Arc::new(portcullis_memory::MemoryStore::new()))
            .mailer(std::sync::Arc::new(portcullis_mail::MemoryOutbox::new()))
            .register_field(name, RegisterField::text(5))
            .build()
            .unwrap_err();
        assert!(err.to_string().contains(why), "{name}: {err}");
    }
}

/// An internationalised domain is one address however it is typed: the
/// Punycode form, capitals and full-width dots all register and log in as
/// `email_validator` normalises them (`joe@bücher.de`), which is what a
/// Flask-Security database holds.
#[tokio::test]
async fn an_idn_address_is_stored_and_found_in_its_unicode_form() {
    let e = env(&[]);
    let r = e
        .security
        .register(
            form("joe@XN--BCHER-KVA.DE", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert_eq!(r.user.unwrap().email, "joe@bücher.de");
    for typed in [
        "joe@bücher.de",
        "Joe@BÜCHER.DE",
        "joe@xn--bcher-kva.de",
        "joe@bücher。de",
    ] {
        let login = LoginForm {
            email: Some(typed.into()),
            password: secret(PASSWORD),
            ..LoginForm::default()
        };
        let user = e
            .security
            .login(login, &ClientInfo::default())
            .await
            .unwrap_or_else(|err| panic!("{typed}: {err:?}"));
        assert_eq!(user.user.email, "joe@bücher.de", "{typed}");
    }
    // The same address in another spelling is taken.
    let again = e
        .security
        .register(
            form("joe@bücher.de", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(errors(again), vec![("email", K::EmailAlreadyAssociated)]);
}

/// `SECURITY_EMAIL_VALIDATOR_ARGS` reaches registration: `.test` domains
/// are special-use and refused, unless `test_environment` is on.
#[tokio::test]
async fn email_validator_args_decide_what_registers() {
    let refused = env(&[])
        .security
        .register(
            form("ann@shop.test", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(errors(refused), vec![("email", K::InvalidEmailAddress)]);
    let e = env(&[(
        "SECURITY_EMAIL_VALIDATOR_ARGS",
        r#"{"test_environment": true}"#,
    )]);
    let r = e
        .security
        .register(
            form("ann@shop.test", PASSWORD, PASSWORD),
            &ClientInfo::default(),
        )
        .await
        .unwrap();
    assert_eq!(r.user.unwrap().email, "ann@shop.test");
}

/// `SECURITY_USE_REGISTER_V2 = False` brings back Flask-Security's legacy
/// forms: `ConfirmRegisterForm` (JSON, or confirmable) has no password
/// confirmation; `RegisterForm` (a form, not confirmable) needs one unless
/// unified sign-in is on, where it is checked only when given.
#[tokio::test]
async fn legacy_register_forms_ask_for_the_confirmation_as_flask_security_did() {
    let register = |e: &Env, email: &str, confirm: &str, json: bool| {
        let security = e.security.clone();
        let f = RegisterForm {
            json,
            ..form(email, PASSWORD, confirm)
        };
        async move { security.register(f, &ClientInfo::default()).await }
    };
    let legacy = [("SECURITY_USE_REGISTER_V2", "false")];
    // A form, not confirmable: RegisterForm, confirmation required.
    let e = env(&legacy);
    let err = register(&e, "a@lp.com", "", false).await.unwrap_err();
    assert_eq!(
        errors(err),
        vec![("password_confirm", K::PasswordNotProvided)]
    );
    let err = register(&e, "a@lp.com", "Other-Horse-Battery-9", false)
        .await
        .unwrap_err();
    assert_eq!(
        errors(err),
        vec![("password_confirm", K::RetypePasswordMismatch)]
    );
    // JSON: ConfirmRegisterForm, whatever the confirmation says.
    assert!(register(&e, "a@lp.com", "", true).await.is_ok());
    assert!(register(&e, "b@lp.com", "ignored", true).await.is_ok());
    // Confirmable: ConfirmRegisterForm for forms too.
    let e = env(&[legacy[0], ("SECURITY_CONFIRMABLE", "true")]);
    assert!(register(&e, "c@lp.com", "", false).await.is_ok());
    // Unified sign-in: RegisterForm's confirmation is optional, but must match.
    let e = env(&[
        legacy[0],
        ("SECURITY_UNIFIED_SIGNIN", "true"),
        ("SECURITY_TOTP_SECRETS", TOTP_SECRETS),
        ("SECURITY_TOTP_ISSUER", "flows"),
        ("SECURITY_US_ENABLED_METHODS", r#"["password", "email"]"#),
    ]);
    assert!(register(&e, "d@lp.com", "", false).await.is_ok());
    let err = register(&e, "e@lp.com", "Other-Horse-Battery-9", false)
        .await
        .unwrap_err();
    assert_eq!(
        errors(err),
        vec![("password_confirm", K::RetypePasswordMismatch)]
    );
    // RegisterFormV2 (the default) requires it from JSON clients too.
    let err = register(&env(&[]), "f@lp.com", "", true).await.unwrap_err();
    assert_eq!(
        errors(err),
        vec![("password_confirm", K::PasswordNotProvided)]
    );
}
