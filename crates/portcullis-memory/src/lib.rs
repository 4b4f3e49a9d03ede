#![doc = include_str!("../README.md")]

mod refresh;
mod roles;
mod sessions;
mod users;
mod webauthn;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};
use portcullis_core::store::email_key;
use portcullis_core::{
    Capabilities, Clock, Datastore, Error, Result, Role, SystemClock, User, WebAuthnCredential,
};

/// The in-memory datastore.
#[derive(Debug)]
pub struct MemoryStore {
    inner: RwLock<Inner>,
    clock: Arc<dyn Clock>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Users, stored without their roles (joined on read).
    users: BTreeMap<i64, User>,
    roles: BTreeMap<i64, Role>,
    /// (user id, role id).
    links: BTreeSet<(i64, i64)>,
    credentials: BTreeMap<i64, WebAuthnCredential>,
    trackers: BTreeMap<i64, portcullis_core::RefreshTracker>,
    sessions: BTreeMap<String, portcullis_core::store::SessionRecord>,
    next_id: i64,
}

impl Inner {
    fn next(&mut self) -> i64 {
        self.next_id += 1;
        self.next_id
    }

    fn with_roles(&self, user: &User) -> User {
        let mut u = user.clone();
        u.roles = self
            .links
            .range((user.id, i64::MIN)..=(user.id, i64::MAX))
            .filter_map(|(_, rid)| self.roles.get(rid).cloned())
            .collect();
        u.roles.sort_by(|a, b| a.name.cmp(&b.name));
        u
    }

    fn user_by(&self, pred: impl Fn(&User) -> bool) -> Option<User> {
        self.users
            .values()
            .find(|u| pred(u))
            .map(|u| self.with_roles(u))
    }

    fn role_by_name(&self, name: &str) -> Option<&Role> {
        self.roles.values().find(|r| r.name == name)
    }

    fn email_taken(&self, email: &str, except: Option<i64>) -> bool {
        let key = email_key(email);
        self.users
            .values()
            .any(|u| Some(u.id) != except && email_key(&u.email) == key)
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store on the system clock.
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// An empty store whose timestamps come from `clock`.
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            inner: RwLock::new(Inner::default()),
            clock,
        }
    }

    fn read(&self) -> Result<RwLockReadGuard<'_, Inner>> {
        self.inner
            .read()
            .map_err(|_| Error::internal("memory store lock poisoned"))
    }

    fn write(&self) -> Result<RwLockWriteGuard<'_, Inner>> {
        self.inner
            .write()
            .map_err(|_| Error::internal("memory store lock poisoned"))
    }

    fn now(&self) -> DateTime<Utc> {
        portcullis_core::store::now_utc(self.clock.as_ref())
    }
}

impl Datastore for MemoryStore {
    fn backend_name(&self) -> &'static str {
        "memory"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    /// Any well-formed name: memory has no schema.
    fn application_fields(&self) -> portcullis_core::AppFields {
        portcullis_core::AppFields::Any
    }

    fn session_store(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn portcullis_core::store::SessionStore>> {
        Some(self)
    }

    fn refresh_store(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn portcullis_core::RefreshTrackerStore>> {
        Some(self)
    }
}
