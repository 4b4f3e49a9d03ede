//! The load run: the todo example (release build) on 127.0.0.1, driven by
//! wrk for token- and session-authenticated `GET /api/me`, the anonymous
//! 401, `POST /login`, and token requests during a login storm; the same
//! four rows for the actix-web build (`todo-actix`) in the same run.

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

/// The todo example's binary `bin` on `db`, once it accepts connections.
fn start_server(bin: &Path, db: &str) -> Result<Server> {
    let server = Server(
        Command::new(bin)
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
    server.ready(ADDR, &bin.display().to_string(), 20)
}

const FS_ADDR: &str = "127.0.0.1:8098";

/// The reference app (`../shared/reference/flask_security_app.py`) under
/// gunicorn with 2 workers, as the issue measured it; `python` is a
/// virtualenv's interpreter with flask-security 5.9.2 and gunicorn.
fn start_reference(python: &Path, dir: &Path) -> Result<Server> {
    let app_dir = root_dir().join("../shared/reference");
    let app_dir = app_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", app_dir.display()))?;
    let server = Server(
        Command::new(python)
            .args(["-m", "gunicorn", "--preload", "-w", "2", "-b", FS_ADDR])
            .arg("--chdir")
            .arg(&app_dir)
            .arg("flask_security_app:create_app()")
            .env("REF_DB", dir.join("reference.db"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("gunicorn: {e}"))?,
    );
    server.ready(FS_ADDR, "the reference app under gunicorn", 30)
}

impl Server {
    /// The server, once it accepts connections on `addr`; an error if it
    /// exits first (say, the port is taken) or takes over `secs`.
    fn ready(mut self, addr: &str, what: &str, secs: u64) -> Result<Self> {
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            if let Ok(Some(status)) = self.0.try_wait() {
                return Err(format!("{what} exited at start ({status})"));
            }
            if started.elapsed() > Duration::from_secs(secs) {
                return Err(format!("{what} did not start within {secs} s"));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Ok(Some(status)) = self.0.try_wait() {
            return Err(format!(
                "{what} exited at start ({status}); is {addr} taken?"
            ));
        }
        Ok(self)
    }
}

impl Drop for Server {
    /// SIGTERM first, so gunicorn takes its workers down with it.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http(addr: &str, method: &str, path: &str, headers: &str, body: &str) -> Result<String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAccept: application/json\r\n{headers}Content-Length: {}\r\n\r\n{body}",
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
    addr: &str,
    label: &str,
    path: &str,
    headers: &[String],
    script: Option<&Path>,
    connections: u32,
    secs: u32,
) -> Result<Figures> {
    let mut c = Command::new("wrk");
    c.args([
        &format!("-t{}", connections.min(2)),
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
    c.arg(format!("http://{addr}{path}"));
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
        "build the todo example (axum and actix-web) and the CLI (release)",
        cargo_cmd().args([
            "build",
            "--release",
            "-p",
            "todo",
            "-p",
            "todo-actix",
            "-p",
            "portcullis-cli",
        ]),
    )?;
    let dir = root.join("target/load-run");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = format!("sqlite://{}", dir.join("todo.db").display());
    let release = root.join("target/release");
    let cli = release.join("portcullis");
    seed(&cli, &db)?;
    let login_body = format!("{{\"email\": \"admin@example.com\", \"password\": \"{PASSWORD}\"}}");
    let lua = dir.join("login.lua");
    std::fs::write(&lua, format!("wrk.method = \"POST\"\nwrk.body = '{login_body}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n")).map_err(|e| e.to_string())?;

    // Flask-Security first, when asked for: its figures on this machine, now.
    let baseline = match std::env::var_os("PORTCULLIS_BENCH_FS_PYTHON") {
        Some(python) => {
            println!(
                "==> load run: Flask-Security 5.9.2 under gunicorn (2 workers), wrk on the same machine"
            );
            let fs = start_reference(Path::new(&python), &dir)?;
            let (token, session) = log_in(FS_ADDR, &login_body)?;
            let figures = measure(FS_ADDR, &token, &session, &lua)?;
            drop(fs);
            Some(figures)
        }
        None => None,
    };

    let server = start_server(&release.join("todo"), &db)?;
    let (token, session) = log_in(ADDR, &login_body)?;
    println!(
        "==> load run: todo example (release, SQLite), wrk on the same machine ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let ours = measure(ADDR, &token, &session, &lua)?;
    // The argon2 limit: one login at a time takes one core for its hash, so
    // the cores can do `cores / latency` logins a second at best.
    let single = wrk(
        ADDR,
        "POST /login, one at a time",
        "/login",
        &[],
        Some(&lua),
        1,
        6,
    )?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let limit = seconds(&single.p50).map(|t| cores as f64 / t);
    // Token requests while a login storm runs.
    let storm = std::thread::spawn({
        let lua = lua.clone();
        move || wrk(ADDR, "  (login storm)", "/login", &[], Some(&lua), 16, 12)
    });
    std::thread::sleep(Duration::from_secs(1));
    let token_h = vec![format!("Authentication-Token: {token}")];
    let session_h = vec![format!("Cookie: session={session}")];
    let under = wrk(
        ADDR,
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
    let server = start_server(
        &release.join("todo"),
        &format!("{db}?inline_point_reads=false"),
    )?;
    let tb = wrk(
        ADDR,
        "token GET /api/me, blocking-pool reads",
        "/api/me",
        &token_h,
        None,
        64,
        10,
    )?;
    let sb = wrk(
        ADDR,
        "session GET /api/me, blocking-pool reads",
        "/api/me",
        &session_h,
        None,
        64,
        10,
    )?;
    drop(server);
    // The same token and session rows on the SQL servers, when named.
    let mut servers = Vec::new();
    for (label, var) in [
        ("PostgreSQL", "PORTCULLIS_TEST_POSTGRES_URL"),
        ("MariaDB", "PORTCULLIS_TEST_MYSQL_URL"),
    ] {
        let Ok(url) = std::env::var(var) else {
            println!("load run: no {label} row, {var} is not set");
            continue;
        };
        let server_db = crate::sql::fresh_database(&url, "portcullis_load_run")?;
        seed(&cli, &server_db)?;
        let server = start_server(&release.join("todo"), &server_db)?;
        let (t, s) = log_in(ADDR, &login_body)?;
        println!("==> load run: todo example on {label} (SeaORM), token and session rows");
        let token_row = wrk(
            ADDR,
            "token GET /api/me",
            "/api/me",
            &[format!("Authentication-Token: {t}")],
            None,
            64,
            10,
        )?;
        let session_row = wrk(
            ADDR,
            "session GET /api/me",
            "/api/me",
            &[format!("Cookie: session={s}")],
            None,
            64,
            10,
        )?;
        drop(server);
        servers.push((label, token_row, session_row));
    }

    // same four rows, so a change is compared with its past in one run.
    let before = match std::env::var_os("PORTCULLIS_BENCH_BASELINE_TODO") {
        Some(bin) => {
            let server = start_server(Path::new(&bin), &db)?;
            let (t, s) = log_in(ADDR, &login_body)?;
            println!(
                "==> load run: the baseline todo binary ({}), the same four rows",
                Path::new(&bin).display()
            );
            let figures = measure(ADDR, &t, &s, &lua)?;
            drop(server);
            Some(figures)
        }
        None => None,
    };
    // The actix-web build: the same settings, store and four rows.
    let server = start_server(&release.join("todo-actix"), &db)?;
    let (token_a, session_a) = log_in(ADDR, &login_body)?;
    println!("==> load run: todo-actix (release, SQLite), the same four rows");
    let actix = measure(ADDR, &token_a, &session_a, &lua)?;
    drop(server);
    println!(
        "\ntargets: 25x Flask-Security on the cheap three, login at the argon2 limit of the cores, token p99 < 10 ms during a login storm"
    );
    let ratios = |label: &str, base: [f64; 4]| {
        println!(
            "vs {label} ({:.0} / {:.0} / {:.0} / {:.0} req/s): token {:.1}x, session {:.1}x, anonymous {:.1}x, login {:.1}x",
            base[0],
            base[1],
            base[2],
            base[3],
            ours[0].rps / base[0],
            ours[1].rps / base[1],
            ours[2].rps / base[2],
            ours[3].rps / base[3],
        );
    };
    ratios(
        "the issue's Flask-Security figures",
        [1555.0, 1282.0, 2770.0, 10.0],
    );
    if let Some(b) = &baseline {
        ratios(
            "Flask-Security measured just now",
            [b[0].rps, b[1].rps, b[2].rps, b[3].rps],
        );
    }
    match limit {
        Some(limit) => println!(
            "login: {:.1} req/s against an argon2 limit of {limit:.1} req/s ({cores} cores / {} per login): {:.0}% of it",
            ours[3].rps,
            single.p50,
            ours[3].rps / limit * 100.0
        ),
        None => println!(
            "login: {:.1} req/s (no single-login latency from wrk)",
            ours[3].rps
        ),
    }
    println!(
        "token p50/p99 {}/{}; during the storm p99 {}",
        ours[0].p50, ours[0].p99, under.p99
    );
    println!(
        "actix-web / axum: token {:.2}, session {:.2}, anonymous {:.2}, login {:.2} (req/s ratios)",
        actix[0].rps / ours[0].rps,
        actix[1].rps / ours[1].rps,
        actix[2].rps / ours[2].rps,
        actix[3].rps / ours[3].rps
    );
    for (label, t, s) in &servers {
        println!(
            "{label} / SQLite: token {:.0} / {:.0} req/s = {:.0}%, session {:.0} / {:.0} req/s = {:.0}% (p99 {} / {})",
            t.rps,
            ours[0].rps,
            t.rps / ours[0].rps * 100.0,
            s.rps,
            ours[1].rps,
            s.rps / ours[1].rps * 100.0,
            t.p99,
            s.p99
        );
    }
    if let Some(b) = &before {
        for (name, f) in [("axum", &ours), ("actix-web", &actix)] {
            println!(
                "{name} / baseline: token {:.2}, session {:.2}, anonymous {:.2}, login {:.2} (req/s ratios)",
                f[0].rps / b[0].rps,
                f[1].rps / b[1].rps,
                f[2].rps / b[2].rps,
                f[3].rps / b[3].rps
            );
        }
    }
    println!(
        "inline point reads: token {:.0} vs {:.0} req/s ({:+.0}%), session {:.0} vs {:.0} req/s ({:+.0}%)",
        ours[0].rps,
        tb.rps,
        (ours[0].rps / tb.rps - 1.0) * 100.0,
        ours[1].rps,
        sb.rps,
        (ours[1].rps / sb.rps - 1.0) * 100.0
    );
    Ok(())
}

/// Migrates `db` and makes the admin the load run logs in as.
fn seed(cli: &Path, db: &str) -> Result {
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
        let ok = Command::new(cli)
            .args(&args)
            .env("DATABASE_URL", db)
            .env("SECRET_KEY", SECRET)
            .env("SECURITY_PASSWORD_SALT", SALT)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(format!("seeding failed: portcullis {}", args.join(" ")));
        }
    }
    Ok(())
}

/// wrk's latency text (`870.24ms`, `1.01s`, `782.00us`) in seconds.
fn seconds(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (n, unit) = text.split_at(split);
    let n: f64 = n.parse().ok()?;
    match unit {
        "s" => Some(n),
        "ms" => Some(n / 1e3),
        "us" => Some(n / 1e6),
        "m" => Some(n * 60.0),
        _ => None,
    }
}

/// Logs the seeded admin in; their auth token and session cookie.
fn log_in(addr: &str, login_body: &str) -> Result<(String, String)> {
    let resp = http(
        addr,
        "POST",
        "/login?include_auth_token",
        "Content-Type: application/json\r\n",
        login_body,
    )?;
    let token = field(&resp, "authentication_token")
        .ok_or_else(|| format!("login at {addr} gave no token:\n{resp}"))?
        .to_owned();
    let session = cookie(&resp, "session")
        .ok_or_else(|| format!("login at {addr} gave no session cookie"))?
        .to_owned();
    Ok((token, session))
}

/// The four figures of the issue: token, session, anonymous, login.
fn measure(addr: &str, token: &str, session: &str, lua: &Path) -> Result<[Figures; 4]> {
    let token_h = vec![format!("Authentication-Token: {token}")];
    let session_h = vec![format!("Cookie: session={session}")];
    Ok([
        wrk(addr, "token GET /api/me", "/api/me", &token_h, None, 64, 10)?,
        wrk(
            addr,
            "session GET /api/me",
            "/api/me",
            &session_h,
            None,
            64,
            10,
        )?,
        wrk(
            addr,
            "anonymous GET /api/me (401)",
            "/api/me",
            &[],
            None,
            64,
            10,
        )?,
        wrk(
            addr,
            "POST /login (argon2 m=64MiB t=3 p=4)",
            "/login",
            &[],
            Some(lua),
            8,
            15,
        )?,
    ])
}
