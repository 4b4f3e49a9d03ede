//! bcrypt in passlib's `$2b$` format.

use crate::password::Scheme;
use crate::{Error, Result, random};

fn malformed(reason: &'static str) -> Error {
    Error::MalformedHash {
        scheme: Scheme::Bcrypt,
        reason,
    }
}

pub(crate) fn validate_rounds(rounds: u32) -> Result<()> {
    if (4..=31).contains(&rounds) {
        Ok(())
    } else {
        Err(Error::InvalidParameters {
            scheme: Scheme::Bcrypt,
            reason: format!("rounds must be between 4 and 31, not {rounds}"),
        })
    }
}

/// Hashes at most the first 72 bytes of `secret`, as bcrypt always has.
pub(crate) fn hash(secret: &[u8], rounds: u32) -> Result<String> {
    let salt = random::bytes::<16>()?;
    let secret = &secret[..secret.len().min(72)];
    let parts =
        bcrypt::hash_with_salt(secret, rounds, salt).map_err(|e| Error::InvalidParameters {
            scheme: Scheme::Bcrypt,
            reason: e.to_string(),
        })?;
    Ok(parts.format_for_version(bcrypt::Version::TwoB))
}

pub(crate) fn verify(secret: &[u8], hash: &str) -> Result<bool> {
    if hash.len() != 60 {
        return Err(malformed("a bcrypt hash is 60 characters"));
    }
    let secret = &secret[..secret.len().min(72)];
    bcrypt::verify(secret, hash).map_err(|_| malformed("not a valid bcrypt hash"))
}

fn cost(hash: &str) -> Option<u32> {
    hash.get(4..6)?.parse().ok()
}

/// passlib rewrites `$2a$`/`$2y$` as `$2b$`; weaker cost also needs an update.
pub(crate) fn needs_update(hash: &str, rounds: u32) -> bool {
    !hash.starts_with("$2b$") || cost(hash).is_none_or(|c| c < rounds)
}
