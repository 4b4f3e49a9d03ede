//! SeaORM entities for Flask-Security's `fsqla_v3` schema (plus
//! Flask-Security 5.9's refresh trackers, Portcullis' `fs_token_uniquifier`
//! column and session table), with
//! Flask-Security's table and column names, so an application can query
//! the same tables with SeaORM beside Portcullis.
//!
//! Integer columns are `i32` because the canonical schema declares them
//! `INTEGER` (PostgreSQL's `int4`). Secret columns use [`SecretText`],
//! whose `Debug` shows nothing.

pub mod fs_refresh_tracker;
pub mod role;
pub mod roles_users;
pub mod session;
pub mod user;
pub mod web_authn;

use std::fmt;

use sea_orm::DeriveValueType;

/// A secret string column (password hash, TOTP secrets, recovery codes):
/// stored as text, never shown by `Debug`.
#[derive(Clone, PartialEq, Eq, DeriveValueType)]
pub struct SecretText(pub String);

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretText(<redacted>)")
    }
}
