//! Portcullis' error type: a portable [`ErrorKind`], a message fit for a
//! log (never a secret), and the original error kept as the source.

use std::borrow::Cow;
use std::fmt;

/// What kind of failure happened. Backends map their own errors onto these,
/// so callers (and the conformance suite) can match on kinds: a duplicate
/// email is [`ErrorKind::AlreadyExists`] on every backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The thing asked for does not exist.
    NotFound,
    /// A unique value (email, username, role name, uniquifier, credential
    /// id, …) is already taken.
    AlreadyExists,
    /// The input is not acceptable (too long, malformed, out of range).
    InvalidInput,
    /// The backend or configuration does not offer this feature.
    Unsupported,
    /// The backend cannot be reached or timed out; retrying may help.
    Unavailable,
    /// The configuration is wrong.
    Config,
    /// A stored value could not be read (corrupt hash, unreadable secret).
    Corrupt,
    /// Something failed that the caller cannot fix.
    Internal,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErrorKind::NotFound => "not found",
            ErrorKind::AlreadyExists => "already exists",
            ErrorKind::InvalidInput => "invalid input",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Config => "configuration error",
            ErrorKind::Corrupt => "corrupt stored value",
            ErrorKind::Internal => "internal error",
        })
    }
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error with a portable kind.
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
    source: Option<Source>,
}

/// Result alias for Portcullis.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Keeps `source` as the cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message (without the source).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// [`ErrorKind::NotFound`].
    pub fn not_found(what: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::NotFound, what)
    }

    /// [`ErrorKind::AlreadyExists`].
    pub fn already_exists(what: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::AlreadyExists, what)
    }

    /// [`ErrorKind::InvalidInput`].
    pub fn invalid_input(what: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::InvalidInput, what)
    }

    /// [`ErrorKind::Unsupported`].
    pub fn unsupported(what: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unsupported, what)
    }

    /// [`ErrorKind::Unavailable`].
    pub fn unavailable(what: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Unavailable, what)
    }

    /// [`ErrorKind::Internal`].
    pub fn internal(what: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorKind::Internal, what)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.kind).field("message", &self.message);
        if let Some(s) = &self.source {
            d.field("source", s);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)?;
        if let Some(s) = &self.source {
            write!(f, " ({s})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

impl From<crate::config::ConfigError> for Error {
    fn from(e: crate::config::ConfigError) -> Self {
        Error::new(ErrorKind::Config, "invalid configuration").with_source(e)
    }
}

impl From<portcullis_crypto::Error> for Error {
    fn from(e: portcullis_crypto::Error) -> Self {
        use portcullis_crypto::Error as C;
        let kind = match &e {
            C::UnknownHashFormat
            | C::MalformedHash { .. }
            | C::SchemeNotEnabled(_)
            | C::InvalidTotpSecret(_)
            | C::UnknownTotpTag(_) => ErrorKind::Corrupt,
            C::UnknownScheme(_)
            | C::InvalidParameters { .. }
            | C::MissingPasswordSalt
            | C::MissingSecretKey => ErrorKind::Config,
            _ => ErrorKind::Internal,
        };
        Error::new(kind, "cryptographic operation failed").with_source(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_sources() {
        let e = Error::already_exists("email").with_source(std::io::Error::other("dup"));
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
        assert_eq!(e.to_string(), "already exists: email (dup)");
        assert!(std::error::Error::source(&e).is_some());
        let c: Error = portcullis_crypto::Error::UnknownHashFormat.into();
        assert_eq!(c.kind(), ErrorKind::Corrupt);
    }
}
