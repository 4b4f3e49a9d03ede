//! Multi-factor recovery codes (`SECURITY_MULTI_FACTOR_RECOVERY_CODES`):
//! one-time codes that stand in for a lost second factor.

use super::errors::{FlowError, FormErrors};
use super::service::Security;
use crate::messages::MessageKey;
use crate::models::User;
use crate::store::UserPatch;
use crate::{Result, SecretString};

impl Security {
    /// The user's recovery codes, in clear: decrypted with
    /// `SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS` when set (a code no key
    /// opens, or older than `_CODE_TTL`, is left out, as Flask-Security
    /// does), as stored otherwise.
    pub fn mf_recovery_codes(&self, user: &User) -> Vec<String> {
        self.recovery_codes_stored(user)
            .into_iter()
            .map(|(_, code)| code)
            .collect()
    }

    /// Each usable code as (stored form, code).
    fn recovery_codes_stored(&self, user: &User) -> Vec<(String, String)> {
        let stored = user
            .mf_recovery_codes
            .iter()
            .flatten()
            .map(|c| c.expose().to_owned())
            .filter(|c| !c.is_empty());
        match self.recovery_cipher() {
            Some(cipher) => stored
                .filter_map(|s| cipher.decrypt(&s).map(|code| (s, code)))
                .collect(),
            None => stored.map(|s| (s.clone(), s)).collect(),
        }
    }

    /// `/mf-recovery-codes` POST: `SECURITY_MULTI_FACTOR_RECOVERY_CODES_N`
    /// new codes, replacing the old ones; returns them.
    pub async fn mf_generate_recovery_codes(&self, user: &User) -> Result<Vec<String>> {
        let codes = portcullis_crypto::recovery::generate_codes(
            self.config().multi_factor_recovery_codes_n,
        )?;
        let stored = codes.iter().map(|c| match self.recovery_cipher() {
            Some(cipher) => SecretString::new(cipher.encrypt(c)),
            None => SecretString::new(c.clone()),
        });
        let patch = UserPatch {
            mf_recovery_codes: Some(Some(stored.collect())),
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
        let pairs = self.recovery_codes_stored(user);
        let codes: Vec<String> = pairs.iter().map(|(_, c)| c.clone()).collect();
        let Some(i) = portcullis_crypto::recovery::find_code(&codes, code) else {
            self.second_factor_failed(user).await?;
            return Err(FormErrors::field("code", MessageKey::InvalidRecoveryCode).into());
        };
        if self
            .store()
            .take_recovery_code(user.id, &pairs[i].0)
            .await?
        {
            Ok(())
        } else {
            // Spent by a concurrent request between the read and the take.
            Err(FormErrors::field("code", MessageKey::InvalidRecoveryCode).into())
        }
    }
}
