//! Password hashing as passlib and Flask-Security do it.
//!
//! Two layers:
//!
//! - [`CryptContext`] is passlib's `CryptContext`: hash with a default scheme,
//!   identify and verify any enabled scheme, and say when a stored hash should
//!   be replaced. Hash strings are exactly passlib's.
//! - [`PasswordHasher`] is Flask-Security's pipeline on top: Unicode
//!   normalisation, the HMAC-SHA512 pre-hash keyed by
//!   `SECURITY_PASSWORD_SALT`, and bcrypt's 72-byte truncation.

mod argon2;
mod bcrypt;
mod context;
mod hasher;
mod pbkdf2;
#[cfg(feature = "danger-plaintext")]
mod plaintext;
mod sha_crypt;

use std::fmt;
use std::str::FromStr;

pub use self::argon2::Argon2Params;
pub use self::context::{CryptContext, CryptContextBuilder, Deprecated, SchemeParams};
pub use self::hasher::{
    NormalizeForm, PasswordHasher, PasswordHasherBuilder, SingleHash, Verified,
};

use crate::Error;

/// A password hashing scheme, named as passlib names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Scheme {
    /// `argon2`: `$argon2id$v=19$m=…,t=…,p=…$salt$digest` (also reads `argon2i`/`argon2d`).
    Argon2,
    /// `bcrypt`: `$2b$NN$…` (also reads `$2a$`/`$2y$`).
    Bcrypt,
    /// `pbkdf2_sha512`: `$pbkdf2-sha512$rounds$salt$digest` in adapted base64.
    Pbkdf2Sha512,
    /// `pbkdf2_sha256`: `$pbkdf2-sha256$rounds$salt$digest` in adapted base64.
    Pbkdf2Sha256,
    /// `sha512_crypt`: `$6$rounds=…$salt$digest`.
    Sha512Crypt,
    /// `sha256_crypt`: `$5$rounds=…$salt$digest`.
    Sha256Crypt,
    /// `plaintext`: the password itself. Usable only with the
    /// `danger-plaintext` feature.
    Plaintext,
}

impl Scheme {
    /// Every scheme, in passlib's identification order.
    pub const ALL: [Scheme; 7] = [
        Scheme::Bcrypt,
        Scheme::Argon2,
        Scheme::Pbkdf2Sha256,
        Scheme::Pbkdf2Sha512,
        Scheme::Sha256Crypt,
        Scheme::Sha512Crypt,
        Scheme::Plaintext,
    ];

    /// passlib's name for the scheme.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Argon2 => "argon2",
            Scheme::Bcrypt => "bcrypt",
            Scheme::Pbkdf2Sha512 => "pbkdf2_sha512",
            Scheme::Pbkdf2Sha256 => "pbkdf2_sha256",
            Scheme::Sha512Crypt => "sha512_crypt",
            Scheme::Sha256Crypt => "sha256_crypt",
            Scheme::Plaintext => "plaintext",
        }
    }

    /// Which scheme wrote `hash`, judged by its prefix. Plain text is never
    /// identified here (passlib's `plaintext` claims every string nobody
    /// else claims; [`CryptContext::identify`] applies that rule).
    pub fn identify(hash: &str) -> Option<Scheme> {
        if hash.starts_with("$argon2") {
            Some(Scheme::Argon2)
        } else if hash.starts_with("$2b$") || hash.starts_with("$2a$") || hash.starts_with("$2y$") {
            Some(Scheme::Bcrypt)
        } else if hash.starts_with("$pbkdf2-sha512$") {
            Some(Scheme::Pbkdf2Sha512)
        } else if hash.starts_with("$pbkdf2-sha256$") {
            Some(Scheme::Pbkdf2Sha256)
        } else if hash.starts_with("$6$") {
            Some(Scheme::Sha512Crypt)
        } else if hash.starts_with("$5$") {
            Some(Scheme::Sha256Crypt)
        } else {
            None
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scheme {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Scheme::ALL
            .into_iter()
            .find(|scheme| scheme.name() == s)
            .ok_or_else(|| Error::UnknownScheme(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in Scheme::ALL {
            assert_eq!(s.name().parse::<Scheme>().unwrap(), s);
        }
        assert!(matches!(
            "des_crypt".parse::<Scheme>(),
            Err(Error::UnknownScheme(_))
        ));
    }

    #[test]
    fn identify_by_prefix() {
        assert_eq!(Scheme::identify("$2y$12$abc"), Some(Scheme::Bcrypt));
        assert_eq!(Scheme::identify("$argon2i$v=19$m=1"), Some(Scheme::Argon2));
        assert_eq!(
            Scheme::identify("$5$rounds=5000$a$b"),
            Some(Scheme::Sha256Crypt)
        );
        assert_eq!(Scheme::identify("hunter2"), None);
    }
}
