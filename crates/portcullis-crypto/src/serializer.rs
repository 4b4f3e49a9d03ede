//! itsdangerous' `URLSafeTimedSerializer`, byte for byte.
//!
//! A token is `payload.timestamp.signature`:
//!
//! - payload: compact JSON (non-ASCII kept), zlib-compressed and prefixed
//!   with `.` when that is shorter, base64url without padding;
//! - timestamp: the signing time in whole seconds, big-endian without
//!   leading zero bytes, base64url;
//! - signature: HMAC-SHA1 over `payload.timestamp` with the key
//!   `SHA1(salt + "signer" + secret_key)`, base64url.
//!
//! Flask-Security passes `[SECRET_KEY, *SECRET_KEY_FALLBACKS]`; itsdangerous
//! signs with the **last** key and verifies with any. This type does the
//! same, so tokens stay interchangeable with a running Flask-Security app.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::{Compression, Decompress, FlushDecompress, Status};
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use serde_json::Value;
use sha1::{Digest, Sha1};

use crate::encoding::{urlsafe_decode, urlsafe_encode};
use crate::{Error, SecretString};

/// Decompressed payloads larger than this are refused (zip-bomb guard).
const MAX_PAYLOAD: u64 = 64 * 1024;

/// The token kinds Flask-Security signs, each with its own salt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// Email confirmation (`SECURITY_CONFIRM_SALT`).
    Confirm,
    /// Password reset (`SECURITY_RESET_SALT`).
    Reset,
    /// Passwordless login link (`SECURITY_LOGIN_SALT`).
    Login,
    /// Authentication tokens (`SECURITY_REMEMBER_SALT`).
    Remember,
    /// Change-email link (`SECURITY_CHANGE_EMAIL_SALT`).
    ChangeEmail,
    /// Unified sign-in setup state (`SECURITY_US_SETUP_SALT`).
    UsSetup,
    /// Two-factor setup state (`SECURITY_TWO_FACTOR_SETUP_SALT`).
    TfSetup,
    /// Two-factor "remember this device" cookie (`SECURITY_TWO_FACTOR_VALIDITY_SALT`).
    TfValidity,
    /// WebAuthn ceremony state (`SECURITY_WAN_SALT`).
    Wan,
    /// Refresh tokens (`SECURITY_REFRESH_TOKEN_SALT`; untimed).
    RefreshToken,
}

impl TokenKind {
    /// Every kind.
    pub const ALL: [TokenKind; 10] = [
        TokenKind::Confirm,
        TokenKind::Reset,
        TokenKind::Login,
        TokenKind::Remember,
        TokenKind::ChangeEmail,
        TokenKind::UsSetup,
        TokenKind::TfSetup,
        TokenKind::TfValidity,
        TokenKind::Wan,
        TokenKind::RefreshToken,
    ];

    /// Flask-Security's default salt for this kind.
    pub fn default_salt(self) -> &'static str {
        match self {
            TokenKind::Confirm => "confirm-salt",
            TokenKind::Reset => "reset-salt",
            TokenKind::Login => "login-salt",
            TokenKind::Remember => "remember-salt",
            TokenKind::ChangeEmail => "change-email-salt",
            TokenKind::UsSetup => "us-setup-salt",
            TokenKind::TfSetup => "tf-setup-salt",
            TokenKind::TfValidity => "tf-validity-salt",
            TokenKind::Wan => "wan-salt",
            TokenKind::RefreshToken => "refresh-token-salt",
        }
    }

    /// The name of the setting that overrides the salt.
    pub fn config_key(self) -> &'static str {
        match self {
            TokenKind::Confirm => "SECURITY_CONFIRM_SALT",
            TokenKind::Reset => "SECURITY_RESET_SALT",
            TokenKind::Login => "SECURITY_LOGIN_SALT",
            TokenKind::Remember => "SECURITY_REMEMBER_SALT",
            TokenKind::ChangeEmail => "SECURITY_CHANGE_EMAIL_SALT",
            TokenKind::UsSetup => "SECURITY_US_SETUP_SALT",
            TokenKind::TfSetup => "SECURITY_TWO_FACTOR_SETUP_SALT",
            TokenKind::TfValidity => "SECURITY_TWO_FACTOR_VALIDITY_SALT",
            TokenKind::Wan => "SECURITY_WAN_SALT",
            TokenKind::RefreshToken => "SECURITY_REFRESH_TOKEN_SALT",
        }
    }
}

/// Why a token was not accepted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a token, a bad signature, or an unreadable payload.
    #[error("invalid token")]
    Invalid,
    /// Signed correctly but older than allowed (or from the future). The
    /// payload is kept so a view can still say whose token it was.
    #[error("expired token")]
    Expired {
        /// The signed payload.
        payload: Value,
        /// When it was signed (Unix seconds).
        signed_at: i64,
    },
}

/// A token that verified.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The signed payload.
    pub payload: Value,
    /// When it was signed (Unix seconds).
    pub signed_at: i64,
}

/// itsdangerous' `URLSafeTimedSerializer` (and, through
/// [`dumps_untimed`](Self::dumps_untimed), `URLSafeSerializer`).
#[derive(Clone)]
pub struct UrlSafeTimedSerializer {
    /// Derived signing keys, one per secret key, in configuration order.
    keys: Vec<[u8; 20]>,
}

impl std::fmt::Debug for UrlSafeTimedSerializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlSafeTimedSerializer")
            .field("keys", &self.keys.len())
            .finish()
    }
}

impl UrlSafeTimedSerializer {
    /// A serializer for `salt` over `secret_keys` (`[SECRET_KEY,
    /// *SECRET_KEY_FALLBACKS]`). Signs with the last key.
    pub fn new<'a>(
        secret_keys: impl IntoIterator<Item = &'a SecretString>,
        salt: &str,
    ) -> crate::Result<Self> {
        let keys: Vec<[u8; 20]> = secret_keys
            .into_iter()
            .map(|k| derive_key(k.expose().as_bytes(), salt.as_bytes()))
            .collect();
        if keys.is_empty() {
            return Err(Error::MissingSecretKey);
        }
        Ok(Self { keys })
    }

    /// Flask's session cookie serializer (`SecureCookieSessionInterface`):
    /// salt `cookie-session`, itsdangerous' "hmac" key derivation, SHA-1.
    /// `secret_keys` as Flask 3.1 orders them, `[*SECRET_KEY_FALLBACKS,
    /// SECRET_KEY]` (it signs with the last, `SECRET_KEY`).
    pub fn flask_session<'a>(
        secret_keys: impl IntoIterator<Item = &'a SecretString>,
    ) -> crate::Result<Self> {
        let keys: Vec<[u8; 20]> = secret_keys
            .into_iter()
            .map(|k| derive_key_hmac(k.expose().as_bytes(), b"cookie-session"))
            .collect();
        if keys.is_empty() {
            return Err(Error::MissingSecretKey);
        }
        Ok(Self { keys })
    }

    fn signing_key(&self) -> &[u8; 20] {
        // `new` refuses an empty key list, so `last` is always present.
        &self.keys[self.keys.len() - 1]
    }

    /// Signs `payload` stamped with `timestamp` (Unix seconds).
    pub fn dumps<T: Serialize + ?Sized>(&self, payload: &T, timestamp: i64) -> String {
        let mut value = encode_payload(payload);
        value.push('.');
        value.push_str(&urlsafe_encode(&int_to_bytes(timestamp)));
        let sig = sign(self.signing_key(), value.as_bytes());
        value.push('.');
        value.push_str(&sig);
        value
    }

    /// Signs `payload` without a timestamp (itsdangerous' `URLSafeSerializer`,
    /// used by Flask-Security's refresh tokens).
    pub fn dumps_untimed<T: Serialize + ?Sized>(&self, payload: &T) -> String {
        let mut value = encode_payload(payload);
        let sig = sign(self.signing_key(), value.as_bytes());
        value.push('.');
        value.push_str(&sig);
        value
    }

    /// Verifies `token`. With `max_age` (seconds), a token older than that,
    /// or signed after `now`, is [`TokenError::Expired`].
    pub fn loads(&self, token: &str, max_age: Option<i64>, now: i64) -> Result<Loaded, TokenError> {
        let value = self.unsign(token)?;
        let (payload, ts) = value.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let signed_at = bytes_to_int(&urlsafe_decode(ts).ok_or(TokenError::Invalid)?)
            .ok_or(TokenError::Invalid)?;
        let payload = decode_payload(payload).ok_or(TokenError::Invalid)?;
        if let Some(max_age) = max_age {
            let age = now.saturating_sub(signed_at);
            if age > max_age || age < 0 {
                return Err(TokenError::Expired { payload, signed_at });
            }
        }
        Ok(Loaded { payload, signed_at })
    }

    /// Verifies an untimed token.
    pub fn loads_untimed(&self, token: &str) -> Result<Value, TokenError> {
        let value = self.unsign(token)?;
        decode_payload(value).ok_or(TokenError::Invalid)
    }

    /// Checks the signature with every key; returns the signed value.
    fn unsign<'t>(&self, token: &'t str) -> Result<&'t str, TokenError> {
        let (value, sig) = token.rsplit_once('.').ok_or(TokenError::Invalid)?;
        let sig = urlsafe_decode(sig).ok_or(TokenError::Invalid)?;
        let mut ok = false;
        for key in &self.keys {
            let mut mac = hmac_sha1(key);
            mac.update(value.as_bytes());
            // Constant-time; check every key so timing does not tell which matched.
            ok |= mac.verify_slice(&sig).is_ok();
        }
        if ok {
            Ok(value)
        } else {
            Err(TokenError::Invalid)
        }
    }
}

/// itsdangerous' "django-concat" key derivation with SHA-1.
fn derive_key(secret: &[u8], salt: &[u8]) -> [u8; 20] {
    let mut h = Sha1::new();
    h.update(salt);
    h.update(b"signer");
    h.update(secret);
    h.finalize().into()
}

/// itsdangerous' "hmac" key derivation with SHA-1 (Flask's sessions).
fn derive_key_hmac(secret: &[u8], salt: &[u8]) -> [u8; 20] {
    let mut mac = match Hmac::<Sha1>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes any key length"),
    };
    mac.update(salt);
    mac.finalize().into_bytes().into()
}

fn hmac_sha1(key: &[u8; 20]) -> Hmac<Sha1> {
    match Hmac::<Sha1>::new_from_slice(key) {
        Ok(m) => m,
        // HMAC accepts keys of any length.
        Err(_) => unreachable!("HMAC takes any key length"),
    }
}

fn sign(key: &[u8; 20], value: &[u8]) -> String {
    let mut mac = hmac_sha1(key);
    mac.update(value);
    urlsafe_encode(&mac.finalize().into_bytes())
}

fn encode_payload<T: Serialize + ?Sized>(payload: &T) -> String {
    // Serialising JSON values and derived types into a String cannot fail.
    let json = serde_json::to_vec(payload).unwrap_or_default();
    let mut enc = ZlibEncoder::new(Vec::new(), Compression::new(6));
    let compressed = enc.write_all(&json).and_then(|()| enc.finish()).ok();
    match compressed {
        Some(c) if c.len() < json.len().saturating_sub(1) => {
            let mut s = String::from(".");
            s.push_str(&urlsafe_encode(&c));
            s
        }
        _ => urlsafe_encode(&json),
    }
}

fn decode_payload(s: &str) -> Option<Value> {
    let (compressed, b64) = match s.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let raw = urlsafe_decode(b64)?;
    let json = if compressed { inflate(&raw)? } else { raw };
    serde_json::from_slice(&json).ok()
}

/// A zlib stream, decompressed in as few calls as possible: with room for
/// the whole output, zlib finishes in one call and never allocates its
/// 32 KiB window (a streaming reader did, on every authenticated request).
/// `None` for a broken, truncated or over-long (> `MAX_PAYLOAD`) stream.
fn inflate(raw: &[u8]) -> Option<Vec<u8>> {
    let limit = usize::try_from(MAX_PAYLOAD).unwrap_or(usize::MAX);
    let mut d = Decompress::new(true);
    let mut out = Vec::with_capacity(raw.len().saturating_mul(4).clamp(256, limit + 1));
    loop {
        let (read, written) = (d.total_in(), d.total_out());
        let rest = raw.get(usize::try_from(read).ok()?..)?;
        let status = d
            .decompress_vec(rest, &mut out, FlushDecompress::Finish)
            .ok()?;
        if status == Status::StreamEnd {
            return (out.len() <= limit).then_some(out);
        }
        if out.len() > limit {
            return None;
        }
        if out.len() == out.capacity() {
            let more = out.capacity().min(limit + 1 - out.len()).max(1);
            out.reserve_exact(more);
        } else if d.total_in() == read && d.total_out() == written {
            // No progress with room to spare: the input ended early.
            return None;
        }
    }
}

fn int_to_bytes(n: i64) -> Vec<u8> {
    let bytes = n.max(0).to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

fn bytes_to_int(b: &[u8]) -> Option<i64> {
    if b.len() > 8 {
        return None;
    }
    let mut buf = [0u8; 8];
    buf[8 - b.len()..].copy_from_slice(b);
    i64::try_from(u64::from_be_bytes(buf)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ser(salt: &str) -> UrlSafeTimedSerializer {
        UrlSafeTimedSerializer::new(&[SecretString::new("secret")], salt).unwrap()
    }

    #[test]
    fn compression_only_when_itsdangerous_compresses() {
        // zlib makes this 16-byte JSON 15 bytes: itsdangerous compresses
        // only when that is below len - 1, so it stays plain.
        assert_eq!(
            encode_payload(&json!("bbbbababababab")),
            "ImJiYmJhYmFiYWJhYmFiIg"
        );
    }

    #[test]
    fn timestamps_of_up_to_eight_bytes() {
        assert_eq!(bytes_to_int(&[0, 0, 0, 0, 0, 0, 0, 1]), Some(1));
        assert_eq!(bytes_to_int(&[1]), Some(1));
        assert_eq!(bytes_to_int(&[]), Some(0));
        assert_eq!(bytes_to_int(&[1; 9]), None, "nine bytes: refused, no panic");
        assert_eq!(
            bytes_to_int(&[0x80, 0, 0, 0, 0, 0, 0, 0]),
            None,
            "beyond i64"
        );
        assert_eq!(int_to_bytes(1_000), vec![0x03, 0xe8]);
        assert_eq!(int_to_bytes(-5), Vec::<u8>::new());
    }

    #[test]
    fn untimed_tokens_are_itsdangerous_url_safe_serializer() {
        // itsdangerous 2.2: URLSafeSerializer(["secret-1"], salt="refresh-token-salt").dumps(…)
        let s = UrlSafeTimedSerializer::new(&[SecretString::new("secret-1")], "refresh-token-salt")
            .unwrap();
        let vector = "eyJmYW0iOiJhYmMiLCJnZW4iOjJ9.WWky-29xaRYxmMgV64atQ-dmh84";
        assert_eq!(s.dumps_untimed(&json!({"fam": "abc", "gen": 2})), vector);
        assert_eq!(s.dumps_untimed("x"), "Ingi.Xe9fQnahvv707VSuH5LDtdGgeZg");
        assert_eq!(
            s.loads_untimed(vector).unwrap(),
            json!({"fam": "abc", "gen": 2})
        );
    }

    #[test]
    fn a_token_of_age_zero_is_fresh_and_one_from_the_future_is_not() {
        let s = ser("confirm-salt");
        let t = s.dumps(&json!("p"), 1_000);
        assert!(s.loads(&t, Some(10), 1_000).is_ok(), "age 0");
        assert!(s.loads(&t, Some(10), 1_010).is_ok(), "age = max_age");
        assert!(matches!(
            s.loads(&t, Some(10), 1_011),
            Err(TokenError::Expired { .. })
        ));
        assert!(matches!(
            s.loads(&t, Some(10), 999),
            Err(TokenError::Expired { .. })
        ));
    }

    #[test]
    fn kinds_name_flask_securitys_settings_and_debug_shows_no_key() {
        for (kind, key, salt) in [
            (TokenKind::Confirm, "SECURITY_CONFIRM_SALT", "confirm-salt"),
            (TokenKind::Reset, "SECURITY_RESET_SALT", "reset-salt"),
            (TokenKind::Login, "SECURITY_LOGIN_SALT", "login-salt"),
            (
                TokenKind::Remember,
                "SECURITY_REMEMBER_SALT",
                "remember-salt",
            ),
            (
                TokenKind::ChangeEmail,
                "SECURITY_CHANGE_EMAIL_SALT",
                "change-email-salt",
            ),
            (
                TokenKind::UsSetup,
                "SECURITY_US_SETUP_SALT",
                "us-setup-salt",
            ),
            (
                TokenKind::TfSetup,
                "SECURITY_TWO_FACTOR_SETUP_SALT",
                "tf-setup-salt",
            ),
            (
                TokenKind::TfValidity,
                "SECURITY_TWO_FACTOR_VALIDITY_SALT",
                "tf-validity-salt",
            ),
            (TokenKind::Wan, "SECURITY_WAN_SALT", "wan-salt"),
            (
                TokenKind::RefreshToken,
                "SECURITY_REFRESH_TOKEN_SALT",
                "refresh-token-salt",
            ),
        ] {
            assert_eq!(kind.config_key(), key);
            assert_eq!(kind.default_salt(), salt);
        }
        let debug = format!("{:?}", ser("s"));
        assert_eq!(debug, "UrlSafeTimedSerializer { keys: 1 }");
    }

    #[test]
    fn reads_flasks_own_session_cookie() {
        // Made by Flask 3's SecureCookieSessionInterface with
        // SECRET_KEY = "flask-session-vector-secret" at 1796253658.
        let cookie = ".eJwljEEOwyAMBP_ic1Q5BBLMZywTjFpVpRGQU9W_N2mOo52dD_DetPIjQQBMZLzgKIreSvQ0TXbxRJGQkrMrDMC5artD6HXXg_43ieeSG28iEMaFZuMMIt7cAGurmfv7qeUQM-KZ2LS-pGjpV-b7A-33J1A.axCn2g.1qcrm-aF0GUdPmPkjsqoVNuHEIY";
        let key = SecretString::new("flask-session-vector-secret");
        let s = UrlSafeTimedSerializer::flask_session([&key]).unwrap();
        let loaded = s.loads(cookie, Some(31 * 86400), 1_796_253_700).unwrap();
        assert_eq!(
            loaded.payload["_user_id"],
            "0d928a01ae084ab893347899b909d54c"
        );
        assert_eq!(loaded.payload["_fresh"], true);
        assert_eq!(loaded.payload["fs_paa"], 1_796_252_000.5);
        // Not under another key, nor as an itsdangerous token of the same salt.
        let other = SecretString::new("another");
        assert!(
            UrlSafeTimedSerializer::flask_session([&other])
                .unwrap()
                .loads(cookie, None, 0)
                .is_err()
        );
        assert!(
            UrlSafeTimedSerializer::new([&key], "cookie-session")
                .unwrap()
                .loads(cookie, None, 0)
                .is_err()
        );
        // What Portcullis signs, Flask's recipe reads back.
        let made = s.dumps(&loaded.payload, 1_796_253_700);
        assert_eq!(s.loads(&made, None, 0).unwrap().payload, loaded.payload);
    }

    #[test]
    fn derived_key_matches_itsdangerous() {
        let k = derive_key(b"secret", b"remember-salt");
        assert_eq!(
            crate::encoding::hex_lower(&k),
            "667cffedf84f7c6f1cb6acdae1e041adcd09e917"
        );
    }

    #[test]
    fn compressed_research_vectors_load() {
        // Inventory section 12: SECRET_KEY "secret", signed at 1700000000.
        let tf = ".eJxTMjA0MjYxNTO3sExMSk5JTUPnKwEAkmIJCQ.ZVPxAA.OwWhBfX9qJQQqk9qlk3R1TAF8OM";
        let got = ser("tf-validity-salt").loads(tf, None, 0).unwrap();
        assert_eq!(got.payload, json!("0123456789abcdef0123456789abcdef"));
        assert_eq!(got.signed_at, 1_700_000_000);
        let auth = ".eJyrVipLLVKyUjJV0lEqzUwBsgwMjYxNTM3MLSwTk5JTUtPQ-UCFacXxBYmJSlaG5gZQoGego5RaUaBkZVALAIfkFbI.ZVPxAA.RvF6yQmhT9dGK-Azw4_v3eIhJ0E";
        let got = ser("remember-salt").loads(auth, None, 0).unwrap();
        assert_eq!(
            got.payload["uid"],
            json!("0123456789abcdef0123456789abcdef")
        );
        assert_eq!(got.payload["fs_paa"], json!(1700000000.0));
        let refresh = ".eJxdjMsKgzAQRf9l1lImPjLqz8hoJiUQpZiktBT_3Sm0G-_qvjgfeMoOIxiooASnDk3dtJ2lfuB5ceKvWY_yeoRd0sQZRkNIRBYRb1hB5JSnksT9t5--28arKF8RXGJWjOc1xLdWXtwy89CT7dqmNnjN-r3LprzjBM85MRE.KQtTsOYCrQ45diFJhjPPf8-iKxY";
        let got = ser("refresh-token-salt").loads_untimed(refresh).unwrap();
        assert_eq!(got["family"], json!("fedcba9876543210fedcba9876543210"));
    }

    #[test]
    fn compression_round_trips() {
        let s = ser("confirm-salt");
        let payload = json!({"a": "x".repeat(300)});
        let t = s.dumps(&payload, 1_700_000_000);
        assert!(t.starts_with('.'));
        assert_eq!(
            s.loads(&t, Some(10), 1_700_000_005).unwrap().payload,
            payload
        );
    }

    #[test]
    fn expiry_and_future_tokens() {
        let s = ser("reset-salt");
        let t = s.dumps(&json!(["u"]), 1000);
        assert!(s.loads(&t, Some(60), 1060).is_ok());
        assert_eq!(
            s.loads(&t, Some(60), 1061),
            Err(TokenError::Expired {
                payload: json!(["u"]),
                signed_at: 1000
            })
        );
        assert!(matches!(
            s.loads(&t, Some(60), 999),
            Err(TokenError::Expired { .. })
        ));
        assert!(s.loads(&t, None, 999).is_ok());
    }

    #[test]
    fn tampering_and_wrong_salt_and_garbage_are_invalid() {
        let s = ser("reset-salt");
        let t = s.dumps(&json!(["u"]), 1000);
        assert_eq!(
            ser("confirm-salt").loads(&t, None, 0),
            Err(TokenError::Invalid)
        );
        let mut bad = t.clone();
        bad.insert(1, 'A');
        assert_eq!(s.loads(&bad, None, 0), Err(TokenError::Invalid));
        for garbage in ["", ".", "..", "a.b.c", "%%%.%%%.%%%", "x.y"] {
            assert_eq!(
                s.loads(garbage, None, 0),
                Err(TokenError::Invalid),
                "{garbage}"
            );
        }
    }

    #[test]
    fn key_rotation_signs_with_last_and_verifies_with_any() {
        let old = UrlSafeTimedSerializer::new(&[SecretString::new("old")], "s").unwrap();
        let new = UrlSafeTimedSerializer::new(&[SecretString::new("new")], "s").unwrap();
        let both =
            UrlSafeTimedSerializer::new(&[SecretString::new("new"), SecretString::new("old")], "s")
                .unwrap();
        let from_old = old.dumps(&json!(1), 5);
        assert!(both.loads(&from_old, None, 5).is_ok());
        assert!(both.loads(&new.dumps(&json!(1), 5), None, 5).is_ok());
        // Like itsdangerous given [SECRET_KEY, *fallbacks]: the last key signs.
        assert_eq!(both.dumps(&json!(1), 5), from_old);
        assert!(UrlSafeTimedSerializer::new(&[], "s").is_err());
    }

    #[test]
    fn oversized_compressed_payload_is_refused() {
        let s = ser("x");
        let t = s.dumps(&json!("a".repeat(70_000)), 1);
        assert!(t.starts_with('.'));
        assert_eq!(s.loads(&t, None, 1), Err(TokenError::Invalid));
    }

    #[test]
    fn inflate_grows_and_refuses_broken_streams() {
        let zlib = |data: &[u8]| {
            let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        };
        // Far more than the first guess of four times the input.
        let big = "ab".repeat(20_000);
        assert_eq!(inflate(&zlib(big.as_bytes())).unwrap(), big.as_bytes());
        let exact = "c".repeat(usize::try_from(MAX_PAYLOAD).unwrap());
        assert_eq!(inflate(&zlib(exact.as_bytes())).unwrap().len(), exact.len());
        let over = "c".repeat(usize::try_from(MAX_PAYLOAD).unwrap() + 1);
        assert_eq!(inflate(&zlib(over.as_bytes())), None);
        // Exactly the limit, arriving as the buffer fills to exactly the
        // limit (a 128-byte input starts at 512 and doubles to 65536):
        // the stream's end comes in a later call, and is still accepted.
        let mut padded = zlib(exact.as_bytes());
        assert!(padded.len() <= 128);
        padded.resize(128, 0);
        assert_eq!(inflate(&padded).map(|o| o.len()), Some(exact.len()));
        // Truncated in the middle: no progress with room left is the end.
        let whole = zlib(big.as_bytes());
        assert_eq!(inflate(&whole[..whole.len() / 2]), None);
        let ok = zlib(br#"{"uid": "abc"}"#);
        assert_eq!(inflate(&ok).unwrap(), br#"{"uid": "abc"}"#);
        // Truncated, checksum broken, not zlib at all, empty.
        assert_eq!(inflate(&ok[..ok.len() - 3]), None);
        let mut bad_sum = ok.clone();
        *bad_sum.last_mut().unwrap() ^= 1;
        assert_eq!(inflate(&bad_sum), None);
        assert_eq!(inflate(b"not zlib"), None);
        assert_eq!(inflate(b""), None);
    }

    #[test]
    fn timestamp_bytes() {
        assert_eq!(int_to_bytes(1_700_000_000), vec![0x65, 0x53, 0xf1, 0x00]);
        assert_eq!(bytes_to_int(&[0x65, 0x53, 0xf1, 0x00]), Some(1_700_000_000));
        assert_eq!(int_to_bytes(0), Vec::<u8>::new());
    }
}
