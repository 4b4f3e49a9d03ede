//! `SessionStore` over SeaORM: web sessions in the shared database, so
//! servers behind a load balancer see the same sessions.

use chrono::{DateTime, Utc};
use portcullis_core::store::{SessionRecord, SessionStore};
use portcullis_core::{Error, Result};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Value};

use crate::entity::session;
use crate::error::DbResult;
use crate::sql::time;
use crate::store::SeaOrmStore;

fn encode(r: &SessionRecord) -> Result<String> {
    serde_json::to_string(&r.data).map_err(|e| Error::internal("session data").with_source(e))
}

/// A row as a record, unless expired at `now` or unreadable (unreadable
/// data is no session: the user logs in again).
fn decode(m: session::Model, now: DateTime<Utc>) -> Option<SessionRecord> {
    let expires_at = m.expires_at.and_utc();
    if expires_at <= now {
        return None;
    }
    let data = serde_json::from_str(&m.data).ok()?;
    Some(SessionRecord {
        id: m.id,
        data,
        expires_at,
        user: m.user_id,
    })
}

impl SeaOrmStore {
    /// A live record from the table.
    async fn read_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let Some(m) = session::Entity::find_by_id(id.to_owned())
            .one(self.db())
            .await
            .db()?
        else {
            return Ok(None);
        };
        if m.id != id {
            return Ok(None);
        }
        Ok(decode(m, now))
    }

    /// After this store changed a session: the cache forgets it.
    fn forget_session(&self, id: &str) {
        if let Some(c) = self.cache() {
            c.forget_session(id);
        }
    }

    fn session_insert(&self, r: &SessionRecord) -> Result<sea_orm::sea_query::InsertStatement> {
        let mut q = Query::insert();
        q.into_table(session::Entity)
            .columns([
                session::Column::Id,
                session::Column::Data,
                session::Column::ExpiresAt,
                session::Column::UserId,
            ])
            .values([
                Value::String(Some(r.id.clone())).into(),
                Value::String(Some(encode(r)?)).into(),
                time(self.backend(), Some(r.expires_at)).into(),
                Value::String(r.user.clone()).into(),
            ])
            .map_err(|e| Error::internal("building the insert").with_source(e))?;
        Ok(q)
    }
}

#[async_trait::async_trait]
impl SessionStore for SeaOrmStore {
    async fn create_session(&self, record: &SessionRecord) -> Result<()> {
        let q = self.session_insert(record)?;
        self.db().execute(&q).await.db()?;
        Ok(())
    }

    async fn save_session(&self, record: &SessionRecord) -> Result<()> {
        let mut q = self.session_insert(record)?;
        q.on_conflict(
            OnConflict::column(session::Column::Id)
                .update_columns([
                    session::Column::Data,
                    session::Column::ExpiresAt,
                    session::Column::UserId,
                ])
                .to_owned(),
        );
        self.db().execute(&q).await.db()?;
        self.forget_session(&record.id);
        Ok(())
    }

    async fn update_session(&self, record: &SessionRecord, now: DateTime<Utc>) -> Result<bool> {
        let mut q = Query::update();
        q.table(session::Entity)
            .value(session::Column::Data, Value::String(Some(encode(record)?)))
            .value(
                session::Column::ExpiresAt,
                time(self.backend(), Some(record.expires_at)),
            )
            .value(session::Column::UserId, Value::String(record.user.clone()))
            .and_where(Expr::col(session::Column::Id).eq(record.id.as_str()))
            .and_where(Expr::col(session::Column::ExpiresAt).gt(time(self.backend(), Some(now))));
        // MySQL counts changed rows, not matched ones: a write of identical
        // values reports 0. Identical values mean the record is there, so
        // ask again only in that case.
        let changed = self.db().execute(&q).await.db()?.rows_affected();
        self.forget_session(&record.id);
        if changed == 1 {
            return Ok(true);
        }
        Ok(self.load_session(&record.id, now).await?.is_some())
    }

    async fn load_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        let Some(cache) = self.cache() else {
            return self.read_session(id, now).await;
        };
        if let Some(r) = cache.session(id) {
            return Ok((r.expires_at > now).then_some(r));
        }
        let ticket = cache.ticket();
        let found = self.read_session(id, now).await?;
        if let Some(r) = &found {
            cache.put_session(ticket, r);
        }
        Ok(found)
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        session::Entity::delete_by_id(id.to_owned())
            .exec(self.db())
            .await
            .db()?;
        self.forget_session(id);
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut q = Query::delete();
        q.from_table(session::Entity)
            .and_where(Expr::col(session::Column::ExpiresAt).lte(time(self.backend(), Some(now))));
        let n = self.db().execute(&q).await.db()?.rows_affected();
        self.flush_cache();
        Ok(n)
    }

    async fn list_user_sessions(
        &self,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>> {
        let rows = session::Entity::find()
            .filter(session::Column::UserId.eq(user))
            .all(self.db())
            .await
            .db()?;
        Ok(rows
            .into_iter()
            .filter(|m| m.user_id.as_deref() == Some(user))
            .filter_map(|m| decode(m, now))
            .collect())
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&str>) -> Result<u64> {
        let mut q = session::Entity::delete_many().filter(session::Column::UserId.eq(user));
        if let Some(k) = keep {
            q = q.filter(session::Column::Id.ne(k));
        }
        let n = q.exec(self.db()).await.db()?.rows_affected;
        self.flush_cache();
        Ok(n)
    }
}
