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

/// A stored row as a record, unless expired at `now` or unreadable
/// (unreadable data is no session — the user logs in again — not an error page).
fn decode(
    id: String,
    data: &str,
    exp: &str,
    user: Option<String>,
    now: DateTime<Utc>,
) -> Option<SessionRecord> {
    let expires_at = parse_time(exp).filter(|t| *t > now)?;
    let data = serde_json::from_str(data).ok()?;
    Some(SessionRecord {
        id,
        data,
        expires_at,
        user,
    })
}

#[async_trait::async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(&self, record: &SessionRecord) -> Result<()> {
        let (id, data, exp, user) = (
            record.id.clone(),
            encode(record)?,
            fmt_time(record.expires_at),
            record.user.clone(),
        );
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO portcullis_sessions (id, data, expires_at, user_id) VALUES (?1, ?2, ?3, ?4)",
                params![id, data, exp, user],
            )
            .sql()
            .map(|_| ())
        })
        .await
    }

    async fn save_session(&self, record: &SessionRecord) -> Result<()> {
        let (id, data, exp, user) = (
            record.id.clone(),
            encode(record)?,
            fmt_time(record.expires_at),
            record.user.clone(),
        );
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO portcullis_sessions (id, data, expires_at, user_id) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (id) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at, \
                 user_id = excluded.user_id",
                params![id, data, exp, user],
            )
            .sql()
            .map(|_| ())
        })
        .await
    }

    async fn update_session(&self, record: &SessionRecord, now: DateTime<Utc>) -> Result<bool> {
        let (id, data, exp, user, now) = (
            record.id.clone(),
            encode(record)?,
            fmt_time(record.expires_at),
            record.user.clone(),
            fmt_time(now),
        );
        self.write(move |tx| {
            tx.execute(
                "UPDATE portcullis_sessions SET data = ?2, expires_at = ?3, user_id = ?4 \
                 WHERE id = ?1 AND expires_at > ?5",
                params![id, data, exp, user, now],
            )
            .sql()
            .map(|n| n == 1)
        })
        .await
    }

    async fn load_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let id = id.to_owned();
        self.point_read(move |c| {
            let row: Option<(String, String, Option<String>)> = c
                .prepare_cached(
                    "SELECT data, expires_at, user_id FROM portcullis_sessions WHERE id = ?1",
                )
                .sql()?
                .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()
                .sql()?;
            Ok(row.and_then(|(data, exp, user)| decode(id.clone(), &data, &exp, user, now)))
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

    async fn list_user_sessions(
        &self,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>> {
        let user = user.to_owned();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, data, expires_at FROM portcullis_sessions WHERE user_id = ?1",
                )
                .sql()?;
            let rows = stmt
                .query_map([&user], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                })
                .sql()?;
            let mut out = Vec::new();
            for row in rows {
                let (id, data, exp) = row.sql()?;
                out.extend(decode(id, &data, &exp, Some(user.clone()), now));
            }
            Ok(out)
        })
        .await
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&str>) -> Result<u64> {
        let (user, keep) = (user.to_owned(), keep.unwrap_or_default().to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM portcullis_sessions WHERE user_id = ?1 AND id <> ?2",
                params![user, keep],
            )
            .sql()
            .map(|n| n as u64)
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
