//! Mapping database errors to portable kinds. Driver messages can quote
//! the offending values (a uniquifier, an email), so they never reach an
//! [`Error`]'s message: a unique violation names only the column.

use portcullis_core::{Error, ErrorKind};
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// SQLSTATE / error codes that mean "try again": PostgreSQL serialization
/// failure and deadlock, MySQL deadlock and lock-wait timeout, SQLite busy
/// and locked.
const RETRYABLE: &[&str] = &["40001", "40P01", "1213", "1205", "5", "6", "261", "517"];

/// [`DbErr`] → [`Error`].
pub(crate) fn map(e: DbErr) -> Error {
    if let Some(SqlErr::UniqueConstraintViolation(msg)) = e.sql_err() {
        return Error::already_exists(unique_field(&msg));
    }
    match &e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
            Error::unavailable("cannot reach the database").with_source(e)
        }
        DbErr::Exec(RuntimeErr::SqlxError(s)) | DbErr::Query(RuntimeErr::SqlxError(s)) => {
            let code = s
                .as_database_error()
                .and_then(|d| d.code())
                .map(|c| c.into_owned());
            match (code.as_deref(), &**s) {
                (Some(c), _) if RETRYABLE.contains(&c) => Error::unavailable(
                    "the database could not serialise this change with another; try again",
                ),
                (_, sea_orm::sqlx::Error::PoolTimedOut | sea_orm::sqlx::Error::Io(_)) => {
                    Error::unavailable("cannot reach the database")
                }
                _ => Error::new(ErrorKind::Internal, "database error").with_source(e),
            }
        }
        DbErr::RecordNotFound(_) => Error::not_found("no such record"),
        _ => Error::new(ErrorKind::Internal, "database error").with_source(e),
    }
}

/// The column a unique violation names. Only the part of the message after
/// the constraint/key marker is read, because MySQL quotes the duplicate
/// value before it.
pub(crate) fn unique_field(msg: &str) -> String {
    let tail = ["for key ", "constraint ", "failed: "]
        .iter()
        .find_map(|m| msg.rsplit_once(m).map(|(_, t)| t))
        .unwrap_or("");
    // Most specific first: "fs_uniquifier" is inside "fs_token_uniquifier".
    const COLUMNS: &[(&str, &str)] = &[
        ("fs_token_uniquifier", "fs_token_uniquifier"),
        ("fs_webauthn_user_handle", "fs_webauthn_user_handle"),
        ("fs_uniquifier", "fs_uniquifier"),
        ("us_phone_number", "us_phone_number"),
        ("email", "email"),
        ("username", "username"),
        ("credential_id", "credential id"),
        ("portcullis_sessions", "session id"),
        ("role", "role name"),
        ("name", "role name"),
    ];
    COLUMNS
        .iter()
        .find(|(needle, _)| tail.contains(needle))
        .map_or_else(
            || "a unique value".to_owned(),
            |(_, what)| (*what).to_owned(),
        )
}

/// `?` for sea-orm results.
pub(crate) trait DbResult<T> {
    /// Maps the error.
    fn db(self) -> portcullis_core::Result<T>;
}

impl<T> DbResult<T> for Result<T, DbErr> {
    fn db(self) -> portcullis_core::Result<T> {
        self.map_err(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_messages_of_each_database_name_the_column() {
        // PostgreSQL
        assert_eq!(
            unique_field(r#"duplicate key value violates unique constraint "ix_user_email_lower""#),
            "email"
        );
        assert_eq!(
            unique_field(
                r#"duplicate key value violates unique constraint "user_fs_uniquifier_key""#
            ),
            "fs_uniquifier"
        );
        assert_eq!(
            unique_field(r#"duplicate key value violates unique constraint "role_name_key""#),
            "role name"
        );
        // MariaDB / MySQL 8: the duplicate value comes first and is ignored.
        assert_eq!(
            unique_field("Duplicate entry 'email@x.org' for key 'username'"),
            "username"
        );
        assert_eq!(
            unique_field("Duplicate entry 'abc' for key 'user.ix_user_fs_token_uniquifier'"),
            "fs_token_uniquifier"
        );
        // SQLite
        assert_eq!(
            unique_field("UNIQUE constraint failed: user.us_phone_number"),
            "us_phone_number"
        );
        assert_eq!(
            unique_field("UNIQUE constraint failed: index 'ix_web_authn_credential_id'"),
            "credential id"
        );
        assert_eq!(unique_field("something else"), "a unique value");
    }
}
