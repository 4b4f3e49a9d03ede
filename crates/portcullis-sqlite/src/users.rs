//! `UserStore` on SQLite.

use chrono::{DateTime, Utc};
use portcullis_core::models::asa_list;
use portcullis_core::store::{email_key, new_uniquifier};
use portcullis_core::{
    Error, NewUser, Result, SecretString, User, UserFilter, UserPatch, UserStore,
};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::SqlResult;
use crate::fields::{self, UserColumns};
use crate::rows::{fmt_time, user_where, users_where};
use crate::store::SqliteStore;

fn not_found() -> Error {
    Error::not_found("no such user")
}

/// The id of the user holding `email` (case-insensitively). ASCII keys use
/// the `lower(email)` index; others compare Unicode lower case.
fn email_owner(conn: &Connection, email: &str) -> Result<Option<i64>> {
    let key = email_key(email);
    let sql = if key.is_ascii() {
        "SELECT id FROM user WHERE lower(email) = ?1 LIMIT 1"
    } else {
        "SELECT id FROM user WHERE portcullis_lower(email) = ?1 LIMIT 1"
    };
    conn.prepare_cached(sql)
        .sql()?
        .query_row([key], |r| r.get(0))
        .optional()
        .sql()
}

fn load(conn: &Connection, cols: &UserColumns, id: i64) -> Result<User> {
    user_where(conn, cols, "WHERE id = ?1", [id])?.ok_or_else(not_found)
}

fn text<T: Into<String>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, |s| Value::Text(s.into()))
}

fn secret(v: Option<SecretString>) -> Value {
    v.map_or(Value::Null, |s| Value::Text(s.expose().to_owned()))
}

fn time(v: Option<DateTime<Utc>>) -> Value {
    v.map_or(Value::Null, |t| Value::Text(fmt_time(t)))
}

fn codes(v: Option<Vec<SecretString>>) -> Value {
    v.map_or(Value::Null, |c| {
        Value::Text(asa_list::join(
            &c.iter().map(|s| s.expose().to_owned()).collect::<Vec<_>>(),
        ))
    })
}

/// The `SET` assignments a patch makes (column names quoted).
fn assignments(mut p: UserPatch) -> Vec<(String, Value)> {
    let app = std::mem::take(&mut p.fields);
    own_assignments(p)
        .into_iter()
        .map(|(c, v)| (c.to_owned(), v))
        .chain(
            app.iter()
                .map(|(name, v)| (format!("\"{name}\""), fields::to_sql(v))),
        )
        .collect()
}

/// The assignments of Flask-Security's own columns.
fn own_assignments(p: UserPatch) -> Vec<(&'static str, Value)> {
    let mut a: Vec<(&'static str, Value)> = Vec::new();
    if let Some(v) = p.email {
        a.push(("email", Value::Text(v)));
    }
    if let Some(v) = p.username {
        a.push(("username", text(v)));
    }
    if let Some(v) = p.password {
        a.push(("password", secret(v)));
    }
    if let Some(v) = p.active {
        a.push(("active", Value::Integer(i64::from(v))));
    }
    if let Some(v) = p.fs_uniquifier {
        a.push(("fs_uniquifier", Value::Text(v)));
    }
    if let Some(v) = p.fs_token_uniquifier {
        a.push(("fs_token_uniquifier", text(v)));
    }
    if let Some(v) = p.confirmed_at {
        a.push(("confirmed_at", time(v)));
    }
    if let Some(v) = p.last_login_at {
        a.push(("last_login_at", time(v)));
    }
    if let Some(v) = p.current_login_at {
        a.push(("current_login_at", time(v)));
    }
    if let Some(v) = p.last_login_ip {
        a.push(("last_login_ip", text(v)));
    }
    if let Some(v) = p.current_login_ip {
        a.push(("current_login_ip", text(v)));
    }
    if let Some(v) = p.login_count {
        a.push(("login_count", v.map_or(Value::Null, Value::Integer)));
    }
    if let Some(v) = p.tf_primary_method {
        a.push(("tf_primary_method", text(v)));
    }
    if let Some(v) = p.tf_totp_secret {
        a.push(("tf_totp_secret", secret(v)));
    }
    if let Some(v) = p.tf_phone_number {
        a.push(("tf_phone_number", text(v)));
    }
    if let Some(v) = p.us_totp_secrets {
        a.push(("us_totp_secrets", secret(v)));
    }
    if let Some(v) = p.us_phone_number {
        a.push(("us_phone_number", text(v)));
    }
    if let Some(v) = p.fs_webauthn_user_handle {
        a.push(("fs_webauthn_user_handle", text(v)));
    }
    if let Some(v) = p.mf_recovery_codes {
        a.push(("mf_recovery_codes", codes(v)));
    }
    a
}

fn apply(conn: &Connection, id: i64, patch: UserPatch, now: DateTime<Utc>) -> Result<()> {
    let mut sets = assignments(patch);
    sets.push(("update_datetime".to_owned(), Value::Text(fmt_time(now))));
    let sql = format!(
        "UPDATE user SET {} WHERE id = ?{}",
        sets.iter()
            .enumerate()
            .map(|(i, (c, _))| format!("{c} = ?{}", i + 1))
            .collect::<Vec<_>>()
            .join(", "),
        sets.len() + 1
    );
    let mut values: Vec<Value> = sets.into_iter().map(|(_, v)| v).collect();
    values.push(Value::Integer(id));
    let changed = conn
        .execute(&sql, rusqlite::params_from_iter(values))
        .sql()?;
    if changed == 0 {
        Err(not_found())
    } else {
        Ok(())
    }
}

/// Inserts the `user` row of `new` (its application fields included).
fn insert(tx: &Connection, new: NewUser, now: &str) -> Result<()> {
    let mut names = String::from(
        "email, username, password, active, fs_uniquifier, fs_token_uniquifier, confirmed_at, \
         us_phone_number, fs_webauthn_user_handle, create_datetime, update_datetime",
    );
    let mut values: Vec<Value> = vec![
        Value::Text(new.email),
        text(new.username),
        secret(new.password),
        Value::Integer(i64::from(new.active)),
        Value::Text(new.fs_uniquifier.unwrap_or_else(new_uniquifier)),
        Value::Text(new.fs_token_uniquifier.unwrap_or_else(new_uniquifier)),
        time(new.confirmed_at),
        text(new.us_phone_number),
        Value::Text(new.fs_webauthn_user_handle.unwrap_or_else(new_uniquifier)),
        Value::Text(now.to_owned()),
        Value::Text(now.to_owned()),
    ];
    for (name, v) in &new.fields {
        names.push_str(&format!(", \"{name}\""));
        values.push(fields::to_sql(v));
    }
    let marks = (1..=values.len())
        .map(|i| format!("?{i}"))
        .collect::<Vec<_>>()
        .join(", ");
    tx.execute(
        &format!("INSERT INTO user ({names}) VALUES ({marks})"),
        rusqlite::params_from_iter(values),
    )
    .sql()?;
    Ok(())
}

#[async_trait::async_trait]
impl UserStore for SqliteStore {
    async fn find_user_by_id(&self, id: i64) -> Result<Option<User>> {
        let cols = self.columns();
        self.point_read(move |c| user_where(c, &cols, "WHERE id = ?1", [id]))
            .await
    }

    async fn find_user_by_uniquifier(&self, uniquifier: &str) -> Result<Option<User>> {
        let cols = self.columns();
        let u = uniquifier.to_owned();
        self.point_read(move |c| user_where(c, &cols, "WHERE fs_uniquifier = ?1", [&u]))
            .await
    }

    async fn find_user_by_token_uniquifier(&self, uid: &str) -> Result<Option<User>> {
        let cols = self.columns();
        let u = uid.to_owned();
        self.point_read(move |c| {
            match user_where(c, &cols, "WHERE fs_token_uniquifier = ?1", [&u])? {
                Some(user) => Ok(Some(user)),
                None => user_where(c, &cols, "WHERE fs_uniquifier = ?1", [&u]),
            }
        })
        .await
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let cols = self.columns();
        let e = email.to_owned();
        self.read(move |c| match email_owner(c, &e)? {
            Some(id) => user_where(c, &cols, "WHERE id = ?1", [id]),
            None => Ok(None),
        })
        .await
    }

    async fn find_user_by_username(
        &self,
        username: &str,
        case_insensitive: bool,
    ) -> Result<Option<User>> {
        let cols = self.columns();
        let name = username.to_owned();
        self.read(move |c| {
            if !case_insensitive {
                return user_where(c, &cols, "WHERE username = ?1", [name]);
            }
            let key = name.to_lowercase();
            let clause = if key.is_ascii() {
                "WHERE lower(username) = ?1"
            } else {
                "WHERE portcullis_lower(username) = ?1"
            };
            user_where(c, &cols, clause, [key])
        })
        .await
    }

    async fn find_user_by_phone(&self, phone: &str) -> Result<Option<User>> {
        let cols = self.columns();
        let p = phone.to_owned();
        self.read(move |c| user_where(c, &cols, "WHERE us_phone_number = ?1", [p]))
            .await
    }

    async fn find_user_by_webauthn_handle(&self, handle: &str) -> Result<Option<User>> {
        let cols = self.columns();
        let h = handle.to_owned();
        self.read(move |c| user_where(c, &cols, "WHERE fs_webauthn_user_handle = ?1", [h]))
            .await
    }

    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>> {
        let cols = self.columns();
        let f = filter.clone();
        self.read(move |c| {
            let limit = f.limit.map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX));
            let offset = i64::try_from(f.offset).unwrap_or(i64::MAX);
            let active = f.active.map(i64::from);
            users_where(
                c,
                &cols,
                "WHERE (?1 IS NULL OR active = ?1) \
                 AND (?2 IS NULL OR id IN (SELECT ru.user_id FROM roles_users ru JOIN role r ON r.id = ru.role_id WHERE r.name = ?2)) \
                 ORDER BY id LIMIT ?3 OFFSET ?4",
                params![active, f.role, limit, offset],
            )
        })
        .await
    }

    async fn create_user(&self, new: NewUser) -> Result<User> {
        let cols = self.columns();
        new.check()?;
        cols.fields().check_create(&new.fields)?;
        let now = fmt_time(self.now());
        self.write(move |tx| {
            let mut role_ids = Vec::new();
            for name in &new.roles {
                let id: Option<i64> = tx
                    .query_row("SELECT id FROM role WHERE name = ?1", [name], |r| r.get(0))
                    .optional()
                    .sql()?;
                role_ids
                    .push(id.ok_or_else(|| Error::not_found(format!("no role named {name:?}")))?);
            }
            if email_owner(tx, &new.email)?.is_some() {
                return Err(Error::already_exists("email"));
            }
            insert(tx, new, &now)?;
            let id = tx.last_insert_rowid();
            for rid in role_ids {
                tx.execute(
                    "INSERT INTO roles_users (user_id, role_id) VALUES (?1, ?2)",
                    [id, rid],
                )
                .sql()?;
            }
            load(tx, &cols, id)
        })
        .await
    }

    async fn update_user(&self, id: i64, patch: UserPatch) -> Result<User> {
        let cols = self.columns();
        patch.check()?;
        cols.fields().check_write(&patch.fields)?;
        if patch.is_empty() {
            return self.find_user_by_id(id).await?.ok_or_else(not_found);
        }
        let now = self.now();
        self.write(move |tx| {
            load(tx, &cols, id)?;
            if let Some(email) = &patch.email
                && email_owner(tx, email)?.is_some_and(|owner| owner != id)
            {
                return Err(Error::already_exists("email"));
            }
            apply(tx, id, patch, now)?;
            load(tx, &cols, id)
        })
        .await
    }

    async fn delete_user(&self, id: i64) -> Result<bool> {
        self.write(move |tx| {
            tx.execute("DELETE FROM roles_users WHERE user_id = ?1", [id])
                .sql()?;
            tx.execute("DELETE FROM web_authn WHERE user_id = ?1", [id])
                .sql()?;
            tx.execute("DELETE FROM fs_refresh_tracker WHERE user_id = ?1", [id])
                .sql()?;
            Ok(tx.execute("DELETE FROM user WHERE id = ?1", [id]).sql()? > 0)
        })
        .await
    }

    async fn set_active(&self, id: i64, active: bool) -> Result<bool> {
        let now = fmt_time(self.now());
        self.write(move |tx| {
            let was: bool = tx
                .query_row("SELECT active FROM user WHERE id = ?1", [id], |r| r.get(0))
                .optional()
                .sql()?
                .ok_or_else(not_found)?;
            if was != active {
                tx.execute(
                    "UPDATE user SET active = ?1, update_datetime = ?2 WHERE id = ?3",
                    params![active, now, id],
                )
                .sql()?;
            }
            Ok(was != active)
        })
        .await
    }

    async fn record_login(&self, id: i64, ip: Option<&str>, at: DateTime<Utc>) -> Result<User> {
        let cols = self.columns();
        if let Some(ip) = ip {
            portcullis_core::store::limits::check("ip", ip, portcullis_core::store::limits::IP)?;
        }
        let (ip, at, now) = (ip.map(str::to_owned), fmt_time(at), fmt_time(self.now()));
        self.write(move |tx| {
            // One statement: the right-hand sides see the row as it was.
            let n = tx
                .execute(
                    "UPDATE user SET last_login_at = COALESCE(current_login_at, ?2), \
                     last_login_ip = COALESCE(current_login_ip, ?3), current_login_at = ?2, current_login_ip = ?3, \
                     login_count = COALESCE(login_count, 0) + 1, update_datetime = ?4 WHERE id = ?1",
                    params![id, at, ip, now],
                )
                .sql()?;
            if n == 0 {
                return Err(not_found());
            }
            load(tx, &cols, id)
        })
        .await
    }

    async fn take_recovery_code(&self, id: i64, code: &str) -> Result<bool> {
        let code = code.to_owned();
        let now = self.now();
        self.write(move |tx| {
            let stored: Option<Option<String>> = tx
                .query_row(
                    "SELECT mf_recovery_codes FROM user WHERE id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .optional()
                .sql()?;
            let stored = stored.ok_or_else(not_found)?;
            let mut codes = asa_list::split(stored.as_deref());
            let Some(pos) = portcullis_core::crypto::recovery::find_code(&codes, &code) else {
                return Ok(false);
            };
            codes.remove(pos);
            let patch = UserPatch {
                mf_recovery_codes: Some(Some(codes.into_iter().map(SecretString::new).collect())),
                ..UserPatch::default()
            };
            apply(tx, id, patch, now)?;
            Ok(true)
        })
        .await
    }

    async fn reset_user_access(&self, id: i64) -> Result<User> {
        let cols = self.columns();
        let now = self.now();
        self.write(move |tx| {
            let patch = UserPatch::reset_access();
            apply(tx, id, patch, now)?;
            tx.execute("DELETE FROM web_authn WHERE user_id = ?1", [id])
                .sql()?;
            tx.execute(
                "UPDATE fs_refresh_tracker SET revoked_at = ?1 WHERE user_id = ?2 AND revoked_at IS NULL",
                params![fmt_time(now), id],
            )
            .sql()?;
            load(tx, &cols, id)
        })
        .await
    }
}
