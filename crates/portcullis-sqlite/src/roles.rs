//! `RoleStore` on SQLite.

use portcullis_core::models::asa_list;
use portcullis_core::{Error, NewRole, Result, Role, RoleStore};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::SqlResult;
use crate::rows::{ROLE_COLUMNS, fmt_time, role_from_row};
use crate::store::SqliteStore;

fn no_role(name: &str) -> Error {
    Error::not_found(format!("no role named {name:?}"))
}

fn find(conn: &Connection, name: &str) -> Result<Option<Role>> {
    conn.prepare_cached(&format!("SELECT {ROLE_COLUMNS} FROM role WHERE name = ?1"))
        .sql()?
        .query_row([name], role_from_row)
        .optional()
        .sql()
}

fn stored(perms: &[String]) -> Option<String> {
    if perms.is_empty() {
        None
    } else {
        Some(asa_list::join(perms))
    }
}

/// (user id, role id) after checking both exist.
fn link_ids(conn: &Connection, user_id: i64, role: &str) -> Result<i64> {
    let user: Option<i64> = conn
        .query_row("SELECT id FROM user WHERE id = ?1", [user_id], |r| r.get(0))
        .optional()
        .sql()?;
    user.ok_or_else(|| Error::not_found("no such user"))?;
    find(conn, role)?.map(|r| r.id).ok_or_else(|| no_role(role))
}

impl SqliteStore {
    async fn change_permissions(
        &self,
        role: &str,
        f: impl FnOnce(&mut Vec<String>) + Send + 'static,
    ) -> Result<Role> {
        let (name, now) = (role.to_owned(), fmt_time(self.now()));
        self.write(move |tx| {
            let mut r = find(tx, &name)?.ok_or_else(|| no_role(&name))?;
            f(&mut r.permissions);
            tx.execute(
                "UPDATE role SET permissions = ?1, update_datetime = ?2 WHERE id = ?3",
                params![stored(&r.permissions), now, r.id],
            )
            .sql()?;
            find(tx, &name)?.ok_or_else(|| no_role(&name))
        })
        .await
    }
}

#[async_trait::async_trait]
impl RoleStore for SqliteStore {
    async fn create_role(&self, new: NewRole) -> Result<Role> {
        new.check()?;
        let now = fmt_time(self.now());
        self.write(move |tx| {
            let mut perms: Vec<String> = Vec::new();
            for p in new.permissions {
                if !perms.contains(&p) {
                    perms.push(p);
                }
            }
            tx.execute(
                "INSERT INTO role (name, description, permissions, update_datetime) VALUES (?1, ?2, ?3, ?4)",
                params![new.name, new.description, stored(&perms), now],
            )
            .sql()?;
            find(tx, &new.name)?.ok_or_else(|| Error::internal("role vanished after insert"))
        })
        .await
    }

    async fn find_role(&self, name: &str) -> Result<Option<Role>> {
        let n = name.to_owned();
        self.read(move |c| find(c, &n)).await
    }

    async fn list_roles(&self) -> Result<Vec<Role>> {
        self.read(|c| {
            let mut stmt = c
                .prepare_cached(&format!("SELECT {ROLE_COLUMNS} FROM role ORDER BY name"))
                .sql()?;
            stmt.query_map([], role_from_row)
                .sql()?
                .collect::<rusqlite::Result<Vec<_>>>()
                .sql()
        })
        .await
    }

    async fn delete_role(&self, name: &str) -> Result<bool> {
        let n = name.to_owned();
        self.write(move |tx| {
            let Some(r) = find(tx, &n)? else {
                return Ok(false);
            };
            tx.execute("DELETE FROM roles_users WHERE role_id = ?1", [r.id])
                .sql()?;
            tx.execute("DELETE FROM role WHERE id = ?1", [r.id]).sql()?;
            Ok(true)
        })
        .await
    }

    async fn add_role_to_user(&self, user_id: i64, role: &str) -> Result<bool> {
        let r = role.to_owned();
        self.write(move |tx| {
            let rid = link_ids(tx, user_id, &r)?;
            let has: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM roles_users WHERE user_id = ?1 AND role_id = ?2",
                    [user_id, rid],
                    |r| r.get(0),
                )
                .optional()
                .sql()?;
            if has.is_some() {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO roles_users (user_id, role_id) VALUES (?1, ?2)",
                [user_id, rid],
            )
            .sql()?;
            Ok(true)
        })
        .await
    }

    async fn remove_role_from_user(&self, user_id: i64, role: &str) -> Result<bool> {
        let r = role.to_owned();
        self.write(move |tx| {
            let rid = link_ids(tx, user_id, &r)?;
            Ok(tx
                .execute(
                    "DELETE FROM roles_users WHERE user_id = ?1 AND role_id = ?2",
                    [user_id, rid],
                )
                .sql()?
                > 0)
        })
        .await
    }

    async fn add_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        portcullis_core::store::limits::list_items("permissions", permissions)?;
        let add = permissions.to_vec();
        self.change_permissions(role, move |perms| {
            for p in add {
                if !perms.contains(&p) {
                    perms.push(p);
                }
            }
        })
        .await
    }

    async fn remove_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        let remove = permissions.to_vec();
        self.change_permissions(role, move |perms| perms.retain(|p| !remove.contains(p)))
            .await
    }
}
