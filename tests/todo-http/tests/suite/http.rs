//! The todo example over real TCP: every account flow, every guard, and bad
//! input — each answer a JSON envelope, never a 5xx or a hang.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use std::time::Duration;

use portcullis_core::NewRole;
use serde_json::json;

const PW: &str = "Correct-Horse-Battery-9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_account_lifecycle_over_tcp() {
    lifecycle(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_account_lifecycle_over_tcp_on_postgres() {
    lifecycle(Backend::Server("PORTCULLIS_TEST_POSTGRES_URL")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_account_lifecycle_over_tcp_on_mongodb() {
    lifecycle(Backend::Mongo).await;
}

/// `url` naming database `name` (before any `?options`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_urls_pick_their_backend() {
    assert_eq!(
        mongo_database("mongodb://h:27017/?w=1", "x"),
        "mongodb://h:27017/x?w=1"
    );
    // mongodb:// goes to the MongoDB backend: an unreachable server is
    // named as such, not refused as an unknown scheme.
    let err = todo::open_stores("mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=300")
        .await
        .err()
        .unwrap();
    assert!(err.contains("cannot reach MongoDB"), "{err}");
    let err = todo::open_stores("postgres://nobody@127.0.0.1:1/x")
        .await
        .err()
        .unwrap();
    assert!(err.contains("cannot reach the database"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_account_lifecycle_over_tcp_on_mysql() {
    lifecycle(Backend::Server("PORTCULLIS_TEST_MYSQL_URL")).await;
}

async fn lifecycle(backend: Backend) {
    let Some(srv) = start_on(backend, &[]).await else {
        return;
    };
    let mut browser = Client::default();
    // Register → confirmation mail → confirm.
    let r = browser
        .post(
            &srv,
            "/register",
            json!({"email": "ada@example.com", "password": PW, "password_confirm": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let link = srv
        .outbox
        .link_to("ada@example.com", "/confirm/")
        .expect("confirmation mail");
    let r = browser.get(&srv, &path_of(&link)).await;
    assert_eq!(r.status, 302);
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/confirmed?success=")
    );
    // The session the browser has before logging in (GET /login makes one
    // for its CSRF token) ...
    assert_eq!(browser.get(&srv, "/login").await.status, 200);
    let before = browser
        .cookies
        .get("session")
        .cloned()
        .expect("a session for the CSRF token");
    // Login with the session, and ask for a token too.
    let r = browser
        .post(
            &srv,
            "/login?include_auth_token",
            json!({"email": "ada@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(browser.cookies.contains_key("session"), "a session cookie");
    // ... is not the logged-in one (no session fixation), and is gone.
    assert_ne!(browser.cookies["session"], before, "a new id at login");
    let mut fixed = Client::default();
    fixed.cookies.insert("session".into(), before);
    assert_eq!(fixed.get(&srv, "/api/me").await.status, 401);
    assert!(
        browser.cookies.contains_key("XSRF-TOKEN"),
        "the CSRF cookie"
    );
    let token = r.json()["response"]["user"]["authentication_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Guards: 200 / 401 / 403, by session and by token.
    assert_eq!(
        browser.get(&srv, "/api/me").await.json()["email"],
        "ada@example.com"
    );
    let mut anon = Client::default();
    assert_eq!(
        anon.get(&srv, "/api/me").await.json(),
        json!({"meta": {"code": 401}, "response": {"errors": ["You must sign in to view this resource."]}})
    );
    assert_eq!(anon.get(&srv, "/api/admin").await.status, 401);
    assert_eq!(browser.get(&srv, "/api/admin").await.status, 403);
    assert_eq!(browser.get(&srv, "/api/write").await.status, 403);
    let mut api = Client::default();
    assert_eq!(
        api.get_with(&srv, "/api/me", &[("Authentication-Token", &token)])
            .await
            .json()["login_count"],
        1
    );
    assert_eq!(
        api.get(&srv, &format!("/api/me?auth_token={token}"))
            .await
            .status,
        200
    );
    // Grant admin in the database: the guards see it at once.
    let store = todo::open_stores(&srv.db).await.unwrap().datastore;
    store
        .create_role(NewRole {
            name: "admin".into(),
            description: None,
            permissions: vec!["admin-read".into(), "admin-write".into()],
        })
        .await
        .unwrap();
    let ada = store
        .find_user_by_email("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    store.add_role_to_user(ada.id, "admin").await.unwrap();
    assert_eq!(
        browser.get(&srv, "/api/admin").await.json(),
        json!({"ok": true, "who": "admin"})
    );
    assert_eq!(
        api.get_with(&srv, "/api/write", &[("Authentication-Token", &token)])
            .await
            .json(),
        json!({"ok": true, "who": "writer"})
    );
    // Todos with the session need the CSRF header; with the token they do not.
    assert_eq!(
        browser
            .post(&srv, "/api/todos", json!({"title": "one"}))
            .await
            .status,
        201
    );
    let mut no_csrf = browser.clone();
    no_csrf.cookies.remove("XSRF-TOKEN");
    let r = no_csrf
        .post(&srv, "/api/todos", json!({"title": "two"}))
        .await;
    assert_eq!(
        r.json()["response"]["errors"][0],
        "The CSRF token is missing."
    );
    let r = api
        .request(
            &srv,
            "POST",
            "/api/todos",
            Some(br#"{"title": "by token"}"#),
            &[
                ("Content-Type", "application/json"),
                ("Authentication-Token", &token),
            ],
        )
        .await;
    assert_eq!(r.status, 201);
    assert_eq!(
        browser.get(&srv, "/api/todos").await.json()["todos"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Change password: the old token and the other session stop working; this one goes on.
    let mut other_session = browser.clone();
    let new_pw = "Brand-New-Passphrase-42";
    let r = browser
        .post(
            &srv,
            "/change",
            json!({"password": PW, "new_password": new_pw, "new_password_confirm": new_pw}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        api.get_with(&srv, "/api/me", &[("Authentication-Token", &token)])
            .await
            .status,
        401
    );
    assert_eq!(other_session.get(&srv, "/api/me").await.status, 401);
    assert_eq!(browser.get(&srv, "/api/me").await.status, 200);
    // Forgot / reset, link single-use.
    assert_eq!(
        anon.post(&srv, "/reset", json!({"email": "ada@example.com"}))
            .await
            .status,
        200
    );
    let link = path_of(&srv.outbox.link_to("ada@example.com", "/reset/").unwrap());
    let r = anon.get(&srv, &link).await;
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/reset-password?token=")
    );
    let third = "Third-Passphrase-2026";
    assert_eq!(
        anon.post(
            &srv,
            &link,
            json!({"password": third, "password_confirm": third})
        )
        .await
        .status,
        200
    );
    let again = anon
        .post(
            &srv,
            &link,
            json!({"password": third, "password_confirm": third}),
        )
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(
        again.json()["response"]["field_errors"][""][0],
        "Invalid reset password token."
    );
    // Change email (a fresh login first).
    let mut fresh = Client::default();
    assert_eq!(
        fresh
            .post(
                &srv,
                "/login",
                json!({"email": "ada@example.com", "password": third})
            )
            .await
            .status,
        200
    );
    assert_eq!(
        fresh
            .post(
                &srv,
                "/change-email",
                json!({"email": "ada@new.example.com"})
            )
            .await
            .status,
        200
    );
    let link = path_of(
        &srv.outbox
            .link_to("ada@new.example.com", "/change-email/")
            .unwrap(),
    );
    let r = fresh.get(&srv, &link).await;
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/change-email-done?success=")
    );
    assert_eq!(
        fresh.get(&srv, "/api/me").await.json()["email"],
        "ada@new.example.com"
    );
    // Logout.
    let r = fresh.post(&srv, "/logout", json!({})).await;
    assert_eq!(r.json(), json!({"meta": {"code": 200}, "response": {}}));
    assert_eq!(fresh.get(&srv, "/api/me").await.status, 401);
    srv.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_always_a_4xx_envelope() {
    bad_input(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_always_a_4xx_envelope_on_postgres() {
    bad_input(Backend::Server("PORTCULLIS_TEST_POSTGRES_URL")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_always_a_4xx_envelope_on_mysql() {
    bad_input(Backend::Server("PORTCULLIS_TEST_MYSQL_URL")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_always_a_4xx_envelope_on_mongodb() {
    bad_input(Backend::Mongo).await;
}

async fn bad_input(backend: Backend) {
    let Some(srv) = start_on(backend, &[("SECURITY_TOKEN_MAX_AGE", "1")]).await else {
        return;
    };
    let mut c = Client::default();
    let json_headers = [("Content-Type", "application/json")];
    let mut cases: Vec<(&str, &str, Vec<u8>, u16)> = vec![
        ("malformed JSON", "/login", b"{not json".to_vec(), 400),
        ("a JSON array", "/login", b"[1,2,3]".to_vec(), 400),
        (
            "wrong types",
            "/login",
            br#"{"email": 42, "password": {"x": 1}}"#.to_vec(),
            400,
        ),
        ("missing fields", "/login", b"{}".to_vec(), 400),
        (
            "unknown user",
            "/login",
            br#"{"email": "nobody@example.com", "password": "whatever-123"}"#.to_vec(),
            400,
        ),
        (
            "register garbage",
            "/register",
            br#"{"email": ["a"], "password": null}"#.to_vec(),
            400,
        ),
        (
            "reset garbage token",
            "/reset/garbage",
            br#"{"password": "Long-Enough-1", "password_confirm": "Long-Enough-1"}"#.to_vec(),
            400,
        ),
        (
            "oversized body",
            "/login",
            format!(r#"{{"email": "{}"}}"#, "a".repeat(100_000)).into_bytes(),
            413,
        ),
    ];
    cases.push(("not UTF-8 form", "/login", vec![0xff, 0xfe, 0xfd], 400));
    for (what, path, body, status) in &cases {
        let headers: &[(&str, &str)] = if *what == "not UTF-8 form" {
            &[("Content-Type", "application/x-www-form-urlencoded")]
        } else {
            &json_headers
        };
        let r = c.request(&srv, "POST", path, Some(body), headers).await;
        assert_eq!(r.status, *status, "{what}");
        let j = r.json();
        assert_eq!(j["meta"]["code"], r.status, "{what}");
        assert!(j["response"]["errors"].is_array(), "{what}");
    }
    // Wrong password for a real user.
    let mut u = Client::default();
    u.post(
        &srv,
        "/register",
        json!({"email": "b@example.com", "password": PW, "password_confirm": PW}),
    )
    .await;
    let link = path_of(&srv.outbox.link_to("b@example.com", "/confirm/").unwrap());
    u.get(&srv, &link).await;
    let r = u
        .post(
            &srv,
            "/login",
            json!({"email": "b@example.com", "password": "wrong-password"}),
        )
        .await;
    assert_eq!(
        r.json()["response"]["field_errors"]["password"][0],
        "Invalid password"
    );
    // Garbage and expired tokens.
    assert_eq!(
        c.get_with(&srv, "/api/me", &[("Authentication-Token", "garbage")])
            .await
            .status,
        401
    );
    let r = u
        .post(
            &srv,
            "/login?include_auth_token",
            json!({"email": "b@example.com", "password": PW}),
        )
        .await;
    let token = r.json()["response"]["user"]["authentication_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        c.get_with(&srv, "/api/me", &[("Authentication-Token", &token)])
            .await
            .status,
        200
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        c.get_with(&srv, "/api/me", &[("Authentication-Token", &token)])
            .await
            .status,
        401,
        "expired"
    );
    // Garbage links redirect with an error; unknown paths are the app's 404.
    let r = c.get(&srv, "/confirm/garbage").await;
    assert!(
        r.header("location")
            .unwrap()
            .starts_with("/confirm-error?error=")
    );
    assert_eq!(c.get(&srv, "/no-such-page").await.status, 404);
    // A session mutation without the CSRF token.
    let mut s = u.clone();
    s.cookies.remove("XSRF-TOKEN");
    let r = s.post(&srv, "/change", json!({"password": PW, "new_password": "X-New-Passw0rd-1", "new_password_confirm": "X-New-Passw0rd-1"})).await;
    assert_eq!(
        (r.status, r.json()["response"]["errors"][0].clone()),
        (400, json!("The CSRF token is missing."))
    );
    // A garbage token, and a well-formed one from another session.
    let change = json!({"password": PW, "new_password": "X-New-Passw0rd-1", "new_password_confirm": "X-New-Passw0rd-1"});
    let mut forged = u.clone();
    forged
        .cookies
        .insert("XSRF-TOKEN".into(), "garbage.token.value".into());
    let r = forged.post(&srv, "/change", change.clone()).await;
    assert_eq!(
        (r.status, r.json()["response"]["errors"][0].clone()),
        (400, json!("The CSRF token is invalid."))
    );
    let mut stranger = Client::default();
    stranger.get(&srv, "/login").await;
    let theirs = stranger.cookies.get("XSRF-TOKEN").cloned().unwrap();
    let mut mixed = u.clone();
    mixed.cookies.insert("XSRF-TOKEN".into(), theirs);
    let r = mixed.post(&srv, "/change", change).await;
    assert_eq!(
        (r.status, r.json()["response"]["errors"][0].clone()),
        (400, json!("The CSRF tokens do not match."))
    );
    // Bad todo input.
    let r = u.post(&srv, "/api/todos", json!({"title": ""})).await;
    assert_eq!(r.status, 400);
    let r = u.post(&srv, "/api/todos", json!({"nope": 1})).await;
    assert_eq!(r.status, 400);
    assert!(
        r.json()["response"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("title")
    );
    srv.finish().await;
}
