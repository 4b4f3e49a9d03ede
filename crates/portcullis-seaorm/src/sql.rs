//! Small helpers: statements with `?` placeholders for every dialect,
//! datetimes as each database keeps them, and rows → core models.

use chrono::{DateTime, NaiveDateTime, Utc};
use portcullis_core::models::asa_list;
use portcullis_core::{Role, SecretString, User, WebAuthnCredential};
use sea_orm::{DbBackend, Statement, Value};

use crate::entity::{SecretText, fs_refresh_tracker, role, user, web_authn};

/// A statement written with `?` placeholders, numbered `$n` for
/// PostgreSQL. Only for this crate's own SQL, which has no `?` elsewhere.
pub(crate) fn stmt(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = if backend == DbBackend::Postgres {
        let mut out = String::with_capacity(sql.len() + 8);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                out.push('$');
                out.push_str(&n.to_string());
            } else {
                out.push(c);
            }
        }
        out
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// How SQLAlchemy writes a DATETIME on SQLite; shared with
/// `portcullis-sqlite` and Flask-Security, so all three read each other's rows.
pub(crate) fn sqlite_time(t: DateTime<Utc>) -> String {
    t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// A datetime as a bind value: a native `TIMESTAMP`/`DATETIME(6)` on
/// PostgreSQL and MySQL, SQLAlchemy's text on SQLite.
pub(crate) fn time(backend: DbBackend, t: Option<DateTime<Utc>>) -> Value {
    match (backend, t) {
        (DbBackend::Sqlite, t) => Value::String(t.map(sqlite_time)),
        (_, t) => Value::ChronoDateTime(t.map(|t| t.naive_utc())),
    }
}

/// Text or NULL.
pub(crate) fn text(v: Option<String>) -> Value {
    Value::String(v)
}

/// A secret as text or NULL.
pub(crate) fn secret(v: Option<SecretString>) -> Value {
    Value::String(v.map(|s| s.expose().to_owned()))
}

/// Recovery codes, comma-joined.
pub(crate) fn codes(v: Option<Vec<SecretString>>) -> Value {
    Value::String(
        v.map(|c| asa_list::join(&c.iter().map(|s| s.expose().to_owned()).collect::<Vec<_>>())),
    )
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

fn reveal(s: Option<SecretText>) -> Option<SecretString> {
    s.map(|s| SecretString::new(s.0))
}

/// A `user` row as a core [`User`] (roles are attached by the caller).
pub(crate) fn user_from(m: user::Model) -> User {
    User {
        id: i64::from(m.id),
        email: m.email,
        username: m.username,
        password: reveal(m.password),
        active: m.active,
        fs_uniquifier: m.fs_uniquifier,
        fs_token_uniquifier: m.fs_token_uniquifier,
        confirmed_at: m.confirmed_at.map(utc),
        last_login_at: m.last_login_at.map(utc),
        current_login_at: m.current_login_at.map(utc),
        last_login_ip: m.last_login_ip,
        current_login_ip: m.current_login_ip,
        login_count: m.login_count.map(i64::from),
        tf_primary_method: m.tf_primary_method,
        tf_totp_secret: reveal(m.tf_totp_secret),
        tf_phone_number: m.tf_phone_number,
        us_totp_secrets: reveal(m.us_totp_secrets),
        us_phone_number: m.us_phone_number,
        fs_webauthn_user_handle: m.fs_webauthn_user_handle,
        mf_recovery_codes: m.mf_recovery_codes.map(|c| {
            asa_list::split(Some(&c.0))
                .into_iter()
                .map(SecretString::new)
                .collect()
        }),
        create_datetime: utc(m.create_datetime),
        update_datetime: utc(m.update_datetime),
        roles: Vec::new(),
        fields: portcullis_core::UserFields::new(),
    }
}

/// A `role` row as a core [`Role`].
pub(crate) fn role_from(m: role::Model) -> Role {
    Role {
        id: i64::from(m.id),
        name: m.name,
        description: m.description,
        permissions: asa_list::split(m.permissions.as_deref()),
        update_datetime: utc(m.update_datetime),
    }
}

/// A `web_authn` row as a core [`WebAuthnCredential`].
pub(crate) fn webauthn_from(m: web_authn::Model) -> WebAuthnCredential {
    WebAuthnCredential {
        id: i64::from(m.id),
        credential_id: m.credential_id,
        public_key: m.public_key,
        sign_count: m.sign_count.map_or(0, i64::from),
        transports: asa_list::split(m.transports.as_deref()),
        backup_state: m.backup_state,
        device_type: m.device_type,
        extensions: m.extensions,
        create_datetime: utc(m.create_datetime),
        lastuse_datetime: utc(m.lastuse_datetime),
        name: m.name,
        usage: m.usage,
        user_id: i64::from(m.user_id),
    }
}

/// An `fs_refresh_tracker` row as a core [`RefreshTracker`](portcullis_core::RefreshTracker).
pub(crate) fn tracker_from(m: fs_refresh_tracker::Model) -> portcullis_core::RefreshTracker {
    portcullis_core::RefreshTracker {
        id: i64::from(m.id),
        refresh_family: m.refresh_family,
        generation: m.generation.map_or(1, i64::from),
        expires_at: utc(m.expires_at),
        revoked_at: m.revoked_at.map(utc),
        last_used_at: utc(m.last_used_at),
        create_datetime: utc(m.create_datetime),
        name: m.name,
        user_id: i64::from(m.user_id),
    }
}

/// A primary key the schema keeps as `INTEGER`; larger ids name nothing.
pub(crate) fn key(id: i64) -> Option<i32> {
    i32::try_from(id).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_for_postgres_only() {
        let s = stmt(
            DbBackend::Postgres,
            "SELECT ? + ?",
            vec![1.into(), 2.into()],
        );
        assert_eq!(s.sql, "SELECT $1 + $2");
        let s = stmt(DbBackend::MySql, "SELECT ? + ?", vec![1.into(), 2.into()]);
        assert_eq!(s.sql, "SELECT ? + ?");
    }

    #[test]
    fn sqlite_times_are_sqlalchemy_text() {
        let t = DateTime::from_timestamp_micros(1_767_225_600_000_000).unwrap();
        assert_eq!(
            time(DbBackend::Sqlite, Some(t)),
            Value::String(Some("2026-01-01 00:00:00.000000".into()))
        );
        assert_eq!(
            time(DbBackend::Postgres, Some(t)),
            Value::ChronoDateTime(Some(t.naive_utc()))
        );
        assert_eq!(key(i64::from(i32::MAX) + 1), None);
    }
}
