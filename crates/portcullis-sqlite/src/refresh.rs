//! `RefreshTrackerStore` on SQLite (`fs_refresh_tracker`).

use chrono::{DateTime, Utc};
use portcullis_core::{Error, NewRefreshTracker, RefreshTracker, RefreshTrackerStore, Result};
use rusqlite::{OptionalExtension, params};

use crate::error::SqlResult;
use crate::rows::{TRACKER_COLUMNS, fmt_time, tracker_from_row};
use crate::store::SqliteStore;

fn by_id(tx: &rusqlite::Connection, id: i64) -> Result<Option<RefreshTracker>> {
    tx.query_row(
        &format!("SELECT {TRACKER_COLUMNS} FROM fs_refresh_tracker WHERE id = ?1"),
        [id],
        tracker_from_row,
    )
    .optional()
    .sql()
}

#[async_trait::async_trait]
impl RefreshTrackerStore for SqliteStore {
    async fn create_refresh_tracker(
        &self,
        user_id: i64,
        new: NewRefreshTracker,
    ) -> Result<RefreshTracker> {
        new.check()?;
        let (at, exp) = (fmt_time(new.at), fmt_time(new.expires_at));
        self.write(move |tx| {
            let user: Option<i64> = tx
                .query_row("SELECT id FROM user WHERE id = ?1", [user_id], |r| r.get(0))
                .optional()
                .sql()?;
            user.ok_or_else(|| Error::not_found("no such user"))?;
            tx.execute(
                "INSERT INTO fs_refresh_tracker (refresh_family, gen, expires_at, last_used_at, \
                 create_datetime, name, user_id) VALUES (?1, 1, ?2, ?3, ?3, ?4, ?5)",
                params![new.refresh_family, exp, at, new.name, user_id],
            )
            .sql()?;
            by_id(tx, tx.last_insert_rowid())?.ok_or_else(|| Error::internal("tracker vanished"))
        })
        .await
    }

    async fn find_refresh_tracker(&self, family: &str) -> Result<Option<RefreshTracker>> {
        let family = family.to_owned();
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {TRACKER_COLUMNS} FROM fs_refresh_tracker WHERE refresh_family = ?1"
                ),
                [family],
                tracker_from_row,
            )
            .optional()
            .sql()
        })
        .await
    }

    async fn list_refresh_trackers(&self, user_id: i64) -> Result<Vec<RefreshTracker>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(&format!(
                    "SELECT {TRACKER_COLUMNS} FROM fs_refresh_tracker WHERE user_id = ?1 ORDER BY id"
                ))
                .sql()?;
            stmt.query_map([user_id], tracker_from_row)
                .sql()?
                .collect::<rusqlite::Result<Vec<_>>>()
                .sql()
        })
        .await
    }

    async fn exchange_refresh_tracker(
        &self,
        id: i64,
        generation: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<RefreshTracker>> {
        let at = fmt_time(at);
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE fs_refresh_tracker SET gen = gen + 1, last_used_at = ?1 \
                     WHERE id = ?2 AND COALESCE(gen, 1) = ?3 AND revoked_at IS NULL",
                    params![at, id, generation],
                )
                .sql()?;
            if n == 0 { Ok(None) } else { by_id(tx, id) }
        })
        .await
    }

    async fn revoke_refresh_tracker(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let at = fmt_time(at);
        self.write(move |tx| {
            Ok(tx
                .execute(
                    "UPDATE fs_refresh_tracker SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL",
                    params![at, id],
                )
                .sql()?
                > 0)
        })
        .await
    }

    async fn cleanup_refresh_trackers(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        expired: bool,
        revoked: bool,
    ) -> Result<u64> {
        let now = fmt_time(now);
        self.write(move |tx| {
            let n = tx
                .execute(
                    "DELETE FROM fs_refresh_tracker WHERE user_id = ?1 AND \
                     ((?2 AND expires_at < ?3) OR (?4 AND revoked_at IS NOT NULL))",
                    params![user_id, expired, now, revoked],
                )
                .sql()?;
            Ok(n as u64)
        })
        .await
    }
}
