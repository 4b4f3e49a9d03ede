//! Multi-factor recovery codes (`SECURITY_MULTI_FACTOR_RECOVERY_CODES`):
//! one-time codes that stand in for a lost second factor.

use super::errors::{FlowError, FormErrors};
use super::service::Security;
use crate::messages::MessageKey;
use crate::models::User;
use crate::store::UserPatch;
use crate::{Result, SecretString};

impl Security {
    /// The user's recovery codes (plaintext, as Flask-Security stores them
    /// without `SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS`).
    pub fn mf_recovery_codes(&self, user: &User) -> Vec<String> {
        user.mf_recovery_codes
            .iter()
            .flatten()
            .map(|c| c.expose().to_owned())
            .filter(|c| !c.is_empty())
            .collect()
    }

    /// `/mf-recovery-codes` POST: `SECURITY_MULTI_FACTOR_RECOVERY_CODES_N`
    /// new codes, replacing the old ones; returns them.
    pub async fn mf_generate_recovery_codes(&self, user: &User) -> Result<Vec<String>> {
        let codes = portcullis_crypto::recovery::generate_codes(
            self.config().multi_factor_recovery_codes_n,
        )?;
        let patch = UserPatch {
            mf_recovery_codes: Some(Some(codes.iter().cloned().map(SecretString::new).collect())),
            ..UserPatch::default()
        };
        self.store().update_user(user.id, patch).await?;
        Ok(codes)
    }

    /// `/mf-recovery` POST: spends `code` if it is one of the user's (once:
    /// the datastore removes it atomically). `This field is required.` for
    /// no code, `INVALID_RECOVERY_CODE` for a wrong or spent one.
    pub async fn mf_use_recovery_code(
        &self,
        user: &User,
        code: Option<&str>,
    ) -> Result<(), FlowError> {
        let Some(code) = code.filter(|c| !c.is_empty()) else {
            return Err(FormErrors::field("code", MessageKey::FieldRequired).into());
        };
        self.guard_lock(user).await?;
        let codes = self.mf_recovery_codes(user);
        let Some(i) = portcullis_crypto::recovery::find_code(&codes, code) else {
            self.second_factor_failed(user).await?;
            return Err(FormErrors::field("code", MessageKey::InvalidRecoveryCode).into());
        };
        if self.store().take_recovery_code(user.id, &codes[i]).await? {
            Ok(())
        } else {
            // Spent by a concurrent request between the read and the take.
            Err(FormErrors::field("code", MessageKey::InvalidRecoveryCode).into())
        }
    }
}
