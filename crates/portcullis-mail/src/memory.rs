//! An in-memory outbox, for tests.

use std::sync::Mutex;

use portcullis_core::{Email, Error, MailKind, Mailer, Result};

use crate::templates::{Rendered, Templates};

/// Keeps every mail it is given, rendered.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    templates: Templates,
    sent: Mutex<Vec<(MailKind, Rendered)>>,
}

impl MemoryOutbox {
    /// An empty outbox with the built-in templates.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty outbox rendering with `templates` (an app's overrides).
    pub fn with_templates(templates: Templates) -> Self {
        Self {
            templates,
            sent: Mutex::default(),
        }
    }

    /// Every mail so far.
    pub fn messages(&self) -> Vec<(MailKind, Rendered)> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// How many mails so far.
    pub fn len(&self) -> usize {
        self.sent.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// Whether nothing was sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The last mail to `to`.
    pub fn last_to(&self, to: &str) -> Option<(MailKind, Rendered)> {
        self.messages().into_iter().rev().find(|(_, r)| r.to == to)
    }

    /// The first URL in the last mail to `to` whose path contains `path`.
    pub fn link_to(&self, to: &str, path: &str) -> Option<String> {
        let (_, m) = self.last_to(to)?;
        find_link(m.text.as_deref().unwrap_or_default(), path)
    }

    /// The token ending that link (its last path segment).
    pub fn token_to(&self, to: &str, path: &str) -> Option<String> {
        let link = self.link_to(to, path)?;
        link.rsplit('/').next().map(str::to_owned)
    }
}

/// The first `http(s)://…` URL in `text` that contains `path`.
pub(crate) fn find_link(text: &str, path: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches(['.', ',', ')']))
        .find(|w| w.contains(path))
        .map(str::to_owned)
}

#[async_trait::async_trait]
impl Mailer for MemoryOutbox {
    async fn send(&self, email: &Email) -> Result<()> {
        let rendered = self.templates.render(email)?;
        self.sent
            .lock()
            .map_err(|_| Error::internal("outbox lock poisoned"))?
            .push((email.kind, rendered));
        Ok(())
    }
}
