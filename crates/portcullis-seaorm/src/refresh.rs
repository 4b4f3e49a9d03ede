//! `RefreshTrackerStore` over SeaORM (`fs_refresh_tracker`).

use chrono::{DateTime, Utc};
use portcullis_core::{Error, NewRefreshTracker, RefreshTracker, RefreshTrackerStore, Result};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, Value,
};

use crate::entity::{fs_refresh_tracker as rt, user};
use crate::error::DbResult;
use crate::sql::{key, time, tracker_from};
use crate::store::SeaOrmStore;

/// Revokes every live tracker of user `k` (inside `reset_user_access`).
pub(crate) async fn revoke_all<C: ConnectionTrait>(
    db: &C,
    backend: DbBackend,
    k: i32,
    at: DateTime<Utc>,
) -> Result<u64> {
    let mut q = Query::update();
    q.table(rt::Entity)
        .value(rt::Column::RevokedAt, time(backend, Some(at)))
        .and_where(Expr::col(rt::Column::UserId).eq(k))
        .and_where(Expr::col(rt::Column::RevokedAt).is_null());
    Ok(db.execute(&q).await.db()?.rows_affected())
}

async fn by_id<C: ConnectionTrait>(db: &C, k: i32) -> Result<Option<RefreshTracker>> {
    Ok(rt::Entity::find_by_id(k)
        .one(db)
        .await
        .db()?
        .map(tracker_from))
}

#[async_trait::async_trait]
impl RefreshTrackerStore for SeaOrmStore {
    async fn create_refresh_tracker(
        &self,
        user_id: i64,
        new: NewRefreshTracker,
    ) -> Result<RefreshTracker> {
        new.check()?;
        let backend = self.backend();
        let uid = key(user_id).ok_or_else(|| Error::not_found("no such user"))?;
        let tx = self.begin().await?;
        user::Entity::find_by_id(uid)
            .one(&tx)
            .await
            .db()?
            .ok_or_else(|| Error::not_found("no such user"))?;
        let mut q = Query::insert();
        q.into_table(rt::Entity)
            .columns([
                rt::Column::RefreshFamily,
                rt::Column::Generation,
                rt::Column::ExpiresAt,
                rt::Column::LastUsedAt,
                rt::Column::CreateDatetime,
                rt::Column::Name,
                rt::Column::UserId,
            ])
            .values([
                Value::String(Some(new.refresh_family.clone())).into(),
                Value::Int(Some(1)).into(),
                time(backend, Some(new.expires_at)).into(),
                time(backend, Some(new.at)).into(),
                time(backend, Some(new.at)).into(),
                Value::String(Some(new.name)).into(),
                uid.into(),
            ])
            .map_err(|e| Error::internal("building the insert").with_source(e))?;
        tx.execute(&q).await.db()?;
        let m = rt::Entity::find()
            .filter(rt::Column::RefreshFamily.eq(new.refresh_family))
            .one(&tx)
            .await
            .db()?
            .ok_or_else(|| Error::internal("tracker vanished after insert"))?;
        tx.commit().await.db()?;
        Ok(tracker_from(m))
    }

    async fn find_refresh_tracker(&self, family: &str) -> Result<Option<RefreshTracker>> {
        Ok(rt::Entity::find()
            .filter(rt::Column::RefreshFamily.eq(family))
            .one(self.db())
            .await
            .db()?
            .map(tracker_from)
            .filter(|t| t.refresh_family == family))
    }

    async fn list_refresh_trackers(&self, user_id: i64) -> Result<Vec<RefreshTracker>> {
        let Some(uid) = key(user_id) else {
            return Ok(Vec::new());
        };
        Ok(rt::Entity::find()
            .filter(rt::Column::UserId.eq(uid))
            .order_by_asc(rt::Column::Id)
            .all(self.db())
            .await
            .db()?
            .into_iter()
            .map(tracker_from)
            .collect())
    }

    async fn exchange_refresh_tracker(
        &self,
        id: i64,
        generation: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<RefreshTracker>> {
        let (Some(k), Ok(g)) = (key(id), i32::try_from(generation)) else {
            return Ok(None);
        };
        let tx = self.begin().await?;
        let mut q = Query::update();
        q.table(rt::Entity)
            .value(rt::Column::Generation, Expr::value(g).add(1))
            .value(rt::Column::LastUsedAt, time(self.backend(), Some(at)))
            .and_where(Expr::col(rt::Column::Id).eq(k))
            .and_where(Expr::expr(Expr::col(rt::Column::Generation).if_null(1)).eq(g))
            .and_where(Expr::col(rt::Column::RevokedAt).is_null());
        if tx.execute(&q).await.db()?.rows_affected() == 0 {
            return Ok(None);
        }
        let t = by_id(&tx, k).await?;
        tx.commit().await.db()?;
        Ok(t)
    }

    async fn revoke_refresh_tracker(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let Some(k) = key(id) else {
            return Ok(false);
        };
        let mut q = Query::update();
        q.table(rt::Entity)
            .value(rt::Column::RevokedAt, time(self.backend(), Some(at)))
            .and_where(Expr::col(rt::Column::Id).eq(k))
            .and_where(Expr::col(rt::Column::RevokedAt).is_null());
        Ok(self.db().execute(&q).await.db()?.rows_affected() > 0)
    }

    async fn cleanup_refresh_trackers(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        expired: bool,
        revoked: bool,
    ) -> Result<u64> {
        let Some(uid) = key(user_id) else {
            return Ok(0);
        };
        if !expired && !revoked {
            return Ok(0);
        }
        let mut which = Condition::any();
        if expired {
            which = which.add(rt::Column::ExpiresAt.lt(time(self.backend(), Some(now))));
        }
        if revoked {
            which = which.add(rt::Column::RevokedAt.is_not_null());
        }
        Ok(rt::Entity::delete_many()
            .filter(rt::Column::UserId.eq(uid))
            .filter(which)
            .exec(self.db())
            .await
            .db()?
            .rows_affected)
    }
}
