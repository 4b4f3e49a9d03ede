//! The todo app as a library, so tests can start it on any port.

mod todos;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::response::Html;
use axum::routing::get;
use portcullis_axum::{CurrentUser, Guard, PortcullisAxum, SessionOptions, TokioCpuPool};
use portcullis_core::Datastore;
use portcullis_core::store::SessionStore;
use portcullis_core::{ConfigLoader, Mailer, Security, SmsSender};
use portcullis_http::Portcullis;
use portcullis_mail::{ConsoleMailer, ConsoleSms, SmtpConfig, SmtpMailer, Templates, TwilioSms};
use portcullis_mongodb::MongoStore;
use portcullis_seaorm::{SeaOrmConfig, SeaOrmStore};
use portcullis_sqlite::SqliteStore;
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

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
    ("SECURITY_TOTP_ISSUER", "todo"),
    ("SECURITY_EMAIL_SENDER", "no-reply@example.com"),
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
}

fn text(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
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
        "MAIL_SERVER",
        "MAIL_PORT",
        "MAIL_USE_TLS",
        "MAIL_USE_SSL",
        "MAIL_USERNAME",
        "MAIL_PASSWORD",
    ];
    for (k, v) in &vars {
        if wanted.contains(&k.as_str()) {
            loader = loader.set(k.clone(), v.clone());
        }
    }
    loader = loader.vars(vars);
    // Secrets: required in release builds unless explicitly waived, and loud either way.
    let has =
        |k: &str, l: &ConfigLoader| l.clone().build().map_or_else(|e| !e.concerns(k), |_| true);
    let secrets = [
        "SECRET_KEY",
        "SECURITY_PASSWORD_SALT",
        "SECURITY_TOTP_SECRETS",
    ];
    if secrets.iter().any(|k| !has(k, &loader)) {
        let allowed = cfg!(debug_assertions)
            || std::env::var("TODO_DANGER_ALLOW_DEV_SECRETS").is_ok_and(|v| v == "1");
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
        security,
    })
}

/// What a `DATABASE_URL` opens: Portcullis' datastore, its session store,
/// and where the todo list lives.
pub struct Stores {
    /// Users, roles, credentials.
    pub datastore: Arc<dyn Datastore>,
    /// Web sessions.
    pub sessions: Arc<dyn SessionStore>,
    todos: todos::Todos,
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
            sessions: store,
            todos: sql_todos(todos.connection().clone()).await?,
        });
    }
    if scheme == "mongodb" || scheme == "mongodb+srv" {
        let store = Arc::new(MongoStore::open_url(database_url).await.map_err(cannot)?);
        return Ok(Stores {
            datastore: store.clone(),
            sessions: store.clone(),
            todos: todos::Todos::mongo(store.database().clone()),
        });
    }
    let store = Arc::new(SeaOrmStore::open_url(database_url).await.map_err(cannot)?);
    let todos = sql_todos(store.connection().clone()).await?;
    Ok(Stores {
        datastore: store.clone(),
        sessions: store,
        todos,
    })
}

/// `SECURITY_SMS_SERVICE`: `Twilio` (with `SECURITY_SMS_SERVICE_CONFIG`),
/// else the console (Flask-Security's `Dummy`).
fn sms_sender(c: &portcullis_core::SecurityConfig) -> Result<Arc<dyn SmsSender>, String> {
    Ok(if c.sms_service.eq_ignore_ascii_case("twilio") {
        Arc::new(TwilioSms::from_config(&c.sms_service_config).map_err(|e| e.to_string())?)
    } else {
        Arc::new(ConsoleSms)
    })
}

async fn sql_todos(db: DatabaseConnection) -> Result<todos::Todos, String> {
    todos::Todos::open(db)
        .await
        .map_err(|e| format!("cannot open the todo table: {e}"))
}

/// Builds the app. `mailer` replaces the configured one (tests).
pub async fn app(settings: &Settings, mailer: Option<Arc<dyn Mailer>>) -> Result<Router, String> {
    app_with(settings, mailer, None).await
}

/// Builds the app; `mailer` and `sms` replace the configured ones (tests).
/// Texts go to the console by default (Flask-Security's `"Dummy"` service).
pub async fn app_with(
    settings: &Settings,
    mailer: Option<Arc<dyn Mailer>>,
    sms: Option<Arc<dyn SmsSender>>,
) -> Result<Router, String> {
    let Stores {
        datastore: store,
        sessions,
        todos,
    } = open_stores(&settings.database_url).await?;
    let mailer: Arc<dyn Mailer> = match mailer {
        Some(m) => m,
        None if settings.mail.contains_key("MAIL_SERVER") => {
            let smtp = SmtpConfig::from_map(&settings.mail).map_err(|e| e.to_string())?;
            Arc::new(SmtpMailer::new(&smtp, Templates::builtin()).map_err(|e| e.to_string())?)
        }
        None => Arc::new(ConsoleMailer::stdout(Templates::builtin())),
    };
    let security = Security::builder(settings.security.clone())
        .store(store.clone())
        .mailer(mailer)
        .sms_sender(match sms {
            Some(s) => s,
            None => sms_sender(&settings.security)?,
        })
        .cpu_pool(Arc::new(TokioCpuPool::per_core()))
        .base_url(settings.base_url.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let portcullis = Portcullis::new(security).map_err(|e| e.to_string())?;
    let auth = PortcullisAxum::new(portcullis, sessions, SessionOptions::default());
    // Expired sessions leave the database every ten minutes.
    auth.spawn_expired_session_cleanup(std::time::Duration::from_secs(600));
    let app = Router::new()
        .route("/", get(page))
        .route("/api/public", get(|| async { Json(json!({"ok": true})) }))
        .route("/api/me", get(me))
        .route(
            "/api/admin",
            get(|| async { Json(json!({"ok": true, "who": "admin"})) })
                .route_layer(Guard::roles_required(["admin"])),
        )
        .route(
            "/api/write",
            get(|| async { Json(json!({"ok": true, "who": "writer"})) })
                .route_layer(Guard::permissions_required(["admin-write"])),
        )
        .merge(todos.routes());
    Ok(auth.wrap(app))
}

async fn me(user: CurrentUser) -> Json<Value> {
    Json(json!({"email": user.user.email, "login_count": user.user.login_count}))
}

async fn page(user: Option<CurrentUser>) -> Html<String> {
    let who = user.map_or_else(
        || "nobody (log in with POST /login)".to_owned(),
        |u| u.user.email,
    );
    Html(format!(
        "<!doctype html><title>Todos</title><h1>Todos</h1><p>Signed in as {}</p><p>The API: GET/POST /api/todos, PATCH/DELETE /api/todos/&lt;id&gt;.</p>",
        escape(&who)
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
