//! Remember me on the todo example over real TCP: Flask-Login's
//! `remember_token` cookie outlives the session, logs the user back in (not
//! fresh), is cleared by logout, and
//! dies when the user's `fs_uniquifier` rotates.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use serde_json::json;

const PW: &str = TEST_PW;
const NEW_PW: &str = "Another-Horse-Battery-7";

fn set_cookie<'r>(r: &'r Resp, name: &str) -> Option<&'r str> {
    r.headers
        .get("set-cookie")?
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(String::as_str)
}

/// A client holding only the remember cookie, as a browser does once its
/// session has expired.
fn only_remembered(c: &Client) -> Client {
    let mut next = Client::default();
    let token = c
        .cookies
        .get("remember_token")
        .expect("a remember cookie")
        .clone();
    next.cookies.insert("remember_token".into(), token);
    next
}

async fn status(srv: &Server, c: &mut Client, path: &str) -> u16 {
    c.get(srv, path).await.status
}

#[tokio::test]
async fn remember_me_outlives_the_session_and_is_not_fresh() {
    let srv = start_with(&[], None).await;
    register_confirmed(&srv, "rm@example.com").await;
    let mut c = Client::default();
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "rm@example.com", "password": PW, "remember": true}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let cookie = set_cookie(&r, "remember_token").expect("remember_token set");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(
        cookie.contains(&format!("Max-Age={}", 365 * 86400)),
        "{cookie}"
    );

    // The session is gone; the cookie logs the user in again.
    let mut later = only_remembered(&c);
    assert_eq!(status(&srv, &mut later, "/change").await, 200);
    // ... but not freshly: a freshness-guarded endpoint asks to verify.
    let r = later.get(&srv, "/tf-setup").await;
    assert_eq!(r.status, 401, "{:?}", r.json());
    assert_eq!(r.json()["response"]["reauth_required"], json!(true));

    // A forged or tampered cookie is nobody.
    let mut forged = Client::default();
    let good = c.cookies["remember_token"].clone();
    let (uid, _) = good.split_once('|').unwrap();
    forged.cookies.insert(
        "remember_token".into(),
        format!("{uid}|{}", "0".repeat(128)),
    );
    assert_eq!(status(&srv, &mut forged, "/change").await, 401);
    forged
        .cookies
        .insert("remember_token".into(), format!("{good}0"));
    assert_eq!(status(&srv, &mut forged, "/change").await, 401);

    // Logout clears it.
    let r = later.post(&srv, "/logout", json!({})).await;
    assert_eq!(r.status, 200);
    let cleared = set_cookie(&r, "remember_token").expect("remember_token cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
}

#[tokio::test]
async fn a_password_change_kills_it_and_renews_the_changers() {
    let srv = start_with(&[("SECURITY_DEFAULT_REMEMBER_ME", "true")], None).await;
    register_confirmed(&srv, "rot@example.com").await;
    let mut c = Client::default();
    // SECURITY_DEFAULT_REMEMBER_ME: no field, remembered.
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "rot@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(set_cookie(&r, "remember_token").is_some());
    let stolen = only_remembered(&c);

    // The password changes: the uniquifier rotates, the old cookie is dead.
    let r = c
        .post(
            &srv,
            "/change",
            json!({"password": PW, "new_password": NEW_PW, "new_password_confirm": NEW_PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let mut thief = stolen;
    assert_eq!(status(&srv, &mut thief, "/change").await, 401);
    // The user who changed it stays remembered, with a new cookie.
    let renewed = set_cookie(&r, "remember_token").expect("a new remember cookie");
    assert!(!renewed.contains("Max-Age=0"), "{renewed}");
    let mut later = only_remembered(&c);
    assert_eq!(status(&srv, &mut later, "/change").await, 200);

    // As Flask-Login: a login without "remember" leaves the cookie alone
    // (a browser without one gets no Set-Cookie for it) ...
    let mut other = Client::default();
    let r = other
        .post(
            &srv,
            "/login",
            json!({"email": "rot@example.com", "password": NEW_PW, "remember": false}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(set_cookie(&r, "remember_token").is_none());
    // ... and its logout, with no cookie to clear, sends none either.
    let r = other.post(&srv, "/logout", json!({})).await;
    assert_eq!(r.status, 200);
    assert!(set_cookie(&r, "remember_token").is_none());
}

#[tokio::test]
async fn the_cookie_settings_apply() {
    let srv = start_with(
        &[
            ("REMEMBER_COOKIE_NAME", "keep_me"),
            ("REMEMBER_COOKIE_DURATION", "3600"),
            ("REMEMBER_COOKIE_SECURE", "true"),
            ("REMEMBER_COOKIE_SAMESITE", "Lax"),
            ("REMEMBER_COOKIE_PATH", "/app"),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "cfg@example.com").await;
    let mut c = Client::default();
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "cfg@example.com", "password": PW, "remember": true}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(set_cookie(&r, "remember_token").is_none());
    let cookie = set_cookie(&r, "keep_me").expect("keep_me");
    for part in ["Max-Age=3600", "Secure", "SameSite=Lax", "Path=/app"] {
        assert!(cookie.contains(part), "{part}: {cookie}");
    }
}
