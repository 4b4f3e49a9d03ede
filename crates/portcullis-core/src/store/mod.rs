//! The datastore contract: what every storage backend (SQLite, SeaORM,
//! MongoDB, memory, or your own) implements, split by aggregate —
//! [`UserStore`], [`RoleStore`], [`WebAuthnStore`] — and joined as
//! [`Datastore`].
//!
//! The traits are object-safe and their futures are `Send`, so one
//! `Arc<dyn Datastore>` serves axum and actix-web alike.
//!
//! Rules every backend keeps (the `portcullis-testkit` suite checks them):
//!
//! - Each method is one atomic unit of work: it either happens completely
//!   or not at all, and no caller needs to "commit" afterwards.
//! - Lookups that find nothing return `Ok(None)`; changes to a user, role or
//!   credential that does not exist return [`ErrorKind::NotFound`].
//! - Unique values that are already taken return [`ErrorKind::AlreadyExists`]:
//!   email (compared case-insensitively, Unicode lower case), username,
//!   `fs_uniquifier`, `fs_token_uniquifier`, `us_phone_number`,
//!   `fs_webauthn_user_handle`, role name, credential id, and a credential
//!   name per user. This holds under concurrency: of many simultaneous
//!   creations of one email exactly one succeeds.
//! - Values longer than their column ([`limits`]) are refused with
//!   [`ErrorKind::InvalidInput`] before anything is written; nothing is
//!   truncated.
//! - Application fields ([`fields`]) round-trip: what [`NewUser::fields`]
//!   and [`UserPatch::fields`] write, [`User::fields`](crate::User::fields)
//!   reads back; a patch leaves the fields it does not name as they were;
//!   a name the store does not have, or a value that does not fit, is
//!   [`ErrorKind::InvalidInput`].
//! - Deleting a user removes its role links, WebAuthn credentials and
//!   refresh trackers; deleting a role removes its links.
//! - A backend that cannot offer something answers
//!   [`ErrorKind::Unsupported`] and says so in [`Capabilities`].
//!
//! [`ErrorKind::NotFound`]: crate::ErrorKind::NotFound
//! [`ErrorKind::AlreadyExists`]: crate::ErrorKind::AlreadyExists
//! [`ErrorKind::InvalidInput`]: crate::ErrorKind::InvalidInput
//! [`ErrorKind::Unsupported`]: crate::ErrorKind::Unsupported

mod attempts;
pub mod fields;
pub mod limits;
mod migrations;
mod refresh;
mod role;
mod sessions;
mod types;
mod user;
mod webauthn;

use std::fmt;

pub use self::attempts::{AttemptStore, Hit, MAX_KEY, Marker, MemoryAttempts, check_key};
pub use self::fields::{AppField, AppFields, FieldType, UserFields};
pub use self::migrations::{Migration, MigrationReport, MigrationStatus};
pub use self::refresh::{NewRefreshTracker, RefreshTrackerStore};
pub use self::role::RoleStore;
pub use self::sessions::{SessionRecord, SessionStore, session_handle};
pub use self::types::{
    NewRole, NewUser, NewWebAuthn, UserFilter, UserPatch, email_key, new_uniquifier,
};
pub use self::user::UserStore;
pub use self::webauthn::{WebAuthnStore, WebAuthnUse};

/// What a backend can do beyond the required minimum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Stores `fs_token_uniquifier` (auth tokens survive password changes).
    pub token_uniquifier: bool,
    /// Stores WebAuthn credentials.
    pub webauthn: bool,
    /// Changes spanning several records are transactional.
    pub transactions: bool,
}

impl Capabilities {
    /// Everything.
    pub const ALL: Capabilities = Capabilities {
        token_uniquifier: true,
        webauthn: true,
        transactions: true,
    };

    /// A custom set.
    pub const fn new(token_uniquifier: bool, webauthn: bool, transactions: bool) -> Self {
        Self {
            token_uniquifier,
            webauthn,
            transactions,
        }
    }
}

/// A complete datastore.
pub trait Datastore: UserStore + RoleStore + WebAuthnStore + fmt::Debug + Send + Sync {
    /// A short name for logs (`"sqlite"`, `"memory"`, …).
    fn backend_name(&self) -> &'static str;

    /// What this backend supports.
    fn capabilities(&self) -> Capabilities;

    /// The same store as a [`SessionStore`], when it keeps web sessions
    /// (every bundled backend does), so one store serves both.
    fn session_store(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn SessionStore>> {
        None
    }

    /// The same store as an [`AttemptStore`], when it keeps attempt
    /// counters (every bundled backend does).
    fn attempt_store(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn AttemptStore>> {
        None
    }

    /// The same store as a [`RefreshTrackerStore`], when it keeps refresh
    /// token trackers (every bundled backend does). Refresh tokens
    /// (`SECURITY_REFRESH_TOKEN`) need one.
    fn refresh_store(
        self: std::sync::Arc<Self>,
    ) -> Option<std::sync::Arc<dyn RefreshTrackerStore>> {
        None
    }

    /// The application fields users have here (see [`fields`]): a SQL
    /// table's extra columns, [`AppFields::Any`] for a schemaless store.
    /// The default is none, and a store keeping none refuses writes of any.
    fn application_fields(&self) -> AppFields {
        AppFields::default()
    }
}

/// The current time from `clock`, at microsecond precision (what SQL
/// columns keep).
pub fn now_utc(clock: &dyn crate::Clock) -> chrono::DateTime<chrono::Utc> {
    let micros = (clock.unix_time() * 1_000_000.0).floor() as i64;
    chrono::DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// `t` without its sub-microsecond part.
pub fn to_micros(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}
