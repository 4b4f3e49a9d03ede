//! CSRF tokens as Flask-WTF makes them: the session holds a random raw
//! token; clients get it signed (itsdangerous, salt `wtf-csrf-token`) and
//! send it back in a header (`X-CSRFToken`, `X-CSRF-Token`, or
//! `SECURITY_CSRF_HEADER`) or the `csrf_token` field.

use http::HeaderMap;
use portcullis_core::crypto::{SecretString, TokenError, UrlSafeTimedSerializer, random};
use portcullis_core::{Result, SecurityConfig};
use serde_json::json;

use crate::session::{SessionState, keys};

/// Flask-WTF's failure messages (frontends show them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfFailure {
    /// No token was sent.
    Missing,
    /// The session has no token.
    SessionMissing,
    /// Not a token of ours.
    Invalid,
    /// Older than `WTF_CSRF_TIME_LIMIT`.
    Expired,
    /// A token of ours, but for another session.
    Mismatch,
}

impl CsrfFailure {
    /// Flask-WTF's text.
    pub fn message(self) -> &'static str {
        match self {
            CsrfFailure::Missing => "The CSRF token is missing.",
            CsrfFailure::SessionMissing => "The CSRF session token is missing.",
            CsrfFailure::Invalid => "The CSRF token is invalid.",
            CsrfFailure::Expired => "The CSRF token has expired.",
            CsrfFailure::Mismatch => "The CSRF tokens do not match.",
        }
    }
}

/// Mints and checks CSRF tokens.
#[derive(Debug, Clone)]
pub struct Csrf {
    serializer: UrlSafeTimedSerializer,
    time_limit: Option<i64>,
    headers: Vec<String>,
}

impl Csrf {
    /// For `config` (its secret keys, `WTF_CSRF_TIME_LIMIT`, `SECURITY_CSRF_HEADER`).
    pub fn new(config: &SecurityConfig) -> Result<Self> {
        let keys: Vec<SecretString> = config.secret_keys();
        let serializer = UrlSafeTimedSerializer::new(&keys, "wtf-csrf-token")?;
        let mut headers = vec!["X-CSRFToken".to_owned(), "X-CSRF-Token".to_owned()];
        if !headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&config.csrf_header))
        {
            headers.push(config.csrf_header.clone());
        }
        Ok(Self {
            serializer,
            time_limit: config.wtf_csrf_time_limit.map(|d| d.num_seconds()),
            headers,
        })
    }

    /// The signed token for the session, creating the raw one if needed.
    pub fn token(&self, session: &mut SessionState, now: i64) -> Result<String> {
        let raw = match session.get_str(keys::CSRF) {
            Some(r) => r.to_owned(),
            None => {
                let r = random::hex_token(20)?;
                session.set(keys::CSRF, json!(r));
                r
            }
        };
        Ok(self.serializer.dumps(&raw, now))
    }

    /// The token the client sent: a header, else the body field.
    pub fn sent<'a>(&self, headers: &'a HeaderMap, body_field: Option<&'a str>) -> Option<&'a str> {
        self.headers
            .iter()
            .find_map(|h| headers.get(h.as_str()).and_then(|v| v.to_str().ok()))
            .or(body_field)
            .filter(|t| !t.is_empty())
    }

    /// Checks a sent token against the session.
    pub fn check(
        &self,
        session: &SessionState,
        sent: Option<&str>,
        now: i64,
    ) -> Result<(), CsrfFailure> {
        let sent = sent.ok_or(CsrfFailure::Missing)?;
        let raw = session
            .get_str(keys::CSRF)
            .ok_or(CsrfFailure::SessionMissing)?;
        let loaded = match self.serializer.loads(sent, self.time_limit, now) {
            Ok(l) => l.payload,
            Err(TokenError::Expired { .. }) => return Err(CsrfFailure::Expired),
            Err(_) => return Err(CsrfFailure::Invalid),
        };
        match loaded.as_str() {
            Some(t) if portcullis_core::crypto::secret::ct_eq(t.as_bytes(), raw.as_bytes()) => {
                Ok(())
            }
            _ => Err(CsrfFailure::Mismatch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csrf() -> Csrf {
        let (config, _) = portcullis_core::ConfigLoader::new()
            .vars([("SECRET_KEY", "k"), ("SECURITY_PASSWORD_SALT", "s")])
            .build()
            .unwrap();
        Csrf::new(&config).unwrap()
    }

    #[test]
    fn round_trip_and_failures() {
        let c = csrf();
        let mut s = SessionState::default();
        let t = c.token(&mut s, 1000).unwrap();
        assert!(s.is_modified());
        assert_eq!(c.check(&s, Some(&t), 1500), Ok(()));
        assert_eq!(
            c.token(&mut s, 1000).unwrap(),
            t,
            "one raw token per session"
        );
        assert_eq!(c.check(&s, None, 1500), Err(CsrfFailure::Missing));
        assert_eq!(
            c.check(&s, Some("garbage"), 1500),
            Err(CsrfFailure::Invalid)
        );
        assert_eq!(
            c.check(&s, Some(&t), 1000 + 3601),
            Err(CsrfFailure::Expired)
        );
        let mut other = SessionState::default();
        let t2 = c.token(&mut other, 1000).unwrap();
        assert_eq!(c.check(&s, Some(&t2), 1500), Err(CsrfFailure::Mismatch));
        assert_eq!(
            c.check(&SessionState::default(), Some(&t), 1500),
            Err(CsrfFailure::SessionMissing)
        );
        let mut h = HeaderMap::new();
        h.insert("x-xsrf-token", t.parse().unwrap());
        assert_eq!(c.sent(&h, None), Some(t.as_str()));
        assert_eq!(c.sent(&HeaderMap::new(), Some("body")), Some("body"));
    }
}
