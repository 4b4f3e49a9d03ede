//! Where the database is and how to reach it.

use std::fmt;
use std::time::Duration;

use portcullis_core::{Error, Result, SecretString};

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `postgres://`, `postgresql://`
    Postgres,
    /// `mysql://`, `mariadb://`
    MySql,
    /// `sqlite://`, `sqlite:`
    Sqlite,
}

impl Dialect {
    /// The dialect of `url`, or `InvalidInput` for a scheme this crate
    /// does not serve.
    pub fn of_url(url: &str) -> Result<Self> {
        let scheme = url.split(':').next().unwrap_or_default();
        match scheme.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" => Ok(Self::Postgres),
            "mysql" | "mariadb" => Ok(Self::MySql),
            "sqlite" => Ok(Self::Sqlite),
            _ => Err(Error::invalid_input(format!(
                "{scheme:?} is not a database scheme the SeaORM backend serves \
                 (use postgres://, mysql://, mariadb:// or sqlite://)"
            ))),
        }
    }
}

/// How to open a database. `Debug` hides the URL, which may carry a password.
#[derive(Clone)]
pub struct SeaOrmConfig {
    /// The database URL.
    pub url: SecretString,
    /// Most pooled connections.
    pub max_connections: u32,
    /// How long a caller waits for a pooled connection before
    /// [`ErrorKind::Unavailable`](portcullis_core::ErrorKind::Unavailable).
    pub acquire_timeout: Duration,
    /// Apply the canonical migrations when opening (default `true`).
    pub migrate: bool,
    /// PostgreSQL: keep users and sessions read per request in memory,
    /// evicted by `LISTEN`/`NOTIFY` when any writer changes them (default
    /// `true`; decision 0010). Ignored on other databases.
    pub cache: bool,
}

impl SeaOrmConfig {
    /// A URL with the defaults (10 connections, 5 s acquire timeout, migrate).
    /// `mariadb://` is accepted as a spelling of `mysql://`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: SecretString::new(url.into()),
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            migrate: true,
            cache: true,
        }
    }

    /// The dialect the URL names.
    pub fn dialect(&self) -> Result<Dialect> {
        Dialect::of_url(self.url.expose())
    }

    /// The URL as the driver wants it: `mariadb://` → `mysql://`; a SQLite
    /// URL keeps its path (the file is created when missing).
    pub(crate) fn driver_url(&self) -> Result<String> {
        let url = self.url.expose();
        Ok(match self.dialect()? {
            Dialect::MySql => match url.split_once("://") {
                Some((_, rest)) => format!("mysql://{rest}"),
                None => url.to_owned(),
            },
            Dialect::Sqlite if url.starts_with("sqlite:") && !url.starts_with("sqlite://") => {
                format!("sqlite://{}", &url["sqlite:".len()..])
            }
            _ => url.to_owned(),
        })
    }
}

impl fmt::Debug for SeaOrmConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeaOrmConfig")
            .field("dialect", &self.dialect().ok())
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .field("migrate", &self.migrate)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialects_and_driver_urls() {
        assert_eq!(
            Dialect::of_url("postgres://a@b/c").unwrap(),
            Dialect::Postgres
        );
        assert_eq!(
            Dialect::of_url("postgresql://a@b/c").unwrap(),
            Dialect::Postgres
        );
        assert_eq!(
            Dialect::of_url("mariadb://root@h/db").unwrap(),
            Dialect::MySql
        );
        assert_eq!(Dialect::of_url("sqlite://x.db").unwrap(), Dialect::Sqlite);
        assert!(Dialect::of_url("mongodb://h").is_err());
        assert!(Dialect::of_url("nonsense").is_err());
        assert_eq!(
            SeaOrmConfig::new("mariadb://root@h/db")
                .driver_url()
                .unwrap(),
            "mysql://root@h/db"
        );
        assert_eq!(
            SeaOrmConfig::new("sqlite:rel.db").driver_url().unwrap(),
            "sqlite://rel.db"
        );
    }

    #[test]
    fn debug_hides_the_url() {
        let c = SeaOrmConfig::new("postgres://app:hunter2@db/prod");
        let shown = format!("{c:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Postgres"), "{shown}");
    }
}
