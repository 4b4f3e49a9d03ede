//! Scratch databases for tests: a fresh, uniquely named database on a
//! PostgreSQL or MySQL server, dropped afterwards. Used by this crate's
//! conformance tests and by the HTTP suites that run on a real server.

use portcullis_core::{Error, Result};
use sea_orm::{ConnectionTrait, Database};

use crate::config::Dialect;
use crate::error::DbResult;

/// A database made for one test.
#[derive(Debug)]
pub struct ScratchDb {
    server_url: String,
    name: String,
    url: String,
    dialect: Dialect,
}

/// `url` with its path (the database name) replaced by `name`.
fn with_database(url: &str, name: &str) -> Result<String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| Error::invalid_input("a server URL needs scheme://"))?;
    let (authority, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let query = tail.find('?').map_or("", |i| &tail[i..]);
    Ok(format!("{scheme}://{authority}/{name}{query}"))
}

impl ScratchDb {
    /// Creates `portcullis_<random>` on the server `server_url` names (a
    /// PostgreSQL or MySQL URL whose own database is used to connect).
    pub async fn create(server_url: &str) -> Result<Self> {
        let dialect = Dialect::of_url(server_url)?;
        if dialect == Dialect::Sqlite {
            return Err(Error::invalid_input("scratch databases are for servers"));
        }
        let name = format!(
            "portcullis_{}",
            &portcullis_core::store::new_uniquifier()[..16]
        )
        .to_ascii_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        let admin = Database::connect(crate::SeaOrmConfig::new(server_url).driver_url()?)
            .await
            .db()?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .db()?;
        admin.close().await.db()?;
        Ok(Self {
            url: with_database(server_url, &name)?,
            server_url: server_url.to_owned(),
            name,
            dialect,
        })
    }

    /// The scratch database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Drops the database (open connections to it are ended on PostgreSQL).
    pub async fn drop_database(self) -> Result<()> {
        let admin = Database::connect(crate::SeaOrmConfig::new(&self.server_url).driver_url()?)
            .await
            .db()?;
        let sql = match self.dialect {
            Dialect::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        admin.execute_unprepared(&sql).await.db()?;
        admin.close().await.db()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_names_are_replaced() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x").unwrap(),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("mysql://root@h:3306", "x").unwrap(),
            "mysql://root@h:3306/x"
        );
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x").unwrap(),
            "postgres://h/x?sslmode=disable"
        );
    }
}
