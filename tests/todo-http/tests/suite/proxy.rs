//! Behind reverse proxies: `X-Forwarded-For` is believed only as far as
//! `SECURITY_TRUSTED_PROXY_HOPS` says, for login tracking and the attempt
//! limits alike.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use portcullis_core::store::UserStore;
use serde_json::json;

const PW: &str = TEST_PW;

async fn login_from(srv: &Server, email: &str, password: &str, forwarded: &str) -> u16 {
    let body = json!({"email": email, "password": password}).to_string();
    Client::default()
        .request(
            srv,
            "POST",
            "/login",
            Some(body.as_bytes()),
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", forwarded),
            ],
        )
        .await
        .status
}

async fn recorded_address(srv: &Server, email: &str) -> Option<String> {
    let store = portcullis_sqlite::SqliteStore::open_url(&srv.db)
        .await
        .unwrap();
    store
        .find_user_by_email(email)
        .await
        .unwrap()
        .unwrap()
        .current_login_ip
}

#[tokio::test]
async fn forwarded_addresses_are_ignored_unless_trusted() {
    let srv = start_with(&[], None).await;
    register_confirmed(&srv, "direct@example.com").await;
    assert_eq!(
        login_from(&srv, "direct@example.com", PW, "203.0.113.7").await,
        200
    );
    assert_eq!(
        recorded_address(&srv, "direct@example.com")
            .await
            .as_deref(),
        Some("127.0.0.1")
    );
}

#[tokio::test]
async fn one_trusted_proxy_gives_the_address_it_saw() {
    let srv = start_with(
        &[
            ("SECURITY_TRUSTED_PROXY_HOPS", "1"),
            ("SECURITY_LIMIT_FAILED_PER_ADDRESS", "3/1h"),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "proxied@example.com").await;
    // The client's own claim ("6.6.6.6") comes first; the proxy appends
    // what it saw.
    assert_eq!(
        login_from(&srv, "proxied@example.com", PW, "6.6.6.6, 203.0.113.7").await,
        200
    );
    assert_eq!(
        recorded_address(&srv, "proxied@example.com")
            .await
            .as_deref(),
        Some("203.0.113.7")
    );
    // Not an address: the peer stands.
    assert_eq!(
        login_from(&srv, "proxied@example.com", PW, "not-an-ip").await,
        200
    );
    assert_eq!(
        recorded_address(&srv, "proxied@example.com")
            .await
            .as_deref(),
        Some("127.0.0.1")
    );

    // The attempt limits count per forwarded address: one address runs out,
    // another behind the same proxy does not.
    for _ in 0..3 {
        assert_eq!(
            login_from(&srv, "proxied@example.com", "wrong", "198.51.100.1").await,
            400
        );
    }
    assert_eq!(
        login_from(&srv, "proxied@example.com", PW, "198.51.100.1").await,
        429
    );
    assert_eq!(
        login_from(&srv, "proxied@example.com", PW, "198.51.100.2").await,
        200
    );
}
