//! SMTP delivery through lettre (rustls, pooled connections).

use std::collections::BTreeMap;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart, SinglePart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use portcullis_core::{Email, Error, ErrorKind, Mailer, Result, SecretString};

use crate::templates::{Rendered, Templates};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain text (a local relay or a test sink).
    None,
    /// STARTTLS, required (`MAIL_USE_TLS`).
    StartTls,
    /// TLS from the first byte (`MAIL_USE_SSL`, usually port 465).
    Wrapper,
}

/// Where and how to send.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Server host (`MAIL_SERVER`, default `localhost`).
    pub host: String,
    /// Port (`MAIL_PORT`, default 25).
    pub port: u16,
    /// Connection security.
    pub tls: SmtpTls,
    /// Login (`MAIL_USERNAME`).
    pub username: Option<String>,
    /// Password (`MAIL_PASSWORD`).
    pub password: Option<SecretString>,
    /// Connect/command timeout.
    pub timeout: Duration,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "localhost".into(),
            port: 25,
            tls: SmtpTls::None,
            username: None,
            password: None,
            timeout: Duration::from_secs(10),
        }
    }
}

impl SmtpConfig {
    /// Flask-Mail's settings: `MAIL_SERVER`, `MAIL_PORT`, `MAIL_USE_TLS`,
    /// `MAIL_USE_SSL`, `MAIL_USERNAME`, `MAIL_PASSWORD`.
    pub fn from_settings(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let truthy = |k: &str| {
            get(k).is_some_and(|v| {
                matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | "on")
            })
        };
        let tls = if truthy("MAIL_USE_SSL") {
            SmtpTls::Wrapper
        } else if truthy("MAIL_USE_TLS") {
            SmtpTls::StartTls
        } else {
            SmtpTls::None
        };
        let port = match get("MAIL_PORT") {
            Some(p) => p.trim().parse().map_err(|_| {
                Error::new(
                    ErrorKind::Config,
                    format!("MAIL_PORT {p:?} is not a port number"),
                )
            })?,
            None if tls == SmtpTls::Wrapper => 465,
            None => 25,
        };
        Ok(Self {
            host: get("MAIL_SERVER").unwrap_or_else(|| "localhost".into()),
            port,
            tls,
            username: get("MAIL_USERNAME"),
            password: get("MAIL_PASSWORD").map(SecretString::new),
            timeout: Duration::from_secs(10),
        })
    }

    /// [`from_settings`](Self::from_settings) over a map.
    pub fn from_map(map: &BTreeMap<String, String>) -> Result<Self> {
        Self::from_settings(|k| map.get(k).cloned())
    }
}

/// Sends mail over SMTP.
#[derive(Debug, Clone)]
pub struct SmtpMailer {
    templates: Templates,
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

fn config_error(what: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(ErrorKind::Config, what).with_source(e)
}

impl SmtpMailer {
    /// A mailer for `config` (connections open on first use).
    pub fn new(config: &SmtpConfig, templates: Templates) -> Result<Self> {
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
            .port(config.port)
            .timeout(Some(config.timeout));
        match config.tls {
            SmtpTls::None => {}
            SmtpTls::StartTls | SmtpTls::Wrapper => {
                let params = TlsParameters::new(config.host.clone())
                    .map_err(|e| config_error("SMTP TLS setup failed", e))?;
                b = b.tls(if config.tls == SmtpTls::Wrapper {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                });
            }
        }
        if let (Some(u), Some(p)) = (&config.username, &config.password) {
            b = b.credentials(Credentials::new(u.clone(), p.expose().to_owned()));
        }
        Ok(Self {
            templates,
            transport: b.build(),
        })
    }

    fn message(r: &Rendered) -> Result<Message> {
        let from: Mailbox = r
            .from
            .parse()
            .map_err(|e| config_error("SECURITY_EMAIL_SENDER is not a mail address", e))?;
        let to: Mailbox = r.to.parse().map_err(|e| {
            Error::invalid_input("the recipient is not a mail address").with_source(e)
        })?;
        let builder = Message::builder()
            .from(from)
            .to(to)
            .subject(r.subject.clone());
        let built = match (&r.text, &r.html) {
            (Some(t), Some(h)) => {
                builder.multipart(MultiPart::alternative_plain_html(t.clone(), h.clone()))
            }
            (Some(t), None) => builder.singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_PLAIN)
                    .body(t.clone()),
            ),
            (None, Some(h)) => builder.singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(h.clone()),
            ),
            (None, None) => builder.body(String::new()),
        };
        built.map_err(|e| Error::internal("could not build the mail").with_source(e))
    }
}

#[async_trait::async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<()> {
        let message = Self::message(&self.templates.render(email)?)?;
        self.transport.send(message).await.map_err(|e| {
            Error::unavailable("the SMTP server did not take the mail").with_source(e)
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flask_mail_settings() {
        let m = BTreeMap::from([
            ("MAIL_SERVER".to_owned(), "smtp.example.com".to_owned()),
            ("MAIL_USE_SSL".to_owned(), "true".to_owned()),
            ("MAIL_PASSWORD".to_owned(), "s3cret".to_owned()),
        ]);
        let c = SmtpConfig::from_map(&m).unwrap();
        assert_eq!(
            (c.host.as_str(), c.port, c.tls),
            ("smtp.example.com", 465, SmtpTls::Wrapper)
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        let bad = BTreeMap::from([("MAIL_PORT".to_owned(), "abc".to_owned())]);
        assert!(SmtpConfig::from_map(&bad).is_err());
    }
}
