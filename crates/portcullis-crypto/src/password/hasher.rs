//! Flask-Security's password pipeline: normalise, pre-hash with
//! HMAC-SHA512, truncate for bcrypt, then hand to the [`CryptContext`].

use std::borrow::Cow;
use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha512;
use unicode_normalization::UnicodeNormalization;

use super::{CryptContext, Scheme};
use crate::encoding::b64_encode;
use crate::{Error, Result, SecretString};

/// A Unicode normalisation form (`SECURITY_PASSWORD_NORMALIZE_FORM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NormalizeForm {
    /// Canonical composition.
    Nfc,
    /// Canonical decomposition.
    Nfd,
    /// Compatibility composition.
    Nfkc,
    /// Compatibility decomposition (Flask-Security's default).
    Nfkd,
}

impl NormalizeForm {
    /// Parses `NFC`, `NFD`, `NFKC` or `NFKD` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_uppercase().as_str() {
            "NFC" => Some(Self::Nfc),
            "NFD" => Some(Self::Nfd),
            "NFKC" => Some(Self::Nfkc),
            "NFKD" => Some(Self::Nfkd),
            _ => None,
        }
    }

    /// Normalises `s`; borrowed when it is already normal.
    pub fn apply<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if s.is_ascii() {
            return Cow::Borrowed(s);
        }
        Cow::Owned(match self {
            Self::Nfc => s.nfc().collect(),
            Self::Nfd => s.nfd().collect(),
            Self::Nfkc => s.nfkc().collect(),
            Self::Nfkd => s.nfkd().collect(),
        })
    }
}

/// Which schemes get the password itself rather than its HMAC
/// (`SECURITY_PASSWORD_SINGLE_HASH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SingleHash {
    /// `True`: no scheme is pre-hashed.
    All,
    /// Only these schemes take the raw password. Flask-Security's default
    /// set names Django's schemes (which Portcullis does not implement) and
    /// `plaintext`.
    Schemes(Vec<Scheme>),
}

impl SingleHash {
    fn is_single(&self, scheme: Scheme) -> bool {
        match self {
            SingleHash::All => true,
            SingleHash::Schemes(s) => s.contains(&scheme),
        }
    }
}

impl Default for SingleHash {
    fn default() -> Self {
        SingleHash::Schemes(vec![Scheme::Plaintext])
    }
}

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Verified {
    /// The password is right.
    pub matches: bool,
    /// The password is right and the stored hash should be replaced by
    /// [`PasswordHasher::hash_password`] of it.
    pub needs_update: bool,
}

/// Flask-Security's `hash_password` / `verify_and_update_password`.
#[derive(Clone)]
pub struct PasswordHasher {
    context: CryptContext,
    salt: Option<SecretString>,
    single_hash: SingleHash,
    normalize: Option<NormalizeForm>,
    dummy: std::sync::Arc<OnceLock<String>>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("context", &self.context)
            .field("salt", &self.salt)
            .field("single_hash", &self.single_hash)
            .field("normalize", &self.normalize)
            .finish_non_exhaustive()
    }
}

/// Builds a [`PasswordHasher`].
#[derive(Debug, Clone)]
pub struct PasswordHasherBuilder {
    context: CryptContext,
    salt: Option<SecretString>,
    single_hash: SingleHash,
    normalize: Option<NormalizeForm>,
}

impl PasswordHasherBuilder {
    /// `SECURITY_PASSWORD_SALT`: the HMAC key for the pre-hash.
    pub fn password_salt(mut self, salt: impl Into<SecretString>) -> Self {
        self.salt = Some(salt.into());
        self
    }

    /// `SECURITY_PASSWORD_SINGLE_HASH`.
    pub fn single_hash(mut self, single_hash: SingleHash) -> Self {
        self.single_hash = single_hash;
        self
    }

    /// `SECURITY_PASSWORD_NORMALIZE_FORM` (`None` turns normalisation off).
    pub fn normalize(mut self, form: Option<NormalizeForm>) -> Self {
        self.normalize = form;
        self
    }

    /// Checks that a salt is present when any enabled scheme is pre-hashed.
    pub fn build(self) -> Result<PasswordHasher> {
        let needs_salt = self
            .context
            .schemes()
            .iter()
            .any(|s| !self.single_hash.is_single(*s));
        if needs_salt && self.salt.as_ref().is_none_or(SecretString::is_empty) {
            return Err(Error::MissingPasswordSalt);
        }
        Ok(PasswordHasher {
            context: self.context,
            salt: self.salt,
            single_hash: self.single_hash,
            normalize: self.normalize,
            dummy: Default::default(),
        })
    }
}

impl PasswordHasher {
    /// Starts a builder around `context`, with NFKD normalisation and
    /// Flask-Security's single-hash set.
    pub fn builder(context: CryptContext) -> PasswordHasherBuilder {
        PasswordHasherBuilder {
            context,
            salt: None,
            single_hash: SingleHash::default(),
            normalize: Some(NormalizeForm::Nfkd),
        }
    }

    /// The underlying context.
    pub fn context(&self) -> &CryptContext {
        &self.context
    }

    /// Applies the configured Unicode normalisation.
    pub fn normalize<'a>(&self, password: &'a str) -> Cow<'a, str> {
        match self.normalize {
            Some(form) => form.apply(password),
            None => Cow::Borrowed(password),
        }
    }

    /// Flask-Security's `get_hmac`: base64 of HMAC-SHA512 keyed by the
    /// password salt, over the (already normalised) password.
    pub fn get_hmac(&self, normalized: &str) -> Result<String> {
        let salt = self.salt.as_ref().ok_or(Error::MissingPasswordSalt)?;
        let mut mac = Hmac::<Sha512>::new_from_slice(salt.expose().as_bytes())
            .map_err(|_| Error::MissingPasswordSalt)?;
        mac.update(normalized.as_bytes());
        Ok(b64_encode(&mac.finalize().into_bytes()))
    }

    /// What the scheme is given for `normalized`: its HMAC (unless the
    /// scheme is single-hash), cut to 72 bytes for bcrypt.
    fn secret_for(&self, scheme: Scheme, normalized: &str) -> Result<Vec<u8>> {
        let mut secret = if self.single_hash.is_single(scheme) {
            normalized.as_bytes().to_vec()
        } else {
            self.get_hmac(normalized)?.into_bytes()
        };
        if scheme == Scheme::Bcrypt {
            secret.truncate(72);
        }
        Ok(secret)
    }

    /// Normalises and hashes `password` with the default scheme.
    pub fn hash_password(&self, password: &str) -> Result<String> {
        let normalized = self.normalize(password);
        let scheme = self.context.default_scheme();
        let secret = self.secret_for(scheme, &normalized)?;
        self.context.hash_with(scheme, &secret)
    }

    /// Normalises `password` and checks it against `stored`; reports whether
    /// the stored hash should be upgraded.
    pub fn verify_password(&self, password: &str, stored: &str) -> Result<Verified> {
        let normalized = self.normalize(password);
        let scheme = self.context.identify(stored).ok_or_else(|| {
            Scheme::identify(stored).map_or(Error::UnknownHashFormat, Error::SchemeNotEnabled)
        })?;
        let secret = self.secret_for(scheme, &normalized)?;
        let matches = self.context.verify(&secret, stored)?;
        Ok(Verified {
            matches,
            needs_update: matches && self.context.needs_update(stored),
        })
    }

    /// Spends as long as verifying a password with the default scheme, for
    /// users who do not exist or have no password (so their absence does
    /// not show in response times).
    pub fn dummy_verify(&self, password: &str) {
        let stored = self.dummy.get_or_init(|| {
            self.hash_password("portcullis-not-a-password")
                .unwrap_or_default()
        });
        let _ = self.verify_password(password, stored);
    }
}
