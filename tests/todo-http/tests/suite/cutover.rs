//! The cutover from a Flask-Security app without logging anyone out
//! (`SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL`): a Flask session cookie,
//! signed with the app's `SECRET_KEY` by Flask's recipe, is exchanged once
//! for a Portcullis session of the same user; replayed, tampered, late or
//! without the setting, it is nobody.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use portcullis_core::UserStore;
use portcullis_core::crypto::{SecretString, UrlSafeTimedSerializer};
use serde_json::json;

async fn registered(srv: &Server, email: &str) -> String {
    register_confirmed(srv, email).await;
    let store = portcullis_sqlite::SqliteStore::open_url(&srv.db)
        .await
        .unwrap();
    store
        .find_user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .fs_uniquifier
}

/// The session cookie the Flask-Security app would have set.
fn flask_cookie(uid: &str, fresh: bool) -> String {
    let key = SecretString::new("todo-http-test-secret");
    UrlSafeTimedSerializer::flask_session([&key])
        .unwrap()
        .dumps(
            &json!({"_user_id": uid, "_fresh": fresh, "_id": "x", "fs_paa": now() as f64, "_permanent": true}),
            now(),
        )
}

fn with_session(cookie: &str) -> Client {
    let mut c = Client::default();
    c.cookies.insert("session".into(), cookie.to_owned());
    c
}

fn rfc3339(offset_secs: i64) -> String {
    chrono_like(now() + offset_secs)
}

/// Unix seconds as an RFC 3339 UTC moment (no date library needed here).
fn chrono_like(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[tokio::test]
async fn a_flask_session_becomes_a_portcullis_session_once() {
    let until = rfc3339(86_400);
    let srv = start_with(
        &[("SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL", &until)],
        None,
    )
    .await;
    let uid = registered(&srv, "moved@example.com").await;
    let cookie = flask_cookie(&uid, true);

    let mut browser = with_session(&cookie);
    let r = browser.get(&srv, "/api/me").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // The browser now holds a Portcullis session id in place of Flask's cookie.
    let ours = browser.cookies["session"].clone();
    assert!(ours != cookie && ours.len() <= 64, "{ours}");
    assert_eq!(browser.get(&srv, "/api/me").await.status, 200);
    // Fresh as it was: a freshness-guarded endpoint does not ask to verify.
    assert_eq!(browser.get(&srv, "/tf-setup").await.status, 200);

    // Once: the same Flask cookie elsewhere is nobody.
    let mut replay = with_session(&cookie);
    assert_eq!(replay.get(&srv, "/api/me").await.status, 401);

    // Tampered or signed with another key: nobody.
    // (A byte of the payload changes; the signature's last base64
    // character carries padding bits, so changing it may change nothing.)
    let mut bytes = cookie.clone().into_bytes();
    bytes[5] = if bytes[5] == b'A' { b'B' } else { b'A' };
    let mut tampered = with_session(&String::from_utf8(bytes).unwrap());
    assert_eq!(tampered.get(&srv, "/api/me").await.status, 401);
    let forged = UrlSafeTimedSerializer::flask_session([&SecretString::new("guess")])
        .unwrap()
        .dumps(&json!({"_user_id": uid, "_fresh": true}), now());
    assert_eq!(with_session(&forged).get(&srv, "/api/me").await.status, 401);

    // A session that was not fresh stays not fresh.
    let mut stale = with_session(&flask_cookie(&uid, false));
    assert_eq!(stale.get(&srv, "/api/me").await.status, 200);
    let r = stale.get(&srv, "/tf-setup").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["response"]["reauth_required"], json!(true));
}

#[tokio::test]
async fn without_the_setting_or_after_its_deadline_flask_sessions_are_nobody() {
    for extra in [
        vec![],
        vec![("SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL", rfc3339(-60))],
    ] {
        let vars: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let srv = start_with(&vars, None).await;
        let uid = registered(&srv, "late@example.com").await;
        let mut c = with_session(&flask_cookie(&uid, true));
        assert_eq!(c.get(&srv, "/api/me").await.status, 401, "{extra:?}");
    }
}

#[test]
fn moments_are_written_as_rfc3339() {
    assert_eq!(chrono_like(0), "1970-01-01T00:00:00Z");
    assert_eq!(chrono_like(1_796_253_658), "2026-12-02T23:20:58Z");
}
