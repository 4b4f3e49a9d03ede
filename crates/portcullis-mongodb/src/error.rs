//! Mapping driver errors to portable kinds. Duplicate-key messages quote
//! the duplicate value, so only the index name is read from them.

use mongodb::error::{ErrorKind as MongoKind, WriteFailure};
use portcullis_core::{Error, ErrorKind};

use crate::doc::duplicate_field;

/// MongoDB's duplicate-key error code.
pub(crate) const DUPLICATE_KEY: i32 = 11000;

/// [`mongodb::error::Error`] → [`Error`].
pub(crate) fn map(e: mongodb::error::Error) -> Error {
    let duplicate = match e.kind.as_ref() {
        MongoKind::Write(WriteFailure::WriteError(w)) if w.code == DUPLICATE_KEY => {
            Some(w.message.clone())
        }
        MongoKind::Command(c) if c.code == DUPLICATE_KEY => Some(c.message.clone()),
        _ => None,
    };
    if let Some(msg) = duplicate {
        return Error::already_exists(duplicate_field(&msg));
    }
    match e.kind.as_ref() {
        MongoKind::ServerSelection { .. }
        | MongoKind::Io(_)
        | MongoKind::ConnectionPoolCleared { .. }
        | MongoKind::DnsResolve { .. } => Error::unavailable("cannot reach MongoDB").with_source(e),
        MongoKind::Authentication { .. } => {
            Error::new(ErrorKind::Config, "MongoDB refused the credentials")
        }
        _ => Error::new(ErrorKind::Internal, "MongoDB error").with_source(e),
    }
}

/// `?` for driver results.
pub(crate) trait MongoResult<T> {
    /// Maps the error.
    fn db(self) -> portcullis_core::Result<T>;
}

impl<T> MongoResult<T> for mongodb::error::Result<T> {
    fn db(self) -> portcullis_core::Result<T> {
        self.map_err(map)
    }
}
