//! Random bytes from the operating system.

use crate::{Error, Result};

/// Fills `buf` with cryptographically secure random bytes.
pub fn fill(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| Error::Random)
}

/// `N` cryptographically secure random bytes.
pub fn bytes<const N: usize>() -> Result<[u8; N]> {
    let mut b = [0u8; N];
    fill(&mut b)?;
    Ok(b)
}

/// 32 lowercase hex characters of randomness (a UUID4-hex-sized identifier
/// such as Flask-Security's `fs_uniquifier`).
pub fn hex_token(n_bytes: usize) -> Result<String> {
    let mut b = vec![0u8; n_bytes];
    fill(&mut b)?;
    Ok(crate::encoding::hex_lower(&b))
}
