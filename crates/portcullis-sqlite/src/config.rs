//! Where the database is and how to reach it.

use std::path::PathBuf;
use std::time::Duration;

use portcullis_core::{Error, Result};

/// How to open a SQLite database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqliteConfig {
    /// The database file; `None` for a private in-memory database.
    pub path: Option<PathBuf>,
    /// Most connections open at once (readers run in parallel under WAL;
    /// writers take turns).
    pub pool_size: usize,
    /// How long a writer waits for another to finish before giving up
    /// with [`ErrorKind::Unavailable`](portcullis_core::ErrorKind::Unavailable).
    pub busy_timeout: Duration,
    /// Apply the embedded migrations when opening (default `true`).
    pub migrate: bool,
    /// Run indexed single-row reads (a user by id or uniquifier, a session
    /// by id) on the calling async task when a connection is idle, instead
    /// of handing them to the blocking pool (default `true`). Each such read
    /// takes microseconds; the handoff to another thread and back cost more
    /// than the read (decision 0006). Turn it off to never touch SQLite on
    /// an executor thread.
    pub inline_point_reads: bool,
}

impl SqliteConfig {
    /// A database file, with the defaults (8 connections, 5 s busy timeout, migrate).
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self {
            path: Some(path.into()),
            pool_size: 8,
            busy_timeout: Duration::from_secs(5),
            migrate: true,
            inline_point_reads: true,
        }
    }

    /// A private in-memory database (one connection; gone when dropped).
    pub fn memory() -> Self {
        Self {
            path: None,
            pool_size: 1,
            busy_timeout: Duration::from_secs(5),
            migrate: true,
            inline_point_reads: true,
        }
    }

    /// Parses `sqlite://relative.db`, `sqlite:///absolute.db`,
    /// `sqlite:path.db` or `sqlite::memory:`. In the query string,
    /// `inline_point_reads=false` turns [`inline_point_reads`](Self::inline_point_reads)
    /// off; anything else there is ignored.
    pub fn from_url(url: &str) -> Result<Self> {
        let rest = url.strip_prefix("sqlite:").ok_or_else(|| {
            Error::invalid_input(format!(
                "not a sqlite URL: {url:?} (use sqlite://path/to.db)"
            ))
        })?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let inline = !query.split('&').any(|kv| {
            matches!(
                kv.to_ascii_lowercase().as_str(),
                "inline_point_reads=false" | "inline_point_reads=0" | "inline_point_reads=off"
            )
        });
        let mut config = Self::from_path_part(rest)?;
        config.inline_point_reads = inline;
        Ok(config)
    }

    fn from_path_part(rest: &str) -> Result<Self> {
        if rest == ":memory:" || rest == "//:memory:" {
            return Ok(Self::memory());
        }
        let path = rest.strip_prefix("//").unwrap_or(rest);
        if path.is_empty() {
            return Err(Error::invalid_input(
                "the sqlite URL names no file (use sqlite://path/to.db)",
            ));
        }
        Ok(Self::file(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            SqliteConfig::from_url("sqlite://todo.db").unwrap().path,
            Some("todo.db".into())
        );
        assert_eq!(
            SqliteConfig::from_url("sqlite:///tmp/x.db?mode=rwc")
                .unwrap()
                .path,
            Some("/tmp/x.db".into())
        );
        assert!(
            SqliteConfig::from_url("sqlite:///tmp/x.db?mode=rwc")
                .unwrap()
                .inline_point_reads
        );
        assert!(
            !SqliteConfig::from_url("sqlite:///tmp/x.db?inline_point_reads=false")
                .unwrap()
                .inline_point_reads
        );
        assert_eq!(
            SqliteConfig::from_url("sqlite:rel.db").unwrap().path,
            Some("rel.db".into())
        );
        assert_eq!(
            SqliteConfig::from_url("sqlite::memory:").unwrap().path,
            None
        );
        assert!(SqliteConfig::from_url("postgres://x").is_err());
        assert!(SqliteConfig::from_url("sqlite://").is_err());
    }
}
