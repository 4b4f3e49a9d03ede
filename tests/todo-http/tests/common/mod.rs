//! What the todo example's TCP suites share: a server on a random port —
//! the axum or the actix-web build, as the test binary's `ADAPTER` says —
//! and a raw HTTP/1.1 client that keeps cookies and sends the XSRF header.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use portcullis_mail::{MemoryOutbox, MemorySms};
use portcullis_seaorm::scratch::ScratchDb;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Which build of the todo app a test binary runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adapter {
    /// `todo` (axum, `portcullis-axum`).
    Axum,
    /// `todo-actix` (actix-web, `portcullis-actix`).
    Actix,
}

pub struct Server {
    pub addr: SocketAddr,
    pub outbox: Arc<MemoryOutbox>,
    pub db: String,
    pub scratch: Option<ScratchDb>,
    pub mongo: Option<String>,
    pub sms: Arc<MemorySms>,
    pub _dir: TempDir,
}

/// Where the app keeps its data: the embedded default, or a scratch
/// database on the real server an environment variable names.
#[derive(Clone, Copy)]
pub enum Backend {
    Sqlite,
    Server(&'static str),
    Mongo,
}

impl Server {
    /// Drops the scratch database, if there is one.
    pub async fn finish(self) {
        if let Some(db) = self.scratch {
            db.drop_database().await.expect("drop the scratch database");
        }
        if let Some(url) = self.mongo {
            let store = portcullis_mongodb::MongoStore::open_url(&url)
                .await
                .unwrap();
            store.drop_database().await.expect("drop the test database");
        }
    }
}

pub struct TempDir(pub std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts the app on `backend`; `None` (having said so) when the server's
/// variable is not set.
pub async fn start_on(backend: Backend, extra: &[(&str, &str)]) -> Option<Server> {
    if let Backend::Mongo = backend {
        let Ok(base) = std::env::var("PORTCULLIS_TEST_MONGODB_URL") else {
            portcullis_testkit::skip(
                "PORTCULLIS_TEST_MONGODB_URL is not set, so the HTTP suite did not run against MongoDB",
            );
            return None;
        };
        let url = mongo_database(
            &base,
            &format!(
                "portcullis_todo_{}",
                &portcullis_core::store::new_uniquifier()[..12]
            ),
        );
        let mut server = start_with(extra, Some(url.clone())).await;
        server.mongo = Some(url);
        return Some(server);
    }
    let scratch = match backend {
        Backend::Sqlite | Backend::Mongo => None,
        Backend::Server(var) => {
            let Ok(url) = std::env::var(var) else {
                portcullis_testkit::skip(&format!(
                    "{var} is not set, so the HTTP suite did not run against that server (.ci/run sets it)"
                ));
                return None;
            };
            Some(ScratchDb::create(&url).await.expect("scratch database"))
        }
    };
    let mut server = start_with(extra, scratch.as_ref().map(|s| s.url().to_owned())).await;
    server.scratch = scratch;
    Some(server)
}

/// As [`start_on`], on a database whose `user` table an application
/// extended first (as a migrated Flask-Security app's alembic did): each
/// `(name, SQL type)` of `columns` is added before the app opens it.
/// MongoDB needs nothing (documents take any key).
pub async fn start_on_extended(
    backend: Backend,
    extra: &[(&str, &str)],
    columns: &[(&str, &str)],
) -> Option<Server> {
    let (url, scratch, dir) = match backend {
        Backend::Mongo => return start_on(backend, extra).await,
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!(
                "todo-http-ext-{}",
                portcullis_core::store::new_uniquifier()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}", dir.join("todo.db").display());
            (url, None, Some(TempDir(dir)))
        }
        Backend::Server(var) => {
            let Ok(server) = std::env::var(var) else {
                portcullis_testkit::skip(&format!(
                    "{var} is not set, so the HTTP suite did not run against that server (.ci/run sets it)"
                ));
                return None;
            };
            let db = ScratchDb::create(&server).await.expect("scratch database");
            (db.url().to_owned(), Some(db), None)
        }
    };
    let store = portcullis_seaorm::SeaOrmStore::open_url(&url)
        .await
        .expect("migrate the database first");
    let (table, quote) = match store.dialect() {
        portcullis_seaorm::Dialect::MySql => ("`user`", '`'),
        _ => ("\"user\"", '"'),
    };
    for (name, ty) in columns {
        use portcullis_seaorm::sea_orm::ConnectionTrait;
        store
            .connection()
            .execute_unprepared(&format!(
                "ALTER TABLE {table} ADD COLUMN {quote}{name}{quote} {ty}"
            ))
            .await
            .expect("add an application column");
    }
    store.close().await.expect("close");
    let mut server = start_with(extra, Some(url)).await;
    server.scratch = scratch;
    if let Some(dir) = dir {
        server._dir = dir;
    }
    Some(server)
}

pub async fn start_with(extra: &[(&str, &str)], database_url: Option<String>) -> Server {
    start_mailing(extra, database_url, true).await
}

/// Starts the app; with `outbox` false, mail goes where the settings say
/// (SMTP with `MAIL_SERVER`), and `Server::outbox` stays empty.
pub async fn start_mailing(
    extra: &[(&str, &str)],
    database_url: Option<String>,
    outbox: bool,
) -> Server {
    let dir = std::env::temp_dir().join(format!(
        "todo-http-{}-{}",
        std::process::id(),
        portcullis_core::store::new_uniquifier()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db = database_url.unwrap_or_else(|| format!("sqlite://{}", dir.join("todo.db").display()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut vars: Vec<(String, String)> = vec![
        ("DATABASE_URL".into(), db.clone()),
        ("SECRET_KEY".into(), "todo-http-test-secret".into()),
        (
            "SECURITY_PASSWORD_SALT".into(),
            "todo-http-test-salt".into(),
        ),
        ("BASE_URL".into(), format!("http://{addr}")),
        (
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS".into(),
            r#"{"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}"#
                .into(),
        ),
    ];
    vars.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let settings = todo::settings(None, vars).unwrap();
    let memory = Arc::new(MemoryOutbox::with_templates(todo::mail_templates(
        &settings,
    )));
    let mailer: Option<Arc<dyn portcullis_core::Mailer>> = outbox.then(|| memory.clone() as _);
    let sms = Arc::new(MemorySms::new());
    match crate::ADAPTER {
        Adapter::Axum => {
            let app = todo::app_with(&settings, mailer, Some(sms.clone()))
                .await
                .unwrap();
            // As the example's main serves it: connection cap and read deadlines.
            let serve = settings.serve.clone();
            tokio::spawn(async move {
                portcullis_axum::serve(listener, app, serve, std::future::pending())
                    .await
                    .unwrap()
            });
        }
        Adapter::Actix => {
            let listener = listener.into_std().unwrap();
            todo_actix::spawn(listener, &settings, mailer, Some(sms.clone()))
                .await
                .unwrap();
        }
    }
    let outbox = memory;
    Server {
        addr,
        outbox,
        sms,
        db,
        scratch: None,
        mongo: None,
        _dir: TempDir(dir),
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: BTreeMap<String, Vec<String>>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "not JSON ({}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }
}

/// A browser-ish client: cookies kept, CSRF header from the XSRF-TOKEN cookie.
#[derive(Default, Clone)]
pub struct Client {
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub async fn request(
        &mut self,
        srv: &Server,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Resp {
        self.request_to(srv.addr, method, path, body, headers).await
    }

    /// As [`request`](Self::request), to any server on `addr` (an OpenID
    /// provider), with the same cookie jar (as a browser's, cookies do not
    /// tell ports apart).
    pub async fn request_to(
        &mut self,
        addr: SocketAddr,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let fut = async {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            let mut req = format!(
                "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
                addr
            );
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
            {
                req.push_str("Accept: application/json\r\n");
            }
            if !self.cookies.is_empty() {
                let c: Vec<String> = self
                    .cookies
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                req.push_str(&format!("Cookie: {}\r\n", c.join("; ")));
            }
            // An empty value sends no such header (`("Accept", "")`: none).
            for (k, v) in headers.iter().filter(|(_, v)| !v.is_empty()) {
                req.push_str(&format!("{k}: {v}\r\n"));
            }
            let body = body.unwrap_or_default();
            req.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            stream.write_all(req.as_bytes()).await.unwrap();
            stream.write_all(body).await.unwrap();
            let mut raw = Vec::new();
            stream.read_to_end(&mut raw).await.unwrap();
            raw
        };
        let raw = tokio::time::timeout(Duration::from_secs(20), fut)
            .await
            .expect("the server answered in time");
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete response");
        let head = String::from_utf8_lossy(&raw[..split]).into_owned();
        let mut body = raw[split + 4..].to_vec();
        let mut lines = head.lines();
        let status: u16 = lines
            .next()
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let mut headers: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for l in lines {
            if let Some((k, v)) = l.split_once(':') {
                headers
                    .entry(k.trim().to_ascii_lowercase())
                    .or_default()
                    .push(v.trim().to_owned());
            }
        }
        if headers
            .get("transfer-encoding")
            .is_some_and(|v| v.iter().any(|x| x.contains("chunked")))
        {
            body = dechunk(&body);
        }
        for c in headers.get("set-cookie").cloned().unwrap_or_default() {
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if c.contains("Max-Age=0") || v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&mut self, srv: &Server, path: &str) -> Resp {
        self.request(srv, "GET", path, None, &[]).await
    }

    pub async fn get_with(&mut self, srv: &Server, path: &str, headers: &[(&str, &str)]) -> Resp {
        self.request(srv, "GET", path, None, headers).await
    }

    pub async fn post(&mut self, srv: &Server, path: &str, body: Value) -> Resp {
        let csrf = self.cookies.get("XSRF-TOKEN").cloned().unwrap_or_default();
        let b = body.to_string();
        self.request(
            srv,
            "POST",
            path,
            Some(b.as_bytes()),
            &[
                ("Content-Type", "application/json"),
                ("X-XSRF-Token", &csrf),
            ],
        )
        .await
    }
}

pub fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(nl) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..nl]).trim(), 16).unwrap_or(0);
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + n]);
        b = &b[nl + 2 + n + 2..];
    }
}

pub fn path_of(link: &str) -> String {
    let i = link.find("://").map(|i| i + 3).unwrap();
    link[i..]
        .find('/')
        .map(|j| link[i + j..].to_owned())
        .unwrap()
}

pub fn mongo_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, ""), |(b, q)| (b, q));
    let (scheme, rest) = base.split_once("://").unwrap();
    let hosts = rest.split('/').next().unwrap();
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{scheme}://{hosts}/{name}{query}")
}

/// The `SECURITY_TOTP_SECRETS` the second-factor suites run with.
pub const TOTP_SECRETS: &str = r#"{"1": "TjQ9Qa31VOrfEzuPy4VHQWPCTmRzCnFzMKLxXYiZu9B"}"#;

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The password the suites register their users with.
pub const TEST_PW: &str = "Correct-Horse-Battery-9";

/// Registers `email` with [`TEST_PW`] and follows its confirmation link;
/// returns the client that did (not logged in unless the app logs in after
/// confirming).
pub async fn register_confirmed(srv: &Server, email: &str) -> Client {
    let mut c = Client::default();
    let r = c
        .post(
            srv,
            "/register",
            serde_json::json!({"email": email, "password": TEST_PW, "password_confirm": TEST_PW}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let link = srv
        .outbox
        .link_to(email, "/confirm/")
        .expect("confirmation mail");
    assert_eq!(c.get(srv, &path_of(&link)).await.status, 302);
    c
}

/// The six-digit code in the last mail to `to`.
pub fn mailed_code(srv: &Server, to: &str) -> String {
    let (_, m) = srv.outbox.last_to(to).expect("a mail");
    let text = m.text.unwrap_or_default();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_owned()
}

/// Tests a body (`async fn(Backend)`) on SQLite, PostgreSQL, MariaDB and
/// MongoDB (the servers where `.ci/run` names them; skipped, loudly,
/// elsewhere).
#[macro_export]
macro_rules! on_every_backend {
    ($body:ident: $($name:ident => $backend:expr),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                $body($backend).await;
            }
        )*
    };
}

/// A real OpenID provider (npm's `oidc-provider`, `xtask/oidc/provider.mjs`)
/// on a free loopback port, with the client `portcullis` and the accounts
/// `jo`, `tf`, `stranger`, `unverified`, `disabled` (`<sub>@example.com`).
/// Stopped when dropped.
pub struct OidcProvider {
    pub addr: SocketAddr,
    child: std::process::Child,
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OidcProvider {
    /// Starts it; `None` (having said so) when Node or the npm packages are
    /// missing (`.ci/run` installs them: `cd xtask/oidc && npm ci`).
    pub async fn start() -> Option<Self> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../xtask/oidc");
        if !dir.join("node_modules/oidc-provider").is_dir() {
            portcullis_testkit::skip(
                "xtask/oidc/node_modules is missing (run `npm ci` there), so the OAuth suite did not run against a real OpenID provider",
            );
            return None;
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut child = match std::process::Command::new("node")
            .arg("provider.mjs")
            .arg(port.to_string())
            .current_dir(&dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                portcullis_testkit::skip(&format!(
                    "node could not be started ({e}), so the OAuth suite did not run against a real OpenID provider"
                ));
                return None;
            }
        };
        let stdout = child.stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(stdout).lines();
            let ok = lines
                .by_ref()
                .map_while(Result::ok)
                .any(|l| l.starts_with("READY"));
            // Keep draining so the provider never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            ok
        });
        let ok = tokio::time::timeout(Duration::from_secs(30), ready)
            .await
            .map(|r| r.unwrap_or(false))
            .unwrap_or(false);
        assert!(ok, "the OpenID provider did not start");
        Some(Self {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn issuer(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The account the next sign-in at the provider is; the client's
    /// session at the provider (its `_session`, `_interaction` cookies)
    /// is forgotten, so the provider signs it in again.
    pub async fn sign_in_as(&self, c: &mut Client, sub: &str) {
        c.cookies.retain(|k, _| !k.starts_with('_'));
        let body = serde_json::json!({ "sub": sub }).to_string();
        let r = c
            .request_to(
                self.addr,
                "POST",
                "/_test/account",
                Some(body.as_bytes()),
                &[],
            )
            .await;
        assert_eq!(r.status, 204, "{sub}");
    }

    /// The settings naming this provider `local` to the todo app.
    pub fn settings(&self) -> Vec<(String, String)> {
        vec![
            ("SECURITY_OAUTH_ENABLE".into(), "true".into()),
            ("SECURITY_OAUTH_BUILTIN_PROVIDERS".into(), "[]".into()),
            (
                "SECURITY_OAUTH_OIDC_PROVIDERS".into(),
                r#"["local"]"#.into(),
            ),
            (
                "LOCAL_SERVER_METADATA_URL".into(),
                format!("{}/.well-known/openid-configuration", self.issuer()),
            ),
            ("LOCAL_CLIENT_ID".into(), "portcullis".into()),
            (
                "LOCAL_CLIENT_SECRET".into(),
                "portcullis-test-secret".into(),
            ),
        ]
    }
}

/// Splits an absolute `http://host:port/path?query` into its address and
/// path.
pub fn split_url(url: &str) -> (SocketAddr, String) {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(h, p)| (h, format!("/{p}")));
    let addr = host.parse().unwrap_or_else(|_| {
        let port = host
            .rsplit_once(':')
            .map_or(80, |(_, p)| p.parse().unwrap());
        SocketAddr::from(([127, 0, 0, 1], port))
    });
    (addr, path)
}
