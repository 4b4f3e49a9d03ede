//! Refresh-token trackers (Flask-Security 5.9's `FsRefreshTracker`).

use chrono::{DateTime, Utc};

use super::limits;
use crate::Result;
use crate::models::RefreshTracker;

/// A refresh tracker to store (generation 1, `last_used_at` = `at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshTracker {
    /// The family (unique, at most 64 characters; Flask-Security uses a
    /// uuid4 hex).
    pub refresh_family: String,
    /// Its name (at most 64 characters; Flask-Security uses `default`).
    pub name: String,
    /// When the family expires.
    pub expires_at: DateTime<Utc>,
    /// Now: its creation and first use.
    pub at: DateTime<Utc>,
}

impl NewRefreshTracker {
    /// Checks lengths.
    pub fn check(&self) -> Result<()> {
        for (what, v) in [
            ("refresh_family", &self.refresh_family),
            ("name", &self.name),
        ] {
            if v.is_empty() || v.chars().count() > limits::REFRESH_SHORT {
                return Err(crate::Error::invalid_input(format!(
                    "{what} must hold 1 to {} characters",
                    limits::REFRESH_SHORT
                )));
            }
        }
        Ok(())
    }
}

/// Storing refresh-token trackers. A backend offers it through
/// [`Datastore::refresh_store`](super::Datastore::refresh_store); deleting a
/// user deletes its trackers, and
/// [`reset_user_access`](super::UserStore::reset_user_access) revokes them.
#[async_trait::async_trait]
pub trait RefreshTrackerStore: Send + Sync + std::fmt::Debug {
    /// Stores a tracker for user `user_id` at generation 1. `NotFound` when
    /// the user does not exist, `AlreadyExists` when the family does.
    async fn create_refresh_tracker(
        &self,
        user_id: i64,
        new: NewRefreshTracker,
    ) -> Result<RefreshTracker>;

    /// The tracker of this family.
    async fn find_refresh_tracker(&self, family: &str) -> Result<Option<RefreshTracker>>;

    /// A user's trackers, ordered by id.
    async fn list_refresh_trackers(&self, user_id: i64) -> Result<Vec<RefreshTracker>>;

    /// One use of a refresh token, atomically: when tracker `id` is still
    /// at generation `generation` and not revoked, moves it to `generation + 1` with
    /// `last_used_at = at` and returns it; `None` when another use got
    /// there first, it was revoked, or it is gone. Of two simultaneous
    /// uses of one token, exactly one succeeds.
    async fn exchange_refresh_tracker(
        &self,
        id: i64,
        generation: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<RefreshTracker>>;

    /// Revokes a tracker at `at`; `false` when it was already revoked or
    /// does not exist (an earlier revocation time is kept).
    async fn revoke_refresh_tracker(&self, id: i64, at: DateTime<Utc>) -> Result<bool>;

    /// Deletes a user's trackers that expired before `now` (when
    /// `expired`) and those revoked (when `revoked`); how many.
    async fn cleanup_refresh_trackers(
        &self,
        user_id: i64,
        now: DateTime<Utc>,
        expired: bool,
        revoked: bool,
    ) -> Result<u64>;
}
