//! Core's OAuth decisions without a web layer or a real provider: the
//! state is checked (provider, purpose, value, age), a provider's identity
//! maps through the identity attributes, inactive and unknown users are
//! refused, the opt-in registration takes only a verified address,
//! re-authentication accepts only the signed-in user, and handshake
//! failures spend the client address's budget.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::*;
use portcullis_core::flows::{ClientInfo, LoginStep};
use portcullis_core::oauth::{
    OAuthAuthorize, OAuthExchange, OAuthFailure, OAuthIdentity, OAuthPending, OAuthProvider,
    OAuthPurpose, OAuthResponse,
};
use portcullis_core::{Clock, FlowError, MessageKey, UserPatch, UserStore};

/// A provider that names whoever the test says, for any code.
#[derive(Debug)]
struct Named {
    who: Mutex<OAuthIdentity>,
    codes: Mutex<Vec<String>>,
}

#[async_trait]
impl OAuthProvider for Named {
    fn name(&self) -> &str {
        "named"
    }
    async fn authorization_url(&self, r: &OAuthAuthorize<'_>) -> Result<String, OAuthFailure> {
        Ok(format!("https://idp.example/auth?state={}", r.state))
    }
    async fn identity(&self, e: &OAuthExchange<'_>) -> Result<OAuthIdentity, OAuthFailure> {
        self.codes.lock().unwrap().push(e.code.to_owned());
        Ok(self.who.lock().unwrap().clone())
    }
}

fn named(email: &str, verified: bool) -> Arc<Named> {
    Arc::new(Named {
        who: Mutex::new(OAuthIdentity {
            attribute: "email".into(),
            value: email.into(),
            email_verified: verified,
        }),
        codes: Mutex::new(Vec::new()),
    })
}

fn oauth_env(p: Arc<Named>, extra: &[(&str, &str)]) -> Env {
    let mut vars = vec![
        ("SECURITY_OAUTH_ENABLE", "true"),
        ("SECURITY_TRACKABLE", "true"),
    ];
    vars.extend_from_slice(extra);
    env_with(&vars, move |b| b.oauth_provider(p))
}

fn client() -> ClientInfo {
    ClientInfo {
        remote_addr: Some("203.0.113.9".into()),
    }
}

async fn started(e: &Env, purpose: OAuthPurpose) -> OAuthPending {
    let (url, pending) = e
        .security
        .oauth_start("named", purpose, "https://app.example.com/cb")
        .await
        .unwrap()
        .unwrap();
    assert!(url.contains(&format!("state={}", pending.state)));
    assert!(pending.state.len() >= 43 && pending.nonce.len() >= 43);
    assert!(pending.pkce_verifier.len() >= 43);
    pending
}

fn answer(p: &OAuthPending) -> OAuthResponse {
    OAuthResponse {
        state: Some(p.state.clone()),
        code: Some("code-1".into()),
        ..OAuthResponse::default()
    }
}

/// The provider's right answer to `pending`, given back to the login.
async fn round_trip(e: &Env, pending: &OAuthPending) -> Result<LoginStep, FlowError> {
    e.security
        .oauth_login(
            "named",
            Some(pending.clone()),
            &answer(pending),
            None,
            &client(),
        )
        .await
}

fn handshake_error(e: FlowError) -> String {
    match e {
        FlowError::Form(f) => {
            let (_, m) = &f.entries()[0];
            assert_eq!(m.key, MessageKey::OauthHandshakeError);
            format!("{:?}", m)
        }
        other => panic!("expected a handshake error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_matching_state_logs_the_named_user_in_once_per_request() {
    let p = named("JO@example.com", true);
    let e = oauth_env(p.clone(), &[]);
    let jo = e.user("jo@example.com").await;
    let pending = started(&e, OAuthPurpose::Login).await;
    let step = round_trip(&e, &pending).await.unwrap();
    let LoginStep::Done(a) = step else {
        panic!("logged in")
    };
    assert_eq!(a.user.id, jo.id);
    assert_eq!(
        a.authn_via.iter().map(|v| v.name()).collect::<Vec<_>>(),
        ["oauth"]
    );
    assert_eq!(p.codes.lock().unwrap().as_slice(), ["code-1"]);

    // No pending request (the web layer took it out of the session): refused.
    let err = e
        .security
        .oauth_login("named", None, &answer(&pending), None, &client())
        .await
        .unwrap_err();
    assert!(handshake_error(err).contains("mismatching_state"));
    assert_eq!(p.codes.lock().unwrap().len(), 1, "no second exchange");
}

#[tokio::test]
async fn a_wrong_stale_or_misdirected_state_is_refused_before_the_provider_is_asked() {
    let p = named("jo@example.com", true);
    let e = oauth_env(p.clone(), &[]);
    e.user("jo@example.com").await;
    let pending = started(&e, OAuthPurpose::Login).await;

    let mut wrong = answer(&pending);
    wrong.state = Some(format!("{}x", pending.state));
    let err = e
        .security
        .oauth_login("named", Some(pending.clone()), &wrong, None, &client())
        .await;
    assert!(handshake_error(err.unwrap_err()).contains("mismatching_state"));

    let mut missing = answer(&pending);
    missing.state = None;
    let err = e
        .security
        .oauth_login("named", Some(pending.clone()), &missing, None, &client())
        .await;
    assert!(handshake_error(err.unwrap_err()).contains("mismatching_state"));

    // Started to re-authenticate, answered to the login.
    let verify = started(&e, OAuthPurpose::Verify).await;
    let err = e
        .security
        .oauth_login(
            "named",
            Some(verify.clone()),
            &answer(&verify),
            None,
            &client(),
        )
        .await;
    assert!(handshake_error(err.unwrap_err()).contains("mismatching_state"));

    // Ten minutes later.
    e.clock.advance(601.0);
    let err = round_trip(&e, &pending).await;
    assert!(handshake_error(err.unwrap_err()).contains("expired_state"));

    // The provider's own error, and no code.
    let fresh = started(&e, OAuthPurpose::Login).await;
    let mut denied = answer(&fresh);
    denied.code = None;
    denied.error = Some("access_denied".into());
    let err = e
        .security
        .oauth_login("named", Some(fresh.clone()), &denied, None, &client())
        .await;
    assert!(handshake_error(err.unwrap_err()).contains("access_denied"));
    denied.error = None;
    let err = e
        .security
        .oauth_login("named", Some(fresh), &denied, None, &client())
        .await;
    assert!(handshake_error(err.unwrap_err()).contains("missing_code"));
    assert!(
        p.codes.lock().unwrap().is_empty(),
        "the provider was never asked"
    );
}

#[tokio::test]
async fn inactive_unknown_and_unmapped_identities_are_refused() {
    let p = named("jo@example.com", true);
    let e = oauth_env(p.clone(), &[]);
    let jo = e.user("jo@example.com").await;
    e.store
        .update_user(
            jo.id,
            UserPatch {
                active: Some(false),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    let pending = started(&e, OAuthPurpose::Login).await;
    let err = round_trip(&e, &pending).await;
    assert_eq!(
        errors(err.unwrap_err()),
        [("", MessageKey::DisabledAccount)]
    );

    *p.who.lock().unwrap() = OAuthIdentity {
        attribute: "email".into(),
        value: "nobody@example.com".into(),
        email_verified: true,
    };
    let pending = started(&e, OAuthPurpose::Login).await;
    let err = round_trip(&e, &pending).await;
    assert_eq!(
        errors(err.unwrap_err()),
        [("", MessageKey::IdentityNotRegistered)]
    );
    assert!(
        e.store
            .find_user_by_email("nobody@example.com")
            .await
            .unwrap()
            .is_none(),
        "never registered by default"
    );

    p.who.lock().unwrap().attribute = "phone_number".into();
    let pending = started(&e, OAuthPurpose::Login).await;
    let err = round_trip(&e, &pending).await;
    assert!(handshake_error(err.unwrap_err()).contains("Invalid identity attribute"));
}

#[tokio::test]
async fn the_opt_in_registration_takes_only_a_verified_address() {
    let p = named("New@Example.com", false);
    let e = oauth_env(p.clone(), &[("SECURITY_OAUTH_REGISTER_VERIFIED", "true")]);
    let pending = started(&e, OAuthPurpose::Login).await;
    let err = round_trip(&e, &pending).await;
    assert_eq!(
        errors(err.unwrap_err()),
        [("", MessageKey::IdentityNotRegistered)]
    );

    p.who.lock().unwrap().email_verified = true;
    let pending = started(&e, OAuthPurpose::Login).await;
    let step = round_trip(&e, &pending).await.unwrap();
    let LoginStep::Done(a) = step else {
        panic!("logged in")
    };
    assert_eq!(a.user.email, "New@example.com");
    assert!(a.user.confirmed_at.is_some(), "the provider verified it");
    assert!(a.user.password.is_none());
}

#[tokio::test]
async fn reauthentication_accepts_only_the_signed_in_user() {
    let p = named("jo@example.com", true);
    let e = oauth_env(p.clone(), &[]);
    let jo = e.user("jo@example.com").await;
    let al = e.user("al@example.com").await;
    let pending = started(&e, OAuthPurpose::Verify).await;
    let err = e
        .security
        .oauth_reauthenticate(
            "named",
            Some(pending.clone()),
            &answer(&pending),
            &al,
            &client(),
        )
        .await;
    assert_eq!(
        errors(err.unwrap_err()),
        [("", MessageKey::IdentityNotRegistered)]
    );
    let pending = started(&e, OAuthPurpose::Verify).await;
    let paa = e
        .security
        .oauth_reauthenticate(
            "named",
            Some(pending.clone()),
            &answer(&pending),
            &jo,
            &client(),
        )
        .await
        .unwrap();
    assert_eq!(paa, e.clock.unix_time());
}

#[tokio::test]
async fn handshake_failures_spend_the_address_budget() {
    let p = named("jo@example.com", true);
    let e = oauth_env(p, &[("SECURITY_LIMIT_FAILED_PER_ADDRESS", "3/15m")]);
    e.user("jo@example.com").await;
    let pending = started(&e, OAuthPurpose::Login).await;
    for _ in 0..3 {
        let err = e
            .security
            .oauth_login("named", None, &answer(&pending), None, &client())
            .await;
        handshake_error(err.unwrap_err());
    }
    // Even the right answer waits now.
    let err = round_trip(&e, &pending).await;
    assert!(matches!(err, Err(FlowError::Limited(_))), "{err:?}");
}

#[tokio::test]
async fn an_unknown_provider_starts_nothing_and_oauth_off_offers_none() {
    let p = named("jo@example.com", true);
    let e = oauth_env(p.clone(), &[]);
    assert!(
        e.security
            .oauth_start("other", OAuthPurpose::Login, "https://x/cb")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(e.security.oauth_provider_names(), ["named"]);
    let off = env_with(&[], move |b| b.oauth_provider(p));
    assert!(off.security.oauth_provider_names().is_empty());
}

#[tokio::test]
async fn the_identity_is_looked_up_by_its_attributes_case_rule() {
    // A provider naming users by username, case-sensitive by the app's
    // settings: "Jo" is not the stored "jo".
    let p = named("unused", true);
    *p.who.lock().unwrap() = OAuthIdentity {
        attribute: "username".into(),
        value: "Jo".into(),
        email_verified: false,
    };
    let e = oauth_env(
        p.clone(),
        &[
            ("SECURITY_USERNAME_ENABLE", "true"),
            (
                "SECURITY_USER_IDENTITY_ATTRIBUTES",
                r#"[{"email": {"mapper": "uia_email_mapper", "case_insensitive": true}}, {"username": {"mapper": "uia_username_mapper", "case_insensitive": false}}]"#,
            ),
        ],
    );
    let jo = e.user("jo@example.com").await;
    e.store
        .update_user(
            jo.id,
            UserPatch {
                username: Some(Some("jo".into())),
                ..UserPatch::default()
            },
        )
        .await
        .unwrap();
    let pending = started(&e, OAuthPurpose::Login).await;
    let err = round_trip(&e, &pending).await;
    assert_eq!(
        errors(err.unwrap_err()),
        [("", MessageKey::IdentityNotRegistered)]
    );
    p.who.lock().unwrap().value = "jo".into();
    let pending = started(&e, OAuthPurpose::Login).await;
    let step = round_trip(&e, &pending).await.unwrap();
    assert!(matches!(step, LoginStep::Done(_)));
}

#[tokio::test]
async fn a_request_is_good_for_ten_minutes_to_the_second() {
    let p = named("jo@example.com", true);
    let e = oauth_env(p, &[]);
    e.user("jo@example.com").await;
    let pending = started(&e, OAuthPurpose::Login).await;
    e.clock.advance(600.0);
    let step = round_trip(&e, &pending).await.unwrap();
    assert!(matches!(step, LoginStep::Done(_)));
}
