//! Flask-Security's password policy (`PasswordUtil.validate`): normalise,
//! then length, breach check, complexity; the first failure wins.

use portcullis_crypto::password::NormalizeForm;

use super::Validated;
use super::breach::BreachChecker;
use crate::config::{BreachedCheck, ConfigError, SecurityConfig};
use crate::messages::{Message, MessageKey};

/// Flask-Security's fixed maximum password length (characters).
pub const MAX_LENGTH: usize = 128;

/// The password rules of a configuration.
#[derive(Debug, Clone)]
pub struct PasswordPolicy {
    /// `SECURITY_PASSWORD_LENGTH_MIN`.
    pub min_length: usize,
    /// zxcvbn minimum score, when `SECURITY_PASSWORD_COMPLEXITY_CHECKER = "zxcvbn"`.
    pub zxcvbn_min_score: Option<u8>,
    /// `SECURITY_PASSWORD_CHECK_BREACHED`.
    pub breached: BreachedCheck,
    /// `SECURITY_PASSWORD_BREACHED_COUNT`.
    pub breached_count: u64,
    /// `SECURITY_PASSWORD_NORMALIZE_FORM`.
    pub normalize: Option<NormalizeForm>,
}

impl PasswordPolicy {
    /// The policy `config` describes.
    pub fn from_config(config: &SecurityConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            min_length: config.password_length_min,
            zxcvbn_min_score: config
                .password_complexity_checker
                .as_deref()
                .filter(|c| *c == "zxcvbn")
                .map(|_| config.zxcvbn_minimum_score),
            breached: config.password_check_breached,
            breached_count: config.password_breached_count,
            normalize: config.password_normalize()?,
        })
    }

    /// Checks a new password. `user_inputs` (email, username, …) count
    /// against its complexity; `breach` is needed when the breach check is
    /// on (without one the check counts as unreachable). Returns the
    /// normalised password.
    pub async fn validate(
        &self,
        password: &str,
        user_inputs: &[&str],
        breach: Option<&dyn BreachChecker>,
    ) -> Validated<String> {
        let pw = match self.normalize {
            Some(f) => f.apply(password).into_owned(),
            None => password.to_owned(),
        };
        let len = pw.chars().count();
        if len == 0 {
            return Err(Message::new(MessageKey::PasswordNotProvided));
        }
        if len < self.min_length || len > MAX_LENGTH {
            return Err(Message::new(MessageKey::PasswordInvalidLength)
                .arg("length", self.min_length.to_string()));
        }
        if self.breached != BreachedCheck::Off {
            let count = match breach {
                Some(b) => b.breach_count(&pw).await,
                None => Err(crate::Error::unsupported("no breach checker configured")),
            };
            match count {
                Ok(n) if n >= self.breached_count.max(1) => {
                    return Err(Message::new(MessageKey::PasswordBreached));
                }
                Ok(_) => {}
                Err(_) if self.breached == BreachedCheck::Strict => {
                    return Err(Message::new(MessageKey::PasswordBreachedSiteError));
                }
                Err(_) => {}
            }
        }
        if let Some(min) = self.zxcvbn_min_score {
            let entropy = zxcvbn::zxcvbn(&pw, user_inputs);
            if (entropy.score() as u8) < min {
                // Flask-Security answers zxcvbn's warning when it has one.
                let warning = entropy.feedback().and_then(|f| f.warning());
                return Err(match warning {
                    Some(w) => Message::new(MessageKey::PasswordTooSimple)
                        .arg(crate::messages::ZXCVBN_WARNING, w.to_string()),
                    None => Message::new(MessageKey::PasswordTooSimple),
                });
            }
        }
        Ok(pw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::MemoryBreachChecker;

    fn policy() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 8,
            zxcvbn_min_score: None,
            breached: BreachedCheck::Off,
            breached_count: 1,
            normalize: Some(NormalizeForm::Nfkd),
        }
    }

    fn block<F: std::future::Future>(f: F) -> F::Output {
        crate::util::block_on(f)
    }

    #[test]
    fn length_in_characters_after_normalisation() {
        let p = policy();
        assert_eq!(
            block(p.validate("ﬁnancial", &[], None)).unwrap(),
            "financial"
        );
        assert_eq!(
            block(p.validate("short", &[], None)),
            Err(Message::new(MessageKey::PasswordInvalidLength).arg("length", "8"))
        );
        assert!(block(p.validate(&"x".repeat(129), &[], None)).is_err());
        assert!(block(p.validate(&"ß".repeat(128), &[], None)).is_ok());
        // Counted after NFKD, as Flask-Security counts: each ü becomes two code points.
        assert!(block(p.validate(&"ü".repeat(65), &[], None)).is_err());
        assert_eq!(
            block(p.validate("", &[], None)),
            Err(Message::new(MessageKey::PasswordNotProvided))
        );
    }

    #[test]
    fn breached_passwords() {
        let mut p = policy();
        p.breached = BreachedCheck::BestEffort;
        let hibp = MemoryBreachChecker::new([("password123", 5)]);
        assert_eq!(
            block(p.validate("password123", &[], Some(&hibp))),
            Err(Message::new(MessageKey::PasswordBreached))
        );
        assert!(block(p.validate("unbreached-passphrase", &[], Some(&hibp))).is_ok());
        let down = MemoryBreachChecker::unavailable();
        assert!(block(p.validate("whatever-it-is", &[], Some(&down))).is_ok());
        p.breached = BreachedCheck::Strict;
        assert_eq!(
            block(p.validate("whatever-it-is", &[], Some(&down))),
            Err(Message::new(MessageKey::PasswordBreachedSiteError))
        );
        p.breached_count = 10;
        assert!(block(p.validate("password123", &[], Some(&hibp))).is_ok());
    }

    #[test]
    fn zxcvbn_complexity() {
        let mut p = policy();
        p.zxcvbn_min_score = Some(3);
        // zxcvbn's warning rides along, and is what the message renders
        // as (Flask-Security answers it in place of PASSWORD_TOO_SIMPLE).
        let err = block(p.validate("mattmatt2", &[], None)).unwrap_err();
        assert_eq!(err.key, MessageKey::PasswordTooSimple);
        let shown = crate::messages::Messages::default().render(&err);
        assert!(shown.starts_with("Repeats like"), "{shown}");
        let err = block(p.validate("password", &[], None)).unwrap_err();
        assert_eq!(
            crate::messages::Messages::default().render(&err),
            "This is a top-10 common password."
        );
        assert!(block(p.validate("correct horse battery staple 9!", &[], None)).is_ok());
        // The user's own details make a password weaker.
        assert!(block(p.validate("alice.example", &["alice.example"], None)).is_err());
    }
}
