//! Flask-Security settings Portcullis recognises but does not read.
//!
//! Every one of Flask-Security 5.9's 255 `SECURITY_*` keys is either a
//! field of [`SecurityConfig`](super::SecurityConfig) or listed here, so an
//! app's existing settings load. Set to Flask-Security's own default, an
//! unread key changes nothing and says nothing. Set to anything else:
//!
//! - a [`Unread::NotYet`] or [`Unread::Flask`] key starts the app and is
//!   named in one warning ([`SecurityConfig::unread`](super::SecurityConfig::unread));
//! - a [`Unread::Refused`] key stops the build, because ignoring it would
//!   leave the app weaker than its settings say.

use std::sync::OnceLock;

use serde_json::{Map, Value};

/// Why a Flask-Security setting has no effect in Portcullis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unread {
    /// A feature Portcullis does not have yet (the text names it).
    NotYet(&'static str),
    /// Flask or Python machinery with no Portcullis counterpart (the text
    /// says what to do instead, if anything).
    Flask(&'static str),
    /// Ignoring a non-default value would weaken security: refused.
    Refused(&'static str),
}

/// The unread keys, sorted.
const TABLE: &[(&str, Unread)] = &[
    (
        "SECURITY_ANONYMOUS_USER_DISABLED",
        Unread::Flask("Flask-Login's anonymous user; adapters give handlers an optional user"),
    ),
    ("SECURITY_BLUEPRINT_NAME", Unread::Flask("Flask blueprints")),
    (
        "SECURITY_CHANGE_EMAIL_CONFIRM_URL",
        Unread::Flask(
            "defined but unused by Flask-Security; the confirmation link is SECURITY_CHANGE_EMAIL_URL/<token>",
        ),
    ),
    (
        "SECURITY_CHANGE_SALT",
        Unread::Flask("unused by Flask-Security"),
    ),
    (
        "SECURITY_CLI_ROLES_NAME",
        Unread::Flask("Flask's CLI groups; the `portcullis` binary has `roles`"),
    ),
    (
        "SECURITY_CLI_USERS_NAME",
        Unread::Flask("Flask's CLI groups; the `portcullis` binary has `users`"),
    ),
    (
        "SECURITY_DATETIME_FACTORY",
        Unread::Flask("a Python callable; stores keep naive UTC as Flask-Security's default does"),
    ),
    (
        "SECURITY_DEPRECATED_HASHING_SCHEMES",
        Unread::Flask(
            "passlib contexts for token-embedded hashes, which Flask-Security 5 no longer makes",
        ),
    ),
    (
        "SECURITY_HASHING_SCHEMES",
        Unread::Flask(
            "passlib contexts for token-embedded hashes, which Flask-Security 5 no longer makes",
        ),
    ),
    (
        "SECURITY_JOIN_USER_ROLES",
        Unread::Flask("SQLAlchemy eager loading; the stores load roles with the user"),
    ),
    (
        "SECURITY_PASSWORD_HASH_OPTIONS",
        Unread::Refused(
            "deprecated per-scheme hash arguments; ignoring them could hash with less work than asked: set SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
        ),
    ),
    (
        "SECURITY_STATIC_FOLDER",
        Unread::Flask("Flask's static files; Portcullis's pages carry their script inline"),
    ),
    (
        "SECURITY_STATIC_FOLDER_URL",
        Unread::Flask("Flask's static files; Portcullis's pages carry their script inline"),
    ),
    (
        "SECURITY_SUBDOMAIN",
        Unread::Flask(
            "Flask blueprint subdomains; mount the adapter's routes on the host you want",
        ),
    ),
    (
        "SECURITY_TOKEN_EXPIRE_TIMESTAMP",
        Unread::Refused(
            "a per-user auth-token expiry is not supported, so tokens would outlive it: use SECURITY_TOKEN_MAX_AGE",
        ),
    ),
    (
        "SECURITY_TWO_FACTOR_IMPLEMENTATIONS",
        Unread::Flask(
            "Python plugin classes; Portcullis has the code and WebAuthn second factors built in",
        ),
    ),
    (
        "SECURITY_USERNAME_NORMALIZE_FORM",
        Unread::Flask(
            "replaced in Flask-Security 5.9.2 by SECURITY_USERNAME_ALLOWED_CHARS and SECURITY_INPUT_NORMALIZE_FORM",
        ),
    ),
    (
        "SECURITY_WAN_CHALLENGE_BYTES",
        Unread::NotYet(
            "a configurable WebAuthn challenge size (challenges are 32 random bytes, Python's default)",
        ),
    ),
];

/// Why `key` (a Flask-Security setting Portcullis does not read) has no
/// effect; `None` for keys Portcullis reads and keys Flask-Security does
/// not have.
pub fn unread(key: &str) -> Option<Unread> {
    TABLE
        .binary_search_by(|(k, _)| (*k).cmp(key))
        .ok()
        .map(|i| TABLE[i].1)
}

/// Every unread key.
pub(crate) fn unread_keys() -> impl Iterator<Item = &'static str> {
    TABLE.iter().map(|(k, _)| *k)
}

/// Flask-Security 5.9.2's defaults for its 255 `SECURITY_*` settings, as
/// `xtask/scripts/dump_flask_security_defaults.py` wrote them.
pub fn flask_security_defaults() -> &'static Map<String, Value> {
    static DEFAULTS: OnceLock<Map<String, Value>> = OnceLock::new();
    DEFAULTS.get_or_init(|| {
        serde_json::from_str(include_str!("flask_security_defaults.json")).unwrap_or_default()
    })
}

/// Whether `value` says the same as Flask-Security's default for `key`.
/// Environment values are strings, so a string is also read as JSON and
/// as Python's `True`/`False`/`None`.
pub(crate) fn is_default(key: &str, value: &Value) -> bool {
    let Some(default) = flask_security_defaults().get(key) else {
        return false;
    };
    if value == default {
        return true;
    }
    let Value::String(s) = value else {
        return false;
    };
    let parsed = match s.trim() {
        "True" => Value::Bool(true),
        "False" => Value::Bool(false),
        "None" | "" => Value::Null,
        t => match serde_json::from_str(t) {
            Ok(v) => v,
            Err(_) => return false,
        },
    };
    &parsed == default
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_every_key_is_flask_securitys() {
        assert!(TABLE.windows(2).all(|w| w[0].0 < w[1].0));
        for (k, _) in TABLE {
            // Flask-Security 5.9.2 dropped it; apps of 5.9.0 and 5.9.1 set it.
            if *k != "SECURITY_USERNAME_NORMALIZE_FORM" {
                assert!(flask_security_defaults().contains_key(*k), "{k}");
            }
        }
        assert_eq!(flask_security_defaults().len(), 255);
    }

    #[test]
    fn every_setting_parses_flask_securitys_default() {
        use crate::config::SecurityConfig;
        let mut failures = Vec::new();
        for key in SecurityConfig::KEYS {
            let Some(value) = flask_security_defaults().get(*key) else {
                continue;
            };
            match SecurityConfig::default().apply_setting(key, value) {
                Some(Ok(())) => {}
                // Names des_crypt and plaintext, which Portcullis cannot
                // verify: Flask-Security's default means Portcullis' list.
                Some(Err(_)) if *key == "SECURITY_PASSWORD_SCHEMES" => {}
                other => failures.push(format!("{key} = {value}: {other:?}")),
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn environment_strings_compare_as_values() {
        assert!(is_default(
            "SECURITY_WEBAUTHN",
            &Value::String("False".into())
        ));
        assert!(is_default("SECURITY_WEBAUTHN", &Value::Bool(false)));
        assert!(!is_default(
            "SECURITY_WEBAUTHN",
            &Value::String("true".into())
        ));
        assert!(is_default(
            "SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS",
            &Value::String("None".into())
        ));
        assert!(is_default(
            "SECURITY_REFRESH_TOKEN_MAX_IDLE",
            &Value::String("604800".into())
        ));
        assert!(!is_default("SECURITY_NOT_A_KEY", &Value::Null));
    }
}
