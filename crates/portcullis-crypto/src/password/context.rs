//! passlib's `CryptContext`, for the schemes Flask-Security uses.

use super::argon2::{self as a2, Argon2Params};
use super::{Scheme, bcrypt, pbkdf2, sha_crypt};
use crate::{Error, Result};

/// Which schemes are deprecated: their hashes are replaced at the next
/// successful login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Deprecated {
    /// passlib's `"auto"`: every scheme except the default.
    Auto,
    /// Exactly these schemes.
    Schemes(Vec<Scheme>),
}

/// Work factors for new hashes. Defaults are passlib's, as Flask-Security
/// runs it. Hashes weaker than these are reported by
/// [`CryptContext::needs_update`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeParams {
    /// argon2 parameters.
    pub argon2: Argon2Params,
    /// bcrypt cost (`bcrypt__rounds`, default 12).
    pub bcrypt_rounds: u32,
    /// `pbkdf2_sha512__rounds` (default 25000).
    pub pbkdf2_sha512_rounds: u32,
    /// `pbkdf2_sha256__rounds` (default 29000).
    pub pbkdf2_sha256_rounds: u32,
    /// `sha512_crypt__rounds` (default 656000).
    pub sha512_crypt_rounds: u32,
    /// `sha256_crypt__rounds` (default 535000).
    pub sha256_crypt_rounds: u32,
}

impl Default for SchemeParams {
    fn default() -> Self {
        Self {
            argon2: Argon2Params::default(),
            bcrypt_rounds: 12,
            pbkdf2_sha512_rounds: 25000,
            pbkdf2_sha256_rounds: 29000,
            sha512_crypt_rounds: 656_000,
            sha256_crypt_rounds: 535_000,
        }
    }
}

impl SchemeParams {
    /// Applies one passlib option as Flask-Security's
    /// `SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS` spells it, e.g.
    /// `argon2__time_cost`, `bcrypt__rounds`, `pbkdf2_sha512__rounds`.
    pub fn set_passlib_option(&mut self, key: &str, value: u64) -> Result<()> {
        let (scheme, option) = key.split_once("__").ok_or_else(|| unknown_option(key))?;
        let scheme: Scheme = scheme.parse()?;
        let as_u32 = || {
            u32::try_from(value).map_err(|_| Error::InvalidParameters {
                scheme,
                reason: format!("{option} = {value} is too large"),
            })
        };
        match (scheme, option) {
            (Scheme::Argon2, "memory_cost") => self.argon2.memory_cost = as_u32()?,
            (Scheme::Argon2, "time_cost" | "rounds") => self.argon2.time_cost = as_u32()?,
            (Scheme::Argon2, "parallelism") => self.argon2.parallelism = as_u32()?,
            (Scheme::Argon2, "salt_size") => self.argon2.salt_len = as_u32()? as usize,
            (Scheme::Argon2, "digest_size") => self.argon2.hash_len = as_u32()? as usize,
            (Scheme::Bcrypt, "rounds") => self.bcrypt_rounds = as_u32()?,
            (Scheme::Pbkdf2Sha512, "rounds") => self.pbkdf2_sha512_rounds = as_u32()?,
            (Scheme::Pbkdf2Sha256, "rounds") => self.pbkdf2_sha256_rounds = as_u32()?,
            (Scheme::Sha512Crypt, "rounds") => self.sha512_crypt_rounds = as_u32()?,
            (Scheme::Sha256Crypt, "rounds") => self.sha256_crypt_rounds = as_u32()?,
            _ => return Err(unknown_option(key)),
        }
        Ok(())
    }

    fn validate(&self) -> Result<()> {
        self.argon2.validate()?;
        bcrypt::validate_rounds(self.bcrypt_rounds)?;
        pbkdf2::validate_rounds(Scheme::Pbkdf2Sha512, self.pbkdf2_sha512_rounds)?;
        pbkdf2::validate_rounds(Scheme::Pbkdf2Sha256, self.pbkdf2_sha256_rounds)?;
        sha_crypt::validate_rounds(Scheme::Sha512Crypt, self.sha512_crypt_rounds)?;
        sha_crypt::validate_rounds(Scheme::Sha256Crypt, self.sha256_crypt_rounds)
    }
}

fn unknown_option(key: &str) -> Error {
    Error::InvalidParameters {
        scheme: Scheme::Argon2,
        reason: format!(
            "unknown passlib option `{key}` (supported: argon2__memory_cost, argon2__time_cost, \
             argon2__parallelism, argon2__salt_size, argon2__digest_size, and <scheme>__rounds)"
        ),
    }
}

/// passlib's `CryptContext`: one default scheme for new hashes, a set of
/// schemes accepted when verifying, and rules for when to re-hash.
#[derive(Debug, Clone)]
pub struct CryptContext {
    schemes: Vec<Scheme>,
    default: Scheme,
    deprecated: Deprecated,
    params: SchemeParams,
}

/// Builds a [`CryptContext`], checking it as it is built.
#[derive(Debug, Clone)]
pub struct CryptContextBuilder {
    schemes: Vec<Scheme>,
    default: Scheme,
    deprecated: Deprecated,
    params: SchemeParams,
}

impl Default for CryptContextBuilder {
    fn default() -> Self {
        let mut schemes = vec![
            Scheme::Bcrypt,
            Scheme::Argon2,
            Scheme::Pbkdf2Sha256,
            Scheme::Pbkdf2Sha512,
            Scheme::Sha256Crypt,
            Scheme::Sha512Crypt,
        ];
        if cfg!(feature = "danger-plaintext") {
            schemes.push(Scheme::Plaintext);
        }
        Self {
            schemes,
            default: Scheme::Argon2,
            deprecated: Deprecated::Auto,
            params: SchemeParams::default(),
        }
    }
}

impl CryptContextBuilder {
    /// The schemes accepted when verifying (`SECURITY_PASSWORD_SCHEMES`).
    pub fn schemes(mut self, schemes: impl IntoIterator<Item = Scheme>) -> Self {
        self.schemes = schemes.into_iter().collect();
        self
    }

    /// The scheme for new hashes (`SECURITY_PASSWORD_HASH`).
    pub fn default_scheme(mut self, scheme: Scheme) -> Self {
        self.default = scheme;
        self
    }

    /// Deprecated schemes (`SECURITY_DEPRECATED_PASSWORD_SCHEMES`).
    pub fn deprecated(mut self, deprecated: Deprecated) -> Self {
        self.deprecated = deprecated;
        self
    }

    /// Work factors for new hashes.
    pub fn params(mut self, params: SchemeParams) -> Self {
        self.params = params;
        self
    }

    /// Checks the settings and builds the context.
    pub fn build(self) -> Result<CryptContext> {
        if !self.schemes.contains(&self.default) {
            return Err(Error::InvalidParameters {
                scheme: self.default,
                reason: "the default scheme must be one of the enabled schemes".into(),
            });
        }
        if self.schemes.contains(&Scheme::Plaintext) && !cfg!(feature = "danger-plaintext") {
            return Err(Error::InvalidParameters {
                scheme: Scheme::Plaintext,
                reason: "plaintext passwords need portcullis-crypto's `danger-plaintext` feature"
                    .into(),
            });
        }
        self.params.validate()?;
        Ok(CryptContext {
            schemes: self.schemes,
            default: self.default,
            deprecated: self.deprecated,
            params: self.params,
        })
    }
}

impl Default for CryptContext {
    /// Flask-Security's defaults: argon2 for new hashes; bcrypt, pbkdf2 and
    /// sha-crypt accepted and upgraded at the next login.
    fn default() -> Self {
        CryptContextBuilder::default().into_unchecked()
    }
}

impl CryptContextBuilder {
    fn into_unchecked(self) -> CryptContext {
        CryptContext {
            schemes: self.schemes,
            default: self.default,
            deprecated: self.deprecated,
            params: self.params,
        }
    }
}

impl CryptContext {
    /// A builder starting from Flask-Security's defaults.
    pub fn builder() -> CryptContextBuilder {
        CryptContextBuilder::default()
    }

    /// The scheme new hashes use.
    pub fn default_scheme(&self) -> Scheme {
        self.default
    }

    /// The schemes accepted when verifying.
    pub fn schemes(&self) -> &[Scheme] {
        &self.schemes
    }

    /// The work factors for new hashes.
    pub fn params(&self) -> &SchemeParams {
        &self.params
    }

    /// Whether `scheme` is enabled.
    pub fn is_enabled(&self, scheme: Scheme) -> bool {
        self.schemes.contains(&scheme)
    }

    /// Which enabled scheme `hash` belongs to. As in passlib, an enabled
    /// `plaintext` scheme claims every string no other enabled scheme claims.
    pub fn identify(&self, hash: &str) -> Option<Scheme> {
        match Scheme::identify(hash) {
            Some(s) if self.is_enabled(s) => Some(s),
            _ if self.is_enabled(Scheme::Plaintext) => Some(Scheme::Plaintext),
            _ => None,
        }
    }

    /// Hashes `secret` with the default scheme.
    pub fn hash(&self, secret: &[u8]) -> Result<String> {
        self.hash_with(self.default, secret)
    }

    /// Hashes `secret` with `scheme` (which must be enabled).
    pub fn hash_with(&self, scheme: Scheme, secret: &[u8]) -> Result<String> {
        if !self.is_enabled(scheme) {
            return Err(Error::SchemeNotEnabled(scheme));
        }
        let p = &self.params;
        match scheme {
            Scheme::Argon2 => a2::hash(secret, &p.argon2),
            Scheme::Bcrypt => bcrypt::hash(secret, p.bcrypt_rounds),
            Scheme::Pbkdf2Sha512 => pbkdf2::hash(scheme, secret, p.pbkdf2_sha512_rounds),
            Scheme::Pbkdf2Sha256 => pbkdf2::hash(scheme, secret, p.pbkdf2_sha256_rounds),
            Scheme::Sha512Crypt => sha_crypt::hash(scheme, secret, p.sha512_crypt_rounds),
            Scheme::Sha256Crypt => sha_crypt::hash(scheme, secret, p.sha256_crypt_rounds),
            #[cfg(feature = "danger-plaintext")]
            Scheme::Plaintext => Ok(super::plaintext::hash(secret)),
            #[cfg(not(feature = "danger-plaintext"))]
            Scheme::Plaintext => Err(Error::SchemeNotEnabled(scheme)),
        }
    }

    /// Checks `secret` against `hash`.
    ///
    /// `Ok(false)` is a wrong password; `Err` means the stored hash is not
    /// usable (unknown format, disabled scheme, malformed).
    pub fn verify(&self, secret: &[u8], hash: &str) -> Result<bool> {
        let scheme = match self.identify(hash) {
            Some(s) => s,
            None => {
                return Err(match Scheme::identify(hash) {
                    Some(s) => Error::SchemeNotEnabled(s),
                    None => Error::UnknownHashFormat,
                });
            }
        };
        match scheme {
            Scheme::Argon2 => a2::verify(secret, hash),
            Scheme::Bcrypt => bcrypt::verify(secret, hash),
            Scheme::Pbkdf2Sha512 | Scheme::Pbkdf2Sha256 => pbkdf2::verify(scheme, secret, hash),
            Scheme::Sha512Crypt | Scheme::Sha256Crypt => sha_crypt::verify(scheme, secret, hash),
            #[cfg(feature = "danger-plaintext")]
            Scheme::Plaintext => Ok(super::plaintext::verify(secret, hash)),
            #[cfg(not(feature = "danger-plaintext"))]
            Scheme::Plaintext => Err(Error::SchemeNotEnabled(scheme)),
        }
    }

    /// Whether a hash that just verified should be replaced: its scheme is
    /// deprecated, or its work factors are weaker than configured.
    ///
    /// passlib ignores weaker parameters within the default scheme; we
    /// upgrade them (see `docs/decisions/0002-password-hashing.md`).
    pub fn needs_update(&self, hash: &str) -> bool {
        let Some(scheme) = self.identify(hash) else {
            return true;
        };
        let deprecated = match &self.deprecated {
            Deprecated::Auto => scheme != self.default,
            Deprecated::Schemes(list) => list.contains(&scheme),
        };
        if deprecated {
            return true;
        }
        let p = &self.params;
        match scheme {
            Scheme::Argon2 => a2::needs_update(hash, &p.argon2),
            Scheme::Bcrypt => bcrypt::needs_update(hash, p.bcrypt_rounds),
            Scheme::Pbkdf2Sha512 => pbkdf2::needs_update(scheme, hash, p.pbkdf2_sha512_rounds),
            Scheme::Pbkdf2Sha256 => pbkdf2::needs_update(scheme, hash, p.pbkdf2_sha256_rounds),
            Scheme::Sha512Crypt => sha_crypt::needs_update(hash, p.sha512_crypt_rounds),
            Scheme::Sha256Crypt => sha_crypt::needs_update(hash, p.sha256_crypt_rounds),
            Scheme::Plaintext => false,
        }
    }
}
