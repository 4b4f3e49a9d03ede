//! Counters and markers for attempt limits and single-use codes, in a
//! store that every instance of an application shares.
//!
//! A record is a key, a whole-number value and an expiry. Two operations
//! change it, each atomically even under many concurrent callers:
//!
//! - [`hit`](AttemptStore::hit) counts: it adds one, or starts again at one
//!   with a new window when the record is absent or expired. Attempt limits
//!   count failures (or attempts) per account, per client address and per
//!   identity + address this way.
//! - [`raise`](AttemptStore::raise) is a compare-and-set upwards: it stores
//!   the value only when it is greater than the stored one (or none is
//!   stored, or it has expired). Single-use codes record the last accepted
//!   TOTP time step this way, so a code at or before it is refused, and
//!   sends record the step of the last code sent.
//!
//! Keys are at most [`MAX_KEY`] bytes; the callers hash anything longer.
//! Backends keep the records in a table or collection of their own
//! (`portcullis_attempts`), never in Flask-Security's, or in Redis with its
//! TTLs. Expired records are ignored by every operation; backends without
//! TTLs delete them in [`delete_expired`](AttemptStore::delete_expired).

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, TimeDelta, Utc};

use crate::{Error, Result};

/// The longest key a store must accept, in bytes.
pub const MAX_KEY: usize = 200;

/// A counter after [`AttemptStore::hit`]: its value and when its window
/// ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// The count, the current attempt included (1 for a new window).
    pub count: i64,
    /// When the window ends and the count starts again.
    pub resets_at: DateTime<Utc>,
}

/// A stored record: its value and its expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    /// The value.
    pub value: i64,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// Keeps attempt counters and markers (see the module documentation).
#[async_trait::async_trait]
pub trait AttemptStore: Send + Sync + fmt::Debug {
    /// Adds one to the counter `key`. When there is none, or it expired at
    /// `now`, it starts at 1 with a window ending at `now + window`; the
    /// window of a running counter is not extended.
    async fn hit(&self, key: &str, window: TimeDelta, now: DateTime<Utc>) -> Result<Hit>;

    /// The record `key`, unless absent or expired at `now`.
    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Marker>>;

    /// Stores `value` (expiring at `expires_at`) when no record is stored,
    /// the stored one expired at `now`, or its value is less than `value`;
    /// whether it stored. Of concurrent callers raising to the same value
    /// exactly one gets `true`.
    async fn raise(
        &self,
        key: &str,
        value: i64,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool>;

    /// Removes the record `key` (nothing when absent).
    async fn clear(&self, key: &str) -> Result<()>;

    /// Removes every record expired at `now`; how many (backends that
    /// expire records themselves answer 0).
    async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64>;
}

/// Refuses keys longer than [`MAX_KEY`] (callers keep them short).
pub fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > MAX_KEY {
        return Err(Error::invalid_input(
            "an attempt key must be 1 to 200 bytes",
        ));
    }
    Ok(())
}

/// The in-process [`AttemptStore`]: the default of
/// [`SecurityBuilder`](crate::flows::SecurityBuilder), right for one
/// instance. Several instances need a shared one (a datastore's or Redis).
#[derive(Default)]
pub struct MemoryAttempts {
    records: Mutex<HashMap<String, Marker>>,
}

impl fmt::Debug for MemoryAttempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryAttempts").finish_non_exhaustive()
    }
}

impl MemoryAttempts {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn records(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Marker>>> {
        self.records
            .lock()
            .map_err(|_| Error::internal("the attempt store's lock is poisoned"))
    }
}

#[async_trait::async_trait]
impl AttemptStore for MemoryAttempts {
    async fn hit(&self, key: &str, window: TimeDelta, now: DateTime<Utc>) -> Result<Hit> {
        check_key(key)?;
        let mut records = self.records()?;
        let m = records.entry(key.to_owned()).or_insert(Marker {
            value: 0,
            expires_at: now,
        });
        if m.expires_at <= now {
            *m = Marker {
                value: 0,
                expires_at: now + window,
            };
        }
        m.value += 1;
        Ok(Hit {
            count: m.value,
            resets_at: m.expires_at,
        })
    }

    async fn get(&self, key: &str, now: DateTime<Utc>) -> Result<Option<Marker>> {
        check_key(key)?;
        Ok(self
            .records()?
            .get(key)
            .filter(|m| m.expires_at > now)
            .copied())
    }

    async fn raise(
        &self,
        key: &str,
        value: i64,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        check_key(key)?;
        let mut records = self.records()?;
        let stored = records.get(key).filter(|m| m.expires_at > now);
        if stored.is_some_and(|m| m.value >= value) {
            return Ok(false);
        }
        records.insert(key.to_owned(), Marker { value, expires_at });
        Ok(true)
    }

    async fn clear(&self, key: &str) -> Result<()> {
        self.records()?.remove(key);
        Ok(())
    }

    async fn delete_expired(&self, now: DateTime<Utc>) -> Result<u64> {
        let mut records = self.records()?;
        let before = records.len();
        records.retain(|_, m| m.expires_at > now);
        Ok((before - records.len()) as u64)
    }
}
