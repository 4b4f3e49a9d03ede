//! SHA-crypt (`$5$`, `$6$`) as glibc and passlib write it.

use sha_crypt::{Algorithm, CustomizedPasswordHasher, Params, PasswordVerifier, ShaCrypt};

use crate::password::Scheme;
use crate::{Error, Result, random};

fn algorithm(scheme: Scheme) -> Algorithm {
    match scheme {
        Scheme::Sha256Crypt => Algorithm::Sha256Crypt,
        _ => Algorithm::Sha512Crypt,
    }
}

fn params(scheme: Scheme, rounds: u32) -> Result<Params> {
    Params::new(rounds).map_err(|_| Error::InvalidParameters {
        scheme,
        reason: format!(
            "rounds must be between {} and {}, not {rounds}",
            Params::ROUNDS_MIN,
            Params::ROUNDS_MAX
        ),
    })
}

pub(crate) fn validate_rounds(scheme: Scheme, rounds: u32) -> Result<()> {
    params(scheme, rounds).map(|_| ())
}

pub(crate) fn hash(scheme: Scheme, secret: &[u8], rounds: u32) -> Result<String> {
    // 12 random bytes encode to the 16 salt characters passlib uses.
    let salt = random::bytes::<12>()?;
    let hasher = ShaCrypt::new(algorithm(scheme), params(scheme, rounds)?);
    let hash = hasher
        .hash_password_customized(secret, &salt, None, None, params(scheme, rounds)?)
        .map_err(|e| Error::InvalidParameters {
            scheme,
            reason: e.to_string(),
        })?;
    Ok(hash.as_str().to_owned())
}

pub(crate) fn verify(scheme: Scheme, secret: &[u8], hash: &str) -> Result<bool> {
    let rounds = rounds(hash).ok_or(Error::MalformedHash {
        scheme,
        reason: "bad rounds field",
    })?;
    if rounds > 10_000_000 {
        // Refuse pathological work factors planted in a database.
        return Err(Error::MalformedHash {
            scheme,
            reason: "rounds above 10,000,000",
        });
    }
    match ShaCrypt::new(algorithm(scheme), Params::RECOMMENDED).verify_password(secret, hash) {
        Ok(()) => Ok(true),
        Err(sha_crypt::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(_) => Err(Error::MalformedHash {
            scheme,
            reason: "not a valid sha-crypt string",
        }),
    }
}

/// The rounds in a hash; 5000 when the field is absent (crypt's default).
fn rounds(hash: &str) -> Option<u32> {
    let field = hash.split('$').nth(2)?;
    match field.strip_prefix("rounds=") {
        Some(r) => r.parse().ok(),
        None => Some(5000),
    }
}

pub(crate) fn needs_update(hash: &str, rounds_wanted: u32) -> bool {
    rounds(hash).is_none_or(|r| r < rounds_wanted)
}
