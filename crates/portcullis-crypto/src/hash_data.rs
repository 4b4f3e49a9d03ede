//! Flask-Security's `hash_data` / `verify_hash`: the hashes it embeds in
//! emailed tokens (for example the confirmation token's hash of the email
//! address). A separate passlib context (`SECURITY_HASHING_SCHEMES`):
//! `sha256_crypt` by default, `hex_md5` still accepted. No pre-hash.

use md5::{Digest, Md5};

use crate::encoding::hex_lower;
use crate::password::{CryptContext, Scheme};
use crate::secret::ct_eq;

/// Hashes `data` as Flask-Security's `hash_data` does (sha256_crypt,
/// 535000 rounds).
pub fn hash_data(data: &str) -> crate::Result<String> {
    CryptContext::builder()
        .schemes([Scheme::Sha256Crypt])
        .default_scheme(Scheme::Sha256Crypt)
        .build()?
        .hash(data.as_bytes())
}

/// Checks `data` against a `hash_data` value (sha256_crypt or hex_md5).
/// Unreadable hashes do not verify.
pub fn verify_hash(hashed: &str, data: &str) -> bool {
    if hashed.len() == 32 && hashed.bytes().all(|b| b.is_ascii_hexdigit()) {
        let digest = hex_lower(&Md5::digest(data.as_bytes()));
        return ct_eq(digest.as_bytes(), hashed.to_ascii_lowercase().as_bytes());
    }
    CryptContext::builder()
        .schemes([Scheme::Sha256Crypt])
        .default_scheme(Scheme::Sha256Crypt)
        .build()
        .and_then(|c| c.verify(data.as_bytes(), hashed))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn research_vector_verifies() {
        // From the inventory's section 12: hash_data("a@b.com") with a fixed salt.
        let h = "$5$rounds=535000$abcdefghijklmnop$MSNeJl2AMWWoINgQ37L.JElkPBtGPAlSxl7WXn9HlU9";
        assert!(verify_hash(h, "a@b.com"));
        assert!(!verify_hash(h, "a@b.org"));
    }

    #[test]
    fn hex_md5_is_accepted() {
        assert!(verify_hash("d8e8fca2dc0f896fd7cb4cb0031ba249", "test\n"));
        assert!(!verify_hash("d8e8fca2dc0f896fd7cb4cb0031ba249", "test"));
    }

    #[test]
    fn round_trip() {
        let h = hash_data("someone@example.com").unwrap();
        assert!(h.starts_with("$5$rounds=535000$"));
        assert!(verify_hash(&h, "someone@example.com"));
        assert!(!verify_hash("garbage", "someone@example.com"));
    }
}
