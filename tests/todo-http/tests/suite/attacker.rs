//! The attacker who keeps trying, over real TCP against the todo example:
//! attempt limits (429 with `Retry-After`), account locks and the unlock
//! link, the half-login's code budget, single-use codes and links, unsafe
//! email addresses, registration with the mail server down, half-open
//! connections, and a login storm answered 503 beyond the hashing queue.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::*;
use portcullis_core::UserStore;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PW: &str = "Correct-Horse-Battery-9";

fn errors(r: &Resp) -> String {
    r.json()["response"]["errors"].to_string()
}

/// Registers `email` and confirms it from the mail (not logged in after).
async fn signup(srv: &Server, email: &str) {
    let mut c = Client::default();
    let r = c
        .post(
            srv,
            "/register",
            json!({"email": email, "password": PW, "password_confirm": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let link = srv.outbox.link_to(email, "/confirm/").unwrap();
    assert_eq!(c.get(srv, &path_of(&link)).await.status, 302);
}

async fn login(srv: &Server, email: &str, password: &str) -> Resp {
    Client::default()
        .post(srv, "/login", json!({"email": email, "password": password}))
        .await
}

fn assert_limited(r: &Resp, text: &str) {
    assert_eq!(r.status, 429, "{:?}", r.json());
    let retry: i64 = r
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry >= 1, "{retry}");
    assert!(errors(r).contains(text), "{}", errors(r));
}

/// 50 wrong passwords on one account from one address: the sixth and every
/// later attempt is 429, the right password too, until the window ends.
async fn identity_budget_on(backend: Backend) {
    let Some(srv) = start_on(
        backend,
        &[("SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS", "5/3s")],
    )
    .await
    else {
        return;
    };
    signup(&srv, "target@example.com").await;
    let mut statuses = Vec::new();
    let mut last = None;
    for i in 0..50 {
        let r = login(&srv, "target@example.com", &format!("wrong-{i}")).await;
        statuses.push(r.status);
        last = Some(r);
    }
    assert_eq!(statuses[..5], [400; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_limited(&last.unwrap(), "Too many attempts");
    // Locked out for now, even with the right password.
    assert_limited(
        &login(&srv, "target@example.com", PW).await,
        "Too many attempts",
    );
    // After the window the owner gets in, and the counter starts again.
    tokio::time::sleep(Duration::from_millis(3200)).await;
    let r = login(&srv, "target@example.com", PW).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    srv.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_hit_the_identity_budget_on_sqlite() {
    identity_budget_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_hit_the_identity_budget_on_postgres() {
    identity_budget_on(Backend::Server("PORTCULLIS_TEST_POSTGRES_URL")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_locks_and_unlocks_by_link_or_by_time() {
    let srv = start_with(
        &[
            ("SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS", "100/1h"),
            ("SECURITY_LIMIT_FAILED_PER_ACCOUNT", "5/1h"),
            ("SECURITY_LOCKOUT_WITHIN", "3"),
        ],
        None,
    )
    .await;
    for email in ["link@example.com", "time@example.com"] {
        signup(&srv, email).await;
        for i in 0..5 {
            assert_eq!(login(&srv, email, &format!("nope-{i}")).await.status, 400);
        }
        // Locked: the right password is refused too, and the owner is mailed.
        assert_limited(&login(&srv, email, PW).await, "is locked");
        assert!(
            srv.outbox.link_to(email, "/unlock/").is_some(),
            "unlock mail"
        );
    }
    // The link ends the lock at once.
    let link = srv.outbox.link_to("link@example.com", "/unlock/").unwrap();
    let r = Client::default().get(&srv, &path_of(&link)).await;
    assert_eq!(r.status, 302);
    assert!(r.header("location").unwrap().contains("success="), "{r:?}");
    assert_eq!(login(&srv, "link@example.com", PW).await.status, 200);
    // A forged link does nothing.
    let r = Client::default().get(&srv, "/unlock/not-a-token").await;
    assert_eq!(r.status, 302);
    assert!(r.header("location").unwrap().contains("error="), "{r:?}");
    // Without the link the lock ends by itself.
    assert_eq!(login(&srv, "time@example.com", PW).await.status, 429);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(login(&srv, "time@example.com", PW).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_guessing_many_accounts_hits_the_address_budget() {
    let srv = start_with(&[("SECURITY_LIMIT_FAILED_PER_ADDRESS", "10/1h")], None).await;
    signup(&srv, "real@example.com").await;
    let mut statuses = Vec::new();
    for i in 0..12 {
        statuses.push(
            login(&srv, &format!("guess{i}@example.com"), "password1")
                .await
                .status,
        );
    }
    assert_eq!(statuses[..10], [400; 10], "{statuses:?}");
    assert_eq!(statuses[10..], [429, 429], "{statuses:?}");
    // This address is refused for every account now.
    assert_limited(
        &login(&srv, "real@example.com", PW).await,
        "Too many attempts",
    );
}

fn mfa_settings() -> Vec<(&'static str, &'static str)> {
    vec![
        ("SECURITY_TWO_FACTOR", "true"),
        (
            "SECURITY_TWO_FACTOR_ENABLED_METHODS",
            r#"["email","authenticator"]"#,
        ),
        ("SECURITY_UNIFIED_SIGNIN", "true"),
        (
            "SECURITY_US_ENABLED_METHODS",
            r#"["password","email","authenticator"]"#,
        ),
        ("SECURITY_TOTP_SECRETS", TOTP_SECRETS),
        ("SECURITY_TOTP_ISSUER", "todo-test"),
    ]
}

/// A six-digit code that differs from `right`.
fn other_code(right: &str, n: u32) -> String {
    (n..)
        .map(|i| format!("{:06}", (i * 7919) % 1_000_000))
        .find(|c| c != right)
        .unwrap()
}

/// Logs in with the password and sets up the emailed second factor.
async fn with_email_second_factor(srv: &Server, email: &str) -> Client {
    signup(srv, email).await;
    let mut c = Client::default();
    let r = c
        .post(srv, "/login", json!({"email": email, "password": PW}))
        .await;
    assert_eq!(r.json()["response"]["tf_required"], false);
    let r = c.post(srv, "/tf-setup", json!({"setup": "email"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let code = mailed_code(srv, email);
    let r = c.post(srv, "/tf-validate", json!({"code": code})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(c.post(srv, "/logout", json!({})).await.status, 200);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_login_survives_five_wrong_codes() {
    let srv = start_with(&mfa_settings(), None).await;
    let mut c = with_email_second_factor(&srv, "half@example.com").await;
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "half@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_required"], true, "{:?}", r.json());
    let right = mailed_code(&srv, "half@example.com");
    for i in 0..4 {
        let r = c
            .post(&srv, "/tf-validate", json!({"code": other_code(&right, i)}))
            .await;
        assert_eq!(r.status, 400);
        assert!(errors(&r).contains("Invalid code"), "{}", errors(&r));
    }
    let r = c
        .post(&srv, "/tf-validate", json!({"code": other_code(&right, 9)}))
        .await;
    assert_eq!(r.status, 400);
    assert!(
        errors(&r).contains("Too many wrong codes"),
        "{}",
        errors(&r)
    );
    // The half-login is gone: even the right code is refused now.
    let r = c.post(&srv, "/tf-validate", json!({"code": right})).await;
    assert_eq!(r.status, 400);
    assert!(
        errors(&r).contains("do not have permissions"),
        "{}",
        errors(&r)
    );
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    // The password again, then the new code: in.
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "half@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_required"], true);
    let fresh = mailed_code(&srv, "half@example.com");
    let r = c.post(&srv, "/tf-validate", json!({"code": fresh})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(c.get(&srv, "/api/me").await.status, 200);
}

/// The current code of `email`'s unified sign-in `method`, computed from
/// the stored secret, as an attacker who somehow had it would.
async fn stored_code(srv: &Server, email: &str, method: &str) -> String {
    let store = portcullis_sqlite::SqliteStore::open_url(&srv.db)
        .await
        .unwrap();
    let user = store.find_user_by_email(email).await.unwrap().unwrap();
    let secrets: Value = serde_json::from_str(user.us_totp_secrets.unwrap().expose()).unwrap();
    let vars = vec![
        ("SECRET_KEY".to_owned(), "x".to_owned()),
        ("SECURITY_PASSWORD_SALT".to_owned(), "x".to_owned()),
        ("SECURITY_TOTP_SECRETS".to_owned(), TOTP_SECRETS.to_owned()),
    ];
    let config = todo::settings(None, vars).unwrap().security;
    let totp = config
        .totp_factory()
        .unwrap()
        .load(secrets[method].as_str().unwrap())
        .unwrap();
    totp.code_at(now())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codes_and_magic_links_work_once() {
    let srv = start_with(&mfa_settings(), None).await;

    // A never-sent unified sign-in code is refused, though it is current.
    signup(&srv, "quiet@example.com").await;
    let unsent = stored_code(&srv, "quiet@example.com", "email").await;
    let mut c = Client::default();
    let r = c
        .post(
            &srv,
            "/us-signin",
            json!({"identity": "quiet@example.com", "passcode": unsent}),
        )
        .await;
    assert_eq!(r.status, 400, "{:?}", r.json());
    // Sent, it works once; the same code again is refused.
    let r = c
        .post(
            &srv,
            "/us-signin/send-code",
            json!({"identity": "quiet@example.com", "chosen_method": "email"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let code = mailed_code(&srv, "quiet@example.com");
    let signin = json!({"identity": "quiet@example.com", "passcode": code});
    let r = c.post(&srv, "/us-signin", signin.clone()).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(c.post(&srv, "/logout", json!({})).await.status, 200);
    let r = Client::default().post(&srv, "/us-signin", signin).await;
    assert_eq!(r.status, 400, "reused: {:?}", r.json());

    // The magic link: once.
    let mut c = Client::default();
    let r = c
        .post(
            &srv,
            "/us-signin/send-code",
            json!({"identity": "quiet@example.com", "chosen_method": "email"}),
        )
        .await;
    assert_eq!(r.status, 200);
    let link = path_of(
        &srv.outbox
            .link_to("quiet@example.com", "/us-verify-link")
            .unwrap(),
    );
    let r = c.get(&srv, &link).await;
    assert_eq!(r.status, 302);
    assert_eq!(
        c.get(&srv, "/api/me").await.status,
        200,
        "the link logged in"
    );
    let mut other = Client::default();
    let r = other.get(&srv, &link).await;
    assert_eq!(r.status, 302);
    assert!(r.header("location").unwrap().contains("error="), "{r:?}");
    assert_eq!(other.get(&srv, "/api/me").await.status, 401);

    // An emailed two-factor code: once.
    let mut c = with_email_second_factor(&srv, "twice@example.com").await;
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "twice@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_required"], true);
    let code = mailed_code(&srv, "twice@example.com");
    assert_eq!(
        c.post(&srv, "/tf-validate", json!({"code": code}))
            .await
            .status,
        200
    );
    assert_eq!(c.post(&srv, "/logout", json!({})).await.status, 200);
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "twice@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_required"], true);
    // The new mail carries this step's code; the old one (same step) is spent.
    let r = c.post(&srv, "/tf-validate", json!({"code": code})).await;
    assert_eq!(r.status, 400, "reused: {:?}", r.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unicode_tricks_in_an_email_are_refused_and_leave_no_row() {
    let srv = start_with(&[], None).await;
    for email in [
        "admin\u{200b}@example.com",
        "admin\u{202e}@example.com",
        "ad\u{2066}min@example.com",
    ] {
        let r = Client::default()
            .post(
                &srv,
                "/register",
                json!({"email": email, "password": PW, "password_confirm": PW}),
            )
            .await;
        assert_eq!(r.status, 400, "{email:?}: {:?}", r.json());
        let field = &r.json()["response"]["field_errors"]["email"][0];
        assert!(field.as_str().unwrap().contains("Invalid email"), "{field}");
    }
    let store = portcullis_sqlite::SqliteStore::open_url(&srv.db)
        .await
        .unwrap();
    let page = store
        .list_users(&portcullis_core::UserFilter::default())
        .await
        .unwrap();
    assert!(page.is_empty(), "no user was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_with_the_mail_server_down_keeps_the_user_reachable() {
    // Nothing listens on this port: every mail fails.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let port = closed.port().to_string();
    let down = start_mailing(
        &[("MAIL_SERVER", "127.0.0.1"), ("MAIL_PORT", &port)],
        None,
        false,
    )
    .await;
    let r = Client::default()
        .post(
            &down,
            "/register",
            json!({"email": "late@example.com", "password": PW, "password_confirm": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "no 5xx: {:?}", r.json());
    // The mail service is back (another instance on the same database):
    // the user asks for the confirmation mail again and confirms.
    let up = start_with(&[], Some(down.db.clone())).await;
    let mut c = Client::default();
    let r = c
        .post(&up, "/confirm", json!({"email": "late@example.com"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let link = up.outbox.link_to("late@example.com", "/confirm/").unwrap();
    assert_eq!(c.get(&up, &path_of(&link)).await.status, 302);
    assert_eq!(login(&up, "late@example.com", PW).await.status, 200);
}

async fn half_open(srv: &Server, head: &[u8]) -> TcpStream {
    let mut s = TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(head).await.unwrap();
    s
}

/// Whether the server closed `s` within `within`.
async fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = vec![0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_connections_neither_starve_nor_linger() {
    let srv = start_with(
        &[("HEADER_READ_TIMEOUT", "1"), ("BODY_READ_TIMEOUT", "1")],
        None,
    )
    .await;
    let mut held = Vec::new();
    for i in 0..200 {
        let head: &[u8] = match i % 3 {
            0 => b"GET /api/public HTTP/1.1\r\nHost: x\r\nX-Slow: ",
            1 => b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
            _ => b"POST /login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZZ\r\n",
        };
        held.push(half_open(&srv, head).await);
    }
    let started = Instant::now();
    let r = Client::default().get(&srv, "/api/public").await;
    assert_eq!(r.status, 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "answered in {:?}",
        started.elapsed()
    );
    // Every half-open connection is closed by the server soon after its deadline.
    for (i, s) in held.iter_mut().enumerate() {
        assert!(
            closed_within(s, Duration::from_secs(5)).await,
            "connection {i} is still open"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_storm_beyond_the_hashing_queue_is_answered_503_at_once() {
    let srv = start_with(
        &[
            ("HASHING_QUEUE", "2"),
            // Real argon2 work, so that 100 logins outrun two cores.
            (
                "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
                r#"{"argon2__memory_cost": 65536, "argon2__time_cost": 2, "argon2__parallelism": 1}"#,
            ),
            ("SECURITY_LIMIT_FAILED_PER_ADDRESS", "1000/1h"),
        ],
        None,
    )
    .await;
    let srv = std::sync::Arc::new(srv);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let srv = srv.clone();
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let r = login(&srv, &format!("storm{i}@example.com"), "password1").await;
            (
                r.status,
                r.header("retry-after").map(str::to_owned),
                started.elapsed(),
            )
        }));
    }
    let (mut busy, mut served) = (0, 0);
    for t in tasks {
        let (status, retry, took) = t.await.unwrap();
        match status {
            503 => {
                busy += 1;
                assert!(retry.is_some(), "503 without Retry-After");
                assert!(took < Duration::from_secs(2), "a 503 took {took:?}");
            }
            400 => {
                served += 1;
                assert!(
                    took < Duration::from_secs(15),
                    "an accepted login took {took:?}"
                );
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        busy >= 50,
        "only {busy} of 100 were turned away ({served} served)"
    );
    assert!(served >= 4, "{served} served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_and_redis_share_one_budget() {
    let (Ok(pg), Ok(redis)) = (
        std::env::var("PORTCULLIS_TEST_POSTGRES_URL"),
        std::env::var("PORTCULLIS_TEST_REDIS_URL"),
    ) else {
        portcullis_testkit::skip(
            "PORTCULLIS_TEST_POSTGRES_URL and PORTCULLIS_TEST_REDIS_URL are needed",
        );
        return;
    };
    let scratch = portcullis_seaorm::scratch::ScratchDb::create(&pg)
        .await
        .unwrap();
    let prefix = format!(
        "todo-test:{}:",
        &portcullis_core::store::new_uniquifier()[..12]
    );
    let extra = [
        ("ATTEMPTS_URL", redis.as_str()),
        ("ATTEMPTS_PREFIX", prefix.as_str()),
        ("SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS", "6/1h"),
    ];
    let a = start_with(&extra, Some(scratch.url().to_owned())).await;
    let b = start_with(&extra, Some(scratch.url().to_owned())).await;
    signup(&a, "shared@example.com").await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let srv = if i % 2 == 0 { &a } else { &b };
        statuses.push(
            login(srv, "shared@example.com", &format!("bad-{i}"))
                .await
                .status,
        );
    }
    assert_eq!(
        statuses,
        [400, 400, 400, 400, 400, 400, 429, 429],
        "{statuses:?}"
    );
    assert_eq!(login(&a, "shared@example.com", PW).await.status, 429);
    assert_eq!(login(&b, "shared@example.com", PW).await.status, 429);
    drop((a, b));
    scratch.drop_database().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_in_redis_follow_the_user_across_instances() {
    let Ok(redis) = std::env::var("PORTCULLIS_TEST_REDIS_URL") else {
        portcullis_testkit::skip("PORTCULLIS_TEST_REDIS_URL is needed");
        return;
    };
    let prefix = format!(
        "todo-test:{}:",
        &portcullis_core::store::new_uniquifier()[..12]
    );
    let extra = [
        ("SESSION_URL", redis.as_str()),
        ("SESSION_PREFIX", prefix.as_str()),
    ];
    let a = start_with(&extra, None).await;
    let b = start_with(&extra, Some(a.db.clone())).await;
    signup(&a, "roam@example.com").await;
    let mut c = Client::default();
    let r = c
        .post(
            &a,
            "/login",
            json!({"email": "roam@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    // Made on one instance, good on the other.
    assert_eq!(c.get(&b, "/api/me").await.status, 200);
    // Kept in Redis, not in the database: an instance without SESSION_URL
    // on the same database does not know it.
    let solo = start_with(&[], Some(a.db.clone())).await;
    assert_eq!(c.clone().get(&solo, "/api/me").await.status, 401);
    // Logging out on one instance ends it on all.
    let stale = c.clone();
    assert_eq!(c.post(&b, "/logout", json!({})).await.status, 200);
    assert_eq!(stale.clone().get(&a, "/api/me").await.status, 401);
    assert_eq!(stale.clone().get(&b, "/api/me").await.status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_factor_and_email_changes_are_notified() {
    use portcullis_core::MailKind;
    let srv = start_with(&mfa_settings(), None).await;
    let notices = |kind: MailKind, to: &str| {
        srv.outbox
            .messages()
            .into_iter()
            .filter(|(k, m)| *k == kind && m.to == to)
            .count()
    };
    let mut c = with_email_second_factor(&srv, "watch@example.com").await;
    assert_eq!(notices(MailKind::FactorAddedNotice, "watch@example.com"), 1);
    let (_, m) = srv
        .outbox
        .messages()
        .into_iter()
        .find(|(k, _)| *k == MailKind::FactorAddedNotice)
        .unwrap();
    assert!(m.text.unwrap().contains("(email) was added"));
    // Removed: log in (password + code), then disable.
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "watch@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.json()["response"]["tf_required"], true);
    let code = mailed_code(&srv, "watch@example.com");
    assert_eq!(
        c.post(&srv, "/tf-validate", json!({"code": code}))
            .await
            .status,
        200
    );
    let r = c.post(&srv, "/tf-setup", json!({"setup": "disable"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        notices(MailKind::FactorRemovedNotice, "watch@example.com"),
        1
    );
    // The address changes: the old one is told.
    let r = c
        .post(&srv, "/change-email", json!({"email": "moved@example.com"}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let link = srv
        .outbox
        .link_to("moved@example.com", "/change-email/")
        .unwrap();
    assert_eq!(c.get(&srv, &path_of(&link)).await.status, 302);
    assert_eq!(
        notices(MailKind::EmailChangedNotice, "watch@example.com"),
        1
    );
    let (_, m) = srv.outbox.last_to("watch@example.com").unwrap();
    assert!(m.text.unwrap().contains("moved@example.com"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_frames_and_an_absolute_session_lifetime() {
    let srv = start_with(
        &[
            ("SESSION_COOKIE_SECURE", "true"),
            ("SESSION_COOKIE_SAMESITE", "Strict"),
            ("SESSION_COOKIE_NAME", "todo_session"),
            ("PERMANENT_SESSION_LIFETIME", "3"),
        ],
        None,
    )
    .await;
    signup(&srv, "cookie@example.com").await;
    let mut c = Client::default();
    let r = c
        .post(
            &srv,
            "/login",
            json!({"email": "cookie@example.com", "password": PW}),
        )
        .await;
    assert_eq!(r.status, 200);
    let cookie = r
        .headers
        .get("set-cookie")
        .unwrap()
        .iter()
        .find(|c| c.starts_with("todo_session="))
        .expect("the session cookie, under its configured name")
        .clone();
    for attr in ["Secure", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attr), "{attr} missing: {cookie}");
    }
    assert_eq!(c.get(&srv, "/api/me").await.status, 200);
    // Used all the time, the login still ends at its absolute lifetime.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(c.get(&srv, "/api/me").await.status, 200);
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert_eq!(
        c.get(&srv, "/api/me").await.status,
        401,
        "past the absolute lifetime"
    );
    // Built-in pages never render in a frame.
    let mut raw = TcpStream::connect(srv.addr).await.unwrap();
    raw.write_all(
        b"GET /login HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut head = Vec::new();
    raw.read_to_end(&mut head).await.unwrap();
    let head = String::from_utf8_lossy(&head).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(head.contains("x-frame-options: deny"), "{head}");
    assert!(
        head.contains("content-security-policy: frame-ancestors 'none'"),
        "{head}"
    );
}

async fn login_as(srv: &Server, email: &str, agent: &str) -> Client {
    let mut c = Client::default();
    let body = json!({"email": email, "password": PW}).to_string();
    let r = c
        .request(
            srv,
            "POST",
            "/login",
            Some(body.as_bytes()),
            &[("Content-Type", "application/json"), ("User-Agent", agent)],
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    c
}

async fn sessions_of(srv: &Server, c: &mut Client) -> Vec<Value> {
    let r = c.get(srv, "/user-sessions").await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["response"]["sessions"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_see_and_end_their_own_sessions() {
    let srv = start_with(&[], None).await;
    signup(&srv, "many@example.com").await;
    signup(&srv, "someone@example.com").await;
    let mut a = login_as(&srv, "many@example.com", "Browser-A").await;
    let mut b = login_as(&srv, "many@example.com", "Browser-B").await;
    let mut elsewhere = login_as(&srv, "someone@example.com", "Browser-X").await;
    let listed = sessions_of(&srv, &mut a).await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    let mine = listed.iter().find(|s| s["current"] == true).unwrap();
    let other = listed.iter().find(|s| s["current"] == false).unwrap();
    assert_eq!(mine["user_agent"], "Browser-A");
    assert_eq!(other["user_agent"], "Browser-B");
    assert_eq!(other["address"], "127.0.0.1");
    assert!(mine["created"].as_i64().unwrap() > 1_700_000_000);
    // The list never shows a session id (a bearer credential).
    let cookie_b = b.cookies.get("session").unwrap().clone();
    let text = serde_json::to_string(&listed).unwrap();
    assert!(!text.contains(&cookie_b), "a session id in the list");
    // End B from A.
    let r = a
        .post(&srv, "/user-sessions", json!({"end": other["id"]}))
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(
        r.json()["response"]["sessions"].as_array().unwrap().len(),
        1
    );
    assert_eq!(b.get(&srv, "/api/me").await.status, 401, "B was ended");
    assert_eq!(a.get(&srv, "/api/me").await.status, 200);
    // End all others.
    let mut b = login_as(&srv, "many@example.com", "Browser-B").await;
    let mut c = login_as(&srv, "many@example.com", "Browser-C").await;
    let r = a
        .post(&srv, "/user-sessions", json!({"end": "others"}))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(b.get(&srv, "/api/me").await.status, 401);
    assert_eq!(c.get(&srv, "/api/me").await.status, 401);
    assert_eq!(a.get(&srv, "/api/me").await.status, 200);
    assert_eq!(
        elsewhere.get(&srv, "/api/me").await.status,
        200,
        "other users untouched"
    );
    // Another user's handle, or nonsense, is not a choice.
    let theirs = sessions_of(&srv, &mut elsewhere).await[0]["id"].clone();
    for bad in [theirs, json!("nonsense"), json!("")] {
        let r = a.post(&srv, "/user-sessions", json!({"end": bad})).await;
        assert_eq!(r.status, 400, "{bad}: {:?}", r.json());
    }
    assert_eq!(elsewhere.get(&srv, "/api/me").await.status, 200);
    // Ending this one logs out; anonymous callers get the 401.
    let mine = sessions_of(&srv, &mut a).await[0]["id"].clone();
    let r = a.post(&srv, "/user-sessions", json!({"end": mine})).await;
    assert_eq!(r.status, 200);
    assert_eq!(a.get(&srv, "/api/me").await.status, 401);
    assert_eq!(
        Client::default().get(&srv, "/user-sessions").await.status,
        401
    );
}
