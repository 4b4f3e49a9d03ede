//! Have I Been Pwned's Pwned Passwords range API
//! (`GET https://api.pwnedpasswords.com/range/{first 5 hex of SHA-1}`),
//! Flask-Security's `SECURITY_PASSWORD_CHECK_BREACHED`: only the five-digit
//! prefix of the password's SHA-1 leaves the server (k-anonymity), and
//! `Add-Padding: true` makes every answer about the same size, so an
//! observer of the encrypted traffic learns nothing from its length.

use std::time::Duration;

use portcullis_core::validation::BreachChecker;
use portcullis_core::{Error, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;

const API_HOST: &str = "api.pwnedpasswords.com";
const TIMEOUT: Duration = Duration::from_secs(5);
/// A padded range answer is about 30 KiB; anything far larger is refused.
const MAX_ANSWER: usize = 1024 * 1024;

/// The Pwned Passwords client.
#[derive(Clone)]
pub struct HibpChecker {
    loopback: Option<std::net::SocketAddr>,
    tls: TlsConnector,
}

impl std::fmt::Debug for HibpChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HibpChecker")
            .field("loopback", &self.loopback)
            .finish_non_exhaustive()
    }
}

impl Default for HibpChecker {
    fn default() -> Self {
        Self::new()
    }
}

fn unreachable(e: std::io::Error) -> Error {
    Error::unavailable("cannot reach the Pwned Passwords API").with_source(e)
}

impl HibpChecker {
    /// Asks `api.pwnedpasswords.com` over HTTPS.
    pub fn new() -> Self {
        Self {
            loopback: None,
            tls: crate::tls::connector(),
        }
    }

    /// Asks a plain-HTTP server on a loopback address instead (a local
    /// range server for tests or an offline mirror; any other address is
    /// refused).
    pub fn with_loopback_endpoint(mut self, addr: std::net::SocketAddr) -> Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(Error::invalid_input(
                "the range server must be on a loopback address",
            ));
        }
        self.loopback = Some(addr);
        Ok(self)
    }

    async fn fetch(&self, prefix: &str) -> Result<Vec<u8>> {
        let request = format!(
            "GET /range/{prefix} HTTP/1.1\r\nHost: {API_HOST}\r\nAdd-Padding: true\r\nUser-Agent: portcullis\r\nConnection: close\r\n\r\n"
        );
        match self.loopback {
            Some(addr) => {
                let stream = TcpStream::connect(addr).await.map_err(unreachable)?;
                read_answer(stream, request.as_bytes()).await
            }
            None => {
                let stream = TcpStream::connect((API_HOST, 443))
                    .await
                    .map_err(unreachable)?;
                let name = ServerName::try_from(API_HOST)
                    .map_err(|e| Error::internal("bad server name").with_source(e))?;
                let tls = self.tls.connect(name, stream).await.map_err(unreachable)?;
                read_answer(tls, request.as_bytes()).await
            }
        }
    }
}

async fn read_answer<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
) -> Result<Vec<u8>> {
    stream.write_all(request).await.map_err(unreachable)?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).await.map_err(unreachable)?;
        if n == 0 {
            return Ok(raw);
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() > MAX_ANSWER {
            return Err(Error::unavailable("the range answer is too large"));
        }
    }
}

/// The body of a complete HTTP/1.1 answer, if its status is 200.
fn body_of(raw: &[u8]) -> Result<String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| Error::unavailable("the range server gave no HTTP answer"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let status = head.split_whitespace().nth(1).unwrap_or_default();
    if status != "200" {
        return Err(Error::unavailable(format!(
            "the range server answered HTTP {status}"
        )));
    }
    let body = &raw[split + 4..];
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    String::from_utf8(body).map_err(|_| Error::unavailable("the range answer is not text"))
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>> {
    let bad = || Error::unavailable("a malformed chunked answer");
    let mut out = Vec::new();
    loop {
        let nl = b.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let size = String::from_utf8_lossy(&b[..nl]);
        let size = size.split(';').next().unwrap_or_default().trim();
        let n = usize::from_str_radix(size, 16).map_err(|_| bad())?;
        if n == 0 {
            return Ok(out);
        }
        let chunk = b.get(nl + 2..nl + 2 + n).ok_or_else(bad)?;
        out.extend_from_slice(chunk);
        b = b.get(nl + 2 + n + 2..).ok_or_else(bad)?;
    }
}

#[async_trait::async_trait]
impl BreachChecker for HibpChecker {
    async fn range(&self, prefix: &str) -> Result<String> {
        if prefix.len() != 5 || !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::invalid_input("a range prefix is five hex digits"));
        }
        let raw = tokio::time::timeout(TIMEOUT, self.fetch(prefix))
            .await
            .map_err(|_| Error::unavailable("the Pwned Passwords API did not answer in time"))??;
        body_of(&raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis_core::validation::sha1_hex_upper;
    use tokio::net::TcpListener;

    /// A local range server that knows `breached` (password → count),
    /// pads with zero-count lines, answers chunked, and reports the
    /// request lines it got.
    async fn range_server(
        breached: &'static [(&'static str, u64)],
    ) -> (
        std::net::SocketAddr,
        tokio::sync::mpsc::UnboundedReceiver<String>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut got = Vec::new();
                let mut buf = [0u8; 1024];
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                let req = String::from_utf8_lossy(&got).into_owned();
                let prefix = req
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .trim_start_matches("/range/")
                    .to_owned();
                let mut body = String::new();
                for (pw, n) in breached {
                    let h = sha1_hex_upper(pw);
                    if h.starts_with(&prefix) {
                        body.push_str(&format!("{}:{n}\r\n", &h[5..]));
                    }
                }
                body.push_str("0000000000000000000000000000000000A:0\r\n");
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
                let _ = tx.send(req);
            }
        });
        (addr, rx)
    }

    #[tokio::test]
    async fn sends_only_the_prefix_with_padding_and_counts() {
        let (addr, mut requests) = range_server(&[("password1234", 4_000)]).await;
        let hibp = HibpChecker::new().with_loopback_endpoint(addr).unwrap();
        assert_eq!(hibp.breach_count("password1234").await.unwrap(), 4_000);
        let req = requests.recv().await.unwrap();
        let prefix = &sha1_hex_upper("password1234")[..5];
        assert!(
            req.starts_with(&format!("GET /range/{prefix} HTTP/1.1\r\n")),
            "{req}"
        );
        assert!(req.contains("Add-Padding: true\r\n"), "{req}");
        assert!(
            !req.contains(&sha1_hex_upper("password1234")[5..]),
            "the suffix never leaves"
        );
        assert_eq!(
            hibp.breach_count("not-in-any-breach-8h3k").await.unwrap(),
            0
        );
    }

    #[tokio::test]
    async fn a_server_that_is_down_is_unavailable() {
        let closed = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap()
            .local_addr()
            .unwrap();
        let hibp = HibpChecker::new().with_loopback_endpoint(closed).unwrap();
        let e = hibp.breach_count("x").await.unwrap_err();
        assert_eq!(e.kind(), portcullis_core::ErrorKind::Unavailable);
        assert!(
            HibpChecker::new()
                .with_loopback_endpoint("10.0.0.1:80".parse().unwrap())
                .is_err()
        );
        assert!(hibp.range("xyz").await.is_err());
    }

    #[test]
    fn bodies_and_statuses() {
        assert_eq!(
            body_of(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nA:1").unwrap(),
            "A:1"
        );
        assert!(body_of(b"HTTP/1.1 503 Busy\r\n\r\n").is_err());
        assert!(body_of(b"garbage").is_err());
        assert!(dechunk(b"zz\r\n").is_err());
    }
}
