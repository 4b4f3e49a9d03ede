//! Versioned migrations embedded from `migrations/sqlite/`, recorded in
//! `portcullis_migrations`, each applied in its own transaction. Safe to run
//! at every start. On a database Flask-Security made, the schema is adopted
//! in place: only what is missing is added, nothing is dropped or rewritten.

use chrono::Utc;
pub use portcullis_core::store::{Migration, MigrationReport, MigrationStatus};
use portcullis_core::{Error, Result};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::SqlResult;

/// Every migration, in order.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_fsqla_v3.sql",
        sql: include_str!("../../../migrations/sqlite/0001_fsqla_v3.sql"),
    },
    Migration {
        version: 2,
        name: "0002_adopt_older_fsqla.sql",
        sql: include_str!("../../../migrations/sqlite/0002_adopt_older_fsqla.sql"),
    },
    Migration {
        version: 3,
        name: "0003_portcullis.sql",
        sql: include_str!("../../../migrations/sqlite/0003_portcullis.sql"),
    },
    Migration {
        version: 4,
        name: "0004_sessions.sql",
        sql: include_str!("../../../migrations/sqlite/0004_sessions.sql"),
    },
    Migration {
        version: 5,
        name: "0005_attempts.sql",
        sql: include_str!("../../../migrations/sqlite/0005_attempts.sql"),
    },
    Migration {
        version: 6,
        name: "0006_session_users.sql",
        sql: include_str!("../../../migrations/sqlite/0006_session_users.sql"),
    },
    Migration {
        version: 7,
        name: "0007_refresh_trackers.sql",
        sql: include_str!("../../../migrations/sqlite/0007_refresh_trackers.sql"),
    },
];

fn table_exists(conn: &Connection, table: &str) -> Result<bool> {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |_| Ok(()),
    )
    .optional()
    .sql()
    .map(|o| o.is_some())
}

fn column_exists(conn: &Connection, table: &str, column: &str) -> Result<bool> {
    conn.query_row(
        "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2",
        [table, column],
        |_| Ok(()),
    )
    .optional()
    .sql()
    .map(|o| o.is_some())
}

/// `ALTER TABLE <t> ADD COLUMN <c> …` → (t, c).
fn add_column_target(stmt: &str) -> Option<(String, String)> {
    let words: Vec<&str> = stmt.split_whitespace().collect();
    match words.as_slice() {
        [a, t, table, add, c, column, ..]
            if a.eq_ignore_ascii_case("ALTER")
                && t.eq_ignore_ascii_case("TABLE")
                && add.eq_ignore_ascii_case("ADD")
                && c.eq_ignore_ascii_case("COLUMN") =>
        {
            Some((
                table.trim_matches('"').to_owned(),
                column.trim_matches('"').to_owned(),
            ))
        }
        _ => None,
    }
}

fn statements(sql: &str) -> impl Iterator<Item = String> + '_ {
    let without_comments: String = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .into_iter()
}

/// Applies every migration not yet recorded.
pub fn migrate(conn: &mut Connection) -> Result<MigrationReport> {
    let mut report = MigrationReport::default();
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .sql()?;
    let fresh_to_us = !table_exists(&tx, "portcullis_migrations")?;
    report.adopted = fresh_to_us && table_exists(&tx, "user")?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS portcullis_migrations (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )",
    )
    .sql()?;
    tx.commit().sql()?;
    if report.adopted {
        tracing::info!("adopting an existing Flask-Security database: adding only what is missing");
    }
    for m in MIGRATIONS {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .sql()?;
        let done = tx
            .query_row(
                "SELECT 1 FROM portcullis_migrations WHERE version = ?1",
                [m.version],
                |_| Ok(()),
            )
            .optional()
            .sql()?
            .is_some();
        if done {
            report.already_applied.push(m.version);
            continue;
        }
        for stmt in statements(m.sql) {
            if let Some((table, column)) = add_column_target(&stmt)
                && column_exists(&tx, &table, &column)?
            {
                continue;
            }
            tx.execute_batch(&stmt).map_err(|e| {
                let hint = if stmt.contains("lower(email)") {
                    " (two users have the same email in different case; merge or rename one, then start again)"
                } else {
                    ""
                };
                Error::new(portcullis_core::ErrorKind::Config, format!("migration {} failed{hint}", m.name)).with_source(e)
            })?;
        }
        tx.execute(
            "INSERT INTO portcullis_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                m.version,
                m.name,
                Utc::now().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
            ],
        )
        .sql()?;
        tx.commit().sql()?;
        report.applied.push(m.version);
    }
    Ok(report)
}

/// Which migrations are applied.
pub fn status(conn: &Connection) -> Result<Vec<MigrationStatus>> {
    let has_table = table_exists(conn, "portcullis_migrations")?;
    MIGRATIONS
        .iter()
        .map(|m| {
            let applied_at = if has_table {
                conn.query_row(
                    "SELECT applied_at FROM portcullis_migrations WHERE version = ?1",
                    [m.version],
                    |r| r.get(0),
                )
                .optional()
                .sql()?
            } else {
                None
            };
            Ok(MigrationStatus {
                version: m.version,
                name: m.name,
                applied_at,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_add_column() {
        assert_eq!(
            add_column_target("ALTER TABLE user ADD COLUMN x TEXT"),
            Some(("user".into(), "x".into()))
        );
        assert_eq!(add_column_target("CREATE INDEX a ON b (c)"), None);
        assert_eq!(
            statements("-- c\nA;\n\nB; -- d\n").collect::<Vec<_>>(),
            ["A", "B"]
        );
    }

    #[test]
    fn fresh_database_migrates_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        let r = migrate(&mut conn).unwrap();
        assert!(!r.adopted);
        assert_eq!(r.applied, [1, 2, 3, 4, 5, 6, 7]);
        let r = migrate(&mut conn).unwrap();
        assert!(r.applied.is_empty());
        assert_eq!(r.already_applied, [1, 2, 3, 4, 5, 6, 7]);
        assert!(
            status(&conn)
                .unwrap()
                .iter()
                .all(|s| s.applied_at.is_some())
        );
    }
}
