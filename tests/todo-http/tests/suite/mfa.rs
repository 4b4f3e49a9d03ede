//! Two-factor, recovery codes and unified sign-in on the todo example over
//! real TCP, switched on with Flask-Security's own settings.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use crate::on_every_backend;
use common::*;
use portcullis_core::crypto::Totp;
use serde_json::{Value, json};

const PW: &str = "Correct-Horse-Battery-9";

/// The settings the issue names, as the todo example takes them.
fn mfa_settings() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SECURITY_TWO_FACTOR", "true"),
        (
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            r#"["email","authenticator","sms"]"#,
        ),
        ("SECURITY_UNIFIED_SIGNIN", "true"),
        (
            "SECURITY_US_ENABLED_METHODS",
            r#"["password","email","authenticator","sms"]"#,
        ),
        ("SECURITY_MULTI_FACTOR_RECOVERY_CODES", "true"),
        ("SECURITY_TOTP_SECRETS", TOTP_SECRETS),
        ("SECURITY_TOTP_ISSUER", "todo-test"),
        ("SECURITY_TWO_FACTOR_ALWAYS_VALIDATE", "false"),
        (
            "SECURITY_TWO_FACTOR_VALIDITY_COOKIE",
            r#"{"httponly": true, "secure": false, "samesite": "Strict"}"#,
        ),
    ]
}

/// A code of an authenticator key that this test has not used yet: the
/// current step's, or the next unused one after it (codes are single-use,
/// so an app would show the next one 30 s later; each method's window
/// accepts a few steps ahead).
fn code_for(b32: &str) -> String {
    static USED: std::sync::Mutex<Vec<(String, i64)>> = std::sync::Mutex::new(Vec::new());
    let mut used = USED.lock().unwrap();
    let current = now().div_euclid(30);
    let last = used.iter().find(|(k, _)| k == b32).map(|(_, s)| *s);
    let step = last.map_or(current, |l| current.max(l + 1));
    used.retain(|(k, _)| k != b32);
    used.push((b32.to_owned(), step));
    Totp::from_base32(b32).unwrap().code_at(step * 30)
}

/// Six digits that no step within a day of now accepts for `b32`.
fn wrong_code(b32: &str) -> String {
    let totp = Totp::from_base32(b32).unwrap();
    let valid: Vec<String> = (-2880..=2880)
        .map(|i| totp.code_at(now() + i * 30))
        .collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .unwrap()
}

/// Registers `email`, confirms it from the mail and logs in by session.
async fn signup(srv: &Server, email: &str) -> Client {
    let mut c = Client::default();
    let r = c
        .post(
            srv,
            "/register",
            json!({"email": email, "password": PW, "password_confirm": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let link = srv.outbox.link_to(email, "/confirm/").unwrap();
    assert_eq!(c.get(srv, &path_of(&link)).await.status, 302);
    let r = c
        .post(srv, "/login", json!({"email": email, "password": PW}))
        .await;
    assert_eq!(r.json()["response"]["tf_required"], false, "{:?}", r.json());
    c
}

fn field_error(r: &Resp, field: &str) -> String {
    let j = r.json();
    j["response"]["field_errors"][field][0]
        .as_str()
        .unwrap_or_else(|| panic!("no error on {field}: {j}"))
        .to_owned()
}

on_every_backend!(authenticator_two_factor_recovery_codes_and_rescue:
    authenticator_two_factor_recovery_codes_and_rescue_on_sqlite => Backend::Sqlite,
    authenticator_two_factor_recovery_codes_and_rescue_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    authenticator_two_factor_recovery_codes_and_rescue_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    authenticator_two_factor_recovery_codes_and_rescue_on_mongodb => Backend::Mongo,
);

async fn authenticator_two_factor_recovery_codes_and_rescue(backend: Backend) {
    let Some(srv) = start_on(backend, &mfa_settings()).await else {
        return;
    };
    let mut c = signup(&srv, "ada@example.com").await;

    // Set up the authenticator: key and QR values, then its code.
    let r = c.get(&srv, "/tf-setup").await;
    assert_eq!(
        r.json()["response"]["tf_available_methods"],
        json!(["email", "authenticator", "sms"])
    );
    let r = c
        .post(&srv, "/tf-setup", json!({"setup": "authenticator"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let resp = r.json()["response"].clone();
    let b32 = resp["tf_authr_b32key"].as_str().unwrap().to_owned();
    assert_eq!(resp["tf_authr_issuer"], "todo-test");
    assert_eq!(resp["tf_authr_username"], "ada@example.com");
    assert!(
        resp["tf_authr_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/todo-test:ada@example.com?secret=")
    );
    let state = resp["tf_state_token"].as_str().unwrap().to_owned();
    let r = c
        .post(
            &srv,
            &format!("/tf-setup/{state}"),
            json!({"code": wrong_code(&b32)}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(field_error(&r, "code"), "Invalid code");
    let r = c.post(&srv, &format!("/tf-setup/{state}"), json!({})).await;
    assert_eq!(field_error(&r, "code"), "This field is required.");
    let r = c
        .post(
            &srv,
            &format!("/tf-setup/{state}"),
            json!({"code": code_for(&b32)}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["response"]["tf_method"], "authenticator");
    assert_eq!(
        c.get(&srv, "/tf-setup").await.json()["response"]["tf_method"],
        "authenticator"
    );

    // Log out, log in: the password alone is not enough.
    assert_eq!(c.post(&srv, "/logout", json!({})).await.status, 200);
    let r = c
        .post(
            &srv,
            "/login?include_auth_token",
            json!({"email": "ada@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200);
    let resp = r.json()["response"].clone();
    assert_eq!(resp["tf_required"], true);
    assert_eq!(resp["tf_state"], "ready");
    assert_eq!(resp["tf_method"], "authenticator");
    assert!(resp.get("user").is_none(), "not logged in yet");
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    let r = c
        .post(&srv, "/tf-validate", json!({"code": wrong_code(&b32)}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(field_error(&r, "code"), "Invalid code");
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    // The code as a JSON number is accepted too (IsStringOrInt) — when it
    // has no leading zero, which a number cannot carry (one code in ten).
    let code = code_for(&b32);
    let sent = match code.parse::<u64>() {
        Ok(n) if !code.starts_with('0') => json!(n),
        _ => json!(code),
    };
    let r = c
        .post(
            &srv,
            "/tf-validate?include_auth_token",
            json!({ "code": sent }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let token = r.json()["response"]["user"]["authentication_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(c.get(&srv, "/api/me").await.json()["login_count"], 2);
    let mut api = Client::default();
    assert_eq!(
        api.get_with(&srv, "/api/me", &[("Authentication-Token", &token)])
            .await
            .status,
        200
    );

    // Recovery codes: generate, read back.
    let r = c.post(&srv, "/mf-recovery-codes", json!({})).await;
    assert_eq!(r.status, 200);
    let codes: Vec<String> =
        serde_json::from_value(r.json()["response"]["recovery_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 5);
    assert_eq!(
        c.get(&srv, "/mf-recovery-codes").await.json()["response"]["recovery_codes"],
        json!(codes)
    );

    // Log in with a recovery code; the same code is refused the second time.
    c.post(&srv, "/logout", json!({})).await;
    assert_eq!(
        c.post(&srv, "/mf-recovery", json!({"code": codes[0]}))
            .await
            .status,
        400
    );
    login_needs_code(&srv, &mut c, "ada@example.com").await;
    let r = c.get(&srv, "/tf-rescue").await;
    let options = r.json()["response"]["recovery_options"].clone();
    assert_eq!(options["recovery_code"], "/mf-recovery");
    assert_eq!(options["help"], "/tf-rescue");
    let r = c
        .post(&srv, "/mf-recovery", json!({"code": "1234-5678-9abc"}))
        .await;
    assert_eq!(field_error(&r, "code"), "Recovery code invalid");
    let r = c
        .post(
            &srv,
            "/mf-recovery?include_auth_token",
            json!({"code": codes[0]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        r.json()["response"]["user"],
        json!({}),
        "never a token after a recovery code"
    );
    assert_eq!(c.get(&srv, "/api/me").await.status, 200);
    c.post(&srv, "/logout", json!({})).await;
    login_needs_code(&srv, &mut c, "ada@example.com").await;
    let r = c
        .post(&srv, "/mf-recovery", json!({"code": codes[0]}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(field_error(&r, "code"), "Recovery code invalid");
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);

    // Rescue: a code by mail (from the authenticator's secret), help from the admins.
    let r = c
        .post(&srv, "/tf-rescue", json!({"help_setup": "nonsense"}))
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .post(&srv, "/tf-rescue", json!({"help_setup": "help"}))
        .await;
    assert_eq!(r.status, 200);
    assert!(
        srv.outbox.last_to("no-reply@localhost").is_some(),
        "the administrators were mailed"
    );
    let r = c
        .post(&srv, "/tf-rescue", json!({"help_setup": "recovery_code"}))
        .await;
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/mf-recovery"));
    let r = c
        .post(&srv, "/tf-rescue", json!({"help_setup": "email"}))
        .await;
    assert_eq!(r.status, 200);
    let emailed = mailed_code(&srv, "ada@example.com");
    let r = c.post(&srv, "/tf-validate", json!({"code": emailed})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    // The rescue mail carried the authenticator's next unused code; the
    // app's next code is the one after it.
    let _ = code_for(&b32);

    // Remember this device: the validity cookie skips the second factor.
    c.post(&srv, "/logout", json!({})).await;
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "ada@example.com", "password": PW, "remember": true}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_required"], true);
    let r = c
        .post(&srv, "/tf-validate", json!({"code": code_for(&b32)}))
        .await;
    assert_eq!(r.status, 200);
    let cookie = r.headers["set-cookie"]
        .iter()
        .find(|c| c.starts_with("tf_validity="))
        .expect("validity cookie")
        .clone();
    assert!(
        cookie.contains("Max-Age=2592000") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    assert!(
        !r.body.windows(11).any(|w| w == b"tf_validity"),
        "never in the body"
    );
    c.post(&srv, "/logout", json!({})).await;
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "ada@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_required"], false);
    // A forged validity cookie does not.
    c.post(&srv, "/logout", json!({})).await;
    c.cookies
        .insert("tf_validity".into(), "forged.token.value".into());
    login_needs_code(&srv, &mut c, "ada@example.com").await;
    c.post(&srv, "/tf-validate", json!({"code": code_for(&b32)}))
        .await;

    // Disable two-factor: the password is enough again.
    let r = c.post(&srv, "/tf-setup", json!({"setup": "disable"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    c.post(&srv, "/logout", json!({})).await;
    c.cookies.remove("tf_validity");
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "ada@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_required"], false);
    srv.finish().await;
}

async fn login_needs_code(srv: &Server, c: &mut Client, email: &str) {
    let r = c
        .post(srv, "/login", json!({"email": email, "password": PW}))
        .await;
    assert_eq!(r.json()["response"]["tf_required"], true, "{:?}", r.json());
}

on_every_backend!(email_and_sms_two_factor:
    email_and_sms_two_factor_on_sqlite => Backend::Sqlite,
    email_and_sms_two_factor_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    email_and_sms_two_factor_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    email_and_sms_two_factor_on_mongodb => Backend::Mongo,
);

async fn email_and_sms_two_factor(backend: Backend) {
    let Some(srv) = start_on(backend, &mfa_settings()).await else {
        return;
    };
    let mut c = signup(&srv, "bob@example.com").await;
    let r = c.post(&srv, "/tf-setup", json!({"setup": "email"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let state = r.json()["response"]["tf_state_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = mailed_code(&srv, "bob@example.com");
    let r = c
        .post(&srv, &format!("/tf-setup/{state}"), json!({"code": code}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    c.post(&srv, "/logout", json!({})).await;
    let before = srv.outbox.len();
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "bob@example.com", "password": PW}),
        )
        .await;
    let resp = r.json()["response"].clone();
    assert_eq!(
        (resp["tf_required"].clone(), resp["tf_method"].clone()),
        (json!(true), json!("email"))
    );
    assert_eq!(srv.outbox.len(), before + 1, "the login mailed a code");
    let r = c.post(&srv, "/tf-validate", json!({"code": "12345"})).await;
    assert_eq!(r.status, 400);
    let code = mailed_code(&srv, "bob@example.com");
    let r = c.post(&srv, "/tf-validate", json!({"code": code})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(c.get(&srv, "/api/me").await.status, 200);

    // Switch to SMS: a bad number, then a good one; the code arrives by text.
    let r = c
        .post(
            &srv,
            "/tf-setup",
            json!({"setup": "sms", "phone": "call me"}),
        )
        .await;
    assert_eq!(
        field_error(&r, "phone"),
        "Phone number not valid e.g. missing country code"
    );
    let r = c
        .post(
            &srv,
            "/tf-setup",
            json!({"setup": "sms", "phone": "+44 7911 123456"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let state = r.json()["response"]["tf_state_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = srv.sms.last_code_to("+447911123456").expect("a text");
    let r = c
        .post(&srv, &format!("/tf-setup/{state}"), json!({"code": code}))
        .await;
    assert_eq!(r.json()["response"]["tf_phone"], "+447911123456");
    c.post(&srv, "/logout", json!({})).await;
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "bob@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_method"], "sms");
    let code = srv.sms.last_code_to("+447911123456").unwrap();
    assert_eq!(
        c.post(&srv, "/tf-validate", json!({"code": code}))
            .await
            .status,
        200
    );
    srv.finish().await;
}

on_every_backend!(unified_sign_in_codes_magic_link_and_setup:
    unified_sign_in_codes_magic_link_and_setup_on_sqlite => Backend::Sqlite,
    unified_sign_in_codes_magic_link_and_setup_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    unified_sign_in_codes_magic_link_and_setup_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    unified_sign_in_codes_magic_link_and_setup_on_mongodb => Backend::Mongo,
);

async fn unified_sign_in_codes_magic_link_and_setup(backend: Backend) {
    let Some(srv) = start_on(backend, &mfa_settings()).await else {
        return;
    };
    let mut carol = signup(&srv, "carol@example.com").await;
    carol.post(&srv, "/logout", json!({})).await;

    // Registration set up the email method: a code, then the sign-in.
    let mut c = Client::default();
    let r = c.get(&srv, "/us-signin").await;
    assert_eq!(
        r.json()["response"]["code_methods"],
        json!(["email", "sms"])
    );
    let r = c
        .post(
            &srv,
            "/us-signin/send-code",
            json!({"identity": "carol@example.com", "chosen_method": "email"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let code = mailed_code(&srv, "carol@example.com");
    let r = c
        .post(
            &srv,
            "/us-signin",
            json!({"identity": "carol@example.com", "passcode": wrong_email_code(&code)}),
        )
        .await;
    assert_eq!(
        field_error(&r, "passcode"),
        "Password or code submitted is not valid"
    );
    let r = c
        .post(
            &srv,
            "/us-signin?include_auth_token",
            json!({"identity": "carol@example.com", "passcode": code}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["response"]["tf_required"], false);
    assert!(r.json()["response"]["user"]["authentication_token"].is_string());
    assert_eq!(
        c.get(&srv, "/api/me").await.json()["email"],
        "carol@example.com"
    );

    // The magic link in the mail logs a new browser in.
    let mut b = Client::default();
    b.post(
        &srv,
        "/us-signin/send-code",
        json!({"identity": "carol@example.com", "chosen_method": "email"}),
    )
    .await;
    let link = srv
        .outbox
        .link_to("carol@example.com", "/us-verify-link")
        .expect("magic link");
    let r = b.get(&srv, &path_of(&link)).await;
    assert_eq!(r.status, 302);
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/?email=carol%40example.com"),
        "{:?}",
        r.header("location")
    );
    assert_eq!(b.get(&srv, "/api/me").await.status, 200);
    let mut d = Client::default();
    let r = d.get(&srv, "/us-verify-link?id=nobody&code=123456").await;
    assert_eq!(
        r.header("location"),
        Some("/login-error?error=Specified+user+does+not+exist")
    );
    let r = d.get(&srv, "/us-verify-link").await;
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/login-error?error=")
    );

    // Set up the authenticator, then sign in with its code.
    let r = c
        .post(&srv, "/us-setup", json!({"chosen_method": "authenticator"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let resp = r.json()["response"].clone();
    let b32 = resp["authr_b32key"].as_str().unwrap().to_owned();
    let state = resp["state"].as_str().unwrap().to_owned();
    let r = c
        .post(
            &srv,
            &format!("/us-setup/{state}"),
            json!({"passcode": wrong_code(&b32)}),
        )
        .await;
    assert_eq!(
        field_error(&r, "passcode"),
        "Password or code submitted is not valid"
    );
    let r = c
        .post(
            &srv,
            &format!("/us-setup/{state}"),
            json!({"passcode": code_for(&b32)}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["response"]["chosen_method"], "authenticator");
    let active = c.get(&srv, "/us-setup").await.json()["response"]["active_methods"].clone();
    assert_eq!(active, json!(["password", "email", "authenticator"]));
    // SMS: the number must be valid; the code arrives by text.
    let r = c
        .post(
            &srv,
            "/us-setup",
            json!({"chosen_method": "sms", "phone": "12"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .post(
            &srv,
            "/us-setup",
            json!({"chosen_method": "sms", "phone": "(650) 555-1212"}),
        )
        .await;
    assert_eq!(r.json()["response"]["phone"], "+16505551212");
    let state = r.json()["response"]["state"].as_str().unwrap().to_owned();
    let code = srv.sms.last_code_to("+16505551212").unwrap();
    let r = c
        .post(
            &srv,
            &format!("/us-setup/{state}"),
            json!({"passcode": code}),
        )
        .await;
    assert_eq!(r.json()["response"]["phone"], "+16505551212");
    // Re-authenticate by code.
    let r = c
        .post(&srv, "/us-verify", json!({"passcode": wrong_code(&b32)}))
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .post(&srv, "/us-verify", json!({"passcode": code_for(&b32)}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    c.post(&srv, "/logout", json!({})).await;
    let r = c
        .post(
            &srv,
            "/us-signin",
            json!({"identity": "carol@example.com", "passcode": code_for(&b32)}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    // The phone number is an identity now.
    c.post(&srv, "/logout", json!({})).await;
    let r = c
        .post(
            &srv,
            "/us-signin",
            json!({"identity": "carol@example.com", "passcode": PW}),
        )
        .await;
    assert_eq!(r.status, 200);
    // Delete a method.
    let r = c
        .post(
            &srv,
            "/us-setup",
            json!({"delete_method": ["authenticator"]}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let r = c
        .post(
            &srv,
            "/us-setup",
            json!({"delete_method": ["authenticator"]}),
        )
        .await;
    assert_eq!(
        field_error(&r, "delete_method"),
        "Requested method is not valid"
    );
    srv.finish().await;
}

fn wrong_email_code(right: &str) -> String {
    // Not the right code, and not six digits: can never match.
    format!("{right}0")
}

on_every_backend!(unified_sign_in_with_two_factor_needs_the_second_factor:
    unified_sign_in_with_two_factor_needs_the_second_factor_on_sqlite => Backend::Sqlite,
    unified_sign_in_with_two_factor_needs_the_second_factor_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    unified_sign_in_with_two_factor_needs_the_second_factor_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    unified_sign_in_with_two_factor_needs_the_second_factor_on_mongodb => Backend::Mongo,
);

async fn unified_sign_in_with_two_factor_needs_the_second_factor(backend: Backend) {
    let Some(srv) = start_on(backend, &mfa_settings()).await else {
        return;
    };
    let mut c = signup(&srv, "dan@example.com").await;
    let r = c
        .post(&srv, "/tf-setup", json!({"setup": "authenticator"}))
        .await;
    let resp = r.json()["response"].clone();
    let b32 = resp["tf_authr_b32key"].as_str().unwrap().to_owned();
    let state = resp["tf_state_token"].as_str().unwrap();
    c.post(
        &srv,
        &format!("/tf-setup/{state}"),
        json!({"code": code_for(&b32)}),
    )
    .await;
    c.post(&srv, "/logout", json!({})).await;
    // The password is in SECURITY_US_MFA_REQUIRED: two-factor follows.
    let r = c
        .post(
            &srv,
            "/us-signin",
            json!({"identity": "dan@example.com", "passcode": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_required"], true, "{:?}", r.json());
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    assert_eq!(
        c.post(&srv, "/tf-validate", json!({"code": code_for(&b32)}))
            .await
            .status,
        200
    );
    assert_eq!(c.get(&srv, "/api/me").await.status, 200);
    // A magic link with two-factor required sends the SPA to the login error view.
    let mut b = Client::default();
    b.post(
        &srv,
        "/us-signin/send-code",
        json!({"identity": "dan@example.com", "chosen_method": "email"}),
    )
    .await;
    let link = srv
        .outbox
        .link_to("dan@example.com", "/us-verify-link")
        .unwrap();
    let r = b.get(&srv, &path_of(&link)).await;
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/login-error?tf_required=1"),
        "{:?}",
        r.header("location")
    );
    assert_eq!(b.get(&srv, "/api/me").await.status, 401);
    srv.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn required_two_factor_sends_new_users_to_setup() {
    let mut settings = mfa_settings();
    settings.push(("SECURITY_TWO_FACTOR_REQUIRED", "true"));
    let srv = start_with(&settings, None).await;
    let mut c = Client::default();
    c.post(
        &srv,
        "/register",
        json!({"email": "eve@example.com", "password": PW, "password_confirm": PW}),
    )
    .await;
    let link = srv.outbox.link_to("eve@example.com", "/confirm/").unwrap();
    c.get(&srv, &path_of(&link)).await;
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "eve@example.com", "password": PW}),
        )
        .await;
    assert_eq!(
        r.json()["response"]["tf_state"],
        "setup_from_login",
        "{:?}",
        r.json()
    );
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    // No "disable" when two-factor is required.
    let r = c.post(&srv, "/tf-setup", json!({"setup": "disable"})).await;
    assert_eq!(field_error(&r, "setup"), "Marked method is not valid");
    let r = c
        .post(&srv, "/tf-setup", json!({"setup": "authenticator"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert!(
        r.json()["response"]["tf_state_token"].is_null(),
        "no state token before login"
    );
    let b32 = r.json()["response"]["tf_authr_b32key"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = c
        .post(&srv, "/tf-validate", json!({"code": code_for(&b32)}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(c.get(&srv, "/api/me").await.status, 200);
    srv.finish().await;
}

on_every_backend!(every_bad_input_is_a_4xx_envelope:
    every_bad_input_is_a_4xx_envelope_on_sqlite => Backend::Sqlite,
    every_bad_input_is_a_4xx_envelope_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    every_bad_input_is_a_4xx_envelope_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    every_bad_input_is_a_4xx_envelope_on_mongodb => Backend::Mongo,
);

async fn every_bad_input_is_a_4xx_envelope(backend: Backend) {
    let Some(srv) = start_on(backend, &mfa_settings()).await else {
        return;
    };
    let mut anon = Client::default();
    let denied = "You currently do not have permissions to access this page";
    for path in [
        "/tf-validate",
        "/tf-select",
        "/tf-rescue",
        "/mf-recovery",
        "/tf-setup",
    ] {
        let r = anon.get(&srv, path).await;
        assert_eq!(r.status, 400, "{path}");
        assert_eq!(r.json()["response"]["errors"], json!([denied]), "{path}");
        let r = anon.post(&srv, path, json!({"code": "123456"})).await;
        assert_eq!(r.status, 400, "{path}");
    }
    for path in ["/mf-recovery-codes", "/us-setup", "/us-verify"] {
        assert_eq!(anon.get(&srv, path).await.status, 401, "{path}");
    }
    assert_eq!(
        anon.post(&srv, "/tf-setup/garbage", json!({"code": "1"}))
            .await
            .status,
        401
    );
    assert_eq!(anon.get(&srv, "/us-signin/send-code").await.status, 405);
    let r = anon.post(&srv, "/us-signin", json!({})).await;
    assert_eq!(field_error(&r, "identity"), "This field is required.");
    let r = anon
        .post(&srv, "/us-signin", json!({"identity": 5, "passcode": []}))
        .await;
    assert_eq!(r.status, 400);
    let r = anon
        .post(
            &srv,
            "/us-signin",
            json!({"identity": "nobody@example.com", "passcode": "x"}),
        )
        .await;
    assert_eq!(
        field_error(&r, "identity"),
        "You must specify a valid identity to sign in"
    );
    let r = anon
        .post(
            &srv,
            "/us-signin/send-code",
            json!({"identity": "nobody@example.com", "chosen_method": "email"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = anon
        .request(
            &srv,
            "POST",
            "/us-signin",
            Some(b"{not json"),
            &[("Content-Type", "application/json")],
        )
        .await;
    assert_eq!(r.status, 400);
    let big = vec![b'a'; 70 * 1024];
    let r = anon
        .request(
            &srv,
            "POST",
            "/tf-validate",
            Some(&big),
            &[("Content-Type", "application/json")],
        )
        .await;
    assert_eq!(r.status, 413);

    let mut c = signup(&srv, "fay@example.com").await;
    let r = c
        .post(&srv, "/tf-setup/garbage", json!({"code": "123456"}))
        .await;
    assert_eq!(
        r.json()["response"]["errors"],
        json!(["Input not appropriate for requested API"])
    );
    for body in [
        json!({}),
        json!({"setup": "bogus"}),
        json!({"setup": 7}),
        json!({"setup": "sms"}),
    ] {
        assert_eq!(
            c.post(&srv, "/tf-setup", body.clone()).await.status,
            400,
            "{body}"
        );
    }
    let r = c.post(&srv, "/us-setup", json!({})).await;
    assert_eq!(
        r.json()["response"]["errors"],
        json!(["Input not appropriate for requested API"])
    );
    for body in [
        json!({"chosen_method": "password"}),
        json!({"delete_method": 5}),
        json!({"chosen_method": "sms"}),
    ] {
        assert_eq!(
            c.post(&srv, "/us-setup", body.clone()).await.status,
            400,
            "{body}"
        );
    }
    assert_eq!(
        c.post(&srv, "/us-setup/garbage", json!({"passcode": "1"}))
            .await
            .status,
        400
    );
    let r = c
        .post(
            &srv,
            "/us-verify/send-code",
            json!({"chosen_method": "authenticator"}),
        )
        .await;
    assert_eq!(field_error(&r, "chosen_method"), "Not a valid choice.");
    // A session mutation without its CSRF token.
    let r = c
        .request(
            &srv,
            "POST",
            "/mf-recovery-codes",
            Some(b"{}"),
            &[("Content-Type", "application/json")],
        )
        .await;
    assert_eq!(r.status, 400);
    // Already logged in: anonymous-only endpoints refuse.
    assert_eq!(c.get(&srv, "/tf-rescue").await.status, 400);
    assert_eq!(
        c.post(
            &srv,
            "/us-signin",
            json!({"identity": "fay@example.com", "passcode": PW})
        )
        .await
        .status,
        400
    );
    srv.finish().await;
}

/// A user who set up an authenticator under Flask-Security keeps it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grace_from_a_flask_security_database_logs_in_with_her_authenticator() {
    let fixture: Value =
        serde_json::from_str(include_str!("../fixtures/flask_security_fsqla_v3.json")).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "todo-grace-{}",
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("fs.sqlite");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/flask_security_fsqla_v3.sqlite"
        ),
        &db,
    )
    .unwrap();
    let secrets = fixture["totp_secrets"].to_string();
    let mut settings: Vec<(&str, &str)> = mfa_settings();
    settings.retain(|(k, _)| *k != "SECURITY_TOTP_SECRETS");
    settings.push(("SECURITY_TOTP_SECRETS", &secrets));
    let key = fixture["secret_key"].as_str().unwrap();
    let salt = fixture["password_salt"].as_str().unwrap();
    settings.push(("SECRET_KEY", key));
    settings.push(("SECURITY_PASSWORD_SALT", salt));
    let url = format!("sqlite://{}", db.display());
    let srv = start_with(&settings, Some(url)).await;
    let grace = fixture["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "grace@example.com")
        .unwrap();
    let b32 = grace["totp_b32_key"].as_str().unwrap();
    let mut c = Client::default();
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "grace@example.com", "password": grace["password"]}),
        )
        .await;
    let resp = r.json()["response"].clone();
    assert_eq!(resp["tf_required"], true, "{resp}");
    assert_eq!(resp["tf_method"], "authenticator");
    assert_eq!(
        c.post(&srv, "/tf-validate", json!({"code": wrong_code(b32)}))
            .await
            .status,
        400
    );
    let r = c
        .post(&srv, "/tf-validate", json!({"code": code_for(b32)}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        c.get(&srv, "/api/me").await.json()["email"],
        "grace@example.com"
    );
    srv.finish().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Automatic logins (registration without confirmation) do not skip a
/// required second factor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_does_not_skip_a_required_second_factor() {
    let mut settings = mfa_settings();
    settings.push(("SECURITY_TWO_FACTOR_REQUIRED", "true"));
    settings.push(("SECURITY_CONFIRMABLE", "false"));
    let srv = start_with(&settings, None).await;
    let mut c = Client::default();
    let r = c
        .post(
            &srv,
            "/register",
            json!({"email": "gil@example.com", "password": PW, "password_confirm": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["response"]["tf_state"], "setup_from_login");
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    srv.finish().await;
}
