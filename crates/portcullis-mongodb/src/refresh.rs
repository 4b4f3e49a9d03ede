//! `RefreshTrackerStore` on MongoDB (`fs_refresh_tracker`).

use chrono::{DateTime, Utc};
use mongodb::bson::{Bson, doc};
use portcullis_core::{NewRefreshTracker, RefreshTracker, RefreshTrackerStore, Result};

use crate::doc::{self, put_time, time_parts};
use crate::error::MongoResult;
use crate::store::{MongoStore, collect, no_user};

const COLL: &str = "fs_refresh_tracker";

/// `revoked_at = at` (and its microseconds).
fn revoked_set(at: DateTime<Utc>) -> mongodb::bson::Document {
    let mut set = doc! {};
    put_time(&mut set, "revoked_at", Some(at));
    doc! {"$set": set}
}

/// Revokes every live tracker of user `id` (inside `reset_user_access`).
pub(crate) async fn revoke_all(store: &MongoStore, id: i64) -> Result<u64> {
    let r = store
        .coll(COLL)
        .update_many(
            doc! {"user_id": id, "revoked_at": Bson::Null},
            revoked_set(store.now()),
        )
        .await
        .db()?;
    Ok(r.modified_count)
}

#[async_trait::async_trait]
impl RefreshTrackerStore for MongoStore {
    async fn create_refresh_tracker(
        &self,
        user_id: i64,
        new: NewRefreshTracker,
    ) -> Result<RefreshTracker> {
        new.check()?;
        if self
            .coll("user")
            .find_one(doc! {"_id": user_id})
            .await
            .db()?
            .is_none()
        {
            return Err(no_user());
        }
        let id = self.next_id(COLL).await?;
        let d = doc::new_tracker_doc(id, user_id, new);
        self.coll(COLL).insert_one(&d).await.db()?;
        doc::tracker_from(&d)
    }

    async fn find_refresh_tracker(&self, family: &str) -> Result<Option<RefreshTracker>> {
        self.coll(COLL)
            .find_one(doc! {"refresh_family": family})
            .await
            .db()?
            .map(|d| doc::tracker_from(&d))
            .transpose()
    }

    async fn list_refresh_trackers(&self, user_id: i64) -> Result<Vec<RefreshTracker>> {
        collect(
            self.coll(COLL)
                .find(doc! {"user_id": user_id})
                .sort(doc! {"_id": 1})
                .await
                .db()?,
        )
        .await?
        .iter()
        .map(doc::tracker_from)
        .collect()
    }

    async fn exchange_refresh_tracker(
        &self,
        id: i64,
        generation: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<RefreshTracker>> {
        let mut set = doc! {};
        put_time(&mut set, "last_used_at", Some(at));
        // Matching the generation and bumping it in one update: of two uses
        // of one token, one matches.
        let r = self
            .coll(COLL)
            .find_one_and_update(
                doc! {"_id": id, "gen": generation, "revoked_at": Bson::Null},
                doc! {"$set": set, "$inc": {"gen": 1_i64}},
            )
            .return_document(mongodb::options::ReturnDocument::After)
            .await
            .db()?;
        r.map(|d| doc::tracker_from(&d)).transpose()
    }

    async fn revoke_refresh_tracker(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let r = self
            .coll(COLL)
            .update_one(doc! {"_id": id, "revoked_at": Bson::Null}, revoked_set(at))
            .await
            .db()?;
        Ok(r.modified_count == 1)
    }

    async fn cleanup_refresh_trackers(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        expired: bool,
        revoked: bool,
    ) -> Result<u64> {
        let mut or = Vec::new();
        if expired {
            // Millisecond dates: a tracker expiring within the current
            // millisecond is kept until the next cleanup.
            let (date, _) = time_parts(now);
            or.push(doc! {"expires_at": {"$lt": date}});
        }
        if revoked {
            or.push(doc! {"revoked_at": {"$ne": Bson::Null}});
        }
        if or.is_empty() {
            return Ok(0);
        }
        let r = self
            .coll(COLL)
            .delete_many(doc! {"user_id": user_id, "$or": or})
            .await
            .db()?;
        Ok(r.deleted_count)
    }
}
