//! `RefreshTrackerStore` for the memory store.

use chrono::{DateTime, Utc};
use portcullis_core::store::to_micros;
use portcullis_core::{Error, NewRefreshTracker, RefreshTracker, RefreshTrackerStore, Result};

use crate::MemoryStore;

#[async_trait::async_trait]
impl RefreshTrackerStore for MemoryStore {
    async fn create_refresh_tracker(
        &self,
        user_id: i64,
        new: NewRefreshTracker,
    ) -> Result<RefreshTracker> {
        new.check()?;
        let mut inner = self.write()?;
        if !inner.users.contains_key(&user_id) {
            return Err(Error::not_found("no such user"));
        }
        if inner
            .trackers
            .values()
            .any(|t| t.refresh_family == new.refresh_family)
        {
            return Err(Error::already_exists("refresh_family"));
        }
        let id = inner.next();
        let at = to_micros(new.at);
        let t = RefreshTracker {
            id,
            refresh_family: new.refresh_family,
            generation: 1,
            expires_at: to_micros(new.expires_at),
            revoked_at: None,
            last_used_at: at,
            create_datetime: at,
            name: new.name,
            user_id,
        };
        inner.trackers.insert(id, t.clone());
        Ok(t)
    }

    async fn find_refresh_tracker(&self, family: &str) -> Result<Option<RefreshTracker>> {
        Ok(self
            .read()?
            .trackers
            .values()
            .find(|t| t.refresh_family == family)
            .cloned())
    }

    async fn list_refresh_trackers(&self, user_id: i64) -> Result<Vec<RefreshTracker>> {
        Ok(self
            .read()?
            .trackers
            .values()
            .filter(|t| t.user_id == user_id)
            .cloned()
            .collect())
    }

    async fn exchange_refresh_tracker(
        &self,
        id: i64,
        generation: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<RefreshTracker>> {
        let mut inner = self.write()?;
        let Some(t) = inner
            .trackers
            .get_mut(&id)
            .filter(|t| t.generation == generation && t.revoked_at.is_none())
        else {
            return Ok(None);
        };
        t.generation += 1;
        t.last_used_at = to_micros(at);
        Ok(Some(t.clone()))
    }

    async fn revoke_refresh_tracker(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let mut inner = self.write()?;
        match inner.trackers.get_mut(&id) {
            Some(t) if t.revoked_at.is_none() => {
                t.revoked_at = Some(to_micros(at));
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn cleanup_refresh_trackers(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        expired: bool,
        revoked: bool,
    ) -> Result<u64> {
        let mut inner = self.write()?;
        let before = inner.trackers.len();
        inner.trackers.retain(|_, t| {
            t.user_id != user_id
                || !((expired && t.expires_at < now) || (revoked && t.revoked_at.is_some()))
        });
        Ok((before - inner.trackers.len()) as u64)
    }
}
