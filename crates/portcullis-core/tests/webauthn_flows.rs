//! WebAuthn in core: the events a key's life emits, and what a wrong
//! assertion costs its owner.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::env;
use portcullis_core::events::Event;
use portcullis_core::flows::{ClientInfo, RelyingParty, WanPurpose};
use portcullis_testkit::webauthn::SoftAuthenticator;

#[tokio::test]
async fn a_keys_life_emits_its_events() {
    let e = env(&[("SECURITY_WEBAUTHN", "true")]);
    let s = &e.security;
    let user = e.user("ka@example.com").await;
    let rp = RelyingParty::from_host("app.example.com", true).unwrap();
    let auth = SoftAuthenticator::new(&rp.origin);
    let started = s
        .wan_start_register(&user, Some("  Blue Key "), Some("first"), &rp)
        .await
        .unwrap();
    let (mut key, text) = auth.register(&started.credential_options);
    let stored = s
        .wan_finish_register(&user, &started.state, Some(&text), &rp)
        .await
        .unwrap();
    assert_eq!(stored.name, "Blue Key", "the name is trimmed");
    // The same answer again registers nothing (the challenge was used).
    assert!(
        s.wan_finish_register(&user, &started.state, Some(&text), &rp)
            .await
            .is_err()
    );
    let user = s.store().find_user_by_id(user.id).await.unwrap().unwrap();
    assert!(user.fs_webauthn_user_handle.is_some());

    // A wrong signature: a failed sign-in of the key's owner.
    let options = s.wan_start_signin(None, &["first"], &rp).await.unwrap();
    let mut liar = auth.clone();
    liar.origin = "https://evil.example".into();
    let text = liar.assert(&mut key, &options.credential_options);
    let client = ClientInfo::default();
    assert!(
        s.wan_finish_signin(&options.state, Some(&text), WanPurpose::First, &rp, &client)
            .await
            .is_err()
    );
    s.wan_delete(&user, Some("Blue Key")).await.unwrap();
    let events = e.hooks.events();
    let signals: Vec<&str> = events.iter().map(Event::signal).collect();
    assert_eq!(
        signals,
        ["wan-registered", "user-failed-authn", "wan-deleted"]
    );
    match &events[0] {
        Event::WanRegistered { user: u, name } => {
            assert_eq!((u.id, name.as_str()), (user.id, "Blue Key"));
        }
        other => panic!("{other:?}"),
    }
    match &events[1] {
        Event::UserFailedAuthn {
            user: u, auth_type, ..
        } => {
            assert_eq!(u.as_ref().unwrap().id, user.id);
            assert_eq!(*auth_type, "passkey");
        }
        other => panic!("{other:?}"),
    }
    assert!(s.wan_credentials(&user).await.unwrap().is_empty());
}
