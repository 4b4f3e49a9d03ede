//! The development mailer: print each mail, or write it to a directory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use portcullis_core::{Email, Error, Mailer, Result};

use crate::templates::{Rendered, Templates};

/// Prints mail to standard output, or writes `.eml` files into a directory.
#[derive(Debug)]
pub struct ConsoleMailer {
    templates: Templates,
    dir: Option<PathBuf>,
    counter: AtomicU64,
}

impl ConsoleMailer {
    /// Prints every mail.
    pub fn stdout(templates: Templates) -> Self {
        Self {
            templates,
            dir: None,
            counter: AtomicU64::new(0),
        }
    }

    /// Writes every mail as `NNNN-<recipient>.eml` into `dir` (created if missing).
    pub fn directory(templates: Templates, dir: impl Into<PathBuf>) -> Self {
        Self {
            templates,
            dir: Some(dir.into()),
            counter: AtomicU64::new(0),
        }
    }
}

fn as_text(m: &Rendered) -> String {
    let mut s = format!(
        "From: {}\r\nTo: {}\r\nSubject: {}\r\n\r\n",
        m.from, m.to, m.subject
    );
    if let Some(t) = &m.text {
        s.push_str(t);
    } else if let Some(h) = &m.html {
        s.push_str(h);
    }
    s
}

#[async_trait::async_trait]
impl Mailer for ConsoleMailer {
    async fn send(&self, email: &Email) -> Result<()> {
        let rendered = self.templates.render(email)?;
        let text = as_text(&rendered);
        match &self.dir {
            None => {
                #[allow(clippy::print_stdout)]
                {
                    println!(
                        "----- mail ({}) -----\n{text}\n----- end of mail -----",
                        email.kind.template()
                    );
                }
                Ok(())
            }
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    Error::unavailable("cannot create the mail directory").with_source(e)
                })?;
                let n = self.counter.fetch_add(1, Ordering::Relaxed);
                let safe: String = rendered
                    .to
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || "@.-_".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                std::fs::write(dir.join(format!("{n:04}-{safe}.eml")), text)
                    .map_err(|e| Error::unavailable("cannot write a mail file").with_source(e))
            }
        }
    }
}
