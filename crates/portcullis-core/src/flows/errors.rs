//! What a flow answers when the input is not acceptable.

use crate::messages::{Message, MessageKey, Messages};

/// Validation errors, by field (`""` for errors about the whole form), in
/// the order they were found — Flask-Security's `field_errors` / `errors`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    entries: Vec<(&'static str, Message)>,
}

impl FormErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// One field error.
    pub fn field(name: &'static str, message: impl Into<Message>) -> Self {
        let mut e = Self::new();
        e.add(name, message);
        e
    }

    /// One error about the whole form.
    pub fn form(message: impl Into<Message>) -> Self {
        Self::field("", message)
    }

    /// Adds an error to `field` (`""`: the whole form).
    pub fn add(&mut self, field: &'static str, message: impl Into<Message>) {
        self.entries.push((field, message.into()));
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every (field, message), in order.
    pub fn entries(&self) -> &[(&'static str, Message)] {
        &self.entries
    }

    /// Whether `field` has an error with `key`.
    pub fn has(&self, field: &str, key: MessageKey) -> bool {
        self.entries
            .iter()
            .any(|(f, m)| *f == field && m.key == key)
    }

    /// Flask-Security's `RETURN_GENERIC_RESPONSES` treatment: every error on
    /// one of `fields` is removed and replaced by `generic` at form level.
    pub fn squash(&mut self, fields: &[&str], generic: MessageKey) {
        let mut squashed = 0;
        let mut seen: Vec<&str> = Vec::new();
        self.entries.retain(|(f, _)| {
            if fields.contains(f) {
                if !seen.contains(f) {
                    seen.push(f);
                    squashed += 1;
                }
                false
            } else {
                true
            }
        });
        for _ in 0..squashed {
            self.entries.push(("", Message::new(generic)));
        }
    }

    /// `Ok(())` when empty.
    pub fn into_result(self) -> Result<(), FlowError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(FlowError::Form(self))
        }
    }

    /// Rendered: (field, text) pairs.
    pub fn render(&self, messages: &Messages) -> Vec<(&'static str, String)> {
        self.entries
            .iter()
            .map(|(f, m)| (*f, messages.render(m)))
            .collect()
    }
}

/// Why a flow did not complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// The input was refused (an HTTP 400 with field errors).
    #[error("the form has errors")]
    Form(FormErrors),
    /// A code could not be sent (mail or SMS down): Flask-Security answers
    /// 500 with this field error.
    #[error("a code could not be sent")]
    SendFailed(FormErrors),
    /// Too many attempts, or the account is locked: an HTTP 429 with
    /// `Retry-After` and this error.
    #[error("too many attempts")]
    Limited(Limited),
    /// Something below failed: the store, the mailer (an HTTP 5xx).
    #[error(transparent)]
    Internal(#[from] crate::Error),
}

/// An attempt limit was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    /// Seconds until a new attempt may succeed (at least 1).
    pub retry_after: i64,
    /// The message, as a form-level error.
    pub errors: FormErrors,
}

impl FlowError {
    /// The form errors, if this is a validation failure.
    pub fn form_errors(&self) -> Option<&FormErrors> {
        match self {
            FlowError::Form(f) | FlowError::SendFailed(f) => Some(f),
            FlowError::Limited(l) => Some(&l.errors),
            FlowError::Internal(_) => None,
        }
    }
}

impl From<FormErrors> for FlowError {
    fn from(e: FormErrors) -> Self {
        FlowError::Form(e)
    }
}

impl From<crate::config::ConfigError> for FlowError {
    fn from(e: crate::config::ConfigError) -> Self {
        FlowError::Internal(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squash_moves_field_errors_to_the_form() {
        let mut e = FormErrors::field("email", MessageKey::UserDoesNotExist);
        e.add("password", MessageKey::InvalidPassword);
        e.add("remember", MessageKey::ApiError);
        e.squash(
            &["email", "password", "username"],
            MessageKey::GenericAuthnFailed,
        );
        assert!(e.has("remember", MessageKey::ApiError));
        assert!(e.has("", MessageKey::GenericAuthnFailed));
        assert!(!e.has("email", MessageKey::UserDoesNotExist));
        assert_eq!(e.entries().len(), 3);
    }
}
