//! Refresh tokens (`SECURITY_REFRESH_TOKEN`) on the todo example over real
//! TCP: a login with `include_auth_token` starts a family, `/refresh-token`
//! rotates it, and each of Flask-Security's five refusals — INVALID,
//! EXPIRED (age and idleness), NOT_FOUND, GEN_MISMATCH (which revokes the
//! family), REVOKED (logout) — is a 400 field error that issues nothing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use crate::on_every_backend;
use common::*;
use serde_json::{Value, json};

const PW: &str = TEST_PW;

/// Body mode: the refresh token travels in JSON.
const BODY_MODE: &[(&str, &str)] = &[
    ("SECURITY_REFRESH_TOKEN", "true"),
    ("SECURITY_REFRESH_TOKEN_COOKIE_NAME", ""),
];

async fn login_with_tokens(srv: &Server, c: &mut Client, email: &str) -> Value {
    let r = c
        .post(
            srv,
            "/login?include_auth_token",
            json!({"email": email, "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["response"]["user"].clone()
}

async fn refresh(srv: &Server, token: &str) -> Resp {
    Client::default()
        .post(srv, "/refresh-token", json!({"refresh_token": token}))
        .await
}

/// The refusal's text, and that nothing was issued.
fn refusal(r: &Resp) -> String {
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert!(j["response"].get("user").is_none(), "{j}");
    assert!(
        r.header("set-cookie")
            .is_none_or(|c| !c.starts_with("fs_refresh="))
    );
    j["response"]["field_errors"]["refresh_token"][0]
        .as_str()
        .unwrap_or_else(|| panic!("a refresh_token field error: {j}"))
        .to_owned()
}

async fn token_works(srv: &Server, auth: &str) -> bool {
    let r = Client::default()
        .get_with(srv, "/api/me", &[("Authentication-Token", auth)])
        .await;
    r.status == 200
}

on_every_backend!(refresh_rotates_and_a_replay_revokes_the_family:
    refresh_rotates_on_sqlite => Backend::Sqlite,
    refresh_rotates_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    refresh_rotates_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    refresh_rotates_on_mongodb => Backend::Mongo,
);

async fn refresh_rotates_and_a_replay_revokes_the_family(backend: Backend) {
    let Some(srv) = start_on(backend, BODY_MODE).await else {
        return;
    };
    register_confirmed(&srv, "rt@example.com").await;
    let mut c = Client::default();
    let user = login_with_tokens(&srv, &mut c, "rt@example.com").await;
    let first = user["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    assert!(token_works(&srv, user["authentication_token"].as_str().unwrap()).await);

    let r = refresh(&srv, &first).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let j = r.json();
    assert!(j["response"].get("csrf_token").is_none(), "{j}");
    let second = j["response"]["user"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = j["response"]["user"]["authentication_token"]
        .as_str()
        .unwrap();
    assert_ne!(second, first);
    assert!(token_works(&srv, auth).await);

    let r = refresh(&srv, &second).await;
    assert_eq!(r.status, 200);
    let third = r.json()["response"]["user"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // The first token again: a replay. Refused, and the family is revoked,
    // so the newest token dies with it.
    assert_eq!(
        refusal(&refresh(&srv, &first).await),
        "Refresh token is invalid (GEN_MISMATCH)"
    );
    assert_eq!(
        refusal(&refresh(&srv, &third).await),
        "Refresh token is invalid (REVOKED)"
    );
    // A new login starts a new family.
    let user = login_with_tokens(&srv, &mut Client::default(), "rt@example.com").await;
    let fresh = user["refresh_token"].as_str().unwrap();
    assert_eq!(refresh(&srv, fresh).await.status, 200);
    srv.finish().await;
}

#[tokio::test]
async fn invalid_missing_and_non_json_refresh_requests_are_refused() {
    let srv = start_with(BODY_MODE, None).await;
    register_confirmed(&srv, "rtbad@example.com").await;
    let user = login_with_tokens(&srv, &mut Client::default(), "rtbad@example.com").await;
    let good = user["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        refusal(&refresh(&srv, "garbage").await),
        "Refresh token is invalid (INVALID)"
    );
    // A token signed for something else (the auth token) is not one.
    let auth = user["authentication_token"].as_str().unwrap();
    assert_eq!(
        refusal(&refresh(&srv, auth).await),
        "Refresh token is invalid (INVALID)"
    );
    // The signature's first character changed (the last one may carry
    // only padding bits).
    let mut tampered = good.clone().into_bytes();
    let sig = good.rfind('.').unwrap() + 1;
    tampered[sig] = if tampered[sig] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        refusal(&refresh(&srv, &tampered).await),
        "Refresh token is invalid (INVALID)"
    );
    let r = Client::default()
        .post(&srv, "/refresh-token", json!({}))
        .await;
    assert_eq!(refusal(&r), "This field is required.");
    let r = Client::default()
        .post(&srv, "/refresh-token", json!({"refresh_token": 5}))
        .await;
    assert_eq!(r.status, 400);
    // JSON only; GET is not a method here.
    let r = Client::default()
        .request(
            &srv,
            "POST",
            "/refresh-token",
            Some(format!("refresh_token={good}").as_bytes()),
            &[("Content-Type", "application/x-www-form-urlencoded")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        Client::default().get(&srv, "/refresh-token").await.status,
        405
    );
    // None of that spent the good token.
    assert_eq!(refresh(&srv, &good).await.status, 200);
    srv.finish().await;
}

#[tokio::test]
async fn refresh_tokens_expire_by_age_and_by_idleness() {
    let srv = start_with(
        &[
            ("SECURITY_REFRESH_TOKEN", "true"),
            ("SECURITY_REFRESH_TOKEN_COOKIE_NAME", ""),
            ("SECURITY_REFRESH_TOKEN_MAX_IDLE", "1 seconds"),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "idle@example.com").await;
    let user = login_with_tokens(&srv, &mut Client::default(), "idle@example.com").await;
    let t = user["refresh_token"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    assert_eq!(
        refusal(&refresh(&srv, &t).await),
        "Refresh token is invalid (EXPIRED)"
    );
    srv.finish().await;

    let srv = start_with(
        &[
            ("SECURITY_REFRESH_TOKEN", "true"),
            ("SECURITY_REFRESH_TOKEN_COOKIE_NAME", ""),
            ("SECURITY_REFRESH_TOKEN_MAX_AGE", "2 seconds"),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "age@example.com").await;
    let user = login_with_tokens(&srv, &mut Client::default(), "age@example.com").await;
    let mut t = user["refresh_token"].as_str().unwrap().to_owned();
    // Use keeps it from idling, not from ageing.
    for _ in 0..2 {
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
        let r = refresh(&srv, &t).await;
        assert_eq!(r.status, 200);
        t = r.json()["response"]["user"]["refresh_token"]
            .as_str()
            .unwrap()
            .to_owned();
    }
    tokio::time::sleep(std::time::Duration::from_millis(900)).await;
    assert_eq!(
        refusal(&refresh(&srv, &t).await),
        "Refresh token is invalid (EXPIRED)"
    );
    // The next login cleans the expired family up: its token is then NOT_FOUND.
    login_with_tokens(&srv, &mut Client::default(), "age@example.com").await;
    assert_eq!(
        refusal(&refresh(&srv, &t).await),
        "Refresh token is invalid (NOT_FOUND)"
    );
    srv.finish().await;
}

#[tokio::test]
async fn cookie_mode_sets_rotates_and_logout_revokes_and_clears() {
    let srv = start_with(&[("SECURITY_REFRESH_TOKEN", "true")], None).await;
    register_confirmed(&srv, "rtc@example.com").await;
    let mut c = Client::default();
    let r = c
        .post(
            &srv,
            "/login?include_auth_token",
            json!({"email": "rtc@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.json()["response"]["user"].get("refresh_token").is_none());
    let set = r.headers["set-cookie"]
        .iter()
        .find(|c| c.starts_with("fs_refresh="))
        .expect("the refresh cookie")
        .clone();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(flag), "{set}");
    }
    assert!(!set.contains("Max-Age"), "a browser-session cookie: {set}");
    assert!(r.headers["vary"].iter().any(|v| v.contains("Cookie")));
    let first = c.cookies["fs_refresh"].clone();

    // The cookie is what counts: a body token is ignored in cookie mode.
    let r = c
        .post(&srv, "/refresh-token", json!({"refresh_token": "garbage"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let second = c.cookies["fs_refresh"].clone();
    assert_ne!(first, second);
    assert!(r.json()["response"]["user"]["authentication_token"].is_string());

    // Logout revokes the family and deletes the cookie.
    let r = c.post(&srv, "/logout", json!({})).await;
    assert_eq!(r.status, 200);
    assert!(!c.cookies.contains_key("fs_refresh"));
    let mut thief = Client::default();
    thief.cookies.insert("fs_refresh".into(), second);
    let r = thief.post(&srv, "/refresh-token", json!({})).await;
    assert_eq!(refusal(&r), "Refresh token is invalid (REVOKED)");
    // Without a cookie there is nothing to refresh.
    let r = Client::default()
        .post(&srv, "/refresh-token", json!({}))
        .await;
    assert_eq!(refusal(&r), "This field is required.");
    srv.finish().await;
}

#[tokio::test]
async fn logout_revokes_only_the_callers_own_family_and_a_login_without_token_issues_none() {
    let srv = start_with(BODY_MODE, None).await;
    register_confirmed(&srv, "a@example.com").await;
    register_confirmed(&srv, "b@example.com").await;
    let mut a = Client::default();
    let ua = login_with_tokens(&srv, &mut a, "a@example.com").await;
    let mut b = Client::default();
    let ub = login_with_tokens(&srv, &mut b, "b@example.com").await;
    let (ta, tb) = (
        ua["refresh_token"].as_str().unwrap().to_owned(),
        ub["refresh_token"].as_str().unwrap().to_owned(),
    );
    // b logs out naming a's token: a's family lives on.
    assert_eq!(
        b.post(&srv, "/logout", json!({"refresh_token": ta}))
            .await
            .status,
        200
    );
    let r = refresh(&srv, &ta).await;
    assert_eq!(r.status, 200);
    let ta = r.json()["response"]["user"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // b's own family was not named, so it lives too.
    assert_eq!(refresh(&srv, &tb).await.status, 200);
    // a logs out with its token: revoked.
    assert_eq!(
        a.post(&srv, "/logout", json!({"refresh_token": ta}))
            .await
            .status,
        200
    );
    assert_eq!(
        refusal(&refresh(&srv, &ta).await),
        "Refresh token is invalid (REVOKED)"
    );
    // A session login without include_auth_token issues no refresh token.
    let r = Client::default()
        .post(
            &srv,
            "/login",
            json!({"email": "a@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.json()["response"]["user"].get("refresh_token").is_none());
    srv.finish().await;
}

#[tokio::test]
async fn refresh_is_off_by_default_and_attempts_are_limited() {
    let srv = start_with(&[], None).await;
    assert_eq!(
        Client::default()
            .post(&srv, "/refresh-token", json!({"refresh_token": "x"}))
            .await
            .status,
        404
    );
    srv.finish().await;

    let srv = start_with(
        &[
            ("SECURITY_REFRESH_TOKEN", "true"),
            ("SECURITY_REFRESH_TOKEN_COOKIE_NAME", ""),
            ("SECURITY_LIMIT_FAILED_PER_ADDRESS", "3/1h"),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "lim@example.com").await;
    let user = login_with_tokens(&srv, &mut Client::default(), "lim@example.com").await;
    let good = user["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(refresh(&srv, "garbage").await.status, 400);
    }
    let r = refresh(&srv, &good).await;
    assert_eq!(r.status, 429, "{:?}", r.json());
    assert!(r.header("retry-after").is_some());
    srv.finish().await;
}

#[tokio::test]
async fn cleanup_revoked_deletes_a_revoked_family_at_the_next_login() {
    let srv = start_with(
        &[
            ("SECURITY_REFRESH_TOKEN", "true"),
            ("SECURITY_REFRESH_TOKEN_COOKIE_NAME", ""),
            ("SECURITY_REFRESH_TOKEN_CLEANUP_REVOKED", "true"),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "cr@example.com").await;
    let mut c = Client::default();
    let user = login_with_tokens(&srv, &mut c, "cr@example.com").await;
    let t = user["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(
        c.post(&srv, "/logout", json!({"refresh_token": t}))
            .await
            .status,
        200
    );
    assert_eq!(
        refusal(&refresh(&srv, &t).await),
        "Refresh token is invalid (REVOKED)"
    );
    login_with_tokens(&srv, &mut Client::default(), "cr@example.com").await;
    assert_eq!(
        refusal(&refresh(&srv, &t).await),
        "Refresh token is invalid (NOT_FOUND)"
    );
    srv.finish().await;
}
