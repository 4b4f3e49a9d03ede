//! The crate's error type.

use crate::password::Scheme;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong in a cryptographic operation.
///
/// Messages never contain secret material (passwords, keys, codes).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A stored hash is not in any format this context knows.
    #[error("the stored password hash is not in a recognised format")]
    UnknownHashFormat,
    /// The hash was identified, but its scheme is not enabled in this context.
    #[error("the stored password hash uses scheme `{0}`, which is not enabled")]
    SchemeNotEnabled(Scheme),
    /// The hash was identified but could not be parsed.
    #[error("the stored `{scheme}` hash is malformed: {reason}")]
    MalformedHash {
        /// The scheme the hash claimed to be.
        scheme: Scheme,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// A scheme name in the configuration is not known.
    #[error(
        "unknown password scheme `{0}` (known: argon2, bcrypt, pbkdf2_sha512, pbkdf2_sha256, sha512_crypt, sha256_crypt, plaintext)"
    )]
    UnknownScheme(String),
    /// Parameters for a scheme are out of range.
    #[error("invalid parameters for `{scheme}`: {reason}")]
    InvalidParameters {
        /// The scheme concerned.
        scheme: Scheme,
        /// What is wrong.
        reason: String,
    },
    /// Double hashing is configured but no `SECURITY_PASSWORD_SALT` was given.
    #[error(
        "SECURITY_PASSWORD_SALT must be set when passwords are pre-hashed with HMAC (set it, or list the scheme in SECURITY_PASSWORD_SINGLE_HASH)"
    )]
    MissingPasswordSalt,
    /// A TOTP secret blob could not be read.
    #[error("invalid TOTP secret: {0}")]
    InvalidTotpSecret(&'static str),
    /// The TOTP secret names an encryption tag that is not configured.
    #[error("the TOTP secret was encrypted with tag `{0}`, which is not in SECURITY_TOTP_SECRETS")]
    UnknownTotpTag(String),
    /// No secret key was configured.
    #[error("no secret key configured (set SECRET_KEY)")]
    MissingSecretKey,
    /// The operating system's random source failed.
    #[error("the system random number generator failed")]
    Random,
    /// A QR code could not be rendered (the data is too long).
    #[error("could not render the QR code: {0}")]
    QrCode(String),
}
