//! argon2 in passlib's PHC format.

use argon2::{Algorithm, Argon2, Params, Version};

use crate::encoding::{b64_decode, b64_encode_nopad};
use crate::password::Scheme;
use crate::secret::ct_eq;
use crate::{Error, Result, random};

/// argon2 parameters. The defaults are passlib's as Flask-Security uses
/// them: argon2id, m=65536 KiB, t=3, p=4, 16-byte salt, 32-byte digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Params {
    /// Memory in KiB (`argon2__memory_cost`).
    pub memory_cost: u32,
    /// Iterations (`argon2__time_cost`).
    pub time_cost: u32,
    /// Lanes (`argon2__parallelism`).
    pub parallelism: u32,
    /// Salt length in bytes (`argon2__salt_size`).
    pub salt_len: usize,
    /// Digest length in bytes (`argon2__digest_size`).
    pub hash_len: usize,
}

impl Default for Argon2Params {
    fn default() -> Self {
        Self {
            memory_cost: 65536,
            time_cost: 3,
            parallelism: 4,
            salt_len: 16,
            hash_len: 32,
        }
    }
}

impl Argon2Params {
    pub(crate) fn validate(self) -> Result<()> {
        self.to_params(self.hash_len).map(|_| ()).and_then(|()| {
            if self.salt_len < 8 {
                Err(invalid("salt_size must be at least 8 bytes"))
            } else {
                Ok(())
            }
        })
    }

    fn to_params(self, hash_len: usize) -> Result<Params> {
        Params::new(
            self.memory_cost,
            self.time_cost,
            self.parallelism,
            Some(hash_len),
        )
        .map_err(|e| invalid(&e.to_string()))
    }
}

fn invalid(reason: &str) -> Error {
    Error::InvalidParameters {
        scheme: Scheme::Argon2,
        reason: reason.to_owned(),
    }
}

fn malformed(reason: &'static str) -> Error {
    Error::MalformedHash {
        scheme: Scheme::Argon2,
        reason,
    }
}

/// A parsed `$argon2…$` string.
#[derive(Debug)]
pub(crate) struct Parsed {
    algorithm: Algorithm,
    version: Version,
    memory_cost: u32,
    time_cost: u32,
    parallelism: u32,
    salt: Vec<u8>,
    digest: Vec<u8>,
}

pub(crate) fn parse(hash: &str) -> Result<Parsed> {
    let mut parts = hash.split('$');
    if parts.next() != Some("") {
        return Err(malformed("does not start with `$`"));
    }
    let algorithm = match parts.next() {
        Some("argon2id") => Algorithm::Argon2id,
        Some("argon2i") => Algorithm::Argon2i,
        Some("argon2d") => Algorithm::Argon2d,
        _ => return Err(malformed("unknown argon2 variant")),
    };
    let mut field = parts.next().ok_or(malformed("missing parameters"))?;
    // Hashes from argon2 1.0 have no `v=` field.
    let version = if let Some(v) = field.strip_prefix("v=") {
        let v = match v {
            "19" => Version::V0x13,
            "16" => Version::V0x10,
            _ => return Err(malformed("unsupported argon2 version")),
        };
        field = parts.next().ok_or(malformed("missing parameters"))?;
        v
    } else {
        Version::V0x10
    };
    let (mut m, mut t, mut p) = (None, None, None);
    for kv in field.split(',') {
        let (k, v) = kv.split_once('=').ok_or(malformed("bad parameter"))?;
        let v: u32 = v.parse().map_err(|_| malformed("bad parameter value"))?;
        match k {
            "m" => m = Some(v),
            "t" => t = Some(v),
            "p" => p = Some(v),
            _ => return Err(malformed("unsupported parameter")),
        }
    }
    let salt = b64_decode(parts.next().ok_or(malformed("missing salt"))?)
        .ok_or(malformed("salt is not base64"))?;
    let digest = b64_decode(parts.next().ok_or(malformed("missing digest"))?)
        .ok_or(malformed("digest is not base64"))?;
    if parts.next().is_some() {
        return Err(malformed("trailing fields"));
    }
    Ok(Parsed {
        algorithm,
        version,
        memory_cost: m.ok_or(malformed("missing m"))?,
        time_cost: t.ok_or(malformed("missing t"))?,
        parallelism: p.ok_or(malformed("missing p"))?,
        salt,
        digest,
    })
}

pub(crate) fn hash(secret: &[u8], params: &Argon2Params) -> Result<String> {
    let mut salt = vec![0u8; params.salt_len];
    random::fill(&mut salt)?;
    let mut digest = vec![0u8; params.hash_len];
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        params.to_params(params.hash_len)?,
    )
    .hash_password_into(secret, &salt, &mut digest)
    .map_err(|e| invalid(&e.to_string()))?;
    Ok(format!(
        "$argon2id$v=19$m={},t={},p={}${}${}",
        params.memory_cost,
        params.time_cost,
        params.parallelism,
        b64_encode_nopad(&salt),
        b64_encode_nopad(&digest)
    ))
}

pub(crate) fn verify(secret: &[u8], hash: &str) -> Result<bool> {
    let p = parse(hash)?;
    let params = Params::new(
        p.memory_cost,
        p.time_cost,
        p.parallelism,
        Some(p.digest.len()),
    )
    .map_err(|_| malformed("parameters out of range"))?;
    let mut out = vec![0u8; p.digest.len()];
    Argon2::new(p.algorithm, p.version, params)
        .hash_password_into(secret, &p.salt, &mut out)
        .map_err(|_| malformed("salt or digest length out of range"))?;
    Ok(ct_eq(&out, &p.digest))
}

/// Whether `hash` is weaker than `params` asks for (or not argon2id v19).
pub(crate) fn needs_update(hash: &str, params: &Argon2Params) -> bool {
    match parse(hash) {
        Ok(p) => {
            p.algorithm != Algorithm::Argon2id
                || p.version != Version::V0x13
                || p.memory_cost < params.memory_cost
                || p.time_cost < params.time_cost
                || p.parallelism < params.parallelism
                || p.digest.len() < params.hash_len
                || p.salt.len() < params.salt_len
        }
        Err(_) => true,
    }
}
