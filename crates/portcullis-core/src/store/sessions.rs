//! Server-side session records, for web adapters' session layers. A
//! datastore that can keep them implements [`SessionStore`]; the adapter
//! wraps it for its framework (tower-sessions, actix-session).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::Result;

/// One session: its data, whose it is and when it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionRecord {
    /// The session id (the cookie's value; random, unguessable).
    pub id: String,
    /// The data.
    pub data: Map<String, Value>,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
    /// The logged-in user's `fs_uniquifier` (`None` while anonymous), kept
    /// beside the data so that a user's sessions can be listed and ended.
    pub user: Option<String>,
}

/// A public name for the session `id`: listings show it instead of the id
/// (a bearer credential) and take it back to end that session. One-way
/// (SHA-1 of a 128-bit random id), so it grants nothing.
pub fn session_handle(id: &str) -> String {
    use sha1::{Digest, Sha1};
    let digest = Sha1::digest(id.as_bytes());
    portcullis_crypto::encoding::hex_lower(&digest[..10])
}

/// Keeps session records.
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync + std::fmt::Debug {
    /// Stores a new record; `AlreadyExists` when the id is taken (the
    /// caller picks another).
    async fn create_session(&self, record: &SessionRecord) -> Result<()>;
    /// Stores a record, replacing any with the same id.
    async fn save_session(&self, record: &SessionRecord) -> Result<()>;
    /// Replaces the record with this id only if one is stored and has not
    /// expired at `now`, in one atomic step; whether it did. Adapters save
    /// a session they loaded with this, so that a request which began
    /// before a concurrent logout, id change or expiry sweep cannot write
    /// the ended session back.
    async fn update_session(&self, record: &SessionRecord, now: DateTime<Utc>) -> Result<bool>;
    /// The record with this id, if it exists and has not expired at `now`.
    async fn load_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>>;
    /// Deletes a record.
    async fn delete_session(&self, id: &str) -> Result<()>;
    /// Deletes every record expired at `now`; how many.
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64>;
    /// The records of `user` (an `fs_uniquifier`) not expired at `now`, in
    /// no particular order.
    async fn list_user_sessions(
        &self,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>>;
    /// Deletes every record of `user` but the one with id `keep`; how many.
    async fn delete_user_sessions(&self, user: &str, keep: Option<&str>) -> Result<u64>;
}
