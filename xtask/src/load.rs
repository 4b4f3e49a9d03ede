//! The load run: the todo example (release build) on 127.0.0.1, driven by
//! wrk for token- and session-authenticated `GET /api/me`, the anonymous
//! 401, `POST /login`, and token requests during a login storm.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tasks::{cargo_cmd, root_dir, run_step};

type Result<T = ()> = std::result::Result<T, String>;

const ADDR: &str = "127.0.0.1:8099";
const SECRET: &str = "load-run-secret";
const SALT: &str = "load-run-salt";
const TOTP_SECRETS: &str = r#"{"1": "load-run-totp-secret"}"#;
const PASSWORD: &str = "Admin-Passw0rd-123";

struct Server(Child);

/// The release todo example on `db`, once it accepts connections.
fn start_server(root: &Path, db: &str) -> Result<Server> {
    let server = Server(
        Command::new(root.join("target/release/todo"))
            .env("DATABASE_URL", db)
            .env("SECRET_KEY", SECRET)
            .env("SECURITY_PASSWORD_SALT", SALT)
            .env("SECURITY_TOTP_SECRETS", TOTP_SECRETS)
            .env("BIND", ADDR)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| e.to_string())?,
    );
    let started = Instant::now();
    while TcpStream::connect(ADDR).is_err() {
        if started.elapsed() > Duration::from_secs(20) {
            return Err("the todo example did not start".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(server)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(method: &str, path: &str, headers: &str, body: &str) -> Result<String> {
    let mut s = TcpStream::connect(ADDR).map_err(|e| e.to_string())?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {ADDR}\r\nConnection: close\r\nAccept: application/json\r\n{headers}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out).map_err(|e| e.to_string())?;
    Ok(out)
}

fn field<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let start = text.find(&format!("\"{key}\":\""))? + key.len() + 4;
    text[start..].split('"').next()
}

fn cookie<'a>(resp: &'a str, name: &str) -> Option<&'a str> {
    resp.lines()
        .filter(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .filter_map(|l| l.split_once(':').map(|(_, v)| v.trim()))
        .find(|v| v.starts_with(&format!("{name}=")))
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.split_once('=').map(|(_, x)| x))
}

struct Figures {
    rps: f64,
    p50: String,
    p99: String,
}

fn wrk(
    label: &str,
    path: &str,
    headers: &[String],
    script: Option<&Path>,
    connections: u32,
    secs: u32,
) -> Result<Figures> {
    let mut c = Command::new("wrk");
    c.args([
        "-t2",
        &format!("-c{connections}"),
        &format!("-d{secs}s"),
        "--latency",
    ]);
    for h in headers {
        c.args(["-H", h]);
    }
    if let Some(s) = script {
        c.arg("-s").arg(s);
    }
    c.arg(format!("http://{ADDR}{path}"));
    let out = c.output().map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| format!("{label}: no figures from wrk:\n{text}"))?;
    let pct = |p: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(p))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    let non2xx = text
        .lines()
        .find(|l| l.contains("Non-2xx"))
        .map(str::trim)
        .unwrap_or("");
    println!(
        "    {label:<42} {rps:>10.0} req/s   p50 {:>8}   p99 {:>8}   {non2xx}",
        pct("50%"),
        pct("99%")
    );
    Ok(Figures {
        rps,
        p50: pct("50%"),
        p99: pct("99%"),
    })
}

pub(crate) fn run() -> Result {
    if Command::new("wrk").arg("--version").output().is_err() {
        println!("load run: SKIPPED — wrk is not installed (apt-get install wrk)");
        return Ok(());
    }
    let root = root_dir();
    run_step(
        "build the todo example and the CLI (release)",
        cargo_cmd().args(["build", "--release", "-p", "todo", "-p", "portcullis-cli"]),
    )?;
    let dir = root.join("target/load-run");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = format!("sqlite://{}", dir.join("todo.db").display());
    let cli = root.join("target/release/portcullis");
    for args in [
        vec!["db", "migrate"],
        vec![
            "roles",
            "create",
            "admin",
            "--permissions",
            "admin-read,admin-write",
        ],
        vec![
            "users",
            "create",
            "admin@example.com",
            "--password",
            PASSWORD,
            "--active",
            "--confirmed",
            "--role",
            "admin",
        ],
    ] {
        let ok = Command::new(&cli)
            .args(&args)
            .env("DATABASE_URL", &db)
            .env("SECRET_KEY", SECRET)
            .env("SECURITY_PASSWORD_SALT", SALT)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(format!("seeding failed: portcullis {}", args.join(" ")));
        }
    }
    let server = start_server(&root, &db)?;
    let login_body = format!("{{\"email\": \"admin@example.com\", \"password\": \"{PASSWORD}\"}}");
    let resp = http(
        "POST",
        "/login?include_auth_token",
        "Content-Type: application/json\r\n",
        &login_body,
    )?;
    let token = field(&resp, "authentication_token")
        .ok_or("login gave no token")?
        .to_owned();
    let session = cookie(&resp, "session")
        .ok_or("login gave no session cookie")?
        .to_owned();
    let lua = dir.join("login.lua");
    std::fs::write(&lua, format!("wrk.method = \"POST\"\nwrk.body = '{login_body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")).map_err(|e| e.to_string())?;

    println!(
        "==> load run: todo example (release, SQLite), wrk on the same machine ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let token_h = vec![format!("Authentication-Token: {token}")];
    let session_h = vec![format!("Cookie: session={session}")];
    let t = wrk("token GET /api/me", "/api/me", &token_h, None, 64, 10)?;
    let s = wrk("session GET /api/me", "/api/me", &session_h, None, 64, 10)?;
    let a = wrk("anonymous GET /api/me (401)", "/api/me", &[], None, 64, 10)?;
    let l = wrk(
        "POST /login (argon2 m=64MiB t=3 p=4)",
        "/login",
        &[],
        Some(&lua),
        8,
        15,
    )?;
    // Token requests while a login storm runs.
    let storm = std::thread::spawn({
        let lua = lua.clone();
        move || wrk("  (login storm)", "/login", &[], Some(&lua), 16, 12)
    });
    std::thread::sleep(Duration::from_secs(1));
    let under = wrk(
        "token GET /api/me during a login storm",
        "/api/me",
        &token_h,
        None,
        16,
        10,
    )?;
    let _ = storm.join();
    drop(server);
    // The same two reads with every SQLite read handed to the blocking pool
    // (decision 0006): what the inline point reads are worth.
    let server = start_server(&root, &format!("{db}?inline_point_reads=false"))?;
    let tb = wrk(
        "token GET /api/me, blocking-pool reads",
        "/api/me",
        &token_h,
        None,
        64,
        10,
    )?;
    let sb = wrk(
        "session GET /api/me, blocking-pool reads",
        "/api/me",
        &session_h,
        None,
        64,
        10,
    )?;
    drop(server);
    println!(
        "\nFlask-Security 5.9.2 under gunicorn (2 workers), same machine: 1,555 / 1,282 / 2,770 / 10 req/s"
    );
    println!(
        "targets: 25x on the cheap three (38,875 / 32,050 / 69,250 req/s), login at the argon2 limit of the cores, token p99 < 10 ms during a login storm"
    );
    println!(
        "ratios: token {:.1}x, session {:.1}x, anonymous {:.1}x, login {:.1}x; token p50/p99 {}/{}; during the storm p99 {}",
        t.rps / 1555.0,
        s.rps / 1282.0,
        a.rps / 2770.0,
        l.rps / 10.0,
        t.p50,
        t.p99,
        under.p99
    );
    println!(
        "inline point reads: token {:.0} vs {:.0} req/s ({:+.0}%), session {:.0} vs {:.0} req/s ({:+.0}%)",
        t.rps,
        tb.rps,
        (t.rps / tb.rps - 1.0) * 100.0,
        s.rps,
        sb.rps,
        (s.rps / sb.rps - 1.0) * 100.0
    );
    let _ = (s.p50, a.p99, l.p99, under.p50);
    Ok(())
}
