//! passlib's `plaintext` scheme (behind the `danger-plaintext` feature).

use crate::secret::ct_eq;

pub(crate) fn hash(secret: &[u8]) -> String {
    String::from_utf8_lossy(secret).into_owned()
}

pub(crate) fn verify(secret: &[u8], stored: &str) -> bool {
    ct_eq(secret, stored.as_bytes())
}
