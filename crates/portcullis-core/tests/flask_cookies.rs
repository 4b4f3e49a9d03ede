//! Flask's own cookies at the core level: a Flask session cookie adopted
//! once before the cutover deadline (`adopt_flask_session`), and the
//! remember-me cookie (`remember_cookie` / `remembered_user`). The TCP
//! suites (`cutover.rs`, `remember.rs`) and `cargo xtask interop` prove them
//! end to end; these pin the core's own decisions (found by mutation
//! testing, `docs/testing.md`).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use portcullis_core::{NewUser, UserStore};

/// Made by Flask 3's SecureCookieSessionInterface with SECRET_KEY
/// "flask-session-vector-secret" at `MADE` (the vector
/// `portcullis-crypto`'s serializer tests read too).
const COOKIE: &str = ".eJwljEEOwyAMBP_ic1Q5BBLMZywTjFpVpRGQU9W_N2mOo52dD_DetPIjQQBMZLzgKIreSvQ0TXbxRJGQkrMrDMC5artD6HXXg_43ieeSG28iEMaFZuMMIt7cAGurmfv7qeUQM-KZ2LS-pGjpV-b7A-33J1A.axCn2g.1qcrm-aF0GUdPmPkjsqoVNuHEIY";
const UID: &str = "0d928a01ae084ab893347899b909d54c";
const MADE: f64 = 1_796_253_658.0;
const DAY: f64 = 86_400.0;

async fn flask_env(until: &str, age: f64) -> Env {
    let e = env(&[
        ("SECRET_KEY", "flask-session-vector-secret"),
        ("SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL", until),
    ]);
    e.clock.set(MADE + age);
    e.store
        .create_user(NewUser {
            fs_uniquifier: Some(UID.into()),
            ..NewUser::new("ada@example.com", None)
        })
        .await
        .unwrap();
    e
}

#[tokio::test]
async fn a_flask_session_is_adopted_once_before_the_deadline() {
    // Twenty days old: within Flask's 31-day lifetime.
    let e = flask_env("2030-01-01T00:00:00Z", 20.0 * DAY).await;
    let s = e
        .security
        .adopt_flask_session(COOKIE)
        .await
        .unwrap()
        .expect("adopted");
    assert_eq!(s.user.fs_uniquifier, UID);
    assert!(s.fresh, "Flask-Login's _fresh carried over");
    assert_eq!(s.fs_paa, Some(1_796_252_000.5));
    assert!(
        e.security
            .adopt_flask_session(COOKIE)
            .await
            .unwrap()
            .is_none(),
        "a replay gets nothing"
    );
}

#[tokio::test]
async fn no_adoption_after_the_deadline_past_31_days_or_under_another_key() {
    let past = flask_env("2026-01-01T00:00:00Z", 60.0).await;
    assert!(
        past.security
            .adopt_flask_session(COOKIE)
            .await
            .unwrap()
            .is_none()
    );
    let old = flask_env("2030-01-01T00:00:00Z", 32.0 * DAY).await;
    assert!(
        old.security
            .adopt_flask_session(COOKIE)
            .await
            .unwrap()
            .is_none()
    );
    let off = env(&[("SECRET_KEY", "flask-session-vector-secret")]);
    off.clock.set(MADE + 60.0);
    assert!(
        off.security
            .adopt_flask_session(COOKIE)
            .await
            .unwrap()
            .is_none()
    );
    let other = env(&[
        ("SECRET_KEY", "another"),
        (
            "SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL",
            "2030-01-01T00:00:00Z",
        ),
    ]);
    other.clock.set(MADE + 60.0);
    assert!(
        other
            .security
            .adopt_flask_session(COOKIE)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_remember_cookie_names_its_user_under_the_key_only() {
    let e = flask_env("2030-01-01T00:00:00Z", 60.0).await;
    let cookie = e.security.remember_cookie(UID);
    assert!(
        cookie.starts_with(UID),
        "Flask-Login's `<id>|<digest>`: {cookie}"
    );
    let user = e.security.remembered_user(&cookie).await.unwrap();
    assert_eq!(user.map(|u| u.fs_uniquifier).as_deref(), Some(UID));
    let forged = format!("{UID}|{}", "0".repeat(128));
    assert!(e.security.remembered_user(&forged).await.unwrap().is_none());
}
