//! Opening the backend a URL names, and the settings.

use std::path::Path;
use std::sync::Arc;

use portcullis_core::store::{AttemptStore, MigrationReport, MigrationStatus, SessionStore};
use portcullis_core::{ConfigLoader, Datastore, SecurityConfig};
use portcullis_mongodb::{MongoConfig, MongoStore};
use portcullis_seaorm::{SeaOrmConfig, SeaOrmStore};
use portcullis_sqlite::{SqliteConfig, SqliteStore};

use crate::Cli;
use crate::error::CliError;

/// The settings: `--config FILE`, then `SECURITY_*` / `SECRET_KEY` from the environment.
pub(crate) fn settings(
    cli: &Cli,
) -> Result<(SecurityConfig, portcullis_core::config::Extras), CliError> {
    let mut loader = ConfigLoader::new();
    if let Some(path) = &cli.config {
        loader = loader.toml_file(path)?;
    }
    loader.env().build().map_err(CliError::from)
}

fn url(cli: &Cli) -> Result<String, CliError> {
    if let Some(u) = &cli.database_url {
        return Ok(u.clone());
    }
    if let Some(path) = &cli.config {
        let extras = ConfigLoader::new().toml_file(path)?;
        // Only DATABASE_URL is wanted here; the rest is validated when used.
        if let Ok((_, extras)) = extras
            .set("SECRET_KEY", "unused")
            .set("SECURITY_PASSWORD_SINGLE_HASH", true)
            .build()
            && let Some(u) = extras.get("DATABASE_URL").and_then(|v| v.as_str())
        {
            return Ok(u.to_owned());
        }
    }
    Err(CliError::config(
        "no database given: pass --database-url (sqlite://path/to.db, postgres://…, mysql://…, mongodb://…) or set DATABASE_URL",
    ))
}

/// The backend a URL's scheme names.
enum Kind {
    Sqlite(SqliteConfig),
    Server(SeaOrmConfig),
    Mongo(MongoConfig),
}

fn kind(url: &str) -> Result<Kind, CliError> {
    match url
        .split_once("://")
        .map(|(s, _)| s)
        .or_else(|| url.split_once(':').map(|(s, _)| s))
    {
        Some("sqlite") => Ok(Kind::Sqlite(SqliteConfig::from_url(url)?)),
        Some("postgres" | "postgresql" | "mysql" | "mariadb") => {
            let mut c = SeaOrmConfig::new(url);
            c.max_connections = 2;
            Ok(Kind::Server(c))
        }
        Some("mongodb" | "mongodb+srv") => Ok(Kind::Mongo(MongoConfig::new(url))),
        _ => Err(CliError::config(
            "the database URL has a scheme Portcullis does not know (use sqlite://path/to.db, postgres://…, mysql://… or mongodb://…)",
        )),
    }
}

/// An open database: the embedded SQLite backend for `sqlite://`, the
/// SeaORM backend for PostgreSQL and MySQL/MariaDB.
/// What one database holds.
pub(crate) struct Stores {
    pub(crate) datastore: Arc<dyn Datastore>,
    pub(crate) attempts: Arc<dyn AttemptStore>,
    pub(crate) sessions: Arc<dyn SessionStore>,
}

pub(crate) enum Store {
    Sqlite(SqliteStore),
    SeaOrm(SeaOrmStore),
    /// MongoDB keeps no migrations: opening creates the indexes.
    Mongo(MongoStore),
}

impl Store {
    /// The datastore.
    pub(crate) fn datastore(self) -> Arc<dyn Datastore> {
        match self {
            Self::Sqlite(s) => Arc::new(s),
            Self::SeaOrm(s) => Arc::new(s),
            Self::Mongo(s) => Arc::new(s),
        }
    }

    /// The datastore and, from the same database, the attempt and session
    /// stores.
    pub(crate) fn stores(self) -> Stores {
        fn all<S: Datastore + AttemptStore + SessionStore + 'static>(s: S) -> Stores {
            let s = Arc::new(s);
            Stores {
                datastore: s.clone(),
                attempts: s.clone(),
                sessions: s,
            }
        }
        match self {
            Self::Sqlite(s) => all(s),
            Self::SeaOrm(s) => all(s),
            Self::Mongo(s) => all(s),
        }
    }

    /// What migrating did when the store was opened; `None` for MongoDB,
    /// which keeps no migrations (opening creates its indexes).
    pub(crate) fn migration_report(&self) -> Option<MigrationReport> {
        match self {
            Self::Sqlite(s) => Some(s.migration_report().clone()),
            Self::SeaOrm(s) => Some(s.migration_report().clone()),
            Self::Mongo(_) => None,
        }
    }

    /// Which migrations are applied (none exist for MongoDB).
    pub(crate) async fn migration_status(&self) -> Result<Vec<MigrationStatus>, CliError> {
        Ok(match self {
            Self::Sqlite(s) => s.migration_status().await?,
            Self::SeaOrm(s) => s.migration_status().await?,
            Self::Mongo(_) => Vec::new(),
        })
    }
}

/// Opens the database; with `migrate`, creates and migrates it. Without,
/// it must exist and be fully migrated (commands never change the schema
/// behind the operator's back).
pub(crate) async fn open(cli: &Cli, migrate: bool) -> Result<Store, CliError> {
    if !migrate {
        let store = open_unmigrated(cli).await?;
        let pending: Vec<i64> = store
            .migration_status()
            .await?
            .iter()
            .filter(|s| s.applied_at.is_none())
            .map(|s| s.version)
            .collect();
        if !pending.is_empty() {
            return Err(CliError::config(format!(
                "the database needs migrations {pending:?}: run `portcullis db migrate` first"
            )));
        }
        return Ok(store);
    }
    Ok(match kind(&url(cli)?)? {
        Kind::Sqlite(mut config) => {
            config.pool_size = 2;
            Store::Sqlite(SqliteStore::open(config).await?)
        }
        Kind::Server(config) => Store::SeaOrm(SeaOrmStore::open(config).await?),
        Kind::Mongo(config) => Store::Mongo(MongoStore::open(config).await?),
    })
}

/// Opens the database as it is, without migrating.
pub(crate) async fn open_unmigrated(cli: &Cli) -> Result<Store, CliError> {
    Ok(match kind(&url(cli)?)? {
        Kind::Sqlite(mut config) => {
            if let Some(path) = &config.path
                && !Path::new(path).exists()
            {
                return Err(CliError::new(
                    6,
                    format!(
                        "the database file {} does not exist: check the URL, or create it with `portcullis db migrate`",
                        path.display()
                    ),
                ));
            }
            config.migrate = false;
            config.pool_size = 2;
            Store::Sqlite(SqliteStore::open(config).await?)
        }
        Kind::Server(mut config) => {
            config.migrate = false;
            Store::SeaOrm(SeaOrmStore::open(config).await?)
        }
        Kind::Mongo(config) => Store::Mongo(MongoStore::open(config).await?),
    })
}
