//! PBKDF2 in passlib's `$pbkdf2-sha512$` / `$pbkdf2-sha256$` formats.

use sha2::{Sha256, Sha512};

use crate::encoding::{ab64_decode, ab64_encode};
use crate::password::Scheme;
use crate::secret::ct_eq;
use crate::{Error, Result, random};

const SALT_LEN: usize = 16;

fn malformed(scheme: Scheme, reason: &'static str) -> Error {
    Error::MalformedHash { scheme, reason }
}

fn prefix(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Pbkdf2Sha256 => "$pbkdf2-sha256$",
        _ => "$pbkdf2-sha512$",
    }
}

fn derive(scheme: Scheme, secret: &[u8], salt: &[u8], rounds: u32) -> Vec<u8> {
    match scheme {
        Scheme::Pbkdf2Sha256 => {
            let mut out = vec![0u8; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(secret, salt, rounds, &mut out);
            out
        }
        _ => {
            let mut out = vec![0u8; 64];
            pbkdf2::pbkdf2_hmac::<Sha512>(secret, salt, rounds, &mut out);
            out
        }
    }
}

pub(crate) fn validate_rounds(scheme: Scheme, rounds: u32) -> Result<()> {
    if rounds >= 1000 {
        Ok(())
    } else {
        Err(Error::InvalidParameters {
            scheme,
            reason: format!("rounds must be at least 1000, not {rounds}"),
        })
    }
}

pub(crate) fn hash(scheme: Scheme, secret: &[u8], rounds: u32) -> Result<String> {
    let salt = random::bytes::<SALT_LEN>()?;
    let dk = derive(scheme, secret, &salt, rounds);
    Ok(format!(
        "{}{rounds}${}${}",
        prefix(scheme),
        ab64_encode(&salt),
        ab64_encode(&dk)
    ))
}

struct Parsed {
    rounds: u32,
    salt: Vec<u8>,
    digest: Vec<u8>,
}

fn parse(scheme: Scheme, hash: &str) -> Result<Parsed> {
    let rest = hash
        .strip_prefix(prefix(scheme))
        .ok_or(malformed(scheme, "wrong prefix"))?;
    let mut parts = rest.split('$');
    let rounds = parts
        .next()
        .and_then(|r| r.parse::<u32>().ok())
        .filter(|r| *r > 0)
        .ok_or(malformed(scheme, "bad rounds"))?;
    let salt = parts
        .next()
        .and_then(ab64_decode)
        .ok_or(malformed(scheme, "bad salt"))?;
    let digest = parts
        .next()
        .and_then(ab64_decode)
        .ok_or(malformed(scheme, "bad digest"))?;
    let expected_len = if scheme == Scheme::Pbkdf2Sha256 {
        32
    } else {
        64
    };
    if parts.next().is_some() || digest.len() != expected_len {
        return Err(malformed(scheme, "wrong digest length or trailing fields"));
    }
    Ok(Parsed {
        rounds,
        salt,
        digest,
    })
}

pub(crate) fn verify(scheme: Scheme, secret: &[u8], hash: &str) -> Result<bool> {
    let p = parse(scheme, hash)?;
    Ok(ct_eq(&derive(scheme, secret, &p.salt, p.rounds), &p.digest))
}

pub(crate) fn needs_update(scheme: Scheme, hash: &str, rounds: u32) -> bool {
    parse(scheme, hash).map_or(true, |p| p.rounds < rounds || p.salt.len() < SALT_LEN)
}
