//! WebAuthn credentials.

use chrono::{DateTime, Utc};

use super::types::NewWebAuthn;
use crate::Result;
use crate::models::WebAuthnCredential;

/// What an assertion changes in a stored credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuthnUse {
    /// The authenticator's new signature counter.
    pub sign_count: i64,
    /// Whether the credential is backed up now.
    pub backup_state: bool,
    /// `single_device` or `multi_device`.
    pub device_type: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Storing WebAuthn credentials.
#[async_trait::async_trait]
pub trait WebAuthnStore: Send + Sync {
    /// Stores a credential for user `user_id`. `AlreadyExists` when the
    /// credential id is registered or the user has a credential with that
    /// name; `NotFound` when the user does not exist.
    async fn create_webauthn(&self, user_id: i64, new: NewWebAuthn) -> Result<WebAuthnCredential>;

    /// The credential with this raw id.
    async fn find_webauthn(&self, credential_id: &[u8]) -> Result<Option<WebAuthnCredential>>;

    /// A user's credentials, ordered by id.
    async fn list_webauthn(&self, user_id: i64) -> Result<Vec<WebAuthnCredential>>;

    /// Records a use: new sign count, backup state, device type and
    /// last-use time. `NotFound` for no credential.
    async fn record_webauthn_use(&self, id: i64, used: &WebAuthnUse) -> Result<()>;

    /// Deletes a credential; `false` when there was none.
    async fn delete_webauthn(&self, id: i64) -> Result<bool>;
}
