//! The todo example's README seeds its admin with the CLI; that admin then
//! logs in to the example and passes its admin and permission guards.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::process::Command;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &str = "seed-test-secret";
const SALT: &str = "seed-test-salt";

fn cli(db: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("SECRET_KEY", SECRET)
        .env("SECURITY_PASSWORD_SALT", SALT)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &str,
    body: &str,
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).await.unwrap();
    let status = raw.split_whitespace().nth(1).unwrap().parse().unwrap();
    (
        status,
        raw.split("\r\n\r\n").nth(1).unwrap_or_default().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_admin_logs_in_to_the_example() {
    let dir = std::env::temp_dir().join(format!("portcullis-seed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("todo.db").display());
    // The README's commands.
    cli(&db, &["db", "migrate"]);
    cli(
        &db,
        &[
            "roles",
            "create",
            "admin",
            "--permissions",
            "admin-read,admin-write",
        ],
    );
    cli(
        &db,
        &[
            "users",
            "create",
            "admin@example.com",
            "--password",
            "Admin-Passw0rd-123",
            "--active",
            "--confirmed",
            "--role",
            "admin",
        ],
    );

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let settings = todo::settings(
        None,
        vec![
            ("DATABASE_URL".into(), db.clone()),
            ("SECRET_KEY".into(), SECRET.into()),
            ("SECURITY_PASSWORD_SALT".into(), SALT.into()),
        ],
    )
    .unwrap();
    let app = todo::app(&settings, None).await.unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });

    let (status, body) = http(
        addr,
        "POST",
        "/login?include_auth_token",
        "Content-Type: application/json\r\n",
        r#"{"email": "admin@example.com", "password": "Admin-Passw0rd-123"}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let token = v["response"]["user"]["authentication_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let auth = format!("Authentication-Token: {token}\r\n");
    assert_eq!(
        http(addr, "GET", "/api/admin", &auth, "").await,
        (200, r#"{"ok":true,"who":"admin"}"#.to_owned())
    );
    assert_eq!(http(addr, "GET", "/api/write", &auth, "").await.0, 200);
    let _ = std::fs::remove_dir_all(dir);
}
