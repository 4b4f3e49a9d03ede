//! `AttemptStore` on MongoDB (`portcullis_attempts`, `_id` = the key,
//! `val`, `expires_at` in Unix milliseconds): counting is one
//! `findOneAndUpdate` with an aggregation-pipeline update and `upsert`;
//! raising is one conditional `updateOne` with `upsert`, where the unique
//! `_id` turns a lost race into a duplicate-key answer.

use chrono::{DateTime, TimeDelta, Utc};
use mongodb::bson::{Bson, Document, doc};
use mongodb::options::ReturnDocument;
use portcullis_core::store::{AttemptStore, Hit, Marker, check_key};
use portcullis_core::{Error, ErrorKind, Result};

use crate::error::MongoResult;
use crate::store::MongoStore;

const COLLECTION: &str = "portcullis_attempts";

fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The pipeline update of a hit: a fresh window when the record is absent
/// or expired at `now`, else one more in the running one.
pub(crate) fn hit_update(now: i64, until: i64) -> Vec<Document> {
    let expired = doc! {"$lte": [{"$ifNull": ["$expires_at", 0_i64]}, now]};
    vec![doc! {"$set": {
        "val": {"$cond": [expired.clone(), 1_i64, {"$add": ["$val", 1_i64]}]},
        "expires_at": {"$cond": [expired, until, "$expires_at"]},
    }}]
}

/// The filter of a raise: the record, when expired or lower.
pub(crate) fn raise_filter(key: &str, value: i64, now: i64) -> Document {
    doc! {"_id": key, "$or": [{"expires_at": {"$lte": now}}, {"val": {"$lt": value}}]}
}

fn read(d: &Document) -> Option<(i64, i64)> {
    let num = |k: &str| match d.get(k) {
        Some(Bson::Int64(v)) => Some(*v),
        Some(Bson::Int32(v)) => Some(i64::from(*v)),
        Some(Bson::Double(v)) => Some(*v as i64),
        _ => None,
    };
    Some((num("val")?, num("expires_at")?))
}

impl MongoStore {
    async fn hit_once(&self, key: &str, now: i64, until: i64) -> Result<Option<Document>> {
        self.coll(COLLECTION)
            .find_one_and_update(doc! {"_id": key}, hit_update(now, until))
            .upsert(true)
            .return_document(ReturnDocument::After)
            .await
            .db()
    }
}

#[async_trait::async_trait]
impl AttemptStore for MongoStore {
    async fn hit(&self, key: &str, window: TimeDelta, now: DateTime<Utc>) -> Result<Hit> {
        check_key(key)?;
        let (now_ms, until) = (now.timestamp_millis(), (now + window).timestamp_millis());
        // Two first hits can race to insert; the loser counts again.
        let d = match self.hit_once(key, now_ms, until).await {
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                self.hit_once(key, now_ms, until).await?
            }
            other => other?,
        };
        let (count, resets) = d
            .as_ref()
            .and_then(read)
            .ok_or_else(|| Error::internal("the attempt upsert returned no record"))?;
        Ok(Hit {
            count,
            resets_at: from_ms(resets),
        })
    }

    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Marker>> {
        check_key(key)?;
        let filter = doc! {"_id": key, "expires_at": {"$gt": now.timestamp_millis()}};
        let d = self.coll(COLLECTION).find_one(filter).await.db()?;
        Ok(d.as_ref().and_then(read).map(|(value, exp)| Marker {
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
        let set = doc! {"$set": {"val": value, "expires_at": expires_at.timestamp_millis()}};
        let r = self
            .coll(COLLECTION)
            .update_one(raise_filter(key, value, now.timestamp_millis()), set)
            .upsert(true)
            .await
            .db();
        match r {
            Ok(r) => Ok(r.matched_count == 1 || r.upserted_id.is_some()),
            // The record exists and is not lower: the upsert's insert collided.
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn clear(&self, key: &str) -> Result<()> {
        self.coll(COLLECTION)
            .delete_one(doc! {"_id": key})
            .await
            .db()?;
        Ok(())
    }

    async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let filter = doc! {"expires_at": {"$lte": now.timestamp_millis()}};
        Ok(self
            .coll(COLLECTION)
            .delete_many(filter)
            .await
            .db()?
            .deleted_count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hit_update_starts_or_counts() {
        let u = hit_update(1000, 61_000);
        let set = u[0].get_document("$set").unwrap();
        let val = set.get_document("val").unwrap().get_array("$cond").unwrap();
        assert_eq!(val[1], Bson::Int64(1));
        let exp = set
            .get_document("expires_at")
            .unwrap()
            .get_array("$cond")
            .unwrap();
        assert_eq!(exp[1], Bson::Int64(61_000));
        assert_eq!(exp[2], Bson::String("$expires_at".into()));
    }

    #[test]
    fn raise_filter_matches_expired_or_lower() {
        let f = raise_filter("k", 7, 1000);
        assert_eq!(f.get_str("_id").unwrap(), "k");
        let or = f.get_array("$or").unwrap();
        assert_eq!(or.len(), 2);
        assert_eq!(
            read(&doc! {"val": 3_i32, "expires_at": 9_i64}),
            Some((3, 9))
        );
        assert_eq!(read(&doc! {"val": 3_i64}), None);
    }
}
