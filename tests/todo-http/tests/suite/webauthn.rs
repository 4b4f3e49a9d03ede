//! WebAuthn (`/wan-*`) on the todo example over real TCP, driven by a
//! software authenticator: passkeys, security keys as a second factor,
//! re-authentication, deletion, and every refusal an attacker can provoke.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use crate::on_every_backend;
use common::*;
use portcullis_testkit::webauthn::{SoftAuthenticator, SoftCredential};
use serde_json::{Value, json};

const PW: &str = "Correct-Horse-Battery-9";

fn wan_settings() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SECURITY_WEBAUTHN", "true"),
        ("SECURITY_WAN_RP_NAME", "todo-test"),
        ("SECURITY_MULTI_FACTOR_RECOVERY_CODES", "true"),
        ("SECURITY_TOTP_SECRETS", TOTP_SECRETS),
    ]
}

fn origin(srv: &Server) -> String {
    format!("http://{}", srv.addr)
}

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
    if let Some(link) = srv.outbox.link_to(email, "/confirm/") {
        assert_eq!(c.get(srv, &path_of(&link)).await.status, 302);
    }
    let r = c
        .post(srv, "/login", json!({"email": email, "password": PW}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    c
}

fn credential_error(r: &Resp) -> String {
    let j = r.json();
    j["response"]["field_errors"]["credential"][0]
        .as_str()
        .or_else(|| j["response"]["errors"][0].as_str())
        .unwrap_or_else(|| panic!("no error: {j}"))
        .to_owned()
}

/// Registers a key called `name` with `usage` for the logged-in client.
async fn register_key(
    srv: &Server,
    c: &mut Client,
    auth: &SoftAuthenticator,
    name: &str,
    usage: &str,
) -> SoftCredential {
    let r = c
        .post(srv, "/wan-register", json!({"name": name, "usage": usage}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let resp = r.json()["response"].clone();
    assert!(resp.get("user").is_none());
    let options = resp["credential_options"].clone();
    assert_eq!(options["rp"]["name"], "todo-test");
    assert_eq!(options["rp"]["id"], "127.0.0.1");
    assert_eq!(options["extensions"], json!({"credProps": true}));
    let state = resp["wan_state"].as_str().unwrap().to_owned();
    let (cred, text) = auth.register(&options);
    let r = c
        .post(
            srv,
            &format!("/wan-register/{state}"),
            json!({ "credential": text }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    cred
}

/// `/wan-signin` then `/wan-signin/<state>` with `cred`.
async fn passkey_signin(
    srv: &Server,
    c: &mut Client,
    auth: &SoftAuthenticator,
    cred: &mut SoftCredential,
    identity: Option<&str>,
) -> Resp {
    let body = match identity {
        Some(i) => json!({ "identity": i }),
        None => json!({}),
    };
    let r = c.post(srv, "/wan-signin", body).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let resp = r.json()["response"].clone();
    let state = resp["wan_state"].as_str().unwrap().to_owned();
    let text = auth.assert(cred, &resp["credential_options"]);
    c.post(
        srv,
        &format!("/wan-signin/{state}?include_auth_token"),
        json!({ "credential": text }),
    )
    .await
}

on_every_backend!(passkey_lifecycle:
    passkey_lifecycle_on_sqlite => Backend::Sqlite,
    passkey_lifecycle_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    passkey_lifecycle_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    passkey_lifecycle_on_mongodb => Backend::Mongo,
);

/// Register a passkey, sign in with it (with and without an identity
/// hint), re-authenticate, delete it.
async fn passkey_lifecycle(backend: Backend) {
    let Some(srv) = start_on(backend, &wan_settings()).await else {
        return;
    };
    let mut c = signup(&srv, "ada@example.com").await;
    let mut auth = SoftAuthenticator::new(&origin(&srv));
    auth.user_verified = true;
    let mut key = register_key(&srv, &mut c, &auth, "My Key", "first").await;

    let r = c.get(&srv, "/wan-register").await;
    assert_eq!(r.status, 200);
    let listed = r.json()["response"]["registered_credentials"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["name"], "My Key");
    assert_eq!(listed[0]["usage"], "first");
    assert_eq!(listed[0]["discoverable"], true);
    assert_eq!(listed[0]["transports"], json!(["usb"]));
    assert_eq!(listed[0]["device_type"], "single_device");
    // The same name again is refused.
    let r = c
        .post(
            &srv,
            "/wan-register",
            json!({"name": "My Key", "usage": "first"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["response"]["field_errors"]["name"][0],
        "My Key is already associated with a passkey."
    );

    // Log out; sign in with the passkey alone (discoverable: no identity).
    assert_eq!(c.post(&srv, "/logout", json!({})).await.status, 200);
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    let r = c.get(&srv, "/wan-signin").await;
    assert_eq!(r.json()["response"]["is_secondary"], false);
    let r = passkey_signin(&srv, &mut c, &auth, &mut key, None).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let resp = r.json()["response"].clone();
    assert_eq!(resp["tf_required"], false);
    assert_eq!(resp["post_login_url"], "/");
    assert!(resp["user"]["authentication_token"].is_string());
    let me = c.get(&srv, "/api/me").await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["email"], "ada@example.com");

    // With an identity hint the options name the key.
    let mut other = Client::default();
    let r = other
        .post(&srv, "/wan-signin", json!({"identity": "ada@example.com"}))
        .await;
    let allowed = r.json()["response"]["credential_options"]["allowCredentials"].clone();
    assert_eq!(allowed.as_array().unwrap().len(), 1, "{allowed}");
    // An unknown identity gets options naming no key (nothing revealed).
    let r = other
        .post(
            &srv,
            "/wan-signin",
            json!({"identity": "nobody@example.com"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let none = &r.json()["response"]["credential_options"];
    assert!(
        none.get("allowCredentials").is_none_or(|a| a == &json!([])),
        "{none}"
    );
    let r = passkey_signin(&srv, &mut other, &auth, &mut key, Some("ada@example.com")).await;
    assert_eq!(r.status, 200, "{:?}", r.json());

    // The counter and last use were recorded.
    let listed =
        c.get(&srv, "/wan-register").await.json()["response"]["registered_credentials"].clone();
    assert_eq!(listed[0]["name"], "My Key");

    // Re-authenticate with the key.
    let r = c.get(&srv, "/verify").await;
    assert_eq!(r.json()["response"]["has_webauthn_verify_credential"], true);
    let r = c.post(&srv, "/wan-verify", json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let resp = r.json()["response"].clone();
    let state = resp["wan_state"].as_str().unwrap().to_owned();
    let text = auth.assert(&mut key, &resp["credential_options"]);
    let r = c
        .post(
            &srv,
            &format!("/wan-verify/{state}"),
            json!({ "credential": text }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());

    // Delete it: a wrong name is refused, the right one removes it.
    let r = c.post(&srv, "/wan-delete", json!({"name": "Nope"})).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["response"]["field_errors"]["name"][0],
        "Nope not registered with current user."
    );
    let r = c.post(&srv, "/wan-delete", json!({"name": "My Key"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let listed =
        c.get(&srv, "/wan-register").await.json()["response"]["registered_credentials"].clone();
    assert_eq!(listed, json!([]));
    // A deleted key signs in no one.
    let mut third = Client::default();
    let r = passkey_signin(&srv, &mut third, &auth, &mut key, None).await;
    assert_eq!(r.status, 400);
    assert_eq!(credential_error(&r), "Unregistered passkey.");
    srv.finish().await;
}

on_every_backend!(security_key_as_second_factor:
    security_key_as_second_factor_on_sqlite => Backend::Sqlite,
    security_key_as_second_factor_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    security_key_as_second_factor_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    security_key_as_second_factor_on_mongodb => Backend::Mongo,
);

/// A user whose only second factor is a security key is asked for it
/// after the password; recovery codes work in its place.
async fn security_key_as_second_factor(backend: Backend) {
    let Some(srv) = start_on(backend, &wan_settings()).await else {
        return;
    };
    let mut c = signup(&srv, "bo@example.com").await;
    let auth = SoftAuthenticator::new(&origin(&srv));
    let mut key = register_key(&srv, &mut c, &auth, "yubi", "secondary").await;
    let r = c.get(&srv, "/mf-recovery-codes").await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let r = c.post(&srv, "/mf-recovery-codes", json!({})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let codes: Vec<String> = r.json()["response"]["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(c.post(&srv, "/logout", json!({})).await.status, 200);

    // A secondary key is no passkey.
    let mut thief = Client::default();
    let r = passkey_signin(&srv, &mut thief, &auth, &mut key, None).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        credential_error(&r),
        "Passkey not registered for this use (first or secondary)"
    );

    // The password alone is not enough.
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "bo@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200);
    let resp = r.json()["response"].clone();
    assert_eq!(resp["tf_required"], true, "{resp}");
    assert_eq!(resp["tf_state"], "ready");
    assert_eq!(resp["tf_method"], "webauthn");
    assert_eq!(resp["tf_signin_url"], "/wan-signin");
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    let r = c.get(&srv, "/wan-signin").await;
    assert_eq!(r.json()["response"]["is_secondary"], true);
    let r = c.post(&srv, "/wan-signin", json!({})).await;
    let resp = r.json()["response"].clone();
    assert_eq!(resp["is_secondary"], true);
    let allowed = &resp["credential_options"]["allowCredentials"];
    assert_eq!(allowed.as_array().unwrap().len(), 1, "{allowed}");
    assert_eq!(
        resp["credential_options"]["userVerification"],
        "discouraged"
    );
    let state = resp["wan_state"].as_str().unwrap().to_owned();
    let text = auth.assert(&mut key, &resp["credential_options"]);
    let r = c
        .post(
            &srv,
            &format!("/wan-signin/{state}"),
            json!({ "credential": text }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["response"]["tf_required"], false);
    assert_eq!(
        c.get(&srv, "/api/me").await.json()["email"],
        "bo@example.com"
    );
    assert_eq!(c.post(&srv, "/logout", json!({})).await.status, 200);

    // Without the key: a recovery code, once.
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "bo@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_method"], "webauthn");
    let r = c
        .post(&srv, "/mf-recovery", json!({"code": codes[0]}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        c.get(&srv, "/api/me").await.json()["email"],
        "bo@example.com"
    );
    srv.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_answer_is_a_4xx() {
    let mut settings = wan_settings();
    settings.push(("SECURITY_WAN_SIGNIN_WITHIN", "1"));
    let srv = start_with(&settings, None).await;
    let mut c = signup(&srv, "cy@example.com").await;
    let auth = SoftAuthenticator::new(&origin(&srv));
    let mut key = register_key(&srv, &mut c, &auth, "key", "first").await;
    let mut eve = signup(&srv, "eve@example.com").await;
    let mut eve_key = register_key(&srv, &mut eve, &auth, "evekey", "first").await;

    // Registration: garbage, a wrong origin, a wrong relying party, a
    // tampered state, a replayed answer.
    let start = |c: &mut Client, name: &'static str| {
        let srv = &srv;
        let mut c = c.clone();
        async move {
            let r = c
                .post(
                    srv,
                    "/wan-register",
                    json!({"name": name, "usage": "first"}),
                )
                .await;
            let resp = r.json()["response"].clone();
            (
                c,
                resp["credential_options"].clone(),
                resp["wan_state"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (mut c2, options, state) = start(&mut c, "k2").await;
    for garbage in [
        json!("not json"),
        json!("{}"),
        json!(
            r#"{"id":"x","rawId":"eA","type":"public-key","response":{"attestationObject":"AAAA","clientDataJSON":"AAAA"}}"#
        ),
        json!(42),
        json!(null),
    ] {
        let r = c2
            .post(
                &srv,
                &format!("/wan-register/{state}"),
                json!({ "credential": garbage }),
            )
            .await;
        assert_eq!(r.status, 400, "{garbage}: {:?}", r.json());
    }
    let mut liar = auth.clone();
    liar.origin = "http://evil.example".into();
    let (_, text) = liar.register(&options);
    let r = c2
        .post(
            &srv,
            &format!("/wan-register/{state}"),
            json!({ "credential": text }),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        credential_error(&r).starts_with("Could not verify passkey: "),
        "{:?}",
        r.json()
    );
    let (mut c2, options, state) = start(&mut c2, "k3").await;
    let mut liar = auth.clone();
    liar.rp_id_override = Some("evil.example".into());
    let (_, text) = liar.register(&options);
    let r = c2
        .post(
            &srv,
            &format!("/wan-register/{state}"),
            json!({ "credential": text }),
        )
        .await;
    assert_eq!(r.status, 400, "{:?}", r.json());
    let (mut c2, options, state) = start(&mut c2, "k4").await;
    let (_, text) = auth.register(&options);
    let r = c2
        .post(
            &srv,
            &format!("/wan-register/{state}x"),
            json!({ "credential": &text }),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["response"]["errors"][0],
        "Input not appropriate for requested API"
    );
    // Another user cannot use this user's registration state.
    let r = eve
        .post(
            &srv,
            &format!("/wan-register/{state}"),
            json!({ "credential": &text }),
        )
        .await;
    assert_eq!(r.status, 400, "{:?}", r.json());
    let r = c2
        .post(
            &srv,
            &format!("/wan-register/{state}"),
            json!({ "credential": &text }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());

    // Sign-in: a replayed state and answer, a wrong origin, a counter gone
    // backwards, an expired state.
    let mut anon = Client::default();
    let r = anon.post(&srv, "/wan-signin", json!({})).await;
    let resp = r.json()["response"].clone();
    let state = resp["wan_state"].as_str().unwrap().to_owned();
    let text = auth.assert(&mut key, &resp["credential_options"]);
    let path = format!("/wan-signin/{state}");
    let r = anon.post(&srv, &path, json!({ "credential": &text })).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let mut replayer = Client::default();
    let r = replayer
        .post(&srv, &path, json!({ "credential": &text }))
        .await;
    assert!(
        matches!(r.status, 400..=499),
        "{}: {:?}",
        r.status,
        r.json()
    );
    assert_eq!(replayer.get(&srv, "/api/me").await.status, 401);

    let mut liar = auth.clone();
    liar.origin = "http://evil.example".into();
    let r = passkey_signin(&srv, &mut replayer, &liar, &mut key, None).await;
    assert_eq!(r.status, 400);
    assert!(credential_error(&r).starts_with("Could not verify passkey: "));

    let mut cloned = key.clone();
    cloned.counter -= 2;
    let r = passkey_signin(&srv, &mut replayer, &auth, &mut cloned, None).await;
    assert_eq!(r.status, 400, "a counter gone backwards: {:?}", r.json());
    assert_eq!(replayer.get(&srv, "/api/me").await.status, 401);

    let r = replayer.post(&srv, "/wan-signin", json!({})).await;
    let resp = r.json()["response"].clone();
    let state = resp["wan_state"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let text = auth.assert(&mut key, &resp["credential_options"]);
    let r = replayer
        .post(
            &srv,
            &format!("/wan-signin/{state}"),
            json!({ "credential": text }),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["response"]["errors"][0],
        "Passkey operations must be completed within 1 second. Please start over."
    );

    // Re-authentication with another user's key (GHSA-f66q-9rf6-8795).
    let r = c.post(&srv, "/wan-verify", json!({})).await;
    let resp = r.json()["response"].clone();
    let state = resp["wan_state"].as_str().unwrap().to_owned();
    let text = auth.assert(&mut eve_key, &resp["credential_options"]);
    let r = c
        .post(
            &srv,
            &format!("/wan-verify/{state}"),
            json!({ "credential": text }),
        )
        .await;
    assert_eq!(r.status, 400, "{:?}", r.json());
    assert_eq!(credential_error(&r), "Credential user handle didn't match");
    // Anonymous: 401 everywhere a user is needed.
    let mut anon = Client::default();
    for path in ["/wan-register", "/wan-delete", "/wan-verify"] {
        assert_eq!(anon.get(&srv, path).await.status, 401, "{path}");
    }
    assert_eq!(
        anon.post(&srv, "/wan-register/x", json!({})).await.status,
        401
    );
    // A GET to a state path is not allowed.
    assert_eq!(anon.get(&srv, "/wan-signin/x").await.status, 405);
    srv.finish().await;
}

/// `credential_options` carry what a browser needs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_are_what_browsers_take() {
    let srv = start_with(&wan_settings(), None).await;
    let mut c = signup(&srv, "di@example.com").await;
    let r = c
        .post(
            &srv,
            "/wan-register",
            json!({"name": "k", "usage": "first"}),
        )
        .await;
    let o: Value = r.json()["response"]["credential_options"].clone();
    for k in [
        "challenge",
        "rp",
        "user",
        "pubKeyCredParams",
        "timeout",
        "authenticatorSelection",
    ] {
        assert!(o.get(k).is_some(), "{k} missing: {o}");
    }
    assert_eq!(o["timeout"], 60000);
    assert_eq!(o["user"]["name"], "di@example.com");
    assert_eq!(o["authenticatorSelection"]["residentKey"], "preferred");
    assert_eq!(
        o["authenticatorSelection"]["authenticatorAttachment"],
        "cross-platform"
    );
    assert!(
        o["pubKeyCredParams"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["alg"] == -7)
    );
    let r = c
        .post(
            &srv,
            "/wan-register",
            json!({"name": "<b>x</b>", "usage": "first"}),
        )
        .await;
    assert_eq!(r.status, 400);
    let r = c
        .post(
            &srv,
            "/wan-register",
            json!({"name": "k", "usage": "third"}),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["response"]["field_errors"]["usage"][0],
        "Not a valid choice."
    );
    let r = c
        .post(&srv, "/wan-register", json!({"usage": "first"}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["response"]["field_errors"]["name"][0],
        "Nickname for new passkey is required."
    );
    let long = "a".repeat(65);
    let r = c.post(&srv, "/wan-register", json!({"name": long})).await;
    assert_eq!(r.status, 400);
    srv.finish().await;
}

/// `WAN_ALLOW_AS_FIRST_FACTOR`, `WAN_ALLOW_USER_HINTS` and
/// `WAN_ALLOW_AS_VERIFY` off: keys are second factors only, discoverable
/// ones are required, and neither passkey sign-in nor `/wan-verify` exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_that_narrow_what_keys_do() {
    let mut settings = wan_settings();
    settings.extend([
        ("SECURITY_WAN_ALLOW_AS_FIRST_FACTOR", "false"),
        ("SECURITY_WAN_ALLOW_USER_HINTS", "false"),
        ("SECURITY_WAN_ALLOW_AS_VERIFY", "[]"),
    ]);
    let srv = start_with(&settings, None).await;
    let mut c = signup(&srv, "ed@example.com").await;
    let r = c
        .post(
            &srv,
            "/wan-register",
            json!({"name": "k", "usage": "first"}),
        )
        .await;
    let o = r.json()["response"]["credential_options"].clone();
    assert_eq!(o["authenticatorSelection"]["residentKey"], "required");
    assert_eq!(o["authenticatorSelection"]["requireResidentKey"], true);
    let state = r.json()["response"]["wan_state"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, text) = SoftAuthenticator::new(&origin(&srv)).register(&o);
    let r = c
        .post(
            &srv,
            &format!("/wan-register/{state}"),
            json!({ "credential": text }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let listed =
        c.get(&srv, "/wan-register").await.json()["response"]["registered_credentials"].clone();
    assert_eq!(listed[0]["usage"], "secondary", "usage forced to secondary");
    assert_eq!(c.post(&srv, "/wan-verify", json!({})).await.status, 404);
    let mut anon = Client::default();
    assert_eq!(anon.get(&srv, "/wan-signin").await.status, 404);
    assert_eq!(anon.post(&srv, "/wan-signin", json!({})).await.status, 404);
    srv.finish().await;
}

/// A passkey that verified its user is two factors
/// (`WAN_ALLOW_AS_MULTI_FACTOR`); one that did not, or with the setting
/// off, still needs the user's second factor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_verifying_passkey_is_two_factors() {
    for multi in [true, false] {
        let mut settings = wan_settings();
        if !multi {
            settings.push(("SECURITY_WAN_ALLOW_AS_MULTI_FACTOR", "false"));
        }
        let srv = start_with(&settings, None).await;
        let mut c = signup(&srv, "fa@example.com").await;
        let mut verifying = SoftAuthenticator::new(&origin(&srv));
        verifying.user_verified = true;
        let mut passkey = register_key(&srv, &mut c, &verifying, "passkey", "first").await;
        let key_auth = SoftAuthenticator::new(&origin(&srv));
        let _key = register_key(&srv, &mut c, &key_auth, "key", "secondary").await;
        assert_eq!(c.post(&srv, "/logout", json!({})).await.status, 200);

        let mut p = Client::default();
        let r = passkey_signin(&srv, &mut p, &verifying, &mut passkey, None).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        let resp = r.json()["response"].clone();
        if multi {
            assert_eq!(resp["tf_required"], false, "{resp}");
            assert_eq!(p.get(&srv, "/api/me").await.status, 200);
        } else {
            assert_eq!(resp["tf_required"], true, "{resp}");
            assert_eq!(resp["tf_method"], "webauthn");
            assert_eq!(p.get(&srv, "/api/me").await.status, 401);
        }
        // Without user verification the key is one factor only.
        let mut presence_only = verifying.clone();
        presence_only.user_verified = false;
        let mut q = Client::default();
        let r = passkey_signin(&srv, &mut q, &presence_only, &mut passkey, None).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        assert_eq!(r.json()["response"]["tf_required"], true);
        assert_eq!(q.get(&srv, "/api/me").await.status, 401);
        srv.finish().await;
    }
}

/// With an authenticator app and a security key, `/tf-select` offers both;
/// choosing the key leads to `/wan-signin`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tf_select_offers_the_key_beside_a_code_method() {
    let mut settings = wan_settings();
    settings.extend([
        ("SECURITY_TWO_FACTOR", "true"),
        (
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            r#"["authenticator"]"#,
        ),
    ]);
    let srv = start_with(&settings, None).await;
    let mut c = signup(&srv, "gi@example.com").await;
    let r = c
        .post(&srv, "/tf-setup", json!({"setup": "authenticator"}))
        .await;
    let resp = r.json()["response"].clone();
    let b32 = resp["tf_authr_b32key"].as_str().unwrap().to_owned();
    let state = resp["tf_state_token"].as_str().unwrap().to_owned();
    let code = portcullis_core::crypto::Totp::from_base32(&b32)
        .unwrap()
        .code_at(now());
    let r = c
        .post(&srv, &format!("/tf-setup/{state}"), json!({ "code": code }))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let auth = SoftAuthenticator::new(&origin(&srv));
    let mut key = register_key(&srv, &mut c, &auth, "key", "secondary").await;
    assert_eq!(c.post(&srv, "/logout", json!({})).await.status, 200);

    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "gi@example.com", "password": PW}),
        )
        .await;
    let resp = r.json()["response"].clone();
    assert_eq!(resp["tf_select"], true, "{resp}");
    assert_eq!(
        resp["tf_setup_methods"],
        json!(["authenticator", "webauthn"])
    );
    let r = c
        .post(&srv, "/tf-select", json!({"which": "webauthn"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let resp = r.json()["response"].clone();
    assert_eq!(resp["tf_method"], "webauthn");
    assert_eq!(resp["tf_signin_url"], "/wan-signin");
    let r = c.post(&srv, "/wan-signin", json!({})).await;
    let resp = r.json()["response"].clone();
    assert_eq!(resp["is_secondary"], true);
    let state = resp["wan_state"].as_str().unwrap().to_owned();
    let text = auth.assert(&mut key, &resp["credential_options"]);
    let r = c
        .post(
            &srv,
            &format!("/wan-signin/{state}"),
            json!({ "credential": text }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(c.get(&srv, "/api/me").await.status, 200);
    srv.finish().await;
}
