//! Users.

use chrono::{DateTime, Utc};

use super::types::{NewUser, UserFilter, UserPatch};
use crate::Result;
use crate::config::IdentityAttr;
use crate::models::User;

/// Storing and finding users. Every returned [`User`] carries its roles.
#[async_trait::async_trait]
pub trait UserStore: Send + Sync {
    /// The user with primary key `id`.
    async fn find_user_by_id(&self, id: i64) -> Result<Option<User>>;

    /// The user whose `fs_uniquifier` is `uniquifier` (exact match).
    async fn find_user_by_uniquifier(&self, uniquifier: &str) -> Result<Option<User>>;

    /// The user an auth token's `uid` names: by `fs_token_uniquifier`
    /// first, then by `fs_uniquifier` (Flask-Security's migration path).
    async fn find_user_by_token_uniquifier(&self, uid: &str) -> Result<Option<User>>;

    /// The user with this email, compared case-insensitively
    /// ([`super::email_key`]).
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>>;

    /// The user with this username; case-insensitively when asked.
    async fn find_user_by_username(
        &self,
        username: &str,
        case_insensitive: bool,
    ) -> Result<Option<User>>;

    /// The user whose `us_phone_number` is `phone` (exact, E.164).
    async fn find_user_by_phone(&self, phone: &str) -> Result<Option<User>>;

    /// The user whose `fs_webauthn_user_handle` is `handle`.
    async fn find_user_by_webauthn_handle(&self, handle: &str) -> Result<Option<User>>;

    /// The user an identity attribute names (`SECURITY_USER_IDENTITY_ATTRIBUTES`).
    async fn find_user_by_identity(
        &self,
        attr: IdentityAttr,
        value: &str,
        case_insensitive: bool,
    ) -> Result<Option<User>> {
        match attr {
            IdentityAttr::Email => self.find_user_by_email(value).await,
            IdentityAttr::Username => self.find_user_by_username(value, case_insensitive).await,
            IdentityAttr::UsPhoneNumber => self.find_user_by_phone(value).await,
        }
    }

    /// Users matching `filter`, ordered by id.
    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>>;

    /// Creates a user. Generates `fs_uniquifier` (and, where supported,
    /// `fs_token_uniquifier` and `fs_webauthn_user_handle`) unless given.
    /// Errors: `AlreadyExists` for a taken unique value, `NotFound` for an
    /// unknown role name, `InvalidInput` for over-long values.
    async fn create_user(&self, new: NewUser) -> Result<User>;

    /// Applies `patch` to user `id` and returns the result; bumps
    /// `update_datetime`. `NotFound`, `AlreadyExists`, `InvalidInput` as for
    /// creation. An empty patch changes nothing.
    async fn update_user(&self, id: i64, patch: UserPatch) -> Result<User>;

    /// Deletes user `id` with its role links and WebAuthn credentials.
    /// `false` when there was no such user.
    async fn delete_user(&self, id: i64) -> Result<bool>;

    /// Sets `active`; `true` when that changed it. `NotFound` for no user.
    async fn set_active(&self, id: i64, active: bool) -> Result<bool>;

    /// Gives user `id` a new `fs_uniquifier` (ending its sessions and
    /// links) and returns it. By default, an [`update_user`](Self::update_user).
    async fn rotate_uniquifier(&self, id: i64) -> Result<String> {
        let v = super::new_uniquifier();
        let patch = UserPatch {
            fs_uniquifier: Some(v.clone()),
            ..UserPatch::default()
        };
        self.update_user(id, patch).await.map(|_| v)
    }

    /// Gives user `id` a new `fs_token_uniquifier` (ending its auth tokens)
    /// and returns it. `Unsupported` where the backend has no such field.
    /// By default, an [`update_user`](Self::update_user).
    async fn rotate_token_uniquifier(&self, id: i64) -> Result<String> {
        let v = super::new_uniquifier();
        let patch = UserPatch {
            fs_token_uniquifier: Some(Some(v.clone())),
            ..UserPatch::default()
        };
        self.update_user(id, patch).await.map(|_| v)
    }

    /// Records a successful login at `at` from `ip`, atomically:
    /// `last_login_*` take the old `current_login_*`, `current_login_*`
    /// the new values, and `login_count` goes up by one.
    async fn record_login(&self, id: i64, ip: Option<&str>, at: DateTime<Utc>) -> Result<User>;

    /// Removes one recovery code if the user has it; `true` when it was
    /// there. Atomic, so a code is usable once even under concurrency.
    async fn take_recovery_code(&self, id: i64, code: &str) -> Result<bool>;

    /// Flask-Security's `reset_user_access`: new `fs_uniquifier` and token
    /// uniquifier, two-factor and unified sign-in setup cleared, WebAuthn
    /// credentials and recovery codes deleted, refresh trackers revoked.
    /// The password is untouched.
    async fn reset_user_access(&self, id: i64) -> Result<User>;
}
