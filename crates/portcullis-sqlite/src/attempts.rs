//! `AttemptStore` on SQLite (`portcullis_attempts`): one upsert per call,
//! inside the store's `BEGIN IMMEDIATE` writer, so concurrent callers take
//! turns and every count is exact.

use chrono::{DateTime, TimeDelta, Utc};
use portcullis_core::Result;
use portcullis_core::store::{AttemptStore, Hit, Marker, check_key};
use rusqlite::{OptionalExtension, params};

use crate::error::SqlResult;
use crate::store::SqliteStore;

fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

#[async_trait::async_trait]
impl AttemptStore for SqliteStore {
    async fn hit(&self, key: &str, window: TimeDelta, now: DateTime<Utc>) -> Result<Hit> {
        check_key(key)?;
        let (key, now_ms) = (key.to_owned(), now.timestamp_millis());
        let until = (now + window).timestamp_millis();
        let (count, resets) = self
            .write(move |tx| {
                tx.query_row(
                    "INSERT INTO portcullis_attempts (id, val, expires_at) VALUES (?1, 1, ?3) \
                     ON CONFLICT (id) DO UPDATE SET \
                       val = CASE WHEN expires_at <= ?2 THEN 1 ELSE val + 1 END, \
                       expires_at = CASE WHEN expires_at <= ?2 THEN excluded.expires_at ELSE expires_at END \
                     RETURNING val, expires_at",
                    params![key, now_ms, until],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)),
                )
                .sql()
            })
            .await?;
        Ok(Hit {
            count,
            resets_at: from_ms(resets),
        })
    }

    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Marker>> {
        check_key(key)?;
        let (key, now_ms) = (key.to_owned(), now.timestamp_millis());
        self.point_read(move |c| {
            c.prepare_cached(
                "SELECT val, expires_at FROM portcullis_attempts WHERE id = ?1 AND expires_at > ?2",
            )
            .sql()?
            .query_row(params![key, now_ms], |r| {
                Ok(Marker {
                    value: r.get(0)?,
                    expires_at: from_ms(r.get(1)?),
                })
            })
            .optional()
            .sql()
        })
        .await
    }

    async fn raise(
        &self,
        key: &str,
        value: i64,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        check_key(key)?;
        let key = key.to_owned();
        let (exp, now_ms) = (expires_at.timestamp_millis(), now.timestamp_millis());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO portcullis_attempts (id, val, expires_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET val = excluded.val, expires_at = excluded.expires_at \
                 WHERE portcullis_attempts.expires_at <= ?4 OR portcullis_attempts.val < excluded.val",
                params![key, value, exp, now_ms],
            )
            .sql()
            .map(|n| n == 1)
        })
        .await
    }

    async fn clear(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM portcullis_attempts WHERE id = ?1", [key])
                .sql()
                .map(|_| ())
        })
        .await
    }

    async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let now_ms = now.timestamp_millis();
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM portcullis_attempts WHERE expires_at <= ?1",
                [now_ms],
            )
            .sql()
            .map(|n| n as u64)
        })
        .await
    }
}
