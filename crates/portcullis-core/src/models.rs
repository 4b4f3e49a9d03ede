//! The models, with every field of Flask-Security's `fsqla_v3` `User`,
//! `Role` and `WebAuthn` (plus the optional `fs_token_uniquifier`). Times
//! are UTC (Flask-Security stores naive UTC). Fields that hold secrets are
//! [`SecretString`]s and never show in `Debug`.

use chrono::{DateTime, Utc};
use portcullis_crypto::SecretString;

/// A user (`user` table).
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// Email address (unique, case-insensitively).
    pub email: String,
    /// Username (unique when set).
    pub username: Option<String>,
    /// The password hash (passlib format); `None` for password-less users.
    pub password: Option<SecretString>,
    /// Inactive users cannot authenticate in any way.
    pub active: bool,
    /// Identifies the user in sessions and emailed links; rotating it ends
    /// every session and invalidates every link and (without a token
    /// uniquifier) every auth token.
    pub fs_uniquifier: String,
    /// When set, identifies the user in auth tokens instead of
    /// `fs_uniquifier`, so a password change does not end API tokens.
    pub fs_token_uniquifier: Option<String>,
    /// When the email address was confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Previous login time (trackable).
    pub last_login_at: Option<DateTime<Utc>>,
    /// Latest login time (trackable).
    pub current_login_at: Option<DateTime<Utc>>,
    /// Previous login address (trackable).
    pub last_login_ip: Option<String>,
    /// Latest login address (trackable).
    pub current_login_ip: Option<String>,
    /// Number of logins (trackable).
    pub login_count: Option<i64>,
    /// Two-factor method: `email`, `authenticator` or `sms`.
    pub tf_primary_method: Option<String>,
    /// Two-factor TOTP secret (passlib's encrypted JSON).
    pub tf_totp_secret: Option<SecretString>,
    /// Two-factor SMS number.
    pub tf_phone_number: Option<String>,
    /// Unified sign-in TOTP secrets: a JSON object of method → passlib JSON.
    pub us_totp_secrets: Option<SecretString>,
    /// Unified sign-in phone number (unique when set).
    pub us_phone_number: Option<String>,
    /// WebAuthn user handle (unique when set).
    pub fs_webauthn_user_handle: Option<String>,
    /// Multi-factor recovery codes; `None` when the column is NULL.
    pub mf_recovery_codes: Option<Vec<SecretString>>,
    /// When the user was created.
    pub create_datetime: DateTime<Utc>,
    /// When the user was last changed.
    pub update_datetime: DateTime<Utc>,
    /// The user's roles, with their permissions.
    pub roles: Vec<Role>,
    /// The application's own fields (columns it added to the `user`
    /// table, keys it keeps on the document): every one the store has,
    /// `null` included. See [`crate::store::fields`].
    pub fields: crate::store::UserFields,
}

impl User {
    /// The uniquifier auth tokens carry.
    pub fn token_uniquifier(&self) -> &str {
        self.fs_token_uniquifier
            .as_deref()
            .unwrap_or(&self.fs_uniquifier)
    }

    /// Whether the email address is confirmed.
    pub fn is_confirmed(&self) -> bool {
        self.confirmed_at.is_some()
    }

    /// Whether the user has the role `name`.
    pub fn has_role(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r.name == name)
    }

    /// Whether any of the user's roles grants `permission`.
    pub fn has_permission(&self, permission: &str) -> bool {
        self.roles
            .iter()
            .any(|r| r.permissions.iter().any(|p| p == permission))
    }

    /// Every permission the user's roles grant, sorted, without repeats.
    pub fn permissions(&self) -> Vec<&str> {
        let mut p: Vec<&str> = self
            .roles
            .iter()
            .flat_map(|r| r.permissions.iter().map(String::as_str))
            .collect();
        p.sort_unstable();
        p.dedup();
        p
    }
}

/// A role (`role` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Primary key.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Free text.
    pub description: Option<String>,
    /// Permissions the role grants (stored comma-joined).
    pub permissions: Vec<String>,
    /// When the role was last changed.
    pub update_datetime: DateTime<Utc>,
}

/// A WebAuthn credential (`web_authn` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebAuthnCredential {
    /// Primary key.
    pub id: i64,
    /// The raw credential id (unique).
    pub credential_id: Vec<u8>,
    /// COSE public key.
    pub public_key: Vec<u8>,
    /// Signature counter.
    pub sign_count: i64,
    /// Transports the authenticator reported (stored comma-joined).
    pub transports: Vec<String>,
    /// Backup state flag.
    pub backup_state: bool,
    /// `single_device` or `multi_device`.
    pub device_type: String,
    /// Client extension results (JSON).
    pub extensions: Option<String>,
    /// When the credential was registered.
    pub create_datetime: DateTime<Utc>,
    /// When it was last used.
    pub lastuse_datetime: DateTime<Utc>,
    /// The user's name for it (unique per user).
    pub name: String,
    /// `first` or `secondary`.
    pub usage: String,
    /// The owner.
    pub user_id: i64,
}

/// A refresh-token tracker (`fs_refresh_tracker` table, Flask-Security
/// 5.9's `FsRefreshTracker`): one per issued refresh token family. Each
/// refresh bumps `gen`, so a token presented twice is noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTracker {
    /// Primary key.
    pub id: i64,
    /// The family (a uuid4 hex, unique) the token names.
    pub refresh_family: String,
    /// The generation a valid token carries; starts at 1.
    pub generation: i64,
    /// When the family expires, whatever its use.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked (logout, reuse, access reset).
    pub revoked_at: Option<DateTime<Utc>>,
    /// When a token of it was last issued or exchanged.
    pub last_used_at: DateTime<Utc>,
    /// When it was created.
    pub create_datetime: DateTime<Utc>,
    /// Its name (Flask-Security always uses `default`).
    pub name: String,
    /// The owner.
    pub user_id: i64,
}

/// Flask-SQLAlchemy's `AsaList` columns (`permissions`, `transports`,
/// `mf_recovery_codes`): comma-joined text.
pub mod asa_list {
    /// Joins values for storage.
    pub fn join<S: AsRef<str>>(values: &[S]) -> String {
        values
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Splits a stored value; NULL and `""` are empty lists.
    pub fn split(stored: Option<&str>) -> Vec<String> {
        match stored {
            None | Some("") => Vec::new(),
            Some(s) => s
                .split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
        }
    }

    /// Whether a value can be stored (it may not contain a comma).
    pub fn storable(value: &str) -> bool {
        !value.contains(',') && !value.trim().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(name: &str, perms: &[&str]) -> Role {
        Role {
            id: 1,
            name: name.into(),
            description: None,
            permissions: perms.iter().map(|s| (*s).to_owned()).collect(),
            update_datetime: Utc::now(),
        }
    }

    fn user() -> User {
        User {
            id: 1,
            email: "a@example.com".into(),
            username: None,
            password: Some(SecretString::new("$argon2id$secret-hash")),
            active: true,
            fs_uniquifier: "u1".into(),
            fs_token_uniquifier: None,
            confirmed_at: None,
            last_login_at: None,
            current_login_at: None,
            last_login_ip: None,
            current_login_ip: None,
            login_count: None,
            tf_primary_method: None,
            tf_totp_secret: Some(SecretString::new("totp-blob")),
            tf_phone_number: None,
            us_totp_secrets: None,
            us_phone_number: None,
            fs_webauthn_user_handle: None,
            mf_recovery_codes: Some(vec![SecretString::new("aaaa-bbbb-cccc")]),
            create_datetime: Utc::now(),
            update_datetime: Utc::now(),
            roles: vec![
                role("admin", &["admin-read", "admin-write"]),
                role("user", &["admin-read", "user-read"]),
            ],
            fields: crate::store::UserFields::new(),
        }
    }

    #[test]
    fn roles_and_permissions() {
        let u = user();
        assert!(u.has_role("admin") && !u.has_role("root"));
        assert!(u.has_permission("user-read") && !u.has_permission("delete"));
        assert_eq!(u.permissions(), ["admin-read", "admin-write", "user-read"]);
        assert_eq!(u.token_uniquifier(), "u1");
    }

    #[test]
    fn debug_hides_secrets() {
        let d = format!("{:?}", user());
        assert!(!d.contains("secret-hash") && !d.contains("totp-blob") && !d.contains("aaaa-bbbb"));
    }

    #[test]
    fn asa_lists() {
        assert_eq!(asa_list::join(&["a", "b"]), "a,b");
        assert_eq!(asa_list::split(Some("a,b")), ["a", "b"]);
        assert!(asa_list::split(None).is_empty());
        assert!(asa_list::split(Some("")).is_empty());
        assert!(!asa_list::storable("a,b"));
    }
}
