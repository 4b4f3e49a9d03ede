//! Multi-factor recovery codes as Flask-Security makes them: 12 random hex
//! characters written `xxxx-xxxx-xxxx`, stored comma-joined in
//! `mf_recovery_codes`, each usable once, matched exactly.

use crate::Result;
use crate::encoding::hex_lower;
use crate::random;
use crate::secret::ct_eq;

/// One new recovery code.
pub fn generate_code() -> Result<String> {
    let hex = hex_lower(&random::bytes::<6>()?);
    Ok(format!("{}-{}-{}", &hex[0..4], &hex[4..8], &hex[8..12]))
}

/// `n` new codes (`SECURITY_MULTI_FACTOR_RECOVERY_CODES_N`, default 5).
pub fn generate_codes(n: usize) -> Result<Vec<String>> {
    (0..n).map(|_| generate_code()).collect()
}

/// The stored form of a list of codes (comma-joined, as SQLAlchemy's
/// `AsaList` writes it).
pub fn join_codes(codes: &[String]) -> String {
    codes.join(",")
}

/// Reads the stored form; empty or missing means no codes.
pub fn split_codes(stored: Option<&str>) -> Vec<String> {
    stored
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The index of `code` among `codes`, compared in constant time.
pub fn find_code(codes: &[String], code: &str) -> Option<usize> {
    let mut found = None;
    for (i, c) in codes.iter().enumerate() {
        if ct_eq(c.as_bytes(), code.trim().as_bytes()) && found.is_none() {
            found = Some(i);
        }
    }
    found
}

/// Recovery codes encrypted at rest
/// (`SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS`): cryptography's
/// `MultiFernet` as Flask-Security uses it — the first key encrypts, every
/// key decrypts, and `SECURITY_MULTI_FACTOR_RECOVERY_CODE_TTL` bounds a
/// stored code's age.
#[derive(Clone)]
pub struct CodeCipher {
    keys: Vec<fernet::Fernet>,
    ttl_secs: Option<u64>,
}

impl std::fmt::Debug for CodeCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeCipher")
            .field("keys", &self.keys.len())
            .field("ttl_secs", &self.ttl_secs)
            .finish()
    }
}

impl CodeCipher {
    /// From Fernet keys (32 bytes, URL-safe base64, as
    /// `Fernet.generate_key()` makes them); `None` when a key is not one or
    /// there is none.
    pub fn new<'a>(
        keys: impl IntoIterator<Item = &'a crate::SecretString>,
        ttl_secs: Option<u64>,
    ) -> Option<Self> {
        let keys = keys
            .into_iter()
            .map(|k| fernet::Fernet::new(k.expose().trim()))
            .collect::<Option<Vec<_>>>()?;
        (!keys.is_empty()).then_some(Self { keys, ttl_secs })
    }

    /// A code as stored: a Fernet token under the first key.
    pub fn encrypt(&self, code: &str) -> String {
        self.keys[0].encrypt(code.as_bytes())
    }

    /// The code a stored token holds, when a key opens it (and it is not
    /// older than the time to live); `None` otherwise.
    pub fn decrypt(&self, stored: &str) -> Option<String> {
        self.keys.iter().find_map(|k| {
            let plain = match self.ttl_secs {
                Some(ttl) => k.decrypt_with_ttl(stored, ttl),
                None => k.decrypt(stored),
            };
            plain.ok().and_then(|p| String::from_utf8(p).ok())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made by Python's cryptography (Fernet), as Flask-Security stores
    // codes with SECURITY_MULTI_FACTOR_RECOVERY_CODES_KEYS = [K1, K2].
    const K1: &str = "SncEd0j6E70aXC5E9XmY6G55cYu0Z2yODygn5ag20vg=";
    const K2: &str = "fU-ynLfSCWzctRmQGEntLGXWAwM-qK8ljExs1HA6QJ4=";
    const BY_K1: &str = "gAAAAABrEKFcrmAUDyWw28CEdGzMpeuW5Q2d45sIM13VrE79OQ6F8btvU13_nDaySptSHn06yYfz-tnL5H7CYz_4h86grsGbsQ==";
    const BY_K2: &str = "gAAAAABrEKFc6t46HQpQRQbSwBfczEzyNjTLztWASsxvzYpQO0WDhnKrA_KKapK4PusY1SDWtrwi-3I131ps2Dih2FpiRKY_1Q==";

    fn keys(k: &[&str]) -> Vec<crate::SecretString> {
        k.iter().map(|k| crate::SecretString::new(*k)).collect()
    }

    #[test]
    fn opens_what_python_fernet_sealed_with_any_key() {
        let c = CodeCipher::new(&keys(&[K1, K2]), None).unwrap();
        assert_eq!(c.decrypt(BY_K1).as_deref(), Some("abcd-1234-ef56"));
        assert_eq!(c.decrypt(BY_K2).as_deref(), Some("0000-1111-2222"));
        let only_k2 = CodeCipher::new(&keys(&[K2]), None).unwrap();
        assert_eq!(only_k2.decrypt(BY_K1), None);
        let sealed = c.encrypt("aaaa-bbbb-cccc");
        assert!(sealed.starts_with("gAAAAA"), "{sealed}");
        assert_eq!(c.decrypt(&sealed).as_deref(), Some("aaaa-bbbb-cccc"));
        // The first key seals: a cipher with K1 alone still opens it.
        let only_k1 = CodeCipher::new(&keys(&[K1]), None).unwrap();
        assert_eq!(only_k1.decrypt(&sealed).as_deref(), Some("aaaa-bbbb-cccc"));
        assert_eq!(
            c.decrypt("aaaa-bbbb-cccc"),
            None,
            "plaintext is not a token"
        );
        assert_eq!(c.decrypt(&format!("{}x", &BY_K1[..BY_K1.len() - 3])), None);
        assert!(!format!("{c:?}").contains(K1));
    }

    #[test]
    fn a_time_to_live_bounds_a_codes_age() {
        // BY_K1 was made on 2026-12-02; a one-second life has long ended.
        let c = CodeCipher::new(&keys(&[K1]), Some(1)).unwrap();
        assert_eq!(c.decrypt(BY_K1), None);
        let day = CodeCipher::new(&keys(&[K1]), Some(86_400)).unwrap();
        assert!(day.decrypt(&day.encrypt("aaaa-bbbb-cccc")).is_some());
    }

    #[test]
    fn bad_keys_are_refused() {
        assert!(CodeCipher::new(&keys(&[]), None).is_none());
        assert!(CodeCipher::new(&keys(&["not-a-key"]), None).is_none());
        assert!(CodeCipher::new(&keys(&[K1, "short"]), None).is_none());
    }

    #[test]
    fn codes_have_flask_security_shape() {
        let codes = generate_codes(5).unwrap();
        assert_eq!(codes.len(), 5);
        for c in &codes {
            assert_eq!(c.len(), 14);
            let parts: Vec<_> = c.split('-').collect();
            assert_eq!(parts.len(), 3);
            assert!(
                parts
                    .iter()
                    .all(|p| p.len() == 4 && p.bytes().all(|b| b.is_ascii_hexdigit()))
            );
        }
        let mut dedup = codes.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), 5);
    }

    #[test]
    fn storage_round_trip_and_lookup() {
        let codes = vec!["aaaa-bbbb-cccc".to_owned(), "1111-2222-3333".to_owned()];
        let stored = join_codes(&codes);
        assert_eq!(stored, "aaaa-bbbb-cccc,1111-2222-3333");
        assert_eq!(split_codes(Some(&stored)), codes);
        assert!(split_codes(None).is_empty());
        assert!(split_codes(Some("")).is_empty());
        assert_eq!(find_code(&codes, "1111-2222-3333"), Some(1));
        assert_eq!(find_code(&codes, "1111-2222-3334"), None);
    }
}
