//! Configuration: Flask-Security's `SECURITY_*` settings, typed, with its
//! defaults, read from TOML files and environment variables under their
//! Flask-Security names, and checked when built.
//!
//! ```
//! use portcullis_core::config::ConfigLoader;
//!
//! let (config, extras) = ConfigLoader::new()
//!     .toml_str(r#"
//!         SECRET_KEY = "a long random string"
//!         SECURITY_PASSWORD_SALT = "another one"
//!         SECURITY_CONFIRMABLE = true
//!         DATABASE_URL = "sqlite://todo.db"
//!     "#)?
//!     .vars([("SECURITY_TOKEN_MAX_AGE", "3600")])
//!     .build()?;
//! assert!(config.confirmable);
//! assert_eq!(config.token_max_age.map(|d| d.num_seconds()), Some(3600));
//! assert_eq!(extras["DATABASE_URL"], "sqlite://todo.db");
//! # Ok::<(), portcullis_core::config::ConfigError>(())
//! ```

mod derived;
mod settings;
mod types;
mod unread;
mod validate;
mod value;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde_json::Value;

pub use self::settings::SecurityConfig;
pub use self::types::{
    BreachedCheck, CookieOptions, IdentityAttr, IdentityAttribute, IdentityMapper, Rate,
    RedirectBehavior, SingleHashSetting,
};
pub use self::unread::{Unread, flask_security_defaults, unread};
pub use self::value::FromSetting;
use crate::messages::MessageKey;

/// A configuration problem: which setting, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    problems: Vec<(String, String)>,
}

impl ConfigError {
    pub(crate) fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            problems: vec![(key.into(), problem.into())],
        }
    }

    pub(crate) fn from_problems(problems: Vec<(String, String)>) -> Self {
        Self { problems }
    }

    /// Each problem as (setting, what is wrong and what to set).
    pub fn problems(&self) -> &[(String, String)] {
        &self.problems
    }

    /// Whether `key` is among the settings with a problem.
    pub fn concerns(&self, key: &str) -> bool {
        self.problems.iter().any(|(k, _)| k == key)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid configuration: ")?;
        for (i, (key, problem)) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{key}: {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Settings that are not Flask-Security's (for example `DATABASE_URL`,
/// `BIND`, `MAIL_SERVER`), left for the application.
pub type Extras = BTreeMap<String, Value>;

/// Reads settings from TOML and the environment; later sources override
/// earlier ones.
#[derive(Debug, Default, Clone)]
pub struct ConfigLoader {
    values: BTreeMap<String, Value>,
    extras: Extras,
}

impl ConfigLoader {
    /// An empty loader (Flask-Security's defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a TOML file of `KEY = value` lines.
    pub fn toml_file(self, path: impl AsRef<Path>) -> Result<Self, ConfigError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new(
                path.display().to_string(),
                format!("cannot read the file: {e}"),
            )
        })?;
        self.toml_str(&text).map_err(|e| {
            ConfigError::from_problems(
                e.problems
                    .into_iter()
                    .map(|(k, p)| (format!("{}: {k}", path.display()), p))
                    .collect(),
            )
        })
    }

    /// Reads TOML text of `KEY = value` lines.
    pub fn toml_str(mut self, text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError::new("TOML", e.to_string()))?;
        for (key, value) in table {
            let json = serde_json::to_value(&value)
                .map_err(|e| ConfigError::new(key.clone(), e.to_string()))?;
            self.insert(key, json);
        }
        Ok(self)
    }

    /// Reads the process environment: `SECRET_KEY`, `SECRET_KEY_FALLBACKS`,
    /// `WTF_CSRF_*` and every `SECURITY_*` variable.
    pub fn env(self) -> Self {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        self.vars(vars)
    }

    /// Reads environment-style pairs; only Flask-Security names are taken
    /// (others, such as `PATH`, are ignored).
    pub fn vars<K: Into<String>, V: Into<String>>(
        mut self,
        vars: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        for (k, v) in vars {
            let k = k.into();
            if k.starts_with("SECURITY_") || SecurityConfig::KEYS.contains(&k.as_str()) {
                self.insert(k, Value::String(v.into()));
            }
        }
        self
    }

    /// Sets one value.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.insert(key.into(), value.into());
        self
    }

    fn insert(&mut self, key: String, value: Value) {
        if key.starts_with("SECURITY_") || SecurityConfig::KEYS.contains(&key.as_str()) {
            self.values.insert(key, value);
        } else {
            self.extras.insert(key, value);
        }
    }

    /// Applies every value to Flask-Security's defaults and validates the
    /// result. Returns the config and the settings that are not ours.
    pub fn build(self) -> Result<(SecurityConfig, Extras), ConfigError> {
        let mut config = SecurityConfig::default();
        let mut problems = Vec::new();
        for (key, value) in &self.values {
            if let Some(msg) = key.strip_prefix("SECURITY_MSG_") {
                match MessageKey::from_name(msg) {
                    Some(k) => {
                        if let Err(e) = config.messages.set_from_setting(k, value) {
                            problems.push((key.clone(), e));
                        }
                    }
                    None => problems.push((key.clone(), "unknown message key".to_owned())),
                }
                continue;
            }
            // Flask-Security's own default means Portcullis' default.
            if unread::is_default(key, value) && config.reset_setting(key) {
                continue;
            }
            match config.apply_setting(key, value) {
                Some(Ok(())) => {}
                Some(Err(e)) => problems.push((key.clone(), e)),
                None if unread::is_default(key, value) => {}
                None => match unread::unread(key) {
                    Some(Unread::Refused(why)) => problems.push((key.clone(), why.to_owned())),
                    Some(why) => config.unread.push((key.clone(), why)),
                    None => problems.push((
                    key.clone(),
                    match suggest(key) {
                        Some(s) => format!("neither a Portcullis nor a Flask-Security setting (did you mean {s}?)"),
                        None => "neither a Portcullis nor a Flask-Security setting".to_owned(),
                    },
                )),
                },
            }
        }
        if !problems.is_empty() {
            return Err(ConfigError::from_problems(problems));
        }
        // Flask-Security's EMAIL_SENDER defaults to Flask-Mail's
        // MAIL_DEFAULT_SENDER (and only then to no-reply@localhost).
        if !self.values.contains_key("SECURITY_EMAIL_SENDER")
            && let Some(sender) = self
                .extras
                .get("MAIL_DEFAULT_SENDER")
                .and_then(Value::as_str)
        {
            config.email_sender = sender.to_owned();
        }
        // Flask-Security appends username (case-insensitive) to the
        // identity attributes when usernames are on and it is not listed,
        // so unified sign-in and the like accept one.
        if config.username_enable
            && !config
                .user_identity_attributes
                .iter()
                .any(|a| a.attr == IdentityAttr::Username)
        {
            config.user_identity_attributes.push(IdentityAttribute {
                attr: IdentityAttr::Username,
                case_insensitive: true,
                mapper: IdentityMapper::Username,
            });
        }
        config.validate()?;
        Ok((config, self.extras))
    }
}

/// The known key closest to `key`, if one is close.
fn suggest(key: &str) -> Option<&'static str> {
    fn distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut prev: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut cur = vec![i + 1];
            for (j, cb) in b.iter().enumerate() {
                cur.push(
                    (prev[j] + usize::from(ca != *cb))
                        .min(prev[j + 1] + 1)
                        .min(cur[j] + 1),
                );
            }
            prev = cur;
        }
        prev[b.len()]
    }
    SecurityConfig::KEYS
        .iter()
        .copied()
        .chain(unread::unread_keys())
        .map(|k| (distance(key, k), k))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> ConfigLoader {
        ConfigLoader::new().vars([
            ("SECRET_KEY", "k".repeat(32)),
            ("SECURITY_PASSWORD_SALT", "s".repeat(16)),
        ])
    }

    #[test]
    fn defaults_are_flask_securitys() {
        let (c, _) = base().build().unwrap();
        assert_eq!(c.password_hash, "argon2");
        assert_eq!(c.token_max_age.unwrap().num_seconds(), 900);
        assert_eq!(c.confirm_email_within.num_days(), 2);
        assert_eq!(c.login_url, "/login");
        assert_eq!(c.csrf_header, "X-XSRF-Token");
        assert!(!c.registerable);
        assert_eq!(
            c.two_factor_enabled_methods,
            ["email", "authenticator", "sms"]
        );
        assert_eq!(
            SecurityConfig::KEYS.len(),
            SecurityConfig::KEYS
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len()
        );
    }

    #[test]
    fn env_strings_become_typed_values() {
        let (c, _) = base()
            .vars([
                ("SECURITY_CONFIRMABLE", "true"),
                ("SECURITY_REDIRECT_BEHAVIOR", "spa"),
                ("SECURITY_POST_CONFIRM_VIEW", "/confirmed"),
                ("SECURITY_CSRF_PROTECT_MECHANISMS", r#"["session","basic"]"#),
                (
                    "SECURITY_TOTP_SECRETS",
                    r#"{"1": "TjQ9Qa31VOrfEzuPy4VHQWPCTmRzCnFzMKLxXYiZu9B"}"#,
                ),
                ("SECURITY_CONFIRM_EMAIL_WITHIN", "3 days"),
                ("PATH", "/usr/bin"),
            ])
            .build()
            .unwrap();
        assert!(c.confirmable);
        assert_eq!(c.redirect_behavior, RedirectBehavior::Spa);
        assert_eq!(c.post_confirm_view.as_deref(), Some("/confirmed"));
        assert_eq!(c.csrf_protect_mechanisms, ["session", "basic"]);
        assert_eq!(c.totp_secrets.len(), 1);
        assert_eq!(c.confirm_email_within.num_days(), 3);
    }

    #[test]
    fn errors_name_the_key() {
        let e = base()
            .vars([("SECURITY_CONFIRMABLE", "perhaps")])
            .build()
            .unwrap_err();
        assert!(e.concerns("SECURITY_CONFIRMABLE"), "{e}");
        let e = base()
            .vars([("SECURITY_CONFIRMABEL", "true")])
            .build()
            .unwrap_err();
        assert!(
            e.to_string().contains("did you mean SECURITY_CONFIRMABLE"),
            "{e}"
        );
        let e = ConfigLoader::new().build().unwrap_err();
        assert!(e.concerns("SECRET_KEY"), "{e}");
    }

    #[test]
    fn message_overrides() {
        let (c, _) = base()
            .set(
                "SECURITY_MSG_INVALID_PASSWORD",
                serde_json::json!(["Nope", "error"]),
            )
            .build()
            .unwrap();
        assert_eq!(c.messages.text(MessageKey::InvalidPassword), "Nope");
        assert!(base().set("SECURITY_MSG_NOPE", "x").build().is_err());
    }

    #[test]
    fn toml_and_extras() {
        let (c, extras) = ConfigLoader::new()
            .toml_str(
                r#"
                SECRET_KEY = "0123456789abcdef0123456789abcdef"
                SECURITY_PASSWORD_SALT = "pepper-pepper-pepper"
                SECURITY_TOKEN_MAX_AGE = 60
                SECURITY_CSRF_COOKIE = { samesite = "Lax", secure = false }
                BIND = "127.0.0.1:8000"
                "#,
            )
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(c.token_max_age.unwrap().num_seconds(), 60);
        assert_eq!(c.csrf_cookie.samesite.as_deref(), Some("Lax"));
        assert_eq!(extras["BIND"], "127.0.0.1:8000");
        assert!(ConfigLoader::new().toml_str("not = [valid").is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let (c, _) = base()
            .vars([("SECURITY_TOTP_SECRETS", r#"{"1": "totp-secret-value"}"#)])
            .build()
            .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains(&"k".repeat(32)));
        assert!(!dbg.contains(&"s".repeat(16)));
        assert!(!dbg.contains("totp-secret-value"));
    }
}
