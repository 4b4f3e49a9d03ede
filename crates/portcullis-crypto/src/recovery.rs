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

#[cfg(test)]
mod tests {
    use super::*;

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
