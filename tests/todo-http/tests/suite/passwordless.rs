//! Passwordless login (`SECURITY_PASSWORDLESS`) on the todo example over
//! real TCP: `/login` mails a link, the link logs in once; an expired link
//! mails a new one, a garbage or used link is refused, a due second factor
//! is still asked for, and bad input gets a field error.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use crate::on_every_backend;
use common::*;
use serde_json::json;

const PW: &str = TEST_PW;

async fn logged_in(srv: &Server, c: &mut Client) -> bool {
    let r = c.get(srv, "/change").await;
    assert!(matches!(r.status, 200 | 401), "{}", r.status);
    r.status == 200
}

fn location(r: &Resp) -> String {
    assert_eq!(r.status, 302, "{}", String::from_utf8_lossy(&r.body));
    r.header("location").unwrap().to_owned()
}

on_every_backend!(passwordless_link_logs_in_once:
    passwordless_link_logs_in_once_on_sqlite => Backend::Sqlite,
    passwordless_link_logs_in_once_on_postgres => Backend::Server("PORTCULLIS_TEST_POSTGRES_URL"),
    passwordless_link_logs_in_once_on_mysql => Backend::Server("PORTCULLIS_TEST_MYSQL_URL"),
    passwordless_link_logs_in_once_on_mongodb => Backend::Mongo,
);

async fn passwordless_link_logs_in_once(backend: Backend) {
    let Some(srv) = start_on(backend, &[("SECURITY_PASSWORDLESS", "true")]).await else {
        return;
    };
    register_confirmed(&srv, "pl@example.com").await;
    let mut c = Client::default();
    let r = c
        .post(&srv, "/login", json!({"email": "PL@example.com"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert!(r.json()["response"].get("user").is_some());
    let (kind, mail) = srv.outbox.last_to("pl@example.com").unwrap();
    assert_eq!(kind.template(), "login_instructions");
    assert_eq!(mail.subject, "Login instructions");
    let link = path_of(&srv.outbox.link_to("pl@example.com", "/login/").unwrap());
    assert!(!logged_in(&srv, &mut c).await);

    let to = location(&c.get(&srv, &link).await);
    assert!(to.starts_with("/?email=pl%40example.com"), "{to}");
    assert!(logged_in(&srv, &mut c).await);

    // Once only: the same link in another browser is refused.
    let mut other = Client::default();
    let to = location(&other.get(&srv, &link).await);
    assert!(
        to.starts_with("/login-error?error=Invalid+login+token"),
        "{to}"
    );
    assert!(!logged_in(&srv, &mut other).await);

    // A signed-in user is not sent through it again.
    let r = c.get(&srv, &link).await;
    assert_eq!(r.status, 400);
    srv.finish().await;
}

#[tokio::test]
async fn an_expired_link_mails_a_new_one_and_garbage_is_refused() {
    let srv = start_with(
        &[
            ("SECURITY_PASSWORDLESS", "true"),
            ("SECURITY_LOGIN_WITHIN", "1 seconds"),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "old@example.com").await;
    let mut c = Client::default();
    assert_eq!(
        c.post(&srv, "/login", json!({"email": "old@example.com"}))
            .await
            .status,
        200
    );
    let link = path_of(&srv.outbox.link_to("old@example.com", "/login/").unwrap());
    let before = srv.outbox.len();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let to = location(&c.get(&srv, &link).await);
    assert!(to.starts_with("/login-error?error="), "{to}");
    assert!(to.contains("You+did+not+login+within+1+second"), "{to}");
    assert_eq!(srv.outbox.len(), before + 1, "a fresh link was mailed");
    let fresh = path_of(&srv.outbox.link_to("old@example.com", "/login/").unwrap());
    assert_ne!(fresh, link);
    assert!(!logged_in(&srv, &mut c).await);

    for garbage in [
        "/login/garbage",
        "/login/eyJhbGciOiJIUzI1NiJ9.e30.sig",
        &format!("{link}x"),
    ] {
        let to = location(&c.get(&srv, garbage).await);
        assert!(
            to.starts_with("/login-error?error=Invalid+login+token"),
            "{garbage}: {to}"
        );
    }
    assert!(!logged_in(&srv, &mut c).await);
    // The link is a GET: another method is refused.
    assert_eq!(c.post(&srv, &fresh, json!({})).await.status, 405);
}

#[tokio::test]
async fn bad_input_gets_field_errors_and_sends_nothing() {
    let srv = start_with(&[("SECURITY_PASSWORDLESS", "true")], None).await;
    let mut c = Client::default();
    let mut unconfirmed = Client::default();
    let r = unconfirmed
        .post(
            &srv,
            "/register",
            json!({"email": "new@example.com", "password": PW, "password_confirm": PW}),
        )
        .await;
    assert_eq!(r.status, 200);
    let sent = srv.outbox.len();
    for (body, field, text) in [
        (json!({}), "email", "Email not provided"),
        (json!({"email": ""}), "email", "Email not provided"),
        (
            json!({"email": "not-an-address"}),
            "email",
            "Invalid email address",
        ),
        (
            json!({"email": "nobody@example.com"}),
            "email",
            "Specified user does not exist",
        ),
        (
            json!({"email": "new@example.com"}),
            "email",
            "Email requires confirmation.",
        ),
        (json!({"email": ["a@example.com"]}), "email", ""),
    ] {
        let r = c.post(&srv, "/login", body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {:?}", r.json());
        let errs = &r.json()["response"]["field_errors"][field];
        assert!(errs.is_array(), "{body}: {:?}", r.json());
        assert!(
            errs[0].as_str().unwrap().starts_with(text),
            "{body}: {errs}"
        );
    }
    assert_eq!(srv.outbox.len(), sent, "nothing was mailed");
    let r = c
        .request(
            &srv,
            "POST",
            "/login",
            Some(b"{not json"),
            &[("Content-Type", "application/json")],
        )
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn a_due_second_factor_is_still_asked_for() {
    let srv = start_with(
        &[
            ("SECURITY_PASSWORDLESS", "true"),
            ("SECURITY_TWO_FACTOR_REQUIRED", "true"),
        ],
        None,
    )
    .await;
    register_confirmed(&srv, "tf@example.com").await;
    let mut c = Client::default();
    assert_eq!(
        c.post(&srv, "/login", json!({"email": "tf@example.com"}))
            .await
            .status,
        200
    );
    let link = path_of(&srv.outbox.link_to("tf@example.com", "/login/").unwrap());
    let to = location(&c.get(&srv, &link).await);
    assert!(to.starts_with("/login-error?tf_required=1"), "{to}");
    assert!(!logged_in(&srv, &mut c).await);
}
