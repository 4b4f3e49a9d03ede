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

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_core::MailKind;

    #[tokio::test]
    async fn writes_one_eml_file_per_mail() {
        let dir = std::env::temp_dir().join(format!("portcullis-console-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let m = ConsoleMailer::directory(Templates::builtin(), &dir);
        let mut context = serde_json::Map::new();
        context.insert(
            "user".into(),
            serde_json::json!({"email": "a/../b@example.com"}),
        );
        let email = Email {
            kind: MailKind::Welcome,
            to: "a/../b@example.com".into(),
            from: "no-reply@example.com".into(),
            subject: "Welcome".into(),
            template: "security/email/welcome".into(),
            context,
        };
        m.send(&email).await.unwrap();
        m.send(&email).await.unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        // The recipient cannot steer the file out of the directory.
        assert_eq!(
            names,
            ["0000-a_.._b@example.com.eml", "0001-a_.._b@example.com.eml"]
        );
        let text = std::fs::read_to_string(dir.join(&names[0])).unwrap();
        assert!(text.starts_with(
            "From: no-reply@example.com\r\nTo: a/../b@example.com\r\nSubject: Welcome\r\n"
        ));
        assert!(text.contains("Welcome a/../b@example.com!"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
