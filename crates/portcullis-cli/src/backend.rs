//! Opening the backend a URL names, and the settings.

use std::path::Path;

use portcullis_core::{ConfigLoader, SecurityConfig};
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
        "no database given: pass --database-url sqlite://path/to.db or set DATABASE_URL",
    ))
}

fn sqlite_config(url: &str) -> Result<SqliteConfig, CliError> {
    match url
        .split_once("://")
        .map(|(s, _)| s)
        .or_else(|| url.split_once(':').map(|(s, _)| s))
    {
        Some("sqlite") => Ok(SqliteConfig::from_url(url)?),
        Some(scheme @ ("postgres" | "postgresql" | "mysql" | "mariadb" | "mongodb")) => {
            Err(CliError::config(format!(
                "{scheme}:// databases need a backend that is not built yet; use a sqlite:// URL"
            )))
        }
        _ => Err(CliError::config(format!(
            "{url:?} is not a database URL Portcullis knows (use sqlite://path/to.db)"
        ))),
    }
}

/// Opens the database; with `migrate`, creates and migrates it. Without,
/// the file must exist and be fully migrated (commands never change the
/// schema behind the operator's back).
pub(crate) async fn open(cli: &Cli, migrate: bool) -> Result<SqliteStore, CliError> {
    let mut config = sqlite_config(&url(cli)?)?;
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
    config.pool_size = 2;
    Ok(SqliteStore::open(config).await?)
}

/// Opens the database as it is, without migrating.
pub(crate) async fn open_unmigrated(cli: &Cli) -> Result<SqliteStore, CliError> {
    let mut config = sqlite_config(&url(cli)?)?;
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
    Ok(SqliteStore::open(config).await?)
}
