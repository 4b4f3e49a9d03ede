//! The application columns SQL harnesses add to every conformance
//! database's `user` table, so the whole suite runs on a table an
//! application extended (as Flask-Security's documents invite), and
//! [`crate::suite::application_fields_round_trip`] has columns of every
//! kind to write.
//!
//! | column | type | kind |
//! |---|---|---|
//! | `first_name`, `last_name` | `VARCHAR(255)` NULL | text |
//! | `age` | `INTEGER` NULL | integer |
//! | `vip` | `BOOLEAN NOT NULL DEFAULT false` | boolean, with a default |
//! | `score` | `REAL` / `DOUBLE` NULL | real |
//! | `joined_on` | `DATE` NULL | text (a date in its text form) |

/// Which SQL dialect a harness speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
    /// MySQL / MariaDB.
    MySql,
}

/// The `ALTER TABLE` statements adding the columns, one per statement.
pub fn ddl(dialect: Dialect) -> Vec<String> {
    let (table, boolean, real) = match dialect {
        Dialect::Sqlite => ("user", "BOOLEAN NOT NULL DEFAULT 0", "REAL"),
        Dialect::Postgres => (
            "\"user\"",
            "BOOLEAN NOT NULL DEFAULT false",
            "DOUBLE PRECISION",
        ),
        Dialect::MySql => ("`user`", "BOOLEAN NOT NULL DEFAULT 0", "DOUBLE"),
    };
    [
        ("first_name", "VARCHAR(255) NULL"),
        ("last_name", "VARCHAR(255) NULL"),
        ("age", "INTEGER NULL"),
        ("vip", boolean),
        ("score", real),
        ("joined_on", "DATE NULL"),
    ]
    .iter()
    .map(|(name, ty)| format!("ALTER TABLE {table} ADD COLUMN {name} {ty}"))
    .collect()
}
