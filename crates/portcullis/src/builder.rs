//! One builder for the whole stack: settings, one store for users,
//! sessions and attempt counters, a mailer, and password hashing on a
//! bounded pool.

use std::path::Path;
use std::sync::Arc;

use portcullis_core::flows::CpuPool;
use portcullis_core::store::{AttemptStore, MemoryAttempts, SessionStore};
use portcullis_core::{ConfigLoader, Datastore, Mailer, Security, SmsSender};
use portcullis_http::{Portcullis, SessionOptions, TokioCpuPool};

/// Why [`AuthBuilder::build`] failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// A setting is missing or wrong (which, and what to set).
    Config(portcullis_core::ConfigError),
    /// The store could not be opened, or a part refused the settings.
    Portcullis(portcullis_core::Error),
    /// Something needed was not given (what, and how to give it).
    Missing(String),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Config(e) => {
                for (key, problem) in e.problems() {
                    writeln!(f, "{key}: {problem}")?;
                }
                Ok(())
            }
            BuildError::Portcullis(e) => write!(f, "{e}"),
            BuildError::Missing(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for BuildError {}

impl From<portcullis_core::ConfigError> for BuildError {
    fn from(e: portcullis_core::ConfigError) -> Self {
        BuildError::Config(e)
    }
}

impl From<portcullis_core::Error> for BuildError {
    fn from(e: portcullis_core::Error) -> Self {
        BuildError::Portcullis(e)
    }
}

/// Portcullis, wired: Flask-Security's endpoints, sessions and rules over
/// one store. Give it to your framework with [`Auth::layer`] (axum) or
/// [`Auth::wrap`] (actix-web).
#[derive(Debug, Clone)]
pub struct Auth {
    portcullis: Portcullis,
}

impl Auth {
    /// Starts a builder.
    pub fn builder() -> AuthBuilder {
        AuthBuilder::default()
    }

    /// The HTTP layer (endpoints, sessions, rules).
    pub fn portcullis(&self) -> &Portcullis {
        &self.portcullis
    }

    /// The service (flows, the store, the configuration).
    pub fn security(&self) -> &Security {
        self.portcullis.security()
    }

    /// The axum layer: `router.layer(auth.layer())`. Portcullis' routes
    /// (`/login`, `/register`, …) answer through the router's fallback.
    #[cfg(feature = "axum")]
    pub fn layer(&self) -> portcullis_axum::PortcullisLayer {
        portcullis_axum::PortcullisAxum::from_portcullis(self.portcullis.clone()).layer()
    }

    /// An axum guard: `.route_layer(auth.require(Rule::roles_required(["admin"])))`.
    #[cfg(feature = "axum")]
    pub fn require(&self, rule: portcullis_http::Rule) -> portcullis_axum::Guard {
        portcullis_axum::Guard::new(rule)
    }

    /// The actix-web middleware: `App::new().wrap(auth.wrap())`.
    #[cfg(feature = "actix")]
    pub fn wrap(&self) -> portcullis_actix::PortcullisWrap {
        portcullis_actix::PortcullisActix::from_portcullis(self.portcullis.clone()).wrap()
    }

    /// An actix-web guard: `web::scope("/admin").wrap(auth.require_actix(Rule::roles_required(["admin"])))`.
    #[cfg(feature = "actix")]
    pub fn require_actix(&self, rule: portcullis_http::Rule) -> portcullis_actix::Require {
        portcullis_actix::Require::new(rule)
    }

    /// Deletes expired sessions every `every` in the background (see
    /// [`Portcullis::spawn_expired_session_cleanup`]).
    pub fn spawn_expired_session_cleanup(
        &self,
        every: std::time::Duration,
    ) -> Option<tokio::task::JoinHandle<()>> {
        self.portcullis.spawn_expired_session_cleanup(every)
    }
}

/// Builds an [`Auth`]. Every part has a default but the store: settings
/// from [`AuthBuilder::env`] or a TOML file, the store from a URL
/// ([`AuthBuilder::database_url`]) serving users, sessions and attempt
/// counters alike, mail to the console, password hashing on tokio's
/// blocking pool one hash per core.
#[derive(Default)]
pub struct AuthBuilder {
    loader: ConfigLoader,
    database_url: Option<String>,
    store: Option<Arc<dyn Datastore>>,
    sessions: Option<Arc<dyn SessionStore>>,
    attempts: Option<Arc<dyn AttemptStore>>,
    mailer: Option<Arc<dyn Mailer>>,
    sms: Option<Arc<dyn SmsSender>>,
    cpu: Option<Arc<dyn CpuPool>>,
    session: SessionOptions,
    base_url: Option<String>,
    customize: Option<Customize>,
}

/// A change to core's [`SecurityBuilder`](portcullis_core::flows::SecurityBuilder).
type Customize = Box<
    dyn FnOnce(portcullis_core::flows::SecurityBuilder) -> portcullis_core::flows::SecurityBuilder
        + Send,
>;

impl std::fmt::Debug for AuthBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No settings: they hold secrets.
        f.debug_struct("AuthBuilder")
            .field("store", &self.store.as_ref().map(|s| s.backend_name()))
            .finish_non_exhaustive()
    }
}

impl AuthBuilder {
    /// `SECRET_KEY`, `SECURITY_*` and the rest from the environment (on
    /// top of what was set before).
    pub fn env(mut self) -> Self {
        self.loader = self.loader.env();
        self
    }

    /// Settings from a TOML file (Flask's key names).
    pub fn toml_file(mut self, path: impl AsRef<Path>) -> Result<Self, BuildError> {
        self.loader = self.loader.toml_file(path)?;
        Ok(self)
    }

    /// One setting (Flask's key name).
    pub fn set(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.loader = self.loader.set(key, value);
        self
    }

    /// The store by URL: `sqlite://` (feature `sqlite`), `postgres://`,
    /// `mysql://`, `mariadb://` (feature `seaorm`), `mongodb://` (feature
    /// `mongodb`). It keeps users, sessions and attempt counters.
    pub fn database_url(mut self, url: impl Into<String>) -> Self {
        self.database_url = Some(url.into());
        self
    }

    /// The store (your own [`Datastore`], or one opened yourself). Its
    /// [`Datastore::session_store`] and [`Datastore::attempt_store`] are
    /// used unless given separately.
    pub fn store(mut self, store: Arc<dyn Datastore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Where sessions are kept, when not in the store.
    pub fn session_store(mut self, sessions: Arc<dyn SessionStore>) -> Self {
        self.sessions = Some(sessions);
        self
    }

    /// Where attempt counters are kept, when not in the store (e.g.
    /// Redis, shared by many instances).
    pub fn attempt_store(mut self, attempts: Arc<dyn AttemptStore>) -> Self {
        self.attempts = Some(attempts);
        self
    }

    /// Anything else core's builder takes — the user payload
    /// (`security_payload`, Flask-Security's `get_security_payload`),
    /// identity mappers, event hooks, an account-lock hook:
    /// `.with_security(|b| b.security_payload(|u| …))`.
    pub fn with_security(
        mut self,
        customize: impl FnOnce(
            portcullis_core::flows::SecurityBuilder,
        ) -> portcullis_core::flows::SecurityBuilder
        + Send
        + 'static,
    ) -> Self {
        self.customize = Some(Box::new(customize));
        self
    }

    /// The mailer (default: SMTP when the settings have `MAIL_SERVER`, as
    /// Flask-Mail; mail printed to the console otherwise).
    pub fn mailer(mut self, mailer: Arc<dyn Mailer>) -> Self {
        self.mailer = Some(mailer);
        self
    }

    /// The SMS sender (default: the one `SECURITY_SMS_SERVICE` names —
    /// `Dummy` prints texts to the console, `Twilio` needs the `twilio`
    /// feature).
    pub fn sms_sender(mut self, sms: Arc<dyn SmsSender>) -> Self {
        self.sms = Some(sms);
        self
    }

    /// Where password hashes run (default: [`TokioCpuPool::per_core`], so
    /// argon2 never runs on the async executor and a login storm holds at
    /// most one hash's memory per core).
    pub fn cpu_pool(mut self, pool: Arc<dyn CpuPool>) -> Self {
        self.cpu = Some(pool);
        self
    }

    /// The session cookie (default: Flask's `session`, `HttpOnly`,
    /// `SameSite=Lax`, 14 days of inactivity).
    pub fn session_options(mut self, options: SessionOptions) -> Self {
        self.session = options;
        self
    }

    /// The site's address, for links in mail (`http://localhost:8000`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Opens the store and builds everything; fails with what to set.
    pub async fn build(self) -> Result<Auth, BuildError> {
        let (config, extras) = self.loader.build()?;
        let store = match (self.store, &self.database_url) {
            (Some(s), _) => s,
            (None, Some(url)) => open(url).await?,
            (None, None) => {
                return Err(BuildError::Missing(
                    "no store: call .database_url(\"sqlite://app.db\") or .store(…)".into(),
                ));
            }
        };
        let sessions = self
            .sessions
            .or_else(|| store.clone().session_store())
            .ok_or_else(|| {
                BuildError::Missing(format!(
                    "the {} store keeps no sessions: give one with .session_store(…)",
                    store.backend_name()
                ))
            })?;
        let attempts = self
            .attempts
            .or_else(|| store.clone().attempt_store())
            .unwrap_or_else(|| Arc::new(MemoryAttempts::new()));
        // TEMPLATE_FOLDER: the app's template folder (Flask's `templates`),
        // overriding pages and mails by their SECURITY_*_TEMPLATE names.
        let folder = extras
            .get("TEMPLATE_FOLDER")
            .and_then(|v| v.as_str())
            .filter(|v| !v.trim().is_empty())
            .map(std::path::PathBuf::from);
        let mailer = match self.mailer {
            Some(m) => m,
            None => {
                let templates = folder.as_ref().map_or_else(
                    portcullis_mail::Templates::builtin,
                    portcullis_mail::Templates::with_overrides,
                );
                portcullis_mail::configured_mailer(&extras, templates)?
            }
        };
        let sms = match self.sms {
            Some(s) => s,
            None => portcullis_mail::configured_sms(&config)?,
        };
        let config_for_oauth = config.clone();
        let mut security = Security::builder(config)
            .store(store)
            .mailer(mailer)
            .sms_sender(sms)
            .cpu_pool(
                self.cpu
                    .unwrap_or_else(|| Arc::new(TokioCpuPool::per_core())),
            )
            .attempt_store(attempts);
        security = with_oauth(security, &config_for_oauth, &extras)?;
        #[cfg(feature = "dns")]
        if let Some(dns) =
            portcullis_mail::configured_dns(&config_for_oauth, &[]).map_err(BuildError::Missing)?
        {
            security = security.mail_dns(Arc::new(dns));
        }
        if let Some(url) = self.base_url {
            security = security.base_url(url);
        }
        if let Some(customize) = self.customize {
            security = customize(security);
        }
        let mut portcullis =
            Portcullis::new(security.build()?)?.with_sessions(sessions, self.session)?;
        if let Some(folder) = folder {
            portcullis = portcullis.with_pages(portcullis_http::Pages::with_overrides(folder));
        }
        Ok(Auth { portcullis })
    }
}

/// The store a URL names, with the backend features this build has.
async fn open(url: &str) -> Result<Arc<dyn Datastore>, BuildError> {
    let scheme = url.split(':').next().unwrap_or_default();
    match scheme {
        #[cfg(feature = "sqlite")]
        "sqlite" => Ok(Arc::new(
            portcullis_sqlite::SqliteStore::open_url(url).await?,
        )),
        #[cfg(feature = "seaorm")]
        "postgres" | "postgresql" | "mysql" | "mariadb" => Ok(Arc::new(
            portcullis_seaorm::SeaOrmStore::open_url(url).await?,
        )),
        #[cfg(feature = "mongodb")]
        "mongodb" | "mongodb+srv" => Ok(Arc::new(
            portcullis_mongodb::MongoStore::open_url(url).await?,
        )),
        other => Err(BuildError::Missing(format!(
            "no backend for {other}:// URLs in this build (features: sqlite, seaorm, mongodb)"
        ))),
    }
}

/// The OAuth providers the settings name (`SECURITY_OAUTH_ENABLE`, with
/// the `oauth` feature).
#[cfg(feature = "oauth")]
fn with_oauth(
    mut security: portcullis_core::flows::SecurityBuilder,
    config: &portcullis_core::SecurityConfig,
    extras: &portcullis_core::config::Extras,
) -> Result<portcullis_core::flows::SecurityBuilder, BuildError> {
    for provider in portcullis_oauth::providers_from_settings(config, extras)? {
        security = security.oauth_provider(provider);
    }
    Ok(security)
}

/// Without the `oauth` feature, `SECURITY_OAUTH_ENABLE` cannot be honoured.
#[cfg(not(feature = "oauth"))]
fn with_oauth(
    security: portcullis_core::flows::SecurityBuilder,
    config: &portcullis_core::SecurityConfig,
    _extras: &portcullis_core::config::Extras,
) -> Result<portcullis_core::flows::SecurityBuilder, BuildError> {
    if config.oauth_enable {
        return Err(BuildError::Missing(
            "SECURITY_OAUTH_ENABLE is on: build portcullis with its `oauth` feature".into(),
        ));
    }
    Ok(security)
}
