//! Inputs to the datastore: new records, partial updates, filters.

use chrono::{DateTime, Utc};
use portcullis_crypto::SecretString;

use super::limits::{self, check, check_opt, non_empty};
use crate::Result;

/// The key emails are compared by: Unicode lower case of the trimmed
/// address. Backends index or compare this.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A fresh uniquifier (UUID4 as 32 hex characters, as Flask-Security makes them).
pub fn new_uniquifier() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A user to create. `password` must already be hashed.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    /// Email address (already validated and normalised).
    pub email: String,
    /// Username.
    pub username: Option<String>,
    /// Password hash.
    pub password: Option<SecretString>,
    /// Active (Flask-Security's default is `true`; use [`NewUser::new`]).
    pub active: bool,
    /// When the email was confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Set a specific uniquifier (generated when `None`).
    pub fs_uniquifier: Option<String>,
    /// Set a specific token uniquifier (generated when `None` and supported).
    pub fs_token_uniquifier: Option<String>,
    /// Set a specific WebAuthn user handle (generated when `None`).
    pub fs_webauthn_user_handle: Option<String>,
    /// Unified sign-in phone number.
    pub us_phone_number: Option<String>,
    /// Role names; each must exist ([`crate::ErrorKind::NotFound`] otherwise).
    pub roles: Vec<String>,
    /// Application fields ([`super::fields`]); those left out take the
    /// column's default.
    pub fields: super::UserFields,
}

impl NewUser {
    /// An active user with this email and password hash.
    pub fn new(email: impl Into<String>, password: Option<SecretString>) -> Self {
        Self {
            email: email.into(),
            password,
            active: true,
            ..Self::default()
        }
    }

    /// Checks lengths and required values.
    pub fn check(&self) -> Result<()> {
        non_empty("email", &self.email)?;
        check("email", &self.email, limits::EMAIL)?;
        check_opt("username", self.username.as_deref(), limits::USERNAME)?;
        check_opt(
            "password",
            self.password.as_ref().map(SecretString::expose),
            limits::PASSWORD,
        )?;
        check_opt(
            "fs_uniquifier",
            self.fs_uniquifier.as_deref(),
            limits::UNIQUIFIER,
        )?;
        check_opt(
            "fs_token_uniquifier",
            self.fs_token_uniquifier.as_deref(),
            limits::UNIQUIFIER,
        )?;
        check_opt(
            "fs_webauthn_user_handle",
            self.fs_webauthn_user_handle.as_deref(),
            limits::UNIQUIFIER,
        )?;
        check_opt(
            "us_phone_number",
            self.us_phone_number.as_deref(),
            limits::PHONE,
        )?;
        for r in &self.roles {
            check("role name", r, limits::ROLE_NAME)?;
        }
        super::fields::check_values(&self.fields)
    }
}

/// A partial update of a user: only the fields that are `Some` change.
/// For nullable columns the inner `Option` is the new value (`Some(None)`
/// clears it).
#[derive(Debug, Clone, Default)]
#[allow(clippy::option_option)]
pub struct UserPatch {
    /// New email.
    pub email: Option<String>,
    /// New username.
    pub username: Option<Option<String>>,
    /// New password hash.
    pub password: Option<Option<SecretString>>,
    /// Active flag.
    pub active: Option<bool>,
    /// New uniquifier.
    pub fs_uniquifier: Option<String>,
    /// New token uniquifier.
    pub fs_token_uniquifier: Option<Option<String>>,
    /// Confirmation time.
    pub confirmed_at: Option<Option<DateTime<Utc>>>,
    /// Previous login time.
    pub last_login_at: Option<Option<DateTime<Utc>>>,
    /// Latest login time.
    pub current_login_at: Option<Option<DateTime<Utc>>>,
    /// Previous login address.
    pub last_login_ip: Option<Option<String>>,
    /// Latest login address.
    pub current_login_ip: Option<Option<String>>,
    /// Login count.
    pub login_count: Option<Option<i64>>,
    /// Two-factor method.
    pub tf_primary_method: Option<Option<String>>,
    /// Two-factor TOTP secret.
    pub tf_totp_secret: Option<Option<SecretString>>,
    /// Two-factor phone.
    pub tf_phone_number: Option<Option<String>>,
    /// Unified sign-in secrets (JSON).
    pub us_totp_secrets: Option<Option<SecretString>>,
    /// Unified sign-in phone.
    pub us_phone_number: Option<Option<String>>,
    /// WebAuthn user handle.
    pub fs_webauthn_user_handle: Option<Option<String>>,
    /// Recovery codes.
    pub mf_recovery_codes: Option<Option<Vec<SecretString>>>,
    /// Application fields to set ([`super::fields`]); those not named keep
    /// their values.
    pub fields: super::UserFields,
}

impl UserPatch {
    /// The change Flask-Security's `reset_user_access` makes: new
    /// `fs_uniquifier` and token uniquifier (ending sessions and tokens),
    /// two-factor and unified sign-in setup and recovery codes cleared. The
    /// password is untouched; WebAuthn credentials are the store's to delete.
    pub fn reset_access() -> Self {
        Self {
            fs_uniquifier: Some(super::new_uniquifier()),
            fs_token_uniquifier: Some(Some(super::new_uniquifier())),
            tf_primary_method: Some(None),
            tf_totp_secret: Some(None),
            tf_phone_number: Some(None),
            us_totp_secrets: Some(None),
            us_phone_number: Some(None),
            mf_recovery_codes: Some(None),
            ..Self::default()
        }
    }

    /// Writes every field this patch sets onto `user`, leaving the rest.
    ///
    /// For stores that keep whole [`User`](crate::models::User) values
    /// (in memory, in a document); `updated_at` and rounding are the
    /// store's business.
    pub fn apply_to(self, user: &mut crate::models::User) {
        macro_rules! set {
            ($($f:ident),*) => {$( if let Some(v) = self.$f { user.$f = v; } )*};
        }
        set!(
            email,
            username,
            password,
            active,
            fs_uniquifier,
            fs_token_uniquifier,
            confirmed_at,
            last_login_at,
            current_login_at,
            last_login_ip,
            current_login_ip,
            login_count,
            tf_primary_method,
            tf_totp_secret,
            tf_phone_number,
            us_totp_secrets,
            us_phone_number,
            fs_webauthn_user_handle,
            mf_recovery_codes
        );
        user.fields.extend(self.fields);
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        let UserPatch {
            email,
            username,
            password,
            active,
            fs_uniquifier,
            fs_token_uniquifier,
            confirmed_at,
            last_login_at,
            current_login_at,
            last_login_ip,
            current_login_ip,
            login_count,
            tf_primary_method,
            tf_totp_secret,
            tf_phone_number,
            us_totp_secrets,
            us_phone_number,
            fs_webauthn_user_handle,
            mf_recovery_codes,
            fields,
        } = self;
        email.is_none()
            && username.is_none()
            && password.is_none()
            && active.is_none()
            && fs_uniquifier.is_none()
            && fs_token_uniquifier.is_none()
            && confirmed_at.is_none()
            && last_login_at.is_none()
            && current_login_at.is_none()
            && last_login_ip.is_none()
            && current_login_ip.is_none()
            && login_count.is_none()
            && tf_primary_method.is_none()
            && tf_totp_secret.is_none()
            && tf_phone_number.is_none()
            && us_totp_secrets.is_none()
            && us_phone_number.is_none()
            && fs_webauthn_user_handle.is_none()
            && mf_recovery_codes.is_none()
            && fields.is_empty()
    }

    /// Checks lengths and required values.
    pub fn check(&self) -> Result<()> {
        if let Some(e) = &self.email {
            non_empty("email", e)?;
            check("email", e, limits::EMAIL)?;
        }
        if let Some(u) = &self.fs_uniquifier {
            non_empty("fs_uniquifier", u)?;
            check("fs_uniquifier", u, limits::UNIQUIFIER)?;
        }
        fn flat(o: &Option<Option<String>>) -> Option<&str> {
            o.as_ref().and_then(|v| v.as_deref())
        }
        fn secret(o: &Option<Option<SecretString>>) -> Option<&str> {
            o.as_ref()
                .and_then(|v| v.as_ref())
                .map(SecretString::expose)
        }
        check_opt("username", flat(&self.username), limits::USERNAME)?;
        check_opt(
            "fs_token_uniquifier",
            flat(&self.fs_token_uniquifier),
            limits::UNIQUIFIER,
        )?;
        check_opt("last_login_ip", flat(&self.last_login_ip), limits::IP)?;
        check_opt("current_login_ip", flat(&self.current_login_ip), limits::IP)?;
        check_opt(
            "tf_primary_method",
            flat(&self.tf_primary_method),
            limits::TF_METHOD,
        )?;
        check_opt(
            "tf_phone_number",
            flat(&self.tf_phone_number),
            limits::PHONE,
        )?;
        check_opt(
            "us_phone_number",
            flat(&self.us_phone_number),
            limits::PHONE,
        )?;
        check_opt(
            "fs_webauthn_user_handle",
            flat(&self.fs_webauthn_user_handle),
            limits::UNIQUIFIER,
        )?;
        check_opt("password", secret(&self.password), limits::PASSWORD)?;
        check_opt(
            "tf_totp_secret",
            secret(&self.tf_totp_secret),
            limits::TF_TOTP_SECRET,
        )?;
        if let Some(Some(codes)) = &self.mf_recovery_codes {
            let plain: Vec<&str> = codes.iter().map(SecretString::expose).collect();
            limits::list_items("mf_recovery_codes", &plain)?;
        }
        super::fields::check_values(&self.fields)
    }
}

/// A role to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRole {
    /// Unique name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Permissions it grants.
    pub permissions: Vec<String>,
}

impl NewRole {
    /// A role with no description or permissions.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Checks lengths and list items.
    pub fn check(&self) -> Result<()> {
        non_empty("role name", &self.name)?;
        check("role name", &self.name, limits::ROLE_NAME)?;
        check_opt(
            "role description",
            self.description.as_deref(),
            limits::ROLE_DESCRIPTION,
        )?;
        limits::list_items("permissions", &self.permissions)
    }
}

/// A WebAuthn credential to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWebAuthn {
    /// Raw credential id (unique).
    pub credential_id: Vec<u8>,
    /// COSE public key.
    pub public_key: Vec<u8>,
    /// The user's name for it (unique per user).
    pub name: String,
    /// Signature counter.
    pub sign_count: i64,
    /// `first` or `secondary`.
    pub usage: String,
    /// `single_device` or `multi_device`.
    pub device_type: String,
    /// Backup state.
    pub backup_state: bool,
    /// Transports.
    pub transports: Vec<String>,
    /// Client extension results (JSON).
    pub extensions: Option<String>,
}

impl NewWebAuthn {
    /// Checks lengths and list items.
    pub fn check(&self) -> Result<()> {
        if self.credential_id.is_empty() || self.credential_id.len() > limits::CREDENTIAL_ID {
            return Err(crate::Error::invalid_input(format!(
                "credential_id must hold 1 to {} bytes",
                limits::CREDENTIAL_ID
            )));
        }
        non_empty("credential name", &self.name)?;
        check("credential name", &self.name, limits::WEBAUTHN_SHORT)?;
        check("usage", &self.usage, limits::WEBAUTHN_SHORT)?;
        check("device_type", &self.device_type, limits::WEBAUTHN_SHORT)?;
        check_opt(
            "extensions",
            self.extensions.as_deref(),
            limits::WEBAUTHN_EXTENSIONS,
        )?;
        limits::list_items("transports", &self.transports)
    }
}

/// Which users to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Only users with this role.
    pub role: Option<String>,
    /// Only active (or only inactive) users.
    pub active: Option<bool>,
    /// Skip this many (ordered by id).
    pub offset: u64,
    /// At most this many (`None`: all).
    pub limit: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn limits_are_enforced() {
        let mut u = NewUser::new("a@example.com", None);
        u.check().unwrap();
        u.email = format!("{}@example.com", "a".repeat(250));
        assert_eq!(u.check().unwrap_err().kind(), ErrorKind::InvalidInput);
        let mut p = UserPatch {
            fs_uniquifier: Some("x".repeat(65)),
            ..UserPatch::default()
        };
        assert_eq!(p.check().unwrap_err().kind(), ErrorKind::InvalidInput);
        p.fs_uniquifier = None;
        assert!(p.is_empty());
        let r = NewRole {
            name: "r".into(),
            permissions: vec!["a,b".into()],
            ..NewRole::default()
        };
        assert!(r.check().is_err());
    }

    #[test]
    fn email_keys_fold_unicode() {
        assert_eq!(email_key(" JÖRG@Example.COM "), "jörg@example.com");
        assert_eq!(new_uniquifier().len(), 32);
    }
}
