//! Mapping SQLite's errors to portable kinds.

use portcullis_core::{Error, ErrorKind};
use rusqlite::ErrorCode;

/// `rusqlite::Error` → [`Error`], keeping the original as the source.
pub(crate) fn map(e: rusqlite::Error) -> Error {
    let (kind, what) = match &e {
        rusqlite::Error::SqliteFailure(f, msg) => match f.code {
            // SQLITE_CONSTRAINT_UNIQUE (2067) and _PRIMARYKEY (1555).
            ErrorCode::ConstraintViolation if matches!(f.extended_code, 2067 | 1555) => {
                (ErrorKind::AlreadyExists, unique_field(msg.as_deref()))
            }
            ErrorCode::ConstraintViolation => {
                (ErrorKind::InvalidInput, "constraint violated".to_owned())
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => (
                ErrorKind::Unavailable,
                "the database stayed locked past the busy timeout".to_owned(),
            ),
            ErrorCode::CannotOpen
            | ErrorCode::ReadOnly
            | ErrorCode::PermissionDenied
            | ErrorCode::NotADatabase => (
                ErrorKind::Unavailable,
                "cannot open or write the database".to_owned(),
            ),
            ErrorCode::DatabaseCorrupt => (
                ErrorKind::Corrupt,
                "the database file is corrupt".to_owned(),
            ),
            _ => (ErrorKind::Internal, "sqlite error".to_owned()),
        },
        _ => (ErrorKind::Internal, "sqlite error".to_owned()),
    };
    Error::new(kind, what).with_source(e)
}

/// The column a UNIQUE failure names ("UNIQUE constraint failed: user.email").
fn unique_field(msg: Option<&str>) -> String {
    match msg.and_then(|m| m.rsplit_once(": ")) {
        Some((_, cols)) if cols.contains("lower(email)") || cols.ends_with(".email") => {
            "email".to_owned()
        }
        Some((_, cols)) => cols.rsplit('.').next().unwrap_or(cols).to_owned(),
        None => "a unique value".to_owned(),
    }
}

/// A `?`-friendly conversion inside blocking closures.
pub(crate) trait SqlResult<T> {
    /// Maps the error.
    fn sql(self) -> portcullis_core::Result<T>;
}

impl<T> SqlResult<T> for rusqlite::Result<T> {
    fn sql(self) -> portcullis_core::Result<T> {
        self.map_err(map)
    }
}
