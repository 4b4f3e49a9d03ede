//! Without the `postgres` feature there is no cache (decision 0010): a
//! type with no values, so the store's `Option<Cache>` is always `None`.

use portcullis_core::User;
use portcullis_core::store::SessionRecord;
use sea_orm::DatabaseConnection;

/// No cache.
#[derive(Debug, Clone)]
pub(crate) enum Cache {}

/// No read ever begins.
#[derive(Clone, Copy)]
pub(crate) enum Ticket {}

impl Cache {
    pub(crate) async fn start(_: &DatabaseConnection) -> Option<Self> {
        None
    }
    pub(crate) fn ticket(&self) -> Ticket {
        match *self {}
    }
    pub(crate) fn user(&self, _: &str) -> Option<User> {
        match *self {}
    }
    pub(crate) fn put_user(&self, _: Ticket, _: String, _: &User) {
        match *self {}
    }
    pub(crate) fn session(&self, _: &str) -> Option<SessionRecord> {
        match *self {}
    }
    pub(crate) fn put_session(&self, _: Ticket, _: &SessionRecord) {
        match *self {}
    }
    pub(crate) fn flush(&self) {
        match *self {}
    }
    pub(crate) fn forget_session(&self, _: &str) {
        match *self {}
    }
}
