//! The breached-password check (Have I Been Pwned's k-anonymity range
//! API) behind a trait, so the core needs no HTTP client. A real client
//! implements [`BreachChecker::range`] as
//! `GET https://api.pwnedpasswords.com/range/{prefix}`.

use std::collections::HashMap;
use std::fmt;

use sha1::{Digest, Sha1};

use crate::{Error, Result};

/// Looks up SHA-1 hash suffixes by their 5-character prefix.
#[async_trait::async_trait]
pub trait BreachChecker: Send + Sync + fmt::Debug {
    /// The range response for `prefix` (five upper-case hex digits): lines
    /// of `SUFFIX:COUNT`. An error means the service could not be asked.
    async fn range(&self, prefix: &str) -> Result<String>;

    /// How often `password` appears in breaches.
    async fn breach_count(&self, password: &str) -> Result<u64> {
        let hex = sha1_hex_upper(password);
        let body = self.range(&hex[..5]).await?;
        Ok(parse_range_response(&body, &hex[5..]))
    }
}

/// Upper-case hex SHA-1 of `password`.
pub fn sha1_hex_upper(password: &str) -> String {
    crate::util::hex_upper(&Sha1::digest(password.as_bytes()))
}

/// The count for `suffix` in a range response (0 when absent).
pub fn parse_range_response(body: &str, suffix: &str) -> u64 {
    body.lines()
        .filter_map(|line| line.trim().split_once(':'))
        .find(|(s, _)| s.eq_ignore_ascii_case(suffix))
        .and_then(|(_, n)| n.trim().parse().ok())
        .unwrap_or(0)
}

/// A [`BreachChecker`] over a fixed list of breached passwords; for tests
/// and offline deployments. `unavailable()` makes every lookup fail, to
/// test the "service down" path.
#[derive(Debug, Default, Clone)]
pub struct MemoryBreachChecker {
    hashes: HashMap<String, u64>,
    unavailable: bool,
}

impl MemoryBreachChecker {
    /// Knows `passwords`, each breached `count` times.
    pub fn new<'a>(passwords: impl IntoIterator<Item = (&'a str, u64)>) -> Self {
        Self {
            hashes: passwords
                .into_iter()
                .map(|(p, n)| (sha1_hex_upper(p), n))
                .collect(),
            unavailable: false,
        }
    }

    /// A checker whose service is down.
    pub fn unavailable() -> Self {
        Self {
            hashes: HashMap::new(),
            unavailable: true,
        }
    }
}

#[async_trait::async_trait]
impl BreachChecker for MemoryBreachChecker {
    async fn range(&self, prefix: &str) -> Result<String> {
        if self.unavailable {
            return Err(Error::unavailable("breached-password service unreachable"));
        }
        Ok(self
            .hashes
            .iter()
            .filter(|(h, _)| h.starts_with(prefix))
            .map(|(h, n)| format!("{}:{n}\r\n", &h[5..]))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sha1() {
        assert_eq!(
            sha1_hex_upper("password"),
            "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8"
        );
    }

    #[test]
    fn parses_range_bodies() {
        let body = "0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n1E4C9B93F3F0682250B6CF8331B7EE68FD8:3861493\r\n";
        assert_eq!(
            parse_range_response(body, "1E4C9B93F3F0682250B6CF8331B7EE68FD8"),
            3_861_493
        );
        assert_eq!(parse_range_response(body, "FFFF"), 0);
        assert_eq!(parse_range_response("garbage", "X"), 0);
    }
}
