//! passlib's stored TOTP JSON, e.g.
//! `{"enckey":{"c":14,"k":"…","s":"…","t":"1","v":1},"type":"totp","v":1}`.
//!
//! The key is encrypted with AES-256-CTR; key and counter block come from
//! `PBKDF2-HMAC-SHA256(secret, salt, 2**c, 48)` where `secret` is the
//! `SECURITY_TOTP_SECRETS` entry named by the tag `t`. `k` and `s` are
//! unpadded base32. Unencrypted blobs (`{"key": "<b32>", …}`) are read too.

use std::collections::BTreeMap;

use aes::Aes256;
use ctr::Ctr128BE;
use ctr::cipher::{KeyIvInit, StreamCipher};
use serde_json::{Value, json};
use sha2::Sha256;

use super::Totp;
use crate::encoding::{b32_decode, b32_encode};
use crate::{Error, Result, SecretString, random};

/// passlib's default encryption cost (2**14 PBKDF2 rounds).
const COST: u32 = 14;
/// Highest cost accepted from storage (guards against planted values).
const MAX_COST: u32 = 24;

/// `SECURITY_TOTP_SECRETS`: tag → secret. New secrets are encrypted with
/// the newest tag (the largest number, as passlib picks it).
#[derive(Debug, Clone, Default)]
pub struct PasslibTotpSecrets {
    secrets: BTreeMap<String, SecretString>,
}

impl PasslibTotpSecrets {
    /// Secrets by tag. Tags are passlib's: letters, digits, `_` and `-`.
    pub fn new(secrets: impl IntoIterator<Item = (String, SecretString)>) -> Result<Self> {
        let secrets: BTreeMap<_, _> = secrets.into_iter().collect();
        for (tag, secret) in &secrets {
            if tag.is_empty()
                || !tag
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(Error::InvalidTotpSecret(
                    "tags may hold only letters, digits, `_` and `-`",
                ));
            }
            if secret.is_empty() {
                return Err(Error::InvalidTotpSecret("a TOTP secret may not be empty"));
            }
        }
        Ok(Self { secrets })
    }

    /// Whether no secret is configured (keys are then stored unencrypted).
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The tag new secrets are encrypted with.
    pub fn default_tag(&self) -> Option<&str> {
        self.secrets
            .keys()
            .max_by_key(|t| (t.parse::<u64>().ok(), t.as_str()))
            .map(String::as_str)
    }

    /// The JSON passlib's `TOTP.to_json(encrypt=True)` writes for `totp`
    /// (keys sorted, compact). Without secrets, the key is stored in clear,
    /// as passlib does.
    pub fn encrypt(&self, totp: &Totp) -> Result<String> {
        let Some(tag) = self.default_tag() else {
            return Ok(json!({"key": totp.base32_key(), "type": "totp", "v": 1}).to_string());
        };
        let salt = random::bytes::<12>()?;
        let mut data = totp.key().to_vec();
        self.apply_cipher(tag, &salt, COST, &mut data)?;
        // serde_json keeps insertion order here, so write keys sorted.
        Ok(format!(
            r#"{{"enckey":{{"c":{COST},"k":"{}","s":"{}","t":{},"v":1}},"type":"totp","v":1}}"#,
            b32_encode(&data),
            b32_encode(&salt),
            Value::String(tag.to_owned())
        ))
    }

    /// Reads a stored TOTP JSON blob.
    pub fn decrypt(&self, stored: &str) -> Result<Totp> {
        let v: Value =
            serde_json::from_str(stored).map_err(|_| Error::InvalidTotpSecret("not JSON"))?;
        if v.get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "totp")
        {
            return Err(Error::InvalidTotpSecret("not a TOTP secret"));
        }
        let digits = v.get("digits").and_then(Value::as_u64).unwrap_or(6);
        let period = v.get("period").and_then(Value::as_u64).unwrap_or(30);
        let alg = v.get("alg").and_then(Value::as_str).unwrap_or("sha1");
        if digits != 6 || period != 30 || alg != "sha1" {
            return Err(Error::InvalidTotpSecret(
                "only SHA-1, 6-digit, 30-second TOTP secrets are supported",
            ));
        }
        if let Some(key) = v.get("key").and_then(Value::as_str) {
            return Totp::from_base32(key);
        }
        let enc = v
            .get("enckey")
            .and_then(Value::as_object)
            .ok_or(Error::InvalidTotpSecret("neither `key` nor `enckey`"))?;
        if enc.get("v").and_then(Value::as_u64) != Some(1) {
            return Err(Error::InvalidTotpSecret("unknown enckey version"));
        }
        let cost = enc
            .get("c")
            .and_then(Value::as_u64)
            .and_then(|c| u32::try_from(c).ok())
            .filter(|c| *c <= MAX_COST)
            .ok_or(Error::InvalidTotpSecret("bad encryption cost"))?;
        let tag = match enc.get("t") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return Err(Error::InvalidTotpSecret("missing tag")),
        };
        let salt = enc
            .get("s")
            .and_then(Value::as_str)
            .and_then(b32_decode)
            .ok_or(Error::InvalidTotpSecret("bad salt"))?;
        let mut data = enc
            .get("k")
            .and_then(Value::as_str)
            .and_then(b32_decode)
            .filter(|k| !k.is_empty())
            .ok_or(Error::InvalidTotpSecret("bad encrypted key"))?;
        self.apply_cipher(&tag, &salt, cost, &mut data)?;
        Ok(Totp::from_key(data))
    }

    fn apply_cipher(&self, tag: &str, salt: &[u8], cost: u32, data: &mut [u8]) -> Result<()> {
        let secret = self
            .secrets
            .get(tag)
            .ok_or_else(|| Error::UnknownTotpTag(tag.to_owned()))?;
        let mut keyiv = [0u8; 48];
        pbkdf2::pbkdf2_hmac::<Sha256>(secret.expose().as_bytes(), salt, 1 << cost, &mut keyiv);
        let mut cipher = Ctr128BE::<Aes256>::new_from_slices(&keyiv[..32], &keyiv[32..])
            .map_err(|_| Error::InvalidTotpSecret("cipher setup"))?;
        cipher.apply_keystream(data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets() -> PasslibTotpSecrets {
        PasslibTotpSecrets::new([(
            "1".to_owned(),
            SecretString::new("TjQ9Qa31VOrfEzuPy4VHQWPCTmRzCnFzMKLxXYiZu9B"),
        )])
        .unwrap()
    }

    #[test]
    fn research_blob_decrypts() {
        let blob = r#"{"enckey":{"c":14,"k":"P4PZXHA2CTATMJKSOHCYH7X6MBOVKZNV","s":"YAMKHNCWJIU4KODHBSQQ","t":"1","v":1},"type":"totp","v":1}"#;
        let t = secrets().decrypt(blob).unwrap();
        assert_eq!(t.base32_key(), "6B7O6XKLRHI7V7Z7446CORDI5XOXXTYZ");
    }

    #[test]
    fn encrypt_round_trips_in_passlib_shape() {
        let s = secrets();
        let t = Totp::generate().unwrap();
        let blob = s.encrypt(&t).unwrap();
        let v: Value = serde_json::from_str(&blob).unwrap();
        assert_eq!(v["enckey"]["t"], "1");
        assert_eq!(v["enckey"]["c"], 14);
        assert_eq!(v["enckey"]["s"].as_str().unwrap().len(), 20);
        assert_eq!(v["enckey"]["k"].as_str().unwrap().len(), 32);
        assert!(blob.starts_with(r#"{"enckey":{"c":14,"k":""#));
        assert_eq!(s.decrypt(&blob).unwrap(), t);
    }

    #[test]
    fn newest_tag_encrypts_and_unknown_tags_fail() {
        let s = PasslibTotpSecrets::new([
            ("2".to_owned(), SecretString::new("two")),
            ("10".to_owned(), SecretString::new("ten")),
        ])
        .unwrap();
        assert_eq!(s.default_tag(), Some("10"));
        let blob = s.encrypt(&Totp::generate().unwrap()).unwrap();
        assert!(matches!(secrets().decrypt(&blob), Err(Error::UnknownTotpTag(t)) if t == "10"));
    }

    #[test]
    fn bad_blobs_are_errors_not_panics() {
        let s = secrets();
        for bad in [
            "",
            "{}",
            "[]",
            r#"{"type":"hotp","key":"AAAA"}"#,
            r#"{"enckey":{"c":99,"k":"AAAA","s":"AAAA","t":"1","v":1},"type":"totp","v":1}"#,
            r#"{"enckey":{"c":14,"k":"!!","s":"AAAA","t":"1","v":1},"type":"totp","v":1}"#,
            r#"{"key":"AAAAAAAA","digits":8}"#,
        ] {
            assert!(s.decrypt(bad).is_err(), "{bad}");
        }
        assert!(PasslibTotpSecrets::new([("a b".to_owned(), SecretString::new("x"))]).is_err());
    }

    #[test]
    fn clear_keys_without_secrets() {
        let s = PasslibTotpSecrets::default();
        let t = Totp::generate().unwrap();
        let blob = s.encrypt(&t).unwrap();
        assert!(blob.contains(r#""key":""#));
        assert_eq!(s.decrypt(&blob).unwrap(), t);
    }
}
