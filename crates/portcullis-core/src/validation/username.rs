//! Flask-Security 5.9's username rules (`UsernameUtil.validate`).

use portcullis_crypto::password::NormalizeForm;

use super::Validated;
use super::text::{InputVerdict, sanitize_input};
use crate::config::{ConfigError, SecurityConfig};
use crate::messages::{Message, MessageKey};

/// Username rules.
#[derive(Debug, Clone)]
pub struct UsernamePolicy {
    /// `SECURITY_USERNAME_MIN_LENGTH`.
    pub min_length: usize,
    /// `SECURITY_USERNAME_MAX_LENGTH`.
    pub max_length: usize,
    /// `SECURITY_USERNAME_ALLOWED_CHARS`.
    pub allowed_chars: Vec<String>,
    /// `SECURITY_INPUT_NORMALIZE_FORM`.
    pub normalize: Option<NormalizeForm>,
}

impl UsernamePolicy {
    /// The rules `config` describes.
    pub fn from_config(config: &SecurityConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            min_length: config.username_min_length,
            max_length: config.username_max_length,
            allowed_chars: config.username_allowed_chars.clone(),
            normalize: config.input_normalize()?,
        })
    }

    /// Normalises a username for lookup (`None` if it cannot be one).
    pub fn normalize(&self, username: &str) -> Option<String> {
        match sanitize_input(username, &self.allowed_chars, self.normalize) {
            InputVerdict::Ok(s) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// Validates and normalises; an empty username is `Ok(None)`.
    pub fn validate(&self, username: &str) -> Validated<Option<String>> {
        if username.trim().is_empty() {
            return Ok(None);
        }
        let clean = match sanitize_input(username, &self.allowed_chars, self.normalize) {
            InputVerdict::Ok(s) => s,
            InputVerdict::Unallowed => {
                return Err(Message::new(MessageKey::UsernameDisallowedCharacters));
            }
            InputVerdict::Illegal => return Err(Message::new(MessageKey::InvalidInput)),
        };
        let len = clean.chars().count();
        if len < self.min_length || len > self.max_length {
            return Err(Message::new(MessageKey::UsernameInvalidLength)
                .arg("min", self.min_length.to_string())
                .arg("max", self.max_length.to_string()));
        }
        Ok(Some(clean))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> UsernamePolicy {
        UsernamePolicy {
            min_length: 4,
            max_length: 32,
            allowed_chars: vec!["L".into(), "N".into()],
            normalize: Some(NormalizeForm::Nfkd),
        }
    }

    #[test]
    fn rules() {
        let p = policy();
        assert_eq!(p.validate(" alice99 ").unwrap().as_deref(), Some("alice99"));
        assert_eq!(p.validate("").unwrap(), None);
        assert_eq!(
            p.validate("bob"),
            Err(Message::new(MessageKey::UsernameInvalidLength)
                .arg("min", "4")
                .arg("max", "32"))
        );
        assert_eq!(
            p.validate("bob_the_builder"),
            Err(Message::new(MessageKey::UsernameDisallowedCharacters))
        );
        assert_eq!(
            p.validate("<script>"),
            Err(Message::new(MessageKey::InvalidInput))
        );
        assert!(p.validate(&"a".repeat(33)).is_err());
        assert_eq!(p.normalize("bob!"), None);
    }
}
