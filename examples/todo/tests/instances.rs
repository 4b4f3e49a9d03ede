//! Three instances of the built binary on one PostgreSQL database and one
//! Redis (sessions and attempt counters), driven round-robin over TCP:
//! a session or token made on one works on all; a logout or a password
//! change on one ends them on all at the next request; 50 concurrent
//! registrations of one email spread over the three make one user; an
//! instance killed with SIGKILL mid-run loses nothing it acknowledged.
//! Needs `PORTCULLIS_TEST_POSTGRES_URL` and `PORTCULLIS_TEST_REDIS_URL`
//! (`.ci/run` sets both).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

mod process;

use process::{Client, PW, start};

#[test]
fn three_instances_share_one_postgres_and_one_redis() {
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
    let prefix = format!(
        "todo-instances:{}:",
        &portcullis_core::store::new_uniquifier()[..12]
    );
    let env = vec![
        ("DATABASE_URL", scratch.url().to_owned()),
        ("SESSION_URL", redis.clone()),
        ("SESSION_PREFIX", prefix.clone()),
        ("ATTEMPTS_URL", redis.clone()),
        ("ATTEMPTS_PREFIX", prefix.clone()),
        ("SECRET_KEY", "instances-secret".into()),
        ("SECURITY_PASSWORD_SALT", "instances-salt".into()),
        ("SECURITY_CONFIRMABLE", "false".into()),
        // Registrations from one address: not what this test is about.
        ("SECURITY_LIMIT_REGISTER_PER_ADDRESS", "1000/1h".into()),
        (
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
            r#"{"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}"#
                .into(),
        ),
    ];
    // The first migrates the database; the others start on it.
    let a = start(&env);
    let b = start(&env);
    let mut c = start(&env);
    let ports = [a.port, b.port, c.port];

    // 50 concurrent registrations of one email over the three: one user.
    let handles: Vec<_> = (0..50)
        .map(|i| {
            let port = ports[i % 3];
            std::thread::spawn(move || {
                Client::default()
                    .send(
                        port,
                        "POST",
                        "/register",
                        Some(json!({"email": "many@example.com", "password": PW, "password_confirm": PW})),
                    )
                    .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| matches!(s, 200 | 400)),
        "{statuses:?}"
    );

    // A session and a token made on A work on B and C.
    let mut user = Client::default();
    let r = user.send(
        a.port,
        "POST",
        "/login?include_auth_token",
        Some(json!({"email": "many@example.com", "password": PW})),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["response"]["user"]["authentication_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let bearer = Client {
        token: Some(token),
        ..Client::default()
    };
    for port in ports {
        assert_eq!(user.me(port), 200, "session on :{port}");
        assert_eq!(bearer.me(port), 200, "token on :{port}");
    }

    // A second session, logged out on B: gone on all three.
    let mut other = Client::default();
    let r = other.send(
        c.port,
        "POST",
        "/login",
        Some(json!({"email": "many@example.com", "password": PW})),
    );
    assert_eq!(r.status, 200);
    let before_logout = other.clone();
    assert_eq!(
        other
            .send(b.port, "POST", "/logout", Some(json!({})))
            .status,
        200
    );
    for port in ports {
        assert_eq!(before_logout.me(port), 401, "logged-out session on :{port}");
    }

    // Todos created round-robin by three clients while C is killed with
    // SIGKILL: every acknowledged one is kept; clients carry on on A and B.
    let acked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let mut client = bearer.clone();
            let acked = acked.clone();
            std::thread::spawn(move || {
                for i in 0..40 {
                    let title = format!("w{w}-{i}");
                    // The next instance that answers.
                    for hop in 0..3 {
                        let port = ports[(i + w + hop) % 3];
                        let body = Some(json!({"title": title}));
                        if let Some(r) = client.try_send(port, "POST", "/api/todos", body) {
                            if r.status == 201 {
                                acked.lock().unwrap().push(title.clone());
                            }
                            break;
                        }
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(150));
    c.child.kill().unwrap();
    c.child.wait().unwrap();
    for w in writers {
        w.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 100, "only {} acknowledged", acked.len());
    let listed = bearer.clone().send(a.port, "GET", "/api/todos", None);
    assert_eq!(listed.status, 200);
    let titles: Vec<&str> = listed.body["todos"]
        .as_array()
        .or_else(|| listed.body.as_array())
        .expect("a list of todos")
        .iter()
        .filter_map(|t| t["title"].as_str())
        .collect();
    for t in &acked {
        assert!(titles.contains(&t.as_str()), "acknowledged {t} is lost");
    }

    // A password change on B ends the user's other sessions and the token
    // on every instance still running.
    let mut second = Client::default();
    let r = second.send(
        a.port,
        "POST",
        "/login",
        Some(json!({"email": "many@example.com", "password": PW})),
    );
    assert_eq!(r.status, 200);
    assert_eq!(second.me(b.port), 200);
    let r = user.send(
        b.port,
        "POST",
        "/change",
        Some(
            json!({"password": PW, "new_password": "Another-Horse-Battery-7",
                    "new_password_confirm": "Another-Horse-Battery-7"}),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    for port in [a.port, b.port] {
        assert_eq!(
            second.me_becomes(port, 401),
            401,
            "other session on :{port}"
        );
        assert_eq!(bearer.me_becomes(port, 401), 401, "old token on :{port}");
    }

    // The CLI deactivates the user: refused at the next request on every
    // instance (with PostgreSQL's cache on, decision 0010).
    let cli = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("portcullis"))
        .filter(|p| p.exists());
    match cli {
        None => portcullis_testkit::skip(
            "the CLI step: no portcullis binary beside the test (cargo test --workspace builds it)",
        ),
        Some(cli) => {
            let mut third = Client::default();
            let r = third.send(
                a.port,
                "POST",
                "/login",
                Some(json!({"email": "many@example.com", "password": "Another-Horse-Battery-7"})),
            );
            assert_eq!(r.status, 200, "{}", r.body);
            for port in [a.port, b.port] {
                assert_eq!(third.me(port), 200);
            }
            let ok = std::process::Command::new(cli)
                .args(["users", "deactivate", "many@example.com"])
                .env("DATABASE_URL", scratch.url())
                .env("SECRET_KEY", "instances-secret")
                .env("SECURITY_PASSWORD_SALT", "instances-salt")
                .stdout(std::process::Stdio::null())
                .status()
                .unwrap()
                .success();
            assert!(ok, "portcullis users deactivate");
            for port in [a.port, b.port] {
                assert_eq!(third.me_becomes(port, 401), 401, "deactivated, on :{port}");
            }
        }
    }
    drop((a, b, c));
    rt.block_on(scratch.drop_database()).unwrap();
}
