//! The canonical SQL of `migrations/{postgres,mysql,sqlite}/`, embedded
//! and applied in order, each file once, recorded in `portcullis_migrations`
//! (the same table `portcullis-sqlite` keeps, so a SQLite file can move
//! between the two backends). Safe to run at every start, and from several
//! servers at once: PostgreSQL takes an advisory lock, MySQL a named lock,
//! SQLite a write transaction.
//!
//! On a database Flask-Security made, the schema is adopted in place: only
//! what is missing is added. Every statement is idempotent (`IF NOT EXISTS`,
//! or checked against the catalogue first where the dialect lacks it), so a
//! run cut short — MySQL cannot put DDL in a transaction — is finished by
//! the next one.

use chrono::Utc;
pub use portcullis_core::store::{Migration, MigrationReport, MigrationStatus};
use portcullis_core::{Error, ErrorKind, Result};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, SqliteTransactionMode, TransactionOptions,
    TransactionTrait,
};

use crate::config::Dialect;
use crate::error::DbResult;
use crate::sql::stmt;

macro_rules! migrations {
    ($dir:literal: $($v:literal $name:literal),* $(,)?) => {
        &[$(Migration {
            version: $v,
            name: $name,
            sql: include_str!(concat!("../../../migrations/", $dir, "/", $name)),
        }),*]
    };
}

/// PostgreSQL's migrations.
pub const POSTGRES: &[Migration] = migrations!("postgres":
    1 "0001_fsqla_v3.sql", 2 "0002_adopt_older_fsqla.sql", 3 "0003_portcullis.sql", 4 "0004_sessions.sql", 5 "0005_attempts.sql", 6 "0006_session_users.sql", 7 "0007_refresh_trackers.sql");
/// MySQL's and MariaDB's migrations.
pub const MYSQL: &[Migration] = migrations!("mysql":
    1 "0001_fsqla_v3.sql", 2 "0002_adopt_older_fsqla.sql", 3 "0003_portcullis.sql", 4 "0004_sessions.sql", 5 "0005_attempts.sql", 6 "0006_session_users.sql", 7 "0007_refresh_trackers.sql");
/// SQLite's migrations (shared with `portcullis-sqlite`).
pub const SQLITE: &[Migration] = migrations!("sqlite":
    1 "0001_fsqla_v3.sql", 2 "0002_adopt_older_fsqla.sql", 3 "0003_portcullis.sql", 4 "0004_sessions.sql", 5 "0005_attempts.sql", 6 "0006_session_users.sql", 7 "0007_refresh_trackers.sql");

/// The migrations of a dialect.
pub fn migrations(dialect: Dialect) -> &'static [Migration] {
    match dialect {
        Dialect::Postgres => POSTGRES,
        Dialect::MySql => MYSQL,
        Dialect::Sqlite => SQLITE,
    }
}

/// What must be checked before a statement runs, where the dialect has no
/// `IF NOT EXISTS` for it.
#[derive(Debug, PartialEq, Eq)]
enum Guard {
    AddColumn { table: String, column: String },
    CreateIndex { table: String, index: String },
}

fn unquote(s: &str) -> String {
    s.trim_matches(|c| c == '"' || c == '`').to_owned()
}

/// Recognises `ALTER TABLE t ADD COLUMN [IF NOT EXISTS] c …` and
/// `CREATE [UNIQUE] INDEX [IF NOT EXISTS] i ON t …`.
fn guard(stmt: &str) -> Option<Guard> {
    let w: Vec<String> = stmt
        .split_whitespace()
        .map(|s| s.to_ascii_uppercase())
        .collect();
    let raw: Vec<&str> = stmt.split_whitespace().collect();
    let skip_ine = |i: usize| {
        if w.get(i).map(String::as_str) == Some("IF")
            && w.get(i + 1).map(String::as_str) == Some("NOT")
            && w.get(i + 2).map(String::as_str) == Some("EXISTS")
        {
            i + 3
        } else {
            i
        }
    };
    if w.len() > 5 && w[0] == "ALTER" && w[1] == "TABLE" && w[3] == "ADD" && w[4] == "COLUMN" {
        let c = skip_ine(5);
        return Some(Guard::AddColumn {
            table: unquote(raw[2]),
            column: unquote(raw.get(c)?),
        });
    }
    if w.len() > 4 && w[0] == "CREATE" {
        let i = if w[1] == "UNIQUE" { 2 } else { 1 };
        if w.get(i).map(String::as_str) != Some("INDEX") {
            return None;
        }
        let n = skip_ine(i + 1);
        if w.get(n + 1).map(String::as_str) != Some("ON") {
            return None;
        }
        return Some(Guard::CreateIndex {
            index: unquote(raw.get(n)?),
            table: unquote(raw.get(n + 2)?.split('(').next()?),
        });
    }
    None
}

fn without_if_not_exists(stmt: &str) -> String {
    let words: Vec<&str> = stmt.split_whitespace().collect();
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        if i + 2 < words.len()
            && words[i].eq_ignore_ascii_case("IF")
            && words[i + 1].eq_ignore_ascii_case("NOT")
            && words[i + 2].eq_ignore_ascii_case("EXISTS")
            && i > 0
            && !words[i - 1].eq_ignore_ascii_case("TABLE")
        {
            i += 3;
            continue;
        }
        out.push(words[i]);
        i += 1;
    }
    out.join(" ")
}

fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .map(|l| l.split("--").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

async fn exists<C: ConnectionTrait>(
    conn: &C,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<bool> {
    let backend = conn.get_database_backend();
    Ok(conn
        .query_one_raw(stmt(backend, sql, values))
        .await
        .db()?
        .is_some())
}

async fn table_exists<C: ConnectionTrait>(conn: &C, table: &str) -> Result<bool> {
    let sql = match conn.get_database_backend() {
        DbBackend::Postgres => {
            "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
        }
        DbBackend::MySql => {
            "SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
        }
        _ => "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
    };
    exists(conn, sql, vec![table.into()]).await
}

/// Whether the statement's effect is already there (so it is skipped), and
/// the statement to run otherwise.
async fn prepare<C: ConnectionTrait>(conn: &C, stmt_sql: &str) -> Result<Option<String>> {
    let backend = conn.get_database_backend();
    if backend == DbBackend::Postgres {
        return Ok(Some(stmt_sql.to_owned()));
    }
    match guard(stmt_sql) {
        Some(Guard::AddColumn { table, column }) => {
            let sql = if backend == DbBackend::MySql {
                "SELECT 1 FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND column_name = ?"
            } else {
                "SELECT 1 FROM pragma_table_info(?) WHERE name = ?"
            };
            if exists(conn, sql, vec![table.into(), column.into()]).await? {
                return Ok(None);
            }
            Ok(Some(without_if_not_exists(stmt_sql)))
        }
        Some(Guard::CreateIndex { table, index }) if backend == DbBackend::MySql => {
            let sql = "SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?";
            if exists(conn, sql, vec![table.into(), index.into()]).await? {
                return Ok(None);
            }
            Ok(Some(without_if_not_exists(stmt_sql)))
        }
        _ => Ok(Some(stmt_sql.to_owned())),
    }
}

const LEDGER: &str = "CREATE TABLE IF NOT EXISTS portcullis_migrations (\
    version INTEGER NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at VARCHAR(64) NOT NULL)";

/// An arbitrary constant naming Portcullis' PostgreSQL advisory lock.
pub(crate) const PG_LOCK: i64 = 0x504f_5254_4355_4c4c; // "PORTCULL"

async fn lock<C: ConnectionTrait>(conn: &C) -> Result<()> {
    match conn.get_database_backend() {
        DbBackend::Postgres => {
            conn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({PG_LOCK})"))
                .await
                .db()?;
        }
        DbBackend::MySql => {
            let got = conn
                .query_one_raw(stmt(
                    DbBackend::MySql,
                    "SELECT GET_LOCK('portcullis_migrations', 60)",
                    vec![],
                ))
                .await
                .db()?
                .and_then(|r| r.try_get_by_index::<Option<i64>>(0).ok().flatten());
            if got != Some(1) {
                return Err(Error::unavailable(
                    "another server held the migration lock for a minute; try again",
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

async fn unlock<C: ConnectionTrait>(conn: &C) -> Result<()> {
    if conn.get_database_backend() == DbBackend::MySql {
        conn.execute_unprepared("SELECT RELEASE_LOCK('portcullis_migrations')")
            .await
            .db()?;
    }
    Ok(())
}

async fn begin(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
    .db()
}

/// Applies every migration not yet recorded.
pub async fn migrate(db: &DatabaseConnection, dialect: Dialect) -> Result<MigrationReport> {
    let mut report = MigrationReport::default();
    // One transaction for the run on MySQL (it only pins the connection that
    // holds the named lock: DDL commits on its own there); one per file
    // elsewhere, each under the lock.
    let tx = begin(db).await?;
    lock(&tx).await?;
    let fresh_to_us = !table_exists(&tx, "portcullis_migrations").await?;
    report.adopted = fresh_to_us && table_exists(&tx, "user").await?;
    tx.execute_unprepared(LEDGER).await.db()?;
    if report.adopted {
        tracing::info!("adopting an existing Flask-Security database: adding only what is missing");
    }
    let mysql = dialect == Dialect::MySql;
    let mut tx = if mysql {
        tx
    } else {
        tx.commit().await.db()?;
        begin(db).await?
    };
    for m in migrations(dialect) {
        if !mysql {
            lock(&tx).await?;
        }
        let done = exists(
            &tx,
            "SELECT 1 FROM portcullis_migrations WHERE version = ?",
            vec![m.version.into()],
        )
        .await?;
        if done {
            report.already_applied.push(m.version);
            continue;
        }
        for s in statements(m.sql) {
            let Some(sql) = prepare(&tx, &s).await? else {
                continue;
            };
            tx.execute_unprepared(&sql).await.map_err(|e| {
                let hint = if sql.contains("lower(email)") || sql.contains("UNIQUE (email)") {
                    " (two users have the same email in different case; merge or rename one, then start again)"
                } else {
                    ""
                };
                Error::new(ErrorKind::Config, format!("migration {} failed{hint}", m.name))
                    .with_source(e)
            })?;
        }
        tx.execute_raw(stmt(
            tx.get_database_backend(),
            "INSERT INTO portcullis_migrations (version, name, applied_at) VALUES (?, ?, ?)",
            vec![
                m.version.into(),
                m.name.into(),
                Utc::now()
                    .format("%Y-%m-%d %H:%M:%S%.6f")
                    .to_string()
                    .into(),
            ],
        ))
        .await
        .db()?;
        if !mysql {
            tx.commit().await.db()?;
            tx = begin(db).await?;
        }
        report.applied.push(m.version);
    }
    unlock(&tx).await?;
    tx.commit().await.db()?;
    Ok(report)
}

/// Which migrations are applied.
pub async fn status(db: &DatabaseConnection, dialect: Dialect) -> Result<Vec<MigrationStatus>> {
    let has_ledger = table_exists(db, "portcullis_migrations").await?;
    let mut out = Vec::new();
    for m in migrations(dialect) {
        let applied_at = if has_ledger {
            db.query_one_raw(stmt(
                db.get_database_backend(),
                "SELECT applied_at FROM portcullis_migrations WHERE version = ?",
                vec![m.version.into()],
            ))
            .await
            .db()?
            .map(|r| r.try_get_by_index::<String>(0))
            .transpose()
            .db()?
        } else {
            None
        };
        out.push(MigrationStatus {
            version: m.version,
            name: m.name,
            applied_at,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_are_recognised() {
        assert_eq!(
            guard("ALTER TABLE `user` ADD COLUMN IF NOT EXISTS us_totp_secrets TEXT"),
            Some(Guard::AddColumn {
                table: "user".into(),
                column: "us_totp_secrets".into()
            })
        );
        assert_eq!(
            guard("ALTER TABLE user ADD COLUMN fs_token_uniquifier VARCHAR(64)"),
            Some(Guard::AddColumn {
                table: "user".into(),
                column: "fs_token_uniquifier".into()
            })
        );
        assert_eq!(
            guard(
                "CREATE UNIQUE INDEX IF NOT EXISTS ix_user_fs_token_uniquifier ON `user` (fs_token_uniquifier)"
            ),
            Some(Guard::CreateIndex {
                table: "user".into(),
                index: "ix_user_fs_token_uniquifier".into()
            })
        );
        assert_eq!(
            guard("CREATE INDEX IF NOT EXISTS ix_roles_users_user_id ON roles_users(user_id)"),
            Some(Guard::CreateIndex {
                table: "roles_users".into(),
                index: "ix_roles_users_user_id".into()
            })
        );
        assert_eq!(guard("CREATE TABLE IF NOT EXISTS x (a INT)"), None);
        assert_eq!(
            guard("ALTER TABLE `user` MODIFY COLUMN password VARCHAR(255) NULL"),
            None
        );
    }

    #[test]
    fn if_not_exists_is_stripped_except_from_create_table() {
        assert_eq!(
            without_if_not_exists("CREATE UNIQUE INDEX IF NOT EXISTS a ON b (c)"),
            "CREATE UNIQUE INDEX a ON b (c)"
        );
        assert_eq!(
            without_if_not_exists("ALTER TABLE `user` ADD COLUMN IF NOT EXISTS x TEXT"),
            "ALTER TABLE `user` ADD COLUMN x TEXT"
        );
        assert_eq!(
            without_if_not_exists("CREATE TABLE IF NOT EXISTS t (a INT)"),
            "CREATE TABLE IF NOT EXISTS t (a INT)"
        );
    }

    #[test]
    fn every_dialect_has_every_version_in_order() {
        for d in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
            let v: Vec<i64> = migrations(d).iter().map(|m| m.version).collect();
            assert_eq!(v, [1, 2, 3, 4, 5, 6, 7], "{d:?}");
            assert!(migrations(d).iter().all(|m| !statements(m.sql).is_empty()));
        }
    }
}
