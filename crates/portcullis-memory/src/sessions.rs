//! `SessionStore` for the memory store.

use chrono::{DateTime, Utc};
use portcullis_core::store::{SessionRecord, SessionStore};
use portcullis_core::{Error, Result};

use crate::MemoryStore;

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn create_session(&self, record: &SessionRecord) -> Result<()> {
        let mut inner = self.write()?;
        if inner.sessions.contains_key(&record.id) {
            return Err(Error::already_exists("session id"));
        }
        inner.sessions.insert(record.id.clone(), record.clone());
        Ok(())
    }

    async fn save_session(&self, record: &SessionRecord) -> Result<()> {
        self.write()?
            .sessions
            .insert(record.id.clone(), record.clone());
        Ok(())
    }

    async fn update_session(&self, record: &SessionRecord, now: DateTime<Utc>) -> Result<bool> {
        let mut inner = self.write()?;
        match inner.sessions.get_mut(&record.id) {
            Some(r) if r.expires_at > now => {
                *r = record.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn load_session(&self, id: &str, now: DateTime<Utc>) -> Result<Option<SessionRecord>> {
        Ok(self
            .read()?
            .sessions
            .get(id)
            .filter(|r| r.expires_at > now)
            .cloned())
    }

    async fn delete_session(&self, id: &str) -> Result<()> {
        self.write()?.sessions.remove(id);
        Ok(())
    }

    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut inner = self.write()?;
        let before = inner.sessions.len();
        inner.sessions.retain(|_, r| r.expires_at > now);
        Ok((before - inner.sessions.len()) as u64)
    }

    async fn list_user_sessions(
        &self,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionRecord>> {
        Ok(self
            .read()?
            .sessions
            .values()
            .filter(|r| r.user.as_deref() == Some(user) && r.expires_at > now)
            .cloned()
            .collect())
    }

    async fn delete_user_sessions(&self, user: &str, keep: Option<&str>) -> Result<u64> {
        let mut inner = self.write()?;
        let before = inner.sessions.len();
        inner
            .sessions
            .retain(|id, r| r.user.as_deref() != Some(user) || Some(id.as_str()) == keep);
        Ok((before - inner.sessions.len()) as u64)
    }
}
