//! Column sizes of Flask-Security's `fsqla_v3` schema. Every backend checks
//! these before writing, so a too-long value is refused the same way
//! everywhere (SQLite would otherwise store it, PostgreSQL refuse it, and a
//! lax MySQL truncate it).

use crate::{Error, Result};

/// `user.email`.
pub const EMAIL: usize = 255;
/// `user.username`.
pub const USERNAME: usize = 255;
/// `user.password`.
pub const PASSWORD: usize = 255;
/// `user.fs_uniquifier`, `fs_token_uniquifier`, `fs_webauthn_user_handle`.
pub const UNIQUIFIER: usize = 64;
/// `user.last_login_ip`, `current_login_ip`.
pub const IP: usize = 64;
/// `user.tf_primary_method`.
pub const TF_METHOD: usize = 64;
/// `user.tf_totp_secret`.
pub const TF_TOTP_SECRET: usize = 255;
/// `user.tf_phone_number`, `us_phone_number`.
pub const PHONE: usize = 128;
/// `role.name`.
pub const ROLE_NAME: usize = 80;
/// `role.description`.
pub const ROLE_DESCRIPTION: usize = 255;
/// `web_authn.credential_id` (bytes).
pub const CREDENTIAL_ID: usize = 1024;
/// `web_authn.name`, `usage`, `device_type`.
pub const WEBAUTHN_SHORT: usize = 64;
/// `web_authn.extensions`.
pub const WEBAUTHN_EXTENSIONS: usize = 255;
/// `fs_refresh_tracker.refresh_family` and `.name`.
pub const REFRESH_SHORT: usize = 64;

/// Refuses `value` when it has more than `max` characters.
pub fn check(field: &'static str, value: &str, max: usize) -> Result<()> {
    if value.chars().count() > max {
        return Err(Error::invalid_input(format!(
            "{field} is longer than {max} characters"
        )));
    }
    Ok(())
}

/// [`check`] for an optional value.
pub fn check_opt(field: &'static str, value: Option<&str>, max: usize) -> Result<()> {
    value.map_or(Ok(()), |v| check(field, v, max))
}

/// Refuses an empty value.
pub fn non_empty(field: &'static str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid_input(format!("{field} may not be empty")));
    }
    Ok(())
}

/// Refuses list items that cannot be stored comma-joined.
pub fn list_items<S: AsRef<str>>(field: &'static str, items: &[S]) -> Result<()> {
    for i in items {
        let i = i.as_ref();
        if i.contains(',') || i.trim().is_empty() {
            return Err(Error::invalid_input(format!(
                "{field} entries may not be empty or contain commas"
            )));
        }
    }
    Ok(())
}
