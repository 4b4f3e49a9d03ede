//! The stores going away under a running instance: the built binary on
//! PostgreSQL and Redis, each reached through a TCP proxy the test can
//! cut (every open connection dropped, new ones refused) and restore.
//! While a store is away, requests that need it get 503 with
//! `Retry-After` in Flask-Security's envelope, quickly — never a 500, a 401
//! that logs the client out, or a hang; nothing is half-written; service
//! resumes by itself when the store returns. Needs
//! `PORTCULLIS_TEST_POSTGRES_URL` and `PORTCULLIS_TEST_REDIS_URL`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

mod process;

use process::{Client, PW, Resp, start};

/// A TCP proxy to `target` that can be cut and restored.
struct Proxy {
    port: u16,
    up: Arc<watch::Sender<bool>>,
}

impl Proxy {
    async fn to(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(watch::channel(true).0);
        let state = up.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !*state.borrow() {
                    continue; // refused: dropped at once
                }
                let mut cut = state.subscribe();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.wait_for(|up| !*up) => {}
                    }
                });
            }
        });
        Self { port, up }
    }

    fn cut(&self) {
        self.up.send_replace(false);
    }

    fn restore(&self) {
        self.up.send_replace(true);
    }
}

/// `url` with its host and port replaced by the proxy's.
fn through(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
    let user = authority
        .rsplit_once('@')
        .map(|(u, _)| format!("{u}@"))
        .unwrap_or_default();
    format!("{scheme}://{user}127.0.0.1:{port}/{path}")
}

fn target(url: &str, default_port: u16) -> SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split(['/', '?']).next().unwrap();
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let (host, port) = hostport
        .rsplit_once(':')
        .map_or((hostport, default_port), |(h, p)| (h, p.parse().unwrap()));
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{port}").parse().unwrap()
}

/// A 503 with `Retry-After` and the envelope, answered within `within`.
#[track_caller]
fn assert_unavailable(r: &Resp, took: Duration, within: Duration) {
    assert_eq!(r.status, 503, "{} {}", r.headers, r.body);
    assert!(
        r.headers.to_ascii_lowercase().contains("retry-after:"),
        "{}",
        r.headers
    );
    assert!(r.body["response"]["errors"].is_array(), "{}", r.body);
    assert!(took < within, "answered after {took:?}");
}

/// Retries `f` until it returns true, for at most `secs` seconds.
fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let started = Instant::now();
    while !f() {
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "{what} did not happen within {secs} s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn timed(f: impl FnOnce() -> Resp) -> (Resp, Duration) {
    let started = Instant::now();
    let r = f();
    (r, started.elapsed())
}

#[test]
fn stores_going_away_answer_503_and_come_back() {
    let (Ok(pg), Ok(redis)) = (
        std::env::var("PORTCULLIS_TEST_POSTGRES_URL"),
        std::env::var("PORTCULLIS_TEST_REDIS_URL"),
    ) else {
        portcullis_testkit::skip(
            "PORTCULLIS_TEST_POSTGRES_URL and PORTCULLIS_TEST_REDIS_URL are needed (.ci/run sets them)",
        );
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let scratch = rt
        .block_on(portcullis_seaorm::scratch::ScratchDb::create(&pg))
        .unwrap();
    let pg_proxy = rt.block_on(Proxy::to(target(&pg, 5432)));
    let redis_proxy = rt.block_on(Proxy::to(target(&redis, 6379)));
    let redis_url = through(&redis, redis_proxy.port);
    let prefix = format!(
        "todo-outages:{}:",
        &portcullis_core::store::new_uniquifier()[..12]
    );
    let env = vec![
        ("DATABASE_URL", through(scratch.url(), pg_proxy.port)),
        ("SESSION_URL", redis_url.clone()),
        ("SESSION_PREFIX", prefix.clone()),
        ("ATTEMPTS_URL", redis_url),
        ("ATTEMPTS_PREFIX", prefix),
        ("SECRET_KEY", "outages-secret".into()),
        ("SECURITY_PASSWORD_SALT", "outages-salt".into()),
        ("SECURITY_CONFIRMABLE", "false".into()),
        (
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
            r#"{"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}"#
                .into(),
        ),
    ];
    let app = start(&env);
    let port = app.port;
    let mut user = Client::default();
    let creds = json!({"email": "steady@example.com", "password": PW, "password_confirm": PW});
    let registered = Client::default().send(port, "POST", "/register", Some(creds));
    assert_eq!(registered.status, 200);
    let r = user.send(
        port,
        "POST",
        "/login?include_auth_token",
        Some(json!({"email": "steady@example.com", "password": PW})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let bearer = Client {
        token: Some(
            r.body["response"]["user"]["authentication_token"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        ..Client::default()
    };
    assert_eq!(user.me(port), 200);
    let quick = Duration::from_secs(10);

    // Load throughout both outages: four clients (token and session) in a
    // loop; every answer must be 200 or 503, each within the deadline.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|i| {
            let who = if i % 2 == 0 {
                bearer.clone()
            } else {
                user.clone()
            };
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut seen = std::collections::BTreeMap::<u16, u32>::new();
                let mut slowest = Duration::ZERO;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (r, took) = timed(|| who.clone().send(port, "GET", "/api/me", None));
                    *seen.entry(r.status).or_default() += 1;
                    slowest = slowest.max(took);
                    std::thread::sleep(Duration::from_millis(2));
                }
                (seen, slowest)
            })
        })
        .collect();

    // Redis away: the session (kept in Redis) cannot be read — 503, not a
    // 401 that would log the browser out; a login cannot count its
    // attempt — 503. The token, checked against PostgreSQL, still works.
    redis_proxy.cut();
    let (r, took) = timed(|| user.clone().send(port, "GET", "/api/me", None));
    assert_unavailable(&r, took, quick);
    let (r, took) = timed(|| {
        Client::default().send(
            port,
            "POST",
            "/login",
            Some(json!({"email": "steady@example.com", "password": PW})),
        )
    });
    assert_unavailable(&r, took, quick);
    assert_eq!(bearer.me(port), 200);
    redis_proxy.restore();
    eventually(30, "the session back after Redis", || user.me(port) == 200);

    // PostgreSQL away: token and session lookups — 503 as soon as the
    // cache has seen its listener's connection go (decision 0010: until
    // then it may still answer from memory, never with anything but 200);
    // a registration — 503, and no trace of it once the database is back.
    pg_proxy.cut();
    for who in [&bearer, &user] {
        let started = Instant::now();
        let (r, took) = loop {
            let (r, took) = timed(|| who.clone().send(port, "GET", "/api/me", None));
            if r.status != 200 || started.elapsed() > quick {
                break (r, took);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_unavailable(&r, took, quick);
    }
    let newcomer = json!({"email": "during@example.com", "password": PW, "password_confirm": PW});
    let (r, took) =
        timed(|| Client::default().send(port, "POST", "/register", Some(newcomer.clone())));
    assert_unavailable(&r, took, quick);
    pg_proxy.restore();
    eventually(30, "the token back after PostgreSQL", || {
        bearer.me(port) == 200
    });
    assert_eq!(user.me(port), 200, "the session survived the outage");
    // Nothing half-written: the refused registration left no user, so it
    // succeeds now, and the new user logs in with their role set intact.
    assert_eq!(
        Client::default()
            .send(port, "POST", "/register", Some(newcomer))
            .status,
        200
    );
    let r = Client::default().send(
        port,
        "POST",
        "/login",
        Some(json!({"email": "during@example.com", "password": PW})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut all = std::collections::BTreeMap::<u16, u32>::new();
    for handle in load {
        let (seen, slowest) = handle.join().unwrap();
        assert!(slowest < quick, "a request under load took {slowest:?}");
        for (status, n) in seen {
            *all.entry(status).or_default() += n;
        }
    }
    assert!(
        all.keys().all(|s| matches!(s, 200 | 503)),
        "only 200 or 503 under load: {all:?}"
    );
    eprintln!("answers under load: {all:?}");
    assert!(all.contains_key(&503) && all.contains_key(&200), "{all:?}");
    drop(app);
    rt.block_on(scratch.drop_database()).unwrap();
}
