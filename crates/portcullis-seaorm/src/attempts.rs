//! `AttemptStore` over SeaORM (`portcullis_attempts`). PostgreSQL and
//! SQLite count with one `INSERT … ON CONFLICT … RETURNING`; MySQL/MariaDB
//! with `ON DUPLICATE KEY UPDATE` and a read in the same transaction (the
//! row lock makes it exact), and raise markers with a conditional `UPDATE`
//! then `INSERT IGNORE`.

use chrono::{DateTime, TimeDelta, Utc};
use portcullis_core::store::{AttemptStore, Hit, Marker, check_key};
use portcullis_core::{Error, Result};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait, Value};

use crate::error::DbResult;
use crate::sql::stmt;
use crate::store::SeaOrmStore;

fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn s(v: &str) -> Value {
    Value::String(Some(v.to_owned()))
}

fn n(v: i64) -> Value {
    Value::BigInt(Some(v))
}

fn pair(row: Option<QueryResult>) -> Result<Option<(i64, i64)>> {
    let Some(row) = row else { return Ok(None) };
    let val = row.try_get_by_index::<i64>(0).db()?;
    let exp = row.try_get_by_index::<i64>(1).db()?;
    Ok(Some((val, exp)))
}

const UPSERT_COUNT: &str = "INSERT INTO portcullis_attempts (id, val, expires_at) VALUES (?, 1, ?) \
     ON CONFLICT (id) DO UPDATE SET \
       val = CASE WHEN portcullis_attempts.expires_at <= ? THEN 1 ELSE portcullis_attempts.val + 1 END, \
       expires_at = CASE WHEN portcullis_attempts.expires_at <= ? THEN excluded.expires_at ELSE portcullis_attempts.expires_at END \
     RETURNING val, expires_at";

// MySQL assigns left to right: `val` is computed first, from the old
// `expires_at`, which the second assignment still sees unchanged.
const MYSQL_COUNT: &str = "INSERT INTO portcullis_attempts (id, val, expires_at) VALUES (?, 1, ?) \
     ON DUPLICATE KEY UPDATE \
       val = IF(expires_at <= ?, 1, val + 1), \
       expires_at = IF(expires_at <= ?, VALUES(expires_at), expires_at)";

const SELECT: &str = "SELECT val, expires_at FROM portcullis_attempts WHERE id = ?";

const UPSERT_RAISE: &str = "INSERT INTO portcullis_attempts (id, val, expires_at) VALUES (?, ?, ?) \
     ON CONFLICT (id) DO UPDATE SET val = excluded.val, expires_at = excluded.expires_at \
     WHERE portcullis_attempts.expires_at <= ? OR portcullis_attempts.val < excluded.val";

const MYSQL_RAISE_UPDATE: &str = "UPDATE portcullis_attempts SET val = ?, expires_at = ? \
     WHERE id = ? AND (expires_at <= ? OR val < ?)";

const MYSQL_RAISE_INSERT: &str =
    "INSERT IGNORE INTO portcullis_attempts (id, val, expires_at) VALUES (?, ?, ?)";

impl SeaOrmStore {
    async fn mysql_hit(&self, key: &str, until: i64, now: i64) -> Result<Option<(i64, i64)>> {
        let b = self.backend();
        let tx = self.db().begin().await.db()?;
        tx.execute_raw(stmt(b, MYSQL_COUNT, vec![s(key), n(until), n(now), n(now)]))
            .await
            .db()?;
        let row = tx.query_one_raw(stmt(b, SELECT, vec![s(key)])).await.db()?;
        tx.commit().await.db()?;
        pair(row)
    }

    async fn mysql_raise(&self, key: &str, value: i64, exp: i64, now: i64) -> Result<bool> {
        let b = self.backend();
        let update = || {
            stmt(
                b,
                MYSQL_RAISE_UPDATE,
                vec![n(value), n(exp), s(key), n(now), n(value)],
            )
        };
        if self.db().execute_raw(update()).await.db()?.rows_affected() == 1 {
            return Ok(true);
        }
        let insert = stmt(b, MYSQL_RAISE_INSERT, vec![s(key), n(value), n(exp)]);
        if self.db().execute_raw(insert).await.db()?.rows_affected() == 1 {
            return Ok(true);
        }
        // Someone else inserted it in between: compare with theirs.
        Ok(self.db().execute_raw(update()).await.db()?.rows_affected() == 1)
    }
}

#[async_trait::async_trait]
impl AttemptStore for SeaOrmStore {
    async fn hit(&self, key: &str, window: TimeDelta, now: DateTime<Utc>) -> Result<Hit> {
        check_key(key)?;
        let (now_ms, until) = (now.timestamp_millis(), (now + window).timestamp_millis());
        let b = self.backend();
        let row = if b == DbBackend::MySql {
            self.mysql_hit(key, until, now_ms).await?
        } else {
            let q = stmt(
                b,
                UPSERT_COUNT,
                vec![s(key), n(until), n(now_ms), n(now_ms)],
            );
            pair(self.db().query_one_raw(q).await.db()?)?
        };
        let (count, resets) =
            row.ok_or_else(|| Error::internal("the attempt upsert returned no row"))?;
        Ok(Hit {
            count,
            resets_at: from_ms(resets),
        })
    }

    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Marker>> {
        check_key(key)?;
        let q = stmt(
            self.backend(),
            "SELECT val, expires_at FROM portcullis_attempts WHERE id = ? AND expires_at > ?",
            vec![s(key), n(now.timestamp_millis())],
        );
        let row = pair(self.db().query_one_raw(q).await.db()?)?;
        Ok(row.map(|(value, exp)| Marker {
            value,
            expires_at: from_ms(exp),
        }))
    }

    async fn raise(
        &self,
        key: &str,
        value: i64,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        check_key(key)?;
        let (exp, now_ms) = (expires_at.timestamp_millis(), now.timestamp_millis());
        let b = self.backend();
        if b == DbBackend::MySql {
            return self.mysql_raise(key, value, exp, now_ms).await;
        }
        let q = stmt(b, UPSERT_RAISE, vec![s(key), n(value), n(exp), n(now_ms)]);
        Ok(self.db().execute_raw(q).await.db()?.rows_affected() == 1)
    }

    async fn clear(&self, key: &str) -> Result<()> {
        let q = stmt(
            self.backend(),
            "DELETE FROM portcullis_attempts WHERE id = ?",
            vec![s(key)],
        );
        self.db().execute_raw(q).await.db()?;
        Ok(())
    }

    async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let q = stmt(
            self.backend(),
            "DELETE FROM portcullis_attempts WHERE expires_at <= ?",
            vec![n(now.timestamp_millis())],
        );
        Ok(self.db().execute_raw(q).await.db()?.rows_affected())
    }
}
