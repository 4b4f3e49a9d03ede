//! SMS senders for two-factor and unified sign-in codes: an in-memory
//! outbox for tests and a console sender for development (Flask-Security's
//! `SMS_SERVICE = "Dummy"`).

use std::sync::Mutex;

use portcullis_core::{Result, SmsSender};

/// One text message.
#[derive(Clone, PartialEq, Eq)]
pub struct Sms {
    /// The number (E.164).
    pub to: String,
    /// The text (it carries a code).
    pub text: String,
}

impl std::fmt::Debug for Sms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sms")
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// Keeps every text it is given, for tests.
#[derive(Debug, Default)]
pub struct MemorySms {
    sent: Mutex<Vec<Sms>>,
}

impl MemorySms {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every text so far.
    pub fn messages(&self) -> Vec<Sms> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The six-digit code in the last text to `to`.
    pub fn last_code_to(&self, to: &str) -> Option<String> {
        let last = self.messages().into_iter().rev().find(|m| m.to == to)?;
        last.text
            .split(|c: char| !c.is_ascii_digit())
            .find(|w| w.len() == 6)
            .map(str::to_owned)
    }
}

#[async_trait::async_trait]
impl SmsSender for MemorySms {
    async fn send_sms(&self, to: &str, message: &str) -> Result<()> {
        if let Ok(mut s) = self.sent.lock() {
            s.push(Sms {
                to: to.to_owned(),
                text: message.to_owned(),
            });
        }
        Ok(())
    }
}

/// Prints each text to standard output (development only: it shows codes).
#[derive(Debug, Default, Clone, Copy)]
pub struct ConsoleSms;

#[async_trait::async_trait]
impl SmsSender for ConsoleSms {
    async fn send_sms(&self, to: &str, message: &str) -> Result<()> {
        #[allow(clippy::print_stdout)]
        {
            println!("---- SMS to {to} ----\n{message}\n---------------------");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_outbox_keeps_texts_and_finds_codes() {
        let sms = MemorySms::new();
        sms.send_sms("+16505551212", "Use this code to sign in: 123456")
            .await
            .unwrap();
        assert_eq!(sms.last_code_to("+16505551212").as_deref(), Some("123456"));
        assert_eq!(sms.last_code_to("+447700900000"), None);
        assert!(!format!("{:?}", sms.messages()[0]).contains("123456"));
    }
}
