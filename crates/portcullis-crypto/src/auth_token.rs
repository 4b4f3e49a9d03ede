//! Flask-Security authentication tokens.
//!
//! A token is the `remember` serializer's signature over
//! `{"ver": "5", "uid": <fs_token_uniquifier or fs_uniquifier>, "fs_paa":
//! <float epoch of the primary authentication>, "exp": <int epoch or 0>}`,
//! plus any claims the application adds. It expires `SECURITY_TOKEN_MAX_AGE`
//! seconds after signing, and at `exp` when that is not 0. Older formats
//! (`[uid]` and `[_, _, uid]`) are still read.

use serde_json::{Map, Value, json};

use crate::serializer::{TokenError, UrlSafeTimedSerializer};

/// Why an auth token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthTokenError {
    /// Not a token of ours, tampered with, or of an unknown shape.
    #[error("invalid authentication token")]
    Invalid,
    /// Past `SECURITY_TOKEN_MAX_AGE` or its `exp`.
    #[error("expired authentication token")]
    Expired,
}

/// A verified authentication token.
#[derive(Debug, Clone, PartialEq)]
pub struct AuthToken {
    /// The user's token uniquifier (`fs_token_uniquifier`, or
    /// `fs_uniquifier` when the store has no separate token uniquifier).
    pub uid: String,
    /// When the user last authenticated with a primary factor (for
    /// freshness checks); absent in legacy tokens.
    pub fs_paa: Option<f64>,
    /// Absolute expiry (Unix seconds); 0 means none.
    pub exp: i64,
    /// When the token was signed.
    pub signed_at: i64,
    /// Claims the application added, beyond `ver`, `uid`, `fs_paa`, `exp`.
    pub claims: Map<String, Value>,
}

/// Issues and verifies authentication tokens.
#[derive(Debug, Clone)]
pub struct AuthTokenIssuer {
    serializer: UrlSafeTimedSerializer,
    max_age: Option<i64>,
}

impl AuthTokenIssuer {
    /// `serializer` must use the `remember` salt; `max_age` is
    /// `SECURITY_TOKEN_MAX_AGE` in seconds (`None`: only `exp` limits it).
    pub fn new(serializer: UrlSafeTimedSerializer, max_age: Option<i64>) -> Self {
        Self {
            serializer,
            max_age,
        }
    }

    /// Signs a token for `uid` at `now`. `exp` 0 means no absolute expiry;
    /// `claims` are merged after the standard keys (which they cannot
    /// override).
    pub fn issue(
        &self,
        uid: &str,
        fs_paa: f64,
        exp: i64,
        claims: Option<&Map<String, Value>>,
        now: i64,
    ) -> String {
        let mut payload = Map::new();
        payload.insert("ver".into(), json!("5"));
        payload.insert("uid".into(), json!(uid));
        payload.insert("fs_paa".into(), json!(fs_paa));
        payload.insert("exp".into(), json!(exp));
        if let Some(claims) = claims {
            for (k, v) in claims {
                payload.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        self.serializer.dumps(&payload, now)
    }

    /// Verifies `token` at `now` (Unix seconds, fractional allowed).
    pub fn verify(&self, token: &str, now: f64) -> Result<AuthToken, AuthTokenError> {
        let loaded = match self
            .serializer
            .loads(token, self.max_age, now.floor() as i64)
        {
            Ok(l) => l,
            Err(TokenError::Expired { .. }) => return Err(AuthTokenError::Expired),
            Err(_) => return Err(AuthTokenError::Invalid),
        };
        let signed_at = loaded.signed_at;
        match loaded.payload {
            Value::Object(mut map) => {
                let uid = match map.remove("uid") {
                    Some(Value::String(s)) if !s.is_empty() => s,
                    _ => return Err(AuthTokenError::Invalid),
                };
                if !map.contains_key("ver") {
                    return Err(AuthTokenError::Invalid);
                }
                let exp = match map.remove("exp") {
                    Some(v) => v.as_f64().ok_or(AuthTokenError::Invalid)? as i64,
                    None => return Err(AuthTokenError::Invalid),
                };
                if exp != 0 && now > exp as f64 {
                    return Err(AuthTokenError::Expired);
                }
                let fs_paa = map.remove("fs_paa").and_then(|v| v.as_f64());
                map.remove("ver");
                Ok(AuthToken {
                    uid,
                    fs_paa,
                    exp,
                    signed_at,
                    claims: map,
                })
            }
            // Version 4 tokens: [uid]. Version 3: [id, password hash, uid].
            Value::Array(items) => {
                let uid = match items.len() {
                    1 => items.into_iter().next(),
                    3 => items.into_iter().nth(2),
                    _ => None,
                };
                match uid {
                    Some(Value::String(uid)) if !uid.is_empty() => Ok(AuthToken {
                        uid,
                        fs_paa: None,
                        exp: 0,
                        signed_at,
                        claims: Map::new(),
                    }),
                    _ => Err(AuthTokenError::Invalid),
                }
            }
            _ => Err(AuthTokenError::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SecretString;

    fn issuer(max_age: Option<i64>) -> AuthTokenIssuer {
        let s =
            UrlSafeTimedSerializer::new(&[SecretString::new("secret")], "remember-salt").unwrap();
        AuthTokenIssuer::new(s, max_age)
    }

    #[test]
    fn reproduces_the_research_vector() {
        let t = issuer(None).issue(
            "0123456789abcdef0123456789abcdef",
            1_700_000_000.0,
            0,
            None,
            1_700_000_000,
        );
        assert_eq!(
            t,
            ".eJyrVipLLVKyUjJV0lEqzUwBsgwMjYxNTM3MLSwTk5JTUtPQ-UCFacXxBYmJSlaG5gZQoGego5RaUaBkZVALAIfkFbI.ZVPxAA.RvF6yQmhT9dGK-Azw4_v3eIhJ0E"
        );
        let v = issuer(None).verify(&t, 1_700_000_100.0).unwrap();
        assert_eq!(v.uid, "0123456789abcdef0123456789abcdef");
        assert_eq!(v.fs_paa, Some(1_700_000_000.0));
    }

    #[test]
    fn max_age_and_exp() {
        let i = issuer(Some(900));
        let t = i.issue("u", 1000.0, 0, None, 1000);
        assert!(i.verify(&t, 1900.0).is_ok());
        assert_eq!(i.verify(&t, 1901.0), Err(AuthTokenError::Expired));
        let t = i.issue("u", 1000.0, 1500, None, 1000);
        assert!(i.verify(&t, 1500.0).is_ok());
        assert_eq!(i.verify(&t, 1500.5), Err(AuthTokenError::Expired));
    }

    #[test]
    fn claims_are_kept_but_cannot_override() {
        let i = issuer(None);
        let mut claims = Map::new();
        claims.insert("role".into(), json!("admin"));
        claims.insert("uid".into(), json!("attacker"));
        let v = i
            .verify(&i.issue("u", 1.0, 0, Some(&claims), 1), 2.0)
            .unwrap();
        assert_eq!(v.uid, "u");
        assert_eq!(v.claims.get("role"), Some(&json!("admin")));
    }

    #[test]
    fn legacy_and_malformed_payloads() {
        let s =
            UrlSafeTimedSerializer::new(&[SecretString::new("secret")], "remember-salt").unwrap();
        let i = issuer(None);
        assert_eq!(
            i.verify(&s.dumps(&json!(["abc"]), 1), 2.0).unwrap().uid,
            "abc"
        );
        assert_eq!(
            i.verify(&s.dumps(&json!([1, "h", "abc"]), 1), 2.0)
                .unwrap()
                .uid,
            "abc"
        );
        for bad in [
            json!([1, 2]),
            json!({"uid": "x"}),
            json!({"ver": "5", "uid": 3, "exp": 0}),
            // An empty uniquifier names nobody (a store lookup must not
            // match a user whose column is empty).
            json!({"ver": "5", "uid": "", "exp": 0}),
            json!([""]),
            json!([1, "h", ""]),
            json!("x"),
        ] {
            assert_eq!(
                i.verify(&s.dumps(&bad, 1), 2.0),
                Err(AuthTokenError::Invalid),
                "{bad}"
            );
        }
        assert_eq!(i.verify("garbage", 2.0), Err(AuthTokenError::Invalid));
    }
}
