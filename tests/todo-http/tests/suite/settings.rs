//! Flask-Security settings that used to parse and do nothing, each with a
//! test that fails when the setting is ignored (issue #18 item 1, #22):
//! `LOGOUT_CSRF`, `CACHE_CONTROL`, `CSRF_COOKIE_REFRESH_EACH_REQUEST`,
//! `REDIRECT_ALLOW_SUBDOMAINS` (with `SERVER_NAME`), `REDIRECT_BASE_DOMAIN`
//! and `REDIRECT_ALLOWED_SUBDOMAINS`, `REDIRECT_HOST`,
//! `REQUIRES_CONFIRMATION_ERROR_VIEW`, `TWO_FACTOR_ERROR_VIEW`,
//! `TWO_FACTOR_POST_SETUP_VIEW`, `US_POST_SETUP_VIEW`,
//! `POST_CHANGE_USERNAME_VIEW` — on the todo example, for each adapter.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use common::*;
use serde_json::json;

const PW: &str = TEST_PW;
const HTML: &str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";

/// Registers, confirms and logs `email` in (a session, with its CSRF cookie).
async fn logged_in(srv: &Server, email: &str) -> Client {
    let mut c = register_confirmed(srv, email).await;
    let r = c
        .post(srv, "/login", json!({"email": email, "password": PW}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    c
}

/// A JSON post without the CSRF header.
async fn post_without_csrf(c: &mut Client, srv: &Server, path: &str) -> Resp {
    c.request(
        srv,
        "POST",
        path,
        Some(b"{}"),
        &[("Content-Type", "application/json")],
    )
    .await
}

/// A browser's form post (HTML wanted), with the CSRF header from the cookie.
async fn browser_post(c: &mut Client, srv: &Server, path: &str, fields: &[(&str, &str)]) -> Resp {
    let csrf = c.cookies.get("XSRF-TOKEN").cloned().unwrap_or_default();
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{k}={}", v.replace('@', "%40")))
        .collect();
    c.request(
        srv,
        "POST",
        path,
        Some(body.join("&").as_bytes()),
        &[
            ("Accept", HTML),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-XSRF-Token", &csrf),
        ],
    )
    .await
}

fn location(r: &Resp) -> String {
    r.header("location").unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_csrf_makes_a_signed_in_logout_need_the_token() {
    // Off (Flask-Security's default): a logout needs no token.
    let srv = start_with(&[], None).await;
    let mut c = logged_in(&srv, "off@example.com").await;
    assert_eq!(post_without_csrf(&mut c, &srv, "/logout").await.status, 200);
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);

    let srv = start_with(&[("SECURITY_LOGOUT_CSRF", "true")], None).await;
    let mut c = logged_in(&srv, "on@example.com").await;
    let r = post_without_csrf(&mut c, &srv, "/logout").await;
    assert_eq!(r.status, 400, "{:?}", r.json());
    assert_eq!(c.get(&srv, "/api/me").await.status, 200, "still signed in");
    assert_eq!(c.post(&srv, "/logout", json!({})).await.status, 200);
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    // A browser's logout without the token gets Flask-Security's
    // "Confirm Sign Out" page, whose form carries it.
    let mut c = logged_in(&srv, "page@example.com").await;
    let html = "text/html";
    let r = c
        .request(&srv, "POST", "/logout", Some(b""), &[("Accept", html)])
        .await;
    assert_eq!(r.status, 200);
    let page = String::from_utf8_lossy(&r.body).into_owned();
    assert!(
        page.contains("<title>Confirm Sign Out</title>")
            && page.contains(r#"name="logout_form""#)
            && page.contains("The CSRF token is missing."),
        "{page}"
    );
    assert_eq!(c.get(&srv, "/api/me").await.status, 200, "still signed in");
    let at = page
        .find(r#"name="csrf_token" type="hidden" value=""#)
        .unwrap()
        + 39;
    let token = &page[at..at + page[at..].find('"').unwrap()];
    let body = format!("csrf_token={token}");
    let r = c
        .request(
            &srv,
            "POST",
            "/logout",
            Some(body.as_bytes()),
            &[
                ("Accept", html),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
        )
        .await;
    assert_eq!(r.status, 302);
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    // Nobody signed in: nothing to protect, as Flask-Security.
    assert_eq!(
        post_without_csrf(&mut Client::default(), &srv, "/logout")
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_control_is_the_settings() {
    let cc = |r: &Resp| r.header("cache-control").map(str::to_owned);
    let srv = start_with(&[], None).await;
    let mut c = Client::default();
    assert_eq!(
        cc(&c.get(&srv, "/login").await).as_deref(),
        Some("private, no-store")
    );
    let srv = start_with(
        &[(
            "SECURITY_CACHE_CONTROL",
            r#"{"no-cache": true, "private": false, "max-stale": true}"#,
        )],
        None,
    )
    .await;
    assert_eq!(
        cc(&c.get(&srv, "/login").await).as_deref(),
        Some("no-cache, max-stale")
    );
    let srv = start_with(&[("SECURITY_CACHE_CONTROL", "{}")], None).await;
    assert_eq!(cc(&c.get(&srv, "/login").await), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csrf_cookie_refresh_each_request_sends_it_on_every_signed_in_answer() {
    let sets_csrf = |r: &Resp| {
        r.headers
            .get("set-cookie")
            .is_some_and(|v| v.iter().any(|c| c.starts_with("XSRF-TOKEN=")))
    };
    let srv = start_with(&[], None).await;
    let mut c = logged_in(&srv, "once@example.com").await;
    assert!(!sets_csrf(&c.get(&srv, "/api/me").await));

    let srv = start_with(
        &[("SECURITY_CSRF_COOKIE_REFRESH_EACH_REQUEST", "true")],
        None,
    )
    .await;
    let mut anon = Client::default();
    assert!(
        !sets_csrf(&anon.get(&srv, "/").await),
        "not without a login"
    );
    let mut c = logged_in(&srv, "each@example.com").await;
    let r = c.get(&srv, "/api/me").await;
    assert_eq!(r.status, 200);
    assert!(sets_csrf(&r), "the app's own route");
    // And the refreshed token works.
    let r = c.post(&srv, "/logout", json!({})).await;
    assert_eq!(r.status, 200);
}

async fn next_status(srv: &Server, email: &str, next: &str) -> u16 {
    let r = Client::default()
        .post(
            srv,
            "/login",
            json!({"email": email, "password": PW, "next": next}),
        )
        .await;
    r.status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_allowlists_let_next_leave_for_named_hosts_only() {
    let srv = start_with(&[], None).await;
    register_confirmed(&srv, "n@example.com").await;
    assert_eq!(
        next_status(&srv, "n@example.com", "https://shop.example.com/x").await,
        400
    );

    let srv = start_with(
        &[
            ("SERVER_NAME", "example.com"),
            ("SECURITY_REDIRECT_ALLOW_SUBDOMAINS", "true"),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "n@example.com").await;
    assert_eq!(
        next_status(&srv, "n@example.com", "https://shop.example.com/x").await,
        200
    );
    assert_eq!(
        next_status(&srv, "n@example.com", "https://example.com.evil.net/").await,
        400
    );

    let srv = start_with(
        &[
            ("SECURITY_REDIRECT_BASE_DOMAIN", "example.org"),
            ("SECURITY_REDIRECT_ALLOWED_SUBDOMAINS", r#"["api"]"#),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "n@example.com").await;
    assert_eq!(
        next_status(&srv, "n@example.com", "https://api.example.org/x").await,
        200
    );
    assert_eq!(
        next_status(&srv, "n@example.com", "https://www.example.org/x").await,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirect_host_moves_url_views_to_the_spa_host() {
    for (host, want) in [
        (None, "/confirmed?"),
        (Some("localhost:8081"), "//localhost:8081/confirmed?"),
    ] {
        let extra: Vec<(&str, &str)> = host
            .map(|h| vec![("SECURITY_REDIRECT_HOST", h)])
            .unwrap_or_default();
        let srv = start_with(&extra, None).await;
        let r = Client::default()
            .post(
                &srv,
                "/register",
                json!({"email": "spa@example.com", "password": PW, "password_confirm": PW}),
            )
            .await;
        assert_eq!(r.status, 200);
        let link = srv.outbox.link_to("spa@example.com", "/confirm/").unwrap();
        let r = Client::default().get(&srv, &path_of(&link)).await;
        assert!(location(&r).starts_with(want), "{host:?}: {}", location(&r));
        // Portcullis' own pages stay where they are (endpoints, not URLs).
        let r = Client::default()
            .get_with(&srv, "/api/me", &[("Accept", HTML)])
            .await;
        assert!(location(&r).starts_with("/login?next="), "{}", location(&r));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requires_confirmation_error_view_receives_an_unconfirmed_browser() {
    for (view, want) in [
        (None, None),
        (
            Some("/confirm-first"),
            Some("/confirm-first?email=late%40example.com"),
        ),
        (Some("/confirm"), Some("/confirm?email=late%40example.com")),
    ] {
        let extra: Vec<(&str, &str)> = view
            .map(|v| vec![("SECURITY_REQUIRES_CONFIRMATION_ERROR_VIEW", v)])
            .unwrap_or_default();
        let srv = start_with(&extra, None).await;
        let mut c = Client::default();
        let r = c
            .post(
                &srv,
                "/register",
                json!({"email": "late@example.com", "password": PW, "password_confirm": PW}),
            )
            .await;
        assert_eq!(r.status, 200);
        let r = browser_post(
            &mut c,
            &srv,
            "/login",
            &[("email", "late@example.com"), ("password", PW)],
        )
        .await;
        match want {
            Some(w) => {
                assert_eq!(r.status, 302);
                assert_eq!(location(&r), w);
                if w.starts_with("/confirm?") {
                    // The resend page, its email filled in from the query.
                    let page = c.get_with(&srv, w, &[("Accept", HTML)]).await;
                    let page = String::from_utf8_lossy(&page.body);
                    assert!(
                        page.contains(r#"name="send_confirmation_form""#)
                            && page.contains(
                                r#"id="email" name="email" required type="email" value="late@example.com">"#
                            ),
                        "{page}"
                    );
                }
            }
            None => assert_ne!(r.status, 302, "the login page with its error"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_error_view_receives_a_browser_with_no_login_in_progress() {
    for (view, want) in [(None, "/login"), (Some("/tf-oops"), "/tf-oops")] {
        let extra: Vec<(&str, &str)> = view
            .map(|v| vec![("SECURITY_TWO_FACTOR_ERROR_VIEW", v)])
            .unwrap_or_default();
        let srv = start_with(&extra, None).await;
        let r = browser_post(
            &mut Client::default(),
            &srv,
            "/tf-validate",
            &[("code", "123456")],
        )
        .await;
        assert_eq!(r.status, 302, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(location(&r), want);
        // The setup page, opened by nobody (no login asking for a setup).
        let r = Client::default()
            .get_with(&srv, "/tf-setup", &[("Accept", HTML)])
            .await;
        assert_eq!(r.status, 302, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(location(&r), want);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_setup_views_follow_a_validated_setup() {
    let srv = start_with(
        &[
            ("SECURITY_TWO_FACTOR_POST_SETUP_VIEW", "/tf-done"),
            ("SECURITY_US_POST_SETUP_VIEW", "/us-done"),
        ],
        None,
    )
    .await;
    let mut c = logged_in(&srv, "setup@example.com").await;
    let r = c.post(&srv, "/tf-setup", json!({"setup": "email"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let state = r.json()["response"]["tf_state_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = mailed_code(&srv, "setup@example.com");
    let r = browser_post(
        &mut c,
        &srv,
        &format!("/tf-setup/{state}"),
        &[("code", &code)],
    )
    .await;
    assert_eq!((r.status, location(&r)), (302, "/tf-done".to_owned()));

    let r = c
        .post(&srv, "/us-setup", json!({"chosen_method": "email"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let state = r.json()["response"]["state"].as_str().unwrap().to_owned();
    let code = mailed_code(&srv, "setup@example.com");
    let r = browser_post(
        &mut c,
        &srv,
        &format!("/us-setup/{state}"),
        &[("passcode", &code)],
    )
    .await;
    assert_eq!((r.status, location(&r)), (302, "/us-done".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_change_username_view_follows_a_changed_username() {
    for (view, want) in [(None, "/"), (Some("/named"), "/named")] {
        let mut extra = vec![
            ("SECURITY_USERNAME_ENABLE", "true"),
            ("SECURITY_CHANGE_USERNAME", "true"),
        ];
        if let Some(v) = view {
            extra.push(("SECURITY_POST_CHANGE_USERNAME_VIEW", v));
        }
        let srv = start_with(&extra, None).await;
        let mut c = logged_in(&srv, "renamed@example.com").await;
        let r = browser_post(&mut c, &srv, "/change-username", &[("username", "newname")]).await;
        assert_eq!(r.status, 302, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(location(&r), want);
    }
}

/// `WTF_CSRF_TIME_LIMIT`: a token older than the limit is refused with
/// Flask-WTF's "expired" error, and the request changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_csrf_token_is_refused() {
    let srv = start_with(&[("WTF_CSRF_TIME_LIMIT", "1")], None).await;
    let mut c = logged_in(&srv, "stale@example.com").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let new_pw = "X-New-Passw0rd-1";
    let r = c
        .post(
            &srv,
            "/change",
            json!({"password": PW, "new_password": new_pw, "new_password_confirm": new_pw}),
        )
        .await;
    assert_eq!(
        (r.status, r.json()["response"]["errors"][0].clone()),
        (400, json!("The CSRF token has expired."))
    );
    let r = Client::default()
        .post(
            &srv,
            "/login",
            json!({"email": "stale@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "the password did not change");
}

/// `SECURITY_EMAIL_VALIDATOR_ARGS` with `check_deliverability` on (here
/// `{}`, email_validator's default): registering at a domain DNS says does
/// not exist, or whose only MX is null, is `INVALID_EMAIL_ADDRESS` on the
/// field; a domain with mail registers; logging in asks DNS nothing.
#[tokio::test]
async fn registration_asks_dns_whether_the_domain_takes_mail() {
    use portcullis_testkit::dns::{ScriptedDnsServer, Zone};
    let zone = |mx: &str| Zone {
        mx: vec![(10, mx.to_owned())],
        ..Zone::default()
    };
    let dns = ScriptedDnsServer::start(std::collections::HashMap::from([
        ("mail.com".to_owned(), zone("mx.mail.com")),
        ("nullmx.com".to_owned(), zone(".")),
    ]))
    .await
    .unwrap();
    let servers = dns.addr.to_string();
    let srv = start_with(
        &[
            ("SECURITY_EMAIL_VALIDATOR_ARGS", "{}"),
            ("SECURITY_CONFIRMABLE", "false"),
            ("DNS_SERVERS", &servers),
        ],
        None,
    )
    .await;
    let mut c = Client::default();
    let _ = c.get(&srv, "/login").await;
    for bad in ["ann@missing.com", "ann@nullmx.com"] {
        let r = c
            .post(
                &srv,
                "/register",
                json!({"email": bad, "password": PW, "password_confirm": PW}),
            )
            .await;
        assert_eq!(r.status, 400, "{bad}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(
            r.json()["response"]["field_errors"]["email"][0],
            "Invalid email address",
            "{bad}"
        );
    }
    let r = c
        .post(
            &srv,
            "/register",
            json!({"email": "ann@mail.com", "password": PW, "password_confirm": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        dns.asked(),
        vec!["MX missing.com", "MX nullmx.com", "MX mail.com"]
    );
    let mut other = Client::default();
    let r = other
        .post(
            &srv,
            "/login",
            json!({"email": "ann@mail.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(dns.asked().len(), 3, "a login asks DNS nothing");
    srv.finish().await;
}
