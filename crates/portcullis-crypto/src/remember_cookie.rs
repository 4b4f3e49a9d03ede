//! Flask-Login 0.6's remember-me cookie, byte for byte:
//! `"<user id>|" + hex(HMAC-SHA512(SECRET_KEY as Latin-1, user id))`.
//!
//! Flask-Security puts the user's `fs_uniquifier` in it, so rotating the
//! uniquifier (a password change or reset) kills every remember cookie.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;

use crate::SecretString;
use crate::secret::ct_eq;

/// Flask-Login's `_secret_key`: a text key as Latin-1 bytes (a key with a
/// character beyond U+00FF, which Python would refuse, is used as UTF-8).
fn key_bytes(key: &str) -> Vec<u8> {
    if key.chars().all(|c| u32::from(c) <= 0xFF) {
        key.chars().map(|c| c as u8).collect()
    } else {
        key.as_bytes().to_vec()
    }
}

/// Flask-Login's `_cookie_digest`: the HMAC's lower-case hex.
fn digest(key: &str, payload: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha512>::new_from_slice(&key_bytes(key)) else {
        return String::new();
    };
    mac.update(payload.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The cookie value for `user_id`, signed with `key` (`SECRET_KEY`).
pub fn encode(user_id: &str, key: &SecretString) -> String {
    format!("{user_id}|{}", digest(key.expose(), user_id))
}

/// The user id a cookie carries, when one of `keys` signed it (Flask-Login
/// checks `SECRET_KEY` only; the fallbacks are accepted too, so rotating the
/// key does not log everyone out). Constant-time.
pub fn decode(cookie: &str, keys: &[SecretString]) -> Option<String> {
    let (payload, hex) = cookie.rsplit_once('|')?;
    if payload.is_empty() {
        return None;
    }
    keys.iter()
        .any(|k| ct_eq(digest(k.expose(), payload).as_bytes(), hex.as_bytes()))
        .then(|| payload.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by Flask-Login 0.6.3's `encode_cookie` with
    // SECRET_KEY = "remember-vector-secret".
    const UID: &str = "6f1c9a2b4d7e4c1f8a3b5d9e0f2a4c6e";
    const COOKIE: &str = "6f1c9a2b4d7e4c1f8a3b5d9e0f2a4c6e|3849c1211094434b87e8d612d5ba9c0dd712fa8b42c68a59ffc4537acbf8d564aac7090a400b83e10aabc0844647f691bb3987a9239c1535438db3d2c5e1ddb4";

    fn key() -> SecretString {
        SecretString::new("remember-vector-secret")
    }

    #[test]
    fn matches_flask_login() {
        assert_eq!(encode(UID, &key()), COOKIE);
        assert_eq!(decode(COOKIE, &[key()]).as_deref(), Some(UID));
    }

    #[test]
    fn refuses_anything_else() {
        let other = SecretString::new("another key");
        assert_eq!(decode(COOKIE, std::slice::from_ref(&other)), None);
        assert_eq!(decode(COOKIE, &[other, key()]).as_deref(), Some(UID));
        let tampered = COOKIE.replacen("6f1c", "6f1d", 1);
        assert_eq!(decode(&tampered, &[key()]), None);
        for bad in [
            "",
            "|",
            "abc",
            &format!("{UID}|"),
            &format!("{UID}|zz"),
            &COOKIE[..COOKIE.len() - 1],
            &format!("|{}", &COOKIE[UID.len() + 1..]),
        ] {
            assert_eq!(decode(bad, &[key()]), None, "{bad}");
        }
        // Flask-Login compares the hex text: upper case is not the same.
        let upper = format!("{UID}|{}", COOKIE[UID.len() + 1..].to_uppercase());
        assert_eq!(decode(&upper, &[key()]), None);
    }
}
