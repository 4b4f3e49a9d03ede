//! Twilio: Flask-Security's `SECURITY_SMS_SERVICE = "Twilio"`, over
//! Twilio's REST API (`POST /2010-04-01/Accounts/{sid}/Messages.json`,
//! HTTP Basic with the account SID and auth token), with rustls.

use std::time::Duration;

use portcullis_core::crypto::encoding::b64_encode;
use portcullis_core::{Error, ErrorKind, Result, SecretString, SmsSender};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

const API_HOST: &str = "api.twilio.com";
const TIMEOUT: Duration = Duration::from_secs(15);

/// Sends texts through Twilio.
pub struct TwilioSms {
    account_sid: String,
    auth_token: SecretString,
    from: String,
    endpoint: Endpoint,
    tls: TlsConnector,
}

#[derive(Debug, Clone)]
enum Endpoint {
    /// `api.twilio.com:443`, TLS.
    Twilio,
    /// Plain HTTP to a loopback address (tests).
    Loopback(std::net::SocketAddr),
}

impl std::fmt::Debug for TwilioSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioSms")
            .field("account_sid", &self.account_sid)
            .field("from", &self.from)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl TwilioSms {
    /// A sender for `account_sid` / `auth_token`, texting from `from` (E.164).
    pub fn new(
        account_sid: impl Into<String>,
        auth_token: SecretString,
        from: impl Into<String>,
    ) -> Self {
        let tls = crate::tls::connector();
        Self {
            account_sid: account_sid.into(),
            auth_token,
            from: from.into(),
            endpoint: Endpoint::Twilio,
            tls,
        }
    }

    /// From Flask-Security's `SECURITY_SMS_SERVICE_CONFIG`
    /// (`ACCOUNT_SID`, `AUTH_TOKEN`, `PHONE_NUMBER`); an error names what
    /// is missing.
    pub fn from_config(
        config: &std::collections::BTreeMap<String, Option<SecretString>>,
    ) -> Result<Self> {
        let get = |k: &str| {
            config
                .get(k)
                .cloned()
                .flatten()
                .filter(|v| !v.expose().is_empty())
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::Config,
                        format!("SECURITY_SMS_SERVICE_CONFIG needs {k} for Twilio"),
                    )
                })
        };
        let sid = get("ACCOUNT_SID")?.expose().to_owned();
        let from = get("PHONE_NUMBER")?.expose().to_owned();
        Ok(Self::new(sid, get("AUTH_TOKEN")?, from))
    }

    /// Sends to a plain-HTTP server on a loopback address instead of
    /// Twilio (for tests; any other address is refused).
    pub fn with_loopback_endpoint(mut self, addr: std::net::SocketAddr) -> Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(Error::invalid_input(
                "the test endpoint must be a loopback address",
            ));
        }
        self.endpoint = Endpoint::Loopback(addr);
        Ok(self)
    }

    fn request(&self, to: &str, message: &str) -> Vec<u8> {
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("To", to)
            .append_pair("From", &self.from)
            .append_pair("Body", message)
            .finish();
        let auth =
            b64_encode(format!("{}:{}", self.account_sid, self.auth_token.expose()).as_bytes());
        format!(
            "POST /2010-04-01/Accounts/{}/Messages.json HTTP/1.1\r\nHost: {API_HOST}\r\nAuthorization: Basic {auth}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.account_sid,
            body.len()
        )
        .into_bytes()
    }

    async fn exchange(&self, request: &[u8]) -> Result<u16> {
        match &self.endpoint {
            Endpoint::Loopback(addr) => {
                let stream = TcpStream::connect(addr).await.map_err(unreachable)?;
                round_trip(stream, request).await
            }
            Endpoint::Twilio => {
                let stream = TcpStream::connect((API_HOST, 443))
                    .await
                    .map_err(unreachable)?;
                let name = ServerName::try_from(API_HOST)
                    .map_err(|e| Error::internal("bad server name").with_source(e))?;
                let tls = self.tls.connect(name, stream).await.map_err(unreachable)?;
                round_trip(tls, request).await
            }
        }
    }
}

fn unreachable(e: std::io::Error) -> Error {
    Error::unavailable("cannot reach Twilio").with_source(e)
}

/// Writes the request, reads the status line of the answer.
async fn round_trip<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
) -> Result<u16> {
    stream.write_all(request).await.map_err(unreachable)?;
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.windows(2).any(|w| w == b"\r\n") && head.len() < 4096 {
        let n = stream.read(&mut buf).await.map_err(unreachable)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::unavailable("Twilio gave no HTTP answer"))
}

#[async_trait::async_trait]
impl SmsSender for TwilioSms {
    async fn send_sms(&self, to: &str, message: &str) -> Result<()> {
        let request = self.request(to, message);
        let status = tokio::time::timeout(TIMEOUT, self.exchange(&request))
            .await
            .map_err(|_| Error::unavailable("Twilio did not answer in time"))??;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            // The answer may quote the message (and so the code): log the status only.
            tracing::warn!(status, "Twilio refused a message");
            Err(Error::unavailable(format!("Twilio answered HTTP {status}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A one-request fake of Twilio's API: answers `status`, hands back
    /// what it was sent.
    async fn fake(status: u16) -> (std::net::SocketAddr, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut got = Vec::new();
            let mut buf = [0u8; 1024];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                got.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&got);
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("Content-Length: "))
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    if body.len() >= len {
                        break;
                    }
                }
                if n == 0 {
                    break;
                }
            }
            s.write_all(format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n").as_bytes())
                .await
                .unwrap();
            String::from_utf8(got).unwrap()
        });
        (addr, task)
    }

    #[tokio::test]
    async fn posts_the_message_with_basic_auth() {
        let (addr, task) = fake(201).await;
        let sms = TwilioSms::new("AC123", SecretString::from("tok"), "+15005550006")
            .with_loopback_endpoint(addr)
            .unwrap();
        sms.send_sms("+16505551212", "Use this code to sign in: 123456")
            .await
            .unwrap();
        let got = task.await.unwrap();
        assert!(
            got.starts_with("POST /2010-04-01/Accounts/AC123/Messages.json HTTP/1.1\r\n"),
            "{got}"
        );
        assert!(got.contains(&format!(
            "Authorization: Basic {}",
            b64_encode(b"AC123:tok")
        )));
        assert!(
            got.ends_with(
                "To=%2B16505551212&From=%2B15005550006&Body=Use+this+code+to+sign+in%3A+123456"
            ),
            "{got}"
        );
        assert!(
            !format!("{sms:?}").contains("tok\""),
            "the auth token is not in Debug"
        );
    }

    #[tokio::test]
    async fn a_refusal_or_no_server_is_an_error() {
        let (addr, _task) = fake(401).await;
        let sms = TwilioSms::new("AC1", SecretString::from("t"), "+15005550006")
            .with_loopback_endpoint(addr)
            .unwrap();
        let e = sms.send_sms("+16505551212", "x").await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unavailable);
        let closed = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let sms = TwilioSms::new("AC1", SecretString::from("t"), "+15005550006")
            .with_loopback_endpoint(closed)
            .unwrap();
        assert!(sms.send_sms("+16505551212", "x").await.is_err());
        assert!(
            TwilioSms::new("AC1", SecretString::from("t"), "+1")
                .with_loopback_endpoint("10.0.0.1:80".parse().unwrap())
                .is_err()
        );
    }

    #[test]
    fn config_names_what_is_missing() {
        let mut c = std::collections::BTreeMap::new();
        c.insert("ACCOUNT_SID".to_owned(), Some(SecretString::from("AC1")));
        let e = TwilioSms::from_config(&c).unwrap_err();
        assert!(e.to_string().contains("PHONE_NUMBER"), "{e}");
        c.insert(
            "PHONE_NUMBER".to_owned(),
            Some(SecretString::from("+15005550006")),
        );
        c.insert("AUTH_TOKEN".to_owned(), Some(SecretString::from("t")));
        assert!(TwilioSms::from_config(&c).is_ok());
    }
}
