//! `SessionStore` on SQLite (`portcullis_sessions`).

use chrono::{DateTime, Utc};
use portcullis_core::store::{SessionRecord, SessionStore};
use portcullis_core::{Error, Result};
use rusqlite::{OptionalExtension, params};

use crate::error::SqlResult;
use crate::rows::{fmt_time, parse_time};
use crate::store::SqliteStore;

fn encode(r: &SessionRecord) -> Result<String> {
    serde_json::to_string(&r.data).map_err(|e| Error::internal("session data").with_source(e))
}

#[async_trait::async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, record: &SessionRecord) -> Result<()> {
        let (id, data, exp) = (
            record.id.clone(),
            encode(record)?,
            fmt_time(record.expires_at),
        );
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO portcullis_sessions (id, data, expires_at) VALUES (?1, ?2, ?3)",
                params![id, data, exp],
            )
            .sql()
            .map(|_| ())
        })
        .await
    }

    async fn save_session(&self, record: &SessionRecord) -> Result<()> {
        let (id, data, exp) = (
            record.id.clone(),
            encode(record)?,
            fmt_time(record.expires_at),
        );
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO portcullis_sessions (id, data, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at",
                params![id, data, exp],
            )
            .sql()
            .map(|_| ())
        })
        .await
    }

    async fn load_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let id = id.to_owned();
        self.point_read(move |c| {
            let row: Option<(String, String)> = c
                .prepare_cached("SELECT data, expires_at FROM portcullis_sessions WHERE id = ?1")
                .sql()?
                .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .sql()?;
            let Some((data, exp)) = row else {
                return Ok(None);
            };
            let Some(expires_at) = parse_time(&exp) else {
                return Ok(None);
            };
            if expires_at <= now {
                return Ok(None);
            }
            // Unreadable data is no session (the user logs in again), not an error page.
            let Ok(data) = serde_json::from_str(&data) else {
                return Ok(None);
            };
            Ok(Some(SessionRecord {
                id: id.clone(),
                data,
                expires_at,
            }))
        })
        .await
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        let id = id.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM portcullis_sessions WHERE id = ?1", [id])
                .sql()
                .map(|_| ())
        })
        .await
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let now = fmt_time(now);
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM portcullis_sessions WHERE expires_at <= ?1",
                [now],
            )
            .sql()
            .map(|n| n as u64)
        })
        .await
    }
}
