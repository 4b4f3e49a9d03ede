//! The README's `cargo run -p todo` (and `-p todo-actix`), as a user runs
//! it: the built binary (`crate::BIN`), no configuration, SQLite in the
//! working directory and mail on stdout. Registers, takes the confirmation
//! link from the console mail, follows it, logs in, and stops on SIGTERM
//! with exit 0.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Running {
    child: Child,
    dir: std::path::PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One HTTP/1.1 request over a fresh connection; returns (status, head, body).
fn request(port: u16, method: &str, path: &str, body: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Accept: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, head.to_owned(), body.to_owned())
}

/// The binary as a user runs it — in `dir`, no configuration, on a free
/// port — with its stdout sent to `stdout`.
fn start_in(dir: &std::path::Path, stdout: Stdio) -> (Running, u16) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = Command::new(crate::BIN);
    cmd.current_dir(dir)
        .env("BIND", format!("127.0.0.1:{port}"))
        .stdout(stdout)
        .stderr(Stdio::null());
    for k in [
        "TODO_CONFIG",
        "DATABASE_URL",
        "BASE_URL",
        "MAIL_SERVER",
        "MAIL_DEFAULT_SENDER",
        "SECRET_KEY",
        "SECURITY_PASSWORD_SALT",
    ] {
        cmd.env_remove(k);
    }
    let running = Running {
        child: cmd.spawn().unwrap(),
        dir: dir.to_owned(),
    };
    (running, port)
}

fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn cargo_run_serves_sqlite_and_mails_to_the_console() {
    let dir = std::env::temp_dir().join(format!(
        "todo-bin-{}-{}",
        std::process::id(),
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut running, port) = start_in(&dir, Stdio::piped());
    let stdout = running.child.stdout.take().unwrap();
    let console = Arc::new(Mutex::new(String::new()));
    let sink = console.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut c = sink.lock().unwrap();
            c.push_str(&line);
            c.push('\n');
        }
    });

    wait_for("the server to listen", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(
        dir.join("todo.db").exists(),
        "no todo.db in the working dir"
    );

    // Anonymous: the JSON 401 envelope.
    let (status, _, body) = request(port, "GET", "/api/todos", "");
    assert_eq!(status, 401, "{body}");

    let (status, _, body) = request(
        port,
        "POST",
        "/register",
        r#"{"email":"smoke@example.com","password":"battery horse staple 42",
            "password_confirm":"battery horse staple 42"}"#,
    );
    assert_eq!(status, 200, "{body}");

    let prefix = format!("http://127.0.0.1:{port}/confirm/");
    wait_for("the confirmation mail on stdout", || {
        console.lock().unwrap().contains(&prefix)
    });
    let out = console.lock().unwrap().clone();
    assert!(out.contains("smoke@example.com"), "{out}");
    let at = out.find(&prefix).unwrap() + prefix.len() - "/confirm/".len();
    let path: String = out[at..]
        .chars()
        .take_while(|c| !c.is_whitespace() && !"\"'<>".contains(*c))
        .collect();

    // Unconfirmed: login is refused with the field error.
    let creds = r#"{"email":"smoke@example.com","password":"battery horse staple 42"}"#;
    let (status, _, body) = request(port, "POST", "/login", creds);
    assert_eq!(status, 400, "{body}");

    let (status, head, _) = request(port, "GET", &path, "");
    assert!((300..400).contains(&status), "{head}");
    assert!(head.contains("/confirmed"), "{head}");

    let (status, _, body) = request(port, "POST", "/login", creds);
    assert_eq!(status, 200, "{body}");

    // SIGTERM (what service managers send) ends it cleanly, with exit 0 —
    // even with a client's connection kept alive and idle — and the
    // database file alone then holds every commit (SQLite's WAL is
    // checkpointed into it, as a backup or a copy of the file expects).
    #[cfg(unix)]
    {
        let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
        idle.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        write!(
            idle,
            "GET /api/todos HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        )
        .unwrap();
        let mut first = [0u8; 12];
        idle.read_exact(&mut first).unwrap();
        assert_eq!(&first, b"HTTP/1.1 302", "a browser sent to the login page");
        let pid = running.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(s) = running.child.try_wait().unwrap() {
                break s;
            }
            assert!(Instant::now() < deadline, "still running after SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(status.success(), "{status:?}");
        for leftover in ["todo.db-wal", "todo.db-shm"] {
            assert!(
                !dir.join(leftover).exists(),
                "{leftover} left beside todo.db: the database was not closed"
            );
        }
        drop(idle);
        copied_database_keeps_the_user(&dir.join("todo.db"), creds);
    }
}

/// `todo.db` alone, copied into an empty directory, serves the confirmed
/// user's login.
#[cfg(unix)]
fn copied_database_keeps_the_user(db: &std::path::Path, creds: &str) {
    let dir = db.with_file_name("copy");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(db, dir.join("todo.db")).unwrap();
    let (_copy, port) = start_in(&dir, Stdio::null());
    wait_for("the copy to listen", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let (status, _, body) = request(port, "POST", "/login", creds);
    assert_eq!(
        status, 200,
        "the copied todo.db lost the confirmation: {body}"
    );
}
