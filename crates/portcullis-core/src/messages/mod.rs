//! Flask-Security's user-facing messages. Frontends written for
//! Flask-Security show (and sometimes match on) these texts, so the default
//! English texts are Flask-Security's own; each can be overridden with
//! `SECURITY_MSG_<KEY>`.

mod keys;

use std::collections::BTreeMap;

use serde_json::Value;

pub use self::keys::MessageKey;

impl MessageKey {
    /// The key for a Flask-Security name such as `INVALID_PASSWORD`.
    pub fn from_name(name: &str) -> Option<MessageKey> {
        MessageKey::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The argument of [`MessageKey::PasswordTooSimple`] that carries
/// zxcvbn's warning ("Repeats like …"), shown instead of the message.
pub const ZXCVBN_WARNING: &str = "zxcvbn_warning";

/// A message with its interpolation values (Flask-Security's `%(name)s`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Which message.
    pub key: MessageKey,
    /// Values for its placeholders.
    pub args: Vec<(&'static str, String)>,
}

impl Message {
    /// A message without placeholders.
    pub fn new(key: MessageKey) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    /// Adds a placeholder value.
    pub fn arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }
}

impl From<MessageKey> for Message {
    fn from(key: MessageKey) -> Self {
        Message::new(key)
    }
}

/// The message catalogue: Flask-Security's texts plus the application's
/// overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Messages {
    overrides: BTreeMap<MessageKey, (String, String)>,
}

impl Messages {
    /// Overrides one message's text and category.
    pub fn set(&mut self, key: MessageKey, text: impl Into<String>, category: impl Into<String>) {
        self.overrides.insert(key, (text.into(), category.into()));
    }

    pub(crate) fn set_from_setting(
        &mut self,
        key: MessageKey,
        value: &Value,
    ) -> Result<(), String> {
        let parsed = match value {
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(v @ Value::Array(_)) => v,
                _ => Value::String(s.clone()),
            },
            v => v.clone(),
        };
        match parsed {
            Value::String(text) => self.set(key, text, key.category()),
            Value::Array(items) => match items.as_slice() {
                [Value::String(t)] => self.set(key, t.clone(), key.category()),
                [Value::String(t), Value::String(c)] => self.set(key, t.clone(), c.clone()),
                _ => return Err("expected [\"text\", \"category\"]".into()),
            },
            _ => return Err("expected [\"text\", \"category\"] or a string".into()),
        }
        Ok(())
    }

    /// The raw text (with placeholders).
    pub fn text(&self, key: MessageKey) -> &str {
        self.overrides
            .get(&key)
            .map_or(key.default_text(), |(t, _)| t)
    }

    /// The category (`error`, `info`, `success`).
    pub fn category(&self, key: MessageKey) -> &str {
        self.overrides.get(&key).map_or(key.category(), |(_, c)| c)
    }

    /// The text with `%(name)s` placeholders filled in. Unknown
    /// placeholders are left as they are.
    ///
    /// The text is first translated into the request's locale (see
    /// [`crate::i18n`]): Flask-Security translates the configured text, so
    /// an override is looked up in the app's catalogues by its own words.
    pub fn render(&self, message: &Message) -> String {
        // zxcvbn's own warning stands in for PASSWORD_TOO_SIMPLE, as
        // Flask-Security returns it (not translatable there either).
        if message.key == MessageKey::PasswordTooSimple
            && let Some((_, warning)) = message.args.iter().find(|(n, _)| *n == ZXCVBN_WARNING)
        {
            return warning.clone();
        }
        let text = crate::i18n::gettext(self.text(message.key));
        let text = text.as_ref();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("%(") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            // `%(name)s`, `%(name)d` or `%(name)r`.
            let end = after
                .find(')')
                .filter(|&e| matches!(after.as_bytes().get(e + 1), Some(b's' | b'd' | b'r')));
            match end {
                Some(end) => {
                    let name = &after[..end];
                    match message.args.iter().find(|(n, _)| *n == name) {
                        Some((_, v)) => out.push_str(v),
                        None => out.push_str(&rest[start..start + 2 + end + 2]),
                    }
                    rest = &after[end + 2..];
                }
                None => {
                    out.push_str("%(");
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_92_keys_with_flask_security_texts() {
        // Flask-Security's 92, then Portcullis' own attempt-limit messages.
        assert_eq!(MessageKey::ALL.len(), 98);
        assert_eq!(MessageKey::ALL[91], MessageKey::UsernameRecoveryRequest);
        assert_eq!(
            MessageKey::InvalidPassword.default_text(),
            "Invalid password"
        );
        assert_eq!(
            MessageKey::UserDoesNotExist.default_text(),
            "Specified user does not exist"
        );
        assert_eq!(
            MessageKey::Unauthenticated.default_text(),
            "You must sign in to view this resource."
        );
        for k in MessageKey::ALL {
            assert_eq!(MessageKey::from_name(k.name()), Some(k));
            assert!(
                ["error", "info", "success"].contains(&k.category()),
                "{k:?}"
            );
        }
    }

    #[test]
    fn interpolation() {
        let m = Messages::default();
        let msg = Message::new(MessageKey::EmailAlreadyAssociated).arg("email", "a@b.com");
        assert_eq!(
            m.render(&msg),
            "a@b.com is already associated with an account."
        );
        let msg = Message::new(MessageKey::EmailAlreadyAssociated);
        assert_eq!(
            m.render(&msg),
            "%(email)s is already associated with an account."
        );
        let msg = Message::new(MessageKey::UsernameInvalidLength)
            .arg("min", "4")
            .arg("max", "32");
        assert_eq!(
            m.render(&msg),
            "Username must be at least 4 characters and less than 32 characters"
        );
        let msg = Message::new(MessageKey::InvalidInputLength).arg("length", "64");
        assert_eq!(
            m.render(&msg),
            "Value entered must be less than 64 characters"
        );
    }

    #[test]
    fn overrides() {
        let mut m = Messages::default();
        m.set(MessageKey::InvalidPassword, "Wrong, %(who)s", "warning");
        let msg = Message::new(MessageKey::InvalidPassword).arg("who", "you");
        assert_eq!(m.render(&msg), "Wrong, you");
        assert_eq!(m.category(MessageKey::InvalidPassword), "warning");
    }
}
