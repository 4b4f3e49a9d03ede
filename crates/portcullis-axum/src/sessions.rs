//! tower-sessions over Portcullis' [`SessionStore`].

use std::sync::Arc;

use portcullis_core::ErrorKind;
use portcullis_core::store::{SessionRecord, SessionStore};
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

/// Any Portcullis session store as a tower-sessions store.
#[derive(Debug, Clone)]
pub struct SessionBridge {
    inner: Arc<dyn SessionStore>,
}

impl SessionBridge {
    /// Wraps `store`.
    pub fn new(store: Arc<dyn SessionStore>) -> Self {
        Self { inner: store }
    }
}

fn to_chrono(t: OffsetDateTime) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or_default()
}

fn to_time(t: chrono::DateTime<chrono::Utc>) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn to_record(r: &Record) -> SessionRecord {
    // Whose it is: the logged-in user in Portcullis' part of the data.
    let user = r
        .data
        .get(crate::middleware::KEY)
        .and_then(|v| v.get(portcullis_http::session::keys::USER_ID))
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    SessionRecord {
        id: r.id.to_string(),
        data: r.data.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        expires_at: to_chrono(r.expiry_date),
        user,
    }
}

fn backend(e: portcullis_core::Error) -> Error {
    Error::Backend(e.to_string())
}

#[async_trait::async_trait]
impl tower_sessions::SessionStore for SessionBridge {
    async fn create(&self, record: &mut Record) -> Result<()> {
        loop {
            match self.inner.create_session(&to_record(record)).await {
                Ok(()) => return Ok(()),
                // An id collision: draw another.
                Err(e) if e.kind() == ErrorKind::AlreadyExists => record.id = Id::default(),
                Err(e) => return Err(backend(e)),
            }
        }
    }

    /// tower-sessions saves (rather than creates) only a session it loaded
    /// from the store. If that record is gone by now, another request
    /// ended it meanwhile — a logout, a new id at login, the expiry sweep —
    /// and writing it back would bring a logged-out session back to life,
    /// so nothing is written.
    async fn save(&self, record: &Record) -> Result<()> {
        let id = record.id.to_string();
        let live = self
            .inner
            .load_session(&id, chrono::Utc::now())
            .await
            .map_err(backend)?;
        if live.is_none() {
            return Ok(());
        }
        self.inner
            .save_session(&to_record(record))
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let found = self
            .inner
            .load_session(&id.to_string(), chrono::Utc::now())
            .await
            .map_err(backend)?;
        Ok(found.map(|r| Record {
            id: *id,
            data: r.data.into_iter().collect(),
            expiry_date: to_time(r.expires_at),
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.inner
            .delete_session(&id.to_string())
            .await
            .map_err(backend)
    }
}
