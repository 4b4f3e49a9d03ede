//! The todo app as a library, so tests can start it on any port.

mod routes;
pub mod todos;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::Router;
use portcullis_axum::ServeOptions;
use portcullis_core::Datastore;
use portcullis_core::config::BreachedCheck;
use portcullis_core::flows::RegisterField;
use portcullis_core::store::{AttemptStore, SessionStore};
use portcullis_core::{ConfigLoader, Mailer, Security, SmsSender};
use portcullis_http::{Pages, Portcullis, SameSite, SessionOptions, TokioCpuPool};
use portcullis_mail::{
    ConsoleMailer, HibpChecker, SmtpConfig, SmtpMailer, Templates, configured_dns, configured_sms,
};
use portcullis_mongodb::MongoStore;
use portcullis_redis::{RedisAttempts, RedisSessions};
use portcullis_seaorm::{SeaOrmConfig, SeaOrmStore};
use portcullis_sqlite::SqliteStore;
use sea_orm::DatabaseConnection;
use serde_json::Value;

/// Development-only defaults; `settings` says loudly when they are used.
const DEV_SECRET_KEY: &str = "todo-example-DEVELOPMENT-ONLY-secret-key";
const DEV_PASSWORD_SALT: &str = "todo-example-DEVELOPMENT-ONLY-password-salt";
const DEV_TOTP_SECRETS: &str = r#"{"1": "todo-example-DEVELOPMENT-ONLY-totp-secret"}"#;

/// The example's defaults: Flask-Security's SPA guide, as the reference app
/// runs it. Files and the environment override each.
const DEFAULTS: &[(&str, &str)] = &[
    ("SECURITY_REGISTERABLE", "true"),
    ("SECURITY_CONFIRMABLE", "true"),
    ("SECURITY_RECOVERABLE", "true"),
    ("SECURITY_CHANGEABLE", "true"),
    ("SECURITY_CHANGE_EMAIL", "true"),
    ("SECURITY_TRACKABLE", "true"),
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
    ("SECURITY_MULTI_FACTOR_RECOVERY_CODES", "true"),
    ("SECURITY_WEBAUTHN", "true"),
    ("SECURITY_WAN_RP_NAME", "todo"),
    ("SECURITY_TOTP_ISSUER", "todo"),
    ("SECURITY_REDIRECT_BEHAVIOR", "spa"),
    ("SECURITY_POST_CONFIRM_VIEW", "/confirmed"),
    ("SECURITY_CONFIRM_ERROR_VIEW", "/confirm-error"),
    ("SECURITY_RESET_VIEW", "/reset-password"),
    ("SECURITY_RESET_ERROR_VIEW", "/reset-password-error"),
    ("SECURITY_LOGIN_ERROR_VIEW", "/login-error"),
    ("SECURITY_POST_CHANGE_EMAIL_VIEW", "/change-email-done"),
    ("SECURITY_CHANGE_EMAIL_ERROR_VIEW", "/change-email-error"),
    ("SECURITY_CSRF_PROTECT_MECHANISMS", r#"["session","basic"]"#),
    ("SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS", "true"),
    ("SECURITY_CSRF_COOKIE_NAME", "XSRF-TOKEN"),
    (
        "SECURITY_CSRF_COOKIE",
        r#"{"samesite": "Strict", "httponly": false, "secure": false}"#,
    ),
    ("WTF_CSRF_TIME_LIMIT", ""),
    // The example runs anywhere, machines without DNS included (CI here):
    // no MX lookup on registration, as Flask-Security's own tests and the
    // reference app run. `{}` is email_validator's default (checked).
    (
        "SECURITY_EMAIL_VALIDATOR_ARGS",
        r#"{"check_deliverability": false}"#,
    ),
];

/// Everything the app is configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Flask-Security's settings.
    pub security: portcullis_core::SecurityConfig,
    /// `DATABASE_URL` (default `sqlite://todo.db`).
    pub database_url: String,
    /// `BIND` (default `127.0.0.1:8000`).
    pub bind: String,
    /// `BASE_URL` for links in mail (default `http://<BIND>`).
    pub base_url: String,
    /// `MAIL_*` (SMTP when `MAIL_SERVER` is set; the console otherwise).
    pub mail: BTreeMap<String, String>,
    /// `ATTEMPTS_URL`: where attempt counters live when not in the
    /// database (`redis://…`, so instances share one budget).
    pub attempts_url: Option<String>,
    /// `ATTEMPTS_PREFIX`: the prefix of the attempt keys in Redis (default
    /// `portcullis:`), for apps sharing one server.
    pub attempts_prefix: Option<String>,
    /// `SESSION_URL`: where web sessions live when not in the database
    /// (`redis://…`, shared by every instance; `SESSION_PREFIX` for the
    /// keys, default `portcullis:`).
    pub session_url: Option<String>,
    /// `SESSION_PREFIX`: the prefix of the session keys in Redis.
    pub session_prefix: Option<String>,
    /// The session cookie: Flask's `SESSION_COOKIE_NAME`, `_SECURE`
    /// (default on in release builds), `_SAMESITE`, `_HTTPONLY`, and
    /// `PERMANENT_SESSION_LIFETIME` as an absolute lifetime.
    pub session: SessionOptions,
    /// Connection limits: `MAX_CONNECTIONS`, `HEADER_READ_TIMEOUT`,
    /// `BODY_READ_TIMEOUT` (seconds).
    pub serve: ServeOptions,
    /// `PWNED_PASSWORDS_ADDR`: a loopback `host:port` serving the Pwned
    /// Passwords range API over plain HTTP (tests, offline mirrors); by
    /// default `api.pwnedpasswords.com` is asked when
    /// `SECURITY_PASSWORD_CHECK_BREACHED` is on.
    pub pwned_passwords_addr: Option<std::net::SocketAddr>,
    /// `DNS_SERVERS`: name servers (`host:port`, comma-separated) the
    /// deliverability check of new addresses asks when
    /// `SECURITY_EMAIL_VALIDATOR_ARGS` turns it on; the system's by default.
    pub dns_servers: Vec<std::net::SocketAddr>,
    /// `TEMPLATE_FOLDER`: an app's template folder (Flask's `templates`),
    /// whose files override the built-in pages and mails by the names
    /// their `SECURITY_*_TEMPLATE` settings give (`security/login_user.html`,
    /// `security/email/welcome.txt`, or a flat `welcome.txt`). None by default.
    pub template_folder: Option<std::path::PathBuf>,
    /// `HASHING_QUEUE`: password hashes that may wait for a free core
    /// before logins are answered 503 (default 8 per core).
    pub hashing_queue: Option<usize>,
    /// The OAuth providers the settings name (`SECURITY_OAUTH_ENABLE`,
    /// `SECURITY_OAUTH_BUILTIN_PROVIDERS`, `SECURITY_OAUTH_OIDC_PROVIDERS`
    /// and authlib's `<NAME>_CLIENT_ID`, `<NAME>_SERVER_METADATA_URL`, …).
    pub oauth: Vec<Arc<dyn portcullis_core::oauth::OAuthProvider>>,
    /// `REGISTER_FIELDS`: the application's own registration fields (text
    /// of at most 255 characters, optional), each stored in the `user`
    /// column of the same name — e.g. `["first_name", "last_name"]` for a
    /// Flask-Security database whose model added them. Default none.
    pub register_fields: Vec<String>,
    /// `USER_PAYLOAD_FIELDS`: what `response.user` holds (Flask-Security's
    /// `get_security_payload`): `id`, `email`, `username` and application
    /// fields by name. Default none (`{}`, as Flask-Security's default).
    pub payload_fields: Vec<String>,
}

/// A list setting: a JSON array, or names separated by commas.
fn names(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("expected names, got {i}"))
            })
            .collect(),
        Value::String(s) if s.trim_start().starts_with('[') => {
            names(&serde_json::from_str(s).map_err(|e| e.to_string())?)
        }
        other => Ok(text(other)
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect()),
    }
}

/// Flask's session-cookie settings (and the example's serving limits).
///
/// `Secure` by default follows the public URL: on for an `https://`
/// `BASE_URL`, off for an `http://` one (a cookie the client will not send
/// back over plain HTTP would end every session at once), and, without a
/// `BASE_URL`, on in release builds and off in debug ones.
fn session_options(extras: &BTreeMap<String, Value>) -> Result<SessionOptions, String> {
    let get = |k: &str| extras.get(k).map(text);
    let mut o = SessionOptions {
        secure: secure_by_default(get("BASE_URL").as_deref(), !cfg!(debug_assertions)),
        ..SessionOptions::default()
    };
    let flag = |k: &str, v: String| match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(format!("{k}: expected true or false, got {other:?}")),
    };
    if let Some(v) = get("SESSION_COOKIE_NAME") {
        o.cookie_name = v;
    }
    if let Some(v) = get("SESSION_COOKIE_SECURE") {
        o.secure = flag("SESSION_COOKIE_SECURE", v)?;
    }
    if let Some(v) = get("SESSION_COOKIE_DOMAIN").filter(|v| !v.trim().is_empty()) {
        o.domain = Some(v);
    }
    if let Some(v) = get("SESSION_COOKIE_PATH").filter(|v| !v.trim().is_empty()) {
        o.path = v;
    }
    if let Some(v) = get("SESSION_COOKIE_HTTPONLY") {
        o.http_only = flag("SESSION_COOKIE_HTTPONLY", v)?;
    }
    if let Some(v) = get("SESSION_COOKIE_SAMESITE") {
        o.same_site = match v.trim().to_ascii_lowercase().as_str() {
            "strict" => SameSite::Strict,
            "lax" => SameSite::Lax,
            "none" => SameSite::None,
            other => {
                return Err(format!(
                    "SESSION_COOKIE_SAMESITE: expected Strict, Lax or None, got {other:?}"
                ));
            }
        };
    }
    if let Some(v) = extras.get("PERMANENT_SESSION_LIFETIME") {
        let d = <chrono::TimeDelta as portcullis_core::config::FromSetting>::from_setting(v)
            .map_err(|e| format!("PERMANENT_SESSION_LIFETIME: {e}"))?;
        o.absolute_lifetime = Some(d);
    }
    Ok(o)
}

/// The session cookie's default `Secure`: the scheme of an explicit public
/// URL, else `release`.
fn secure_by_default(base_url: Option<&str>, release: bool) -> bool {
    match base_url.map(str::trim).filter(|u| !u.is_empty()) {
        Some(url) => url
            .get(..8)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://")),
        None => release,
    }
}

fn serve_options(extras: &BTreeMap<String, Value>) -> Result<ServeOptions, String> {
    let mut o = ServeOptions::default();
    let num = |k: &str| -> Result<Option<u64>, String> {
        extras
            .get(k)
            .map(|v| {
                text(v)
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{k}: expected a whole number"))
            })
            .transpose()
    };
    if let Some(n) = num("MAX_CONNECTIONS")? {
        o.max_connections = n as usize;
    }
    if let Some(n) = num("HEADER_READ_TIMEOUT")? {
        o.header_read_timeout = std::time::Duration::from_secs(n.max(1));
    }
    if let Some(n) = num("BODY_READ_TIMEOUT")? {
        o.body_read_timeout = std::time::Duration::from_secs(n.max(1));
    }
    if let Some(n) = num("SHUTDOWN_TIMEOUT")? {
        o.shutdown_timeout = std::time::Duration::from_secs(n);
    }
    Ok(o)
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The settings as both binaries read them: `TODO_CONFIG` (or
/// `./todo.toml` when it exists), then the process environment.
pub fn settings_from_env() -> Result<Settings, String> {
    let config = std::env::var("TODO_CONFIG")
        .ok()
        .map(std::path::PathBuf::from)
        .or_else(|| {
            let p = std::path::PathBuf::from("todo.toml");
            p.exists().then_some(p)
        });
    settings(config.as_deref(), std::env::vars().collect())
}

/// Reads `config` (a TOML file, if given) and then `vars` (the environment).
pub fn settings(config: Option<&Path>, vars: Vec<(String, String)>) -> Result<Settings, String> {
    let mut loader = ConfigLoader::new().vars(DEFAULTS.iter().copied());
    if let Some(path) = config {
        loader = loader.toml_file(path).map_err(|e| e.to_string())?;
    }
    let wanted = [
        "DATABASE_URL",
        "BIND",
        "BASE_URL",
        "ATTEMPTS_URL",
        "ATTEMPTS_PREFIX",
        "SESSION_URL",
        "SESSION_PREFIX",
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_DOMAIN",
        "SESSION_COOKIE_PATH",
        "PERMANENT_SESSION_LIFETIME",
        "MAX_CONNECTIONS",
        "HEADER_READ_TIMEOUT",
        "BODY_READ_TIMEOUT",
        "SHUTDOWN_TIMEOUT",
        "HASHING_QUEUE",
        "PWNED_PASSWORDS_ADDR",
        "DNS_SERVERS",
        "TEMPLATE_FOLDER",
        "REGISTER_FIELDS",
        "USER_PAYLOAD_FIELDS",
        "MAIL_SERVER",
        "MAIL_PORT",
        "MAIL_USE_TLS",
        "MAIL_USE_SSL",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
        "MAIL_DEFAULT_SENDER",
    ];
    let provider_setting = |k: &str| {
        portcullis_oauth::SETTING_SUFFIXES
            .iter()
            .any(|suffix| k.len() > suffix.len() + 1 && k.ends_with(&format!("_{suffix}")))
    };
    for (k, v) in &vars {
        if wanted.contains(&k.as_str()) || provider_setting(k) {
            loader = loader.set(k.clone(), v.clone());
        }
    }
    loader = loader.vars(vars);
    // Secrets: required in release builds unless explicitly waived, and loud either way.
    let waiver = std::env::var("TODO_DANGER_ALLOW_DEV_SECRETS").ok();
    loader = dev_secrets(loader, !cfg!(debug_assertions), waiver.as_deref())?;
    let (security, extras) = loader.build().map_err(|e| e.to_string())?;
    let get = |k: &str| extras.get(k).map(text);
    let bind = get("BIND").unwrap_or_else(|| "127.0.0.1:8000".into());
    Ok(Settings {
        database_url: get("DATABASE_URL").unwrap_or_else(|| "sqlite://todo.db".into()),
        base_url: get("BASE_URL").unwrap_or_else(|| format!("http://{bind}")),
        bind,
        mail: extras
            .iter()
            .filter(|(k, _)| k.starts_with("MAIL_"))
            .map(|(k, v)| (k.clone(), text(v)))
            .collect(),
        attempts_url: get("ATTEMPTS_URL").filter(|u| !u.trim().is_empty()),
        attempts_prefix: get("ATTEMPTS_PREFIX"),
        session_url: get("SESSION_URL").filter(|u| !u.trim().is_empty()),
        session_prefix: get("SESSION_PREFIX"),
        session: session_options(&extras)?,
        serve: serve_options(&extras)?,
        pwned_passwords_addr: get("PWNED_PASSWORDS_ADDR")
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| "PWNED_PASSWORDS_ADDR: expected host:port".to_owned())
            })
            .transpose()?,
        dns_servers: get("DNS_SERVERS")
            .map(|v| {
                v.split(',')
                    .filter(|a| !a.trim().is_empty())
                    .map(|a| a.trim().parse())
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| "DNS_SERVERS: expected host:port[,host:port…]".to_owned())
            })
            .transpose()?
            .unwrap_or_default(),
        template_folder: get("TEMPLATE_FOLDER")
            .filter(|v| !v.trim().is_empty())
            .map(std::path::PathBuf::from),
        hashing_queue: get("HASHING_QUEUE")
            .map(|v| {
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| "HASHING_QUEUE: expected a whole number".to_owned())
            })
            .transpose()?,
        oauth: portcullis_oauth::providers_from_settings(&security, &extras)
            .map_err(|e| e.to_string())?,
        register_fields: extras
            .get("REGISTER_FIELDS")
            .map(names)
            .transpose()
            .map_err(|e| format!("REGISTER_FIELDS: {e}"))?
            .unwrap_or_default(),
        payload_fields: extras
            .get("USER_PAYLOAD_FIELDS")
            .map(names)
            .transpose()
            .map_err(|e| format!("USER_PAYLOAD_FIELDS: {e}"))?
            .unwrap_or_default(),
        security,
    })
}

/// `response.user` as `USER_PAYLOAD_FIELDS` names it.
fn payload(fields: &[String], user: &portcullis_core::User) -> serde_json::Map<String, Value> {
    fields
        .iter()
        .filter_map(|name| {
            let v = match name.as_str() {
                "id" => Value::from(user.id),
                "email" => Value::from(user.email.clone()),
                "username" => user.username.clone().map_or(Value::Null, Value::from),
                other => user.fields.get(other)?.clone(),
            };
            Some((name.clone(), v))
        })
        .collect()
}

/// What a `DATABASE_URL` opens: Portcullis' datastore, its session store,
/// and where the todo list lives.
pub struct Stores {
    /// Users, roles, credentials.
    pub datastore: Arc<dyn Datastore>,
    /// Web sessions.
    pub sessions: Arc<dyn SessionStore>,
    /// Attempt counters, account locks, single-use code markers.
    pub attempts: Arc<dyn AttemptStore>,
    /// The todo list.
    pub todos: todos::Todos,
    /// Closes the databases these stores opened.
    pub closer: Closer,
}

/// Closes the databases [`open_stores`] opened, once the server has
/// stopped: the queries in hand finish, connections end cleanly (a
/// server sees a goodbye, not a reset), and SQLite's WAL is checkpointed
/// into the database file and removed — so the file alone holds every
/// commit when it is copied or backed up after the process exits. Without
/// this, the pools' connections die with the process and leave `-wal`
/// beside the file.
#[derive(Clone, Default)]
pub struct Closer {
    sqlite: Option<Arc<SqliteStore>>,
    seaorm: Vec<SeaOrmStore>,
    mongo: Option<Arc<MongoStore>>,
}

impl Closer {
    /// Closes every database; a failure is logged (the process is ending).
    pub async fn close(&self) {
        if let Some(s) = &self.sqlite
            && let Err(e) = s.close().await
        {
            tracing::warn!(error = %e, "closing the SQLite database failed");
        }
        for s in &self.seaorm {
            if let Err(e) = s.close().await {
                tracing::warn!(error = %e, "closing a database pool failed");
            }
        }
        if let Some(m) = &self.mongo {
            m.close().await;
        }
    }
}

/// The stores a `DATABASE_URL` names: the embedded SQLite backend for
/// `sqlite://`, the SeaORM backend for `postgres://` and `mysql://` /
/// `mariadb://`, the MongoDB backend for `mongodb://`; the todo list in the
/// same database.
pub async fn open_stores(database_url: &str) -> Result<Stores, String> {
    let scheme = database_url.split(':').next().unwrap_or_default();
    let cannot =
        |e: portcullis_core::Error| format!("cannot open the database at {scheme}://…: {e}");
    if scheme == "sqlite" {
        let store = Arc::new(SqliteStore::open_url(database_url).await.map_err(cannot)?);
        // The todo table lives in the same file, reached through SeaORM.
        // `inline_point_reads=…` is the SQLite backend's; sqlx would refuse it.
        let todos_url = database_url
            .split_once('?')
            .map_or(database_url, |(path, _)| path);
        let mut todos = SeaOrmConfig::new(todos_url);
        todos.migrate = false;
        todos.max_connections = 4;
        let todos = SeaOrmStore::open(todos).await.map_err(cannot)?;
        return Ok(Stores {
            datastore: store.clone(),
            sessions: store.clone(),
            attempts: store.clone(),
            todos: sql_todos(todos.connection().clone()).await?,
            closer: Closer {
                sqlite: Some(store),
                seaorm: vec![todos],
                mongo: None,
            },
        });
    }
    if scheme == "mongodb" || scheme == "mongodb+srv" {
        let store = Arc::new(MongoStore::open_url(database_url).await.map_err(cannot)?);
        return Ok(Stores {
            datastore: store.clone(),
            sessions: store.clone(),
            attempts: store.clone(),
            todos: todos::Todos::mongo(store.database().clone()),
            closer: Closer {
                mongo: Some(store),
                ..Closer::default()
            },
        });
    }
    let store = Arc::new(SeaOrmStore::open_url(database_url).await.map_err(cannot)?);
    let todos = sql_todos(store.connection().clone()).await?;
    Ok(Stores {
        datastore: store.clone(),
        sessions: store.clone(),
        attempts: store.clone(),
        todos,
        closer: Closer {
            seaorm: vec![SeaOrmStore::clone(&store)],
            ..Closer::default()
        },
    })
}

async fn sql_todos(db: DatabaseConnection) -> Result<todos::Todos, String> {
    todos::Todos::open(db)
        .await
        .map_err(|e| format!("cannot open the todo table: {e}"))
}

/// What the app is made of, whichever framework serves it: Portcullis
/// (with its session store) and the todo list.
#[derive(Clone)]
pub struct Parts {
    /// Flask-Security's endpoints, sessions and rules.
    pub portcullis: Portcullis,
    /// The todo list.
    pub todos: todos::Todos,
    /// Closes the databases; call it once the server has stopped.
    pub closer: Closer,
}

/// Fills the secrets that are not set with the public development values:
/// refused in a `release` build unless `waiver` (the value of
/// `TODO_DANGER_ALLOW_DEV_SECRETS`) is `"1"`, and loud either way.
fn dev_secrets(
    mut loader: ConfigLoader,
    release: bool,
    waiver: Option<&str>,
) -> Result<ConfigLoader, String> {
    let has =
        |k: &str, l: &ConfigLoader| l.clone().build().map_or_else(|e| !e.concerns(k), |_| true);
    let secrets = [
        "SECRET_KEY",
        "SECURITY_PASSWORD_SALT",
        "SECURITY_TOTP_SECRETS",
    ];
    if secrets.iter().any(|k| !has(k, &loader)) {
        let allowed = !release || waiver == Some("1");
        if !allowed {
            return Err("SECRET_KEY, SECURITY_PASSWORD_SALT and SECURITY_TOTP_SECRETS must be set in a release build (or set TODO_DANGER_ALLOW_DEV_SECRETS=1 to run with the public development values)".into());
        }
        #[allow(clippy::print_stderr)]
        {
            eprintln!("******************************************************************");
            eprintln!("* WARNING: SECRET_KEY / SECURITY_PASSWORD_SALT / TOTP_SECRETS are  *");
            eprintln!("* not all set: using PUBLIC development values. Anyone can forge   *");
            eprintln!("* sessions and tokens and read authenticator keys.                 *");
            eprintln!("* Set them before this serves anyone but you.                      *");
            eprintln!("******************************************************************");
        }
        if !has("SECRET_KEY", &loader) {
            loader = loader.set("SECRET_KEY", DEV_SECRET_KEY);
        }
        if !has("SECURITY_PASSWORD_SALT", &loader) {
            loader = loader.set("SECURITY_PASSWORD_SALT", DEV_PASSWORD_SALT);
        }
        if !has("SECURITY_TOTP_SECRETS", &loader) {
            loader = loader.set("SECURITY_TOTP_SECRETS", DEV_TOTP_SECRETS);
        }
    }
    Ok(loader)
}

/// Builds the app's parts; `mailer` and `sms` replace the configured ones
/// (tests). Texts go to the console by default (Flask-Security's `"Dummy"`
/// service). Spawns the expired-session and attempt cleanups.
pub async fn parts(
    settings: &Settings,
    mailer: Option<Arc<dyn Mailer>>,
    sms: Option<Arc<dyn SmsSender>>,
) -> Result<Parts, String> {
    let Stores {
        datastore: store,
        sessions,
        attempts,
        todos,
        closer,
    } = open_stores(&settings.database_url).await?;
    let attempts: Arc<dyn AttemptStore> = match &settings.attempts_url {
        Some(url) => {
            let redis = RedisAttempts::open(url)
                .await
                .map_err(|e| format!("cannot reach the attempt store at ATTEMPTS_URL: {e}"))?;
            Arc::new(match &settings.attempts_prefix {
                Some(p) => redis.with_prefix(p.clone()),
                None => redis,
            })
        }
        None => attempts,
    };
    spawn_attempt_cleanup(attempts.clone());
    let sessions: Arc<dyn SessionStore> = match &settings.session_url {
        Some(url) => {
            let redis = RedisSessions::open(url)
                .await
                .map_err(|e| format!("cannot reach the session store at SESSION_URL: {e}"))?;
            Arc::new(match &settings.session_prefix {
                Some(p) => redis.with_prefix(p.clone()),
                None => redis,
            })
        }
        None => sessions,
    };
    let mailer: Arc<dyn Mailer> = match mailer {
        Some(m) => m,
        None if settings.mail.contains_key("MAIL_SERVER") => {
            let smtp = SmtpConfig::from_map(&settings.mail).map_err(|e| e.to_string())?;
            Arc::new(SmtpMailer::new(&smtp, mail_templates(settings)).map_err(|e| e.to_string())?)
        }
        None => Arc::new(ConsoleMailer::stdout(mail_templates(settings))),
    };
    let mut builder = Security::builder(settings.security.clone());
    if settings.security.password_check_breached != BreachedCheck::Off {
        let hibp = match settings.pwned_passwords_addr {
            Some(addr) => HibpChecker::new()
                .with_loopback_endpoint(addr)
                .map_err(|e| format!("PWNED_PASSWORDS_ADDR: {e}"))?,
            None => HibpChecker::new(),
        };
        builder = builder.breach_checker(Arc::new(hibp));
    }
    if let Some(dns) = configured_dns(&settings.security, &settings.dns_servers)? {
        builder = builder.mail_dns(Arc::new(dns));
    }
    for name in &settings.register_fields {
        builder = builder.register_field(name, RegisterField::text(255));
    }
    for provider in &settings.oauth {
        builder = builder.oauth_provider(provider.clone());
    }
    if !settings.payload_fields.is_empty() {
        let fields = settings.payload_fields.clone();
        builder = builder.security_payload(move |u| payload(&fields, u));
    }
    let security = builder
        .store(store.clone())
        .mailer(mailer)
        .sms_sender(match sms {
            Some(s) => s,
            None => configured_sms(&settings.security).map_err(|e| e.to_string())?,
        })
        .cpu_pool(Arc::new(match settings.hashing_queue {
            Some(q) => TokioCpuPool::per_core().with_queue(q),
            None => TokioCpuPool::per_core(),
        }))
        .attempt_store(attempts)
        .base_url(settings.base_url.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let mut portcullis = Portcullis::new(security)
        .and_then(|p| p.with_sessions(sessions, settings.session.clone()))
        .map_err(|e| e.to_string())?
        .with_body_timeout(settings.serve.body_read_timeout);
    if let Some(folder) = &settings.template_folder {
        portcullis = portcullis.with_pages(Pages::with_overrides(folder));
    }
    // Expired sessions leave the database every ten minutes.
    portcullis.spawn_expired_session_cleanup(std::time::Duration::from_secs(600));
    Ok(Parts {
        portcullis,
        todos,
        closer,
    })
}

/// The mails' templates: the built-in ones, overridden from
/// `TEMPLATE_FOLDER` when it is set.
pub fn mail_templates(settings: &Settings) -> Templates {
    match &settings.template_folder {
        Some(folder) => Templates::with_overrides(folder),
        None => Templates::builtin(),
    }
}

/// Builds the app. `mailer` replaces the configured one (tests).
pub async fn app(settings: &Settings, mailer: Option<Arc<dyn Mailer>>) -> Result<Router, String> {
    app_with(settings, mailer, None).await
}

/// Builds the axum app; `mailer` and `sms` replace the configured ones
/// (tests).
pub async fn app_with(
    settings: &Settings,
    mailer: Option<Arc<dyn Mailer>>,
    sms: Option<Arc<dyn SmsSender>>,
) -> Result<Router, String> {
    Ok(router(parts(settings, mailer, sms).await?))
}

/// The axum app made of `parts` (every route, with the request log).
pub fn router(parts: Parts) -> Router {
    routes::router(parts).layer(request_log())
}

/// Expired attempt records leave the database every ten minutes.
fn spawn_attempt_cleanup(attempts: Arc<dyn AttemptStore>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = attempts.delete_expired(chrono::Utc::now()).await {
                tracing::warn!(error = %e, "could not delete expired attempt records");
            }
        }
    });
}

/// A path fit for a log: segments that may be tokens (long ones) become
/// `…`, and the query (auth tokens, codes) is never included.
pub fn loggable_path(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.len() > 24 { "…" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

type RequestLog = tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    fn(&axum::http::Request<axum::body::Body>) -> tracing::Span,
>;

/// Every request logged with its method, its path (tokens redacted), its
/// status and how long it took; 5xx answers at `error`.
fn request_log() -> RequestLog {
    fn span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
        tracing::info_span!("request", method = %req.method(), path = %loggable_path(req.uri().path()))
    }
    tower_http::trace::TraceLayer::new_for_http()
        .make_span_with(span as fn(&axum::http::Request<axum::body::Body>) -> tracing::Span)
}

/// The home page's text: who is signed in.
/// The TodoMVC frontend's script, served at [`TODO_JS_PATH`].
pub const TODO_JS: &str = include_str!("../assets/todo.js");
/// The TodoMVC frontend's style sheet, served at [`TODO_CSS_PATH`].
pub const TODO_CSS: &str = include_str!("../assets/todo.css");
/// Where the script is served (public: a login page may preload it).
pub const TODO_JS_PATH: &str = "/static/todo.js";
/// Where the style sheet is served.
pub const TODO_CSS_PATH: &str = "/static/todo.css";

/// The home page for a signed-in user: the TodoMVC app (its script works
/// the list over the JSON API), the user's email, links to the account
/// pages Flask-Security serves, and a logout button (a form posting to
/// `/logout`, as Flask-Security's menu has it). Anonymous browsers never
/// see it: the route requires login, so they are sent to the login page.
pub fn home_page(email: &str) -> String {
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Todos</title>
<link rel="stylesheet" href="{css}">
</head>
<body>
<header class="bar">
  <p id="current-user">Signed in as {who}</p>
  <nav>
    <a href="/change">Change password</a>
    <a href="/tf-setup">Two-factor</a>
    <a href="/us-setup">Sign-in methods</a>
    <a href="/wan-register">Passkeys</a>
    <form action="/logout" method="post" name="logout_form"><button id="logout" type="submit">Log out</button></form>
  </nav>
</header>
<section class="todoapp">
  <h1>todos</h1>
  <input class="new-todo" placeholder="What needs to be done?" aria-label="New todo" autofocus>
  <p class="error" role="alert" hidden></p>
  <ul class="todo-list"></ul>
  <footer class="footer" hidden>
    <span class="todo-count"></span>
    <ul class="filters">
      <li><a href="#/">All</a></li>
      <li><a href="#/active">Active</a></li>
      <li><a href="#/completed">Completed</a></li>
    </ul>
    <button class="clear-completed" type="button">Clear completed</button>
  </footer>
</section>
<script src="{js}"></script>
</body>
</html>
"##,
        css = TODO_CSS_PATH,
        js = TODO_JS_PATH,
        who = portcullis_core::html::escape(email)
    )
}

/// The views Flask-Security's SPA settings send a browser to from a mail
/// link or a failed step (`SECURITY_POST_CONFIRM_VIEW`, `…_ERROR_VIEW`,
/// `SECURITY_RESET_VIEW`, …), as this example's defaults name them. An SPA
/// renders these itself; the example serves them as small pages so the
/// tutorial works in a plain browser.
pub const SPA_VIEWS: &[&str] = &[
    "/confirmed",
    "/confirm-error",
    "/reset-password",
    "/reset-password-error",
    "/login-error",
    "/change-email-done",
    "/change-email-error",
];

/// The page for one of [`SPA_VIEWS`], from the query Flask-Security put on
/// the redirect (`info`/`success`/`error`, `token`, `email`); `None` for
/// another path.
pub fn spa_view_page(path: &str, query: &[(String, String)]) -> Option<String> {
    let get = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let title = match path {
        "/confirmed" => "Email confirmed",
        "/confirm-error" => "Confirmation failed",
        "/reset-password" => "Reset Password",
        "/reset-password-error" => "Password reset failed",
        "/login-error" => "Sign-in failed",
        "/change-email-done" => "Email changed",
        "/change-email-error" => "Email change failed",
        _ => return None,
    };
    let mut body = String::new();
    for (kind, class) in [("success", "info"), ("info", "info"), ("error", "error")] {
        if let Some(m) = get(kind) {
            body.push_str(&format!(
                r#"<p class="{class}">{}</p>"#,
                portcullis_core::html::escape(m)
            ));
        }
    }
    // A reset link's token (URL-safe by construction; anything else is
    // not ours and gets no form).
    let token = get("token").filter(|t| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    match (path, token) {
        ("/reset-password", Some(token)) => body.push_str(&format!(
            r#"<form action="/reset/{token}" method="post" name="reset_password_form" id="reset_password_form">
<label for="password">Password</label><input autocomplete="new-password" id="password" name="password" type="password" value="">
<label for="password_confirm">Retype Password</label><input autocomplete="new-password" id="password_confirm" name="password_confirm" type="password" value="">
<button id="submit" type="submit">Reset Password</button>
</form>"#
        )),
        ("/reset-password", None) => {
            body.push_str(r#"<p class="error">This reset link is not complete.</p>"#);
        }
        _ => {}
    }
    body.push_str(r#"<nav><a href="/">Your todos</a> <a href="/login">Log in</a></nav>"#);
    Some(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="stylesheet" href="{css}"></head>
<body><section class="todoapp spa-view"><h1>{title}</h1>{body}</section></body></html>
"#,
        css = TODO_CSS_PATH,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn bare() -> ConfigLoader {
        ConfigLoader::new().vars(DEFAULTS.iter().copied())
    }

    #[test]
    fn the_session_cookie_is_secure_where_the_public_url_is() {
        for (base, release, secure) in [
            (Some("https://todo.example.com"), false, true),
            (Some("HTTPS://todo.example.com"), false, true),
            (Some("http://127.0.0.1:8000"), true, false),
            (Some("  "), true, true),
            (None, true, true),
            (None, false, false),
            (Some("https:/"), true, false),
        ] {
            assert_eq!(
                secure_by_default(base, release),
                secure,
                "{base:?} {release}"
            );
        }
        // The setting wins over the URL.
        let mut extras = BTreeMap::new();
        extras.insert(
            "BASE_URL".to_owned(),
            Value::from("https://todo.example.com"),
        );
        assert!(session_options(&extras).unwrap().secure);
        extras.insert("SESSION_COOKIE_SECURE".to_owned(), Value::from("false"));
        assert!(!session_options(&extras).unwrap().secure);
        extras.insert("BASE_URL".to_owned(), Value::from("http://127.0.0.1:9"));
        extras.insert("SESSION_COOKIE_SECURE".to_owned(), Value::from("true"));
        assert!(session_options(&extras).unwrap().secure);
        extras.remove("SESSION_COOKIE_SECURE");
        assert!(!session_options(&extras).unwrap().secure);
    }

    #[test]
    fn a_release_build_refuses_the_development_secrets() {
        let refused = dev_secrets(bare(), true, None).err().unwrap();
        assert!(
            refused.contains("must be set in a release build"),
            "{refused}"
        );
        assert!(
            dev_secrets(bare(), true, Some("yes")).is_err(),
            "only 1 waives"
        );
        // Waived, or a debug build: the public values, loudly.
        for (release, waiver) in [(true, Some("1")), (false, None)] {
            let (config, _) = dev_secrets(bare(), release, waiver)
                .unwrap()
                .build()
                .unwrap();
            assert_eq!(config.secret_keys()[0].expose(), DEV_SECRET_KEY);
        }
        // Secrets that are set are used, in any build.
        let set = bare()
            .set("SECRET_KEY", "a-real-secret-key-of-enough-length")
            .set("SECURITY_PASSWORD_SALT", "a-real-salt")
            .set("SECURITY_TOTP_SECRETS", r#"{"1": "a-real-totp-secret"}"#);
        let (config, _) = dev_secrets(set, true, None).unwrap().build().unwrap();
        assert_eq!(
            config.secret_keys()[0].expose(),
            "a-real-secret-key-of-enough-length"
        );
    }
}
