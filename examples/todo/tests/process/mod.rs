//! The todo binary as processes, and a blocking HTTP client for them,
//! for the multi-instance and outage suites.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_todo");
pub(crate) const PW: &str = "Correct-Horse-Battery-9";

pub(crate) struct Instance {
    pub(crate) child: Child,
    pub(crate) port: u16,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub(crate) fn start(env: &[(&str, String)]) -> Instance {
    let port = free_port();
    let mut cmd = Command::new(BIN);
    cmd.env("BIND", format!("127.0.0.1:{port}"))
        .env_remove("TODO_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut instance = Instance {
        child: cmd.spawn().unwrap(),
        port,
    };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Some(status) = instance.child.try_wait().unwrap() {
            panic!("instance exited at start: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never listened"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    instance
}

/// A client: cookies kept, the CSRF header from `XSRF-TOKEN`.
#[derive(Clone, Default)]
pub(crate) struct Client {
    pub(crate) cookies: BTreeMap<String, String>,
    pub(crate) token: Option<String>,
}

pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: String,
    pub(crate) body: Value,
}

impl Client {
    /// One request; `None` when the instance cannot be reached.
    pub(crate) fn try_send(
        &mut self,
        port: u16,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Option<Resp> {
        let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            head.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
        }
        if let Some(csrf) = self.cookies.get("XSRF-TOKEN") {
            head.push_str(&format!("X-XSRF-Token: {csrf}\r\n"));
        }
        if let Some(t) = &self.token {
            head.push_str(&format!("Authentication-Token: {t}\r\n"));
        }
        s.write_all(format!("{head}\r\n{body}").as_bytes()).ok()?;
        let mut raw = String::new();
        s.read_to_string(&mut raw).ok()?;
        let (head, body) = raw.split_once("\r\n\r\n")?;
        let status = head.split(' ').nth(1)?.parse().ok()?;
        for line in head.lines() {
            let Some(cookie) = line
                .split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("set-cookie"))
                .map(|(_, v)| v.trim())
            else {
                continue;
            };
            if let Some((k, v)) = cookie.split(';').next().and_then(|p| p.split_once('=')) {
                if v.is_empty() || cookie.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Some(Resp {
            status,
            headers: head.to_owned(),
            body: serde_json::from_str(body).unwrap_or(Value::Null),
        })
    }

    pub(crate) fn send(
        &mut self,
        port: u16,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Resp {
        self.try_send(port, method, path, body)
            .unwrap_or_else(|| panic!("{method} {path} on :{port} got no answer"))
    }

    pub(crate) fn me(&self, port: u16) -> u16 {
        self.clone().send(port, "GET", "/api/me", None).status
    }

    /// [`Client::me`] until it answers `want` or two seconds pass: a write
    /// through another process reaches an instance's PostgreSQL cache when
    /// the notification reaches its listener (decision 0010) —
    /// milliseconds, where the cache's own expiry is 30 s.
    pub(crate) fn me_becomes(&self, port: u16, want: u16) -> u16 {
        let deadline = Instant::now() + Duration::from_secs(2);
        let mut status = self.me(port);
        while status != want && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            status = self.me(port);
        }
        status
    }
}
