//! Rows ↔ models. Datetimes are stored as SQLAlchemy stores them on SQLite
//! (`YYYY-MM-DD HH:MM:SS.ffffff`, naive UTC); lists comma-joined.

use chrono::{DateTime, NaiveDateTime, Utc};
use portcullis_core::models::asa_list;
use portcullis_core::{Result, Role, SecretString, User, WebAuthnCredential};
use rusqlite::{Connection, Row};

use crate::error::SqlResult;
use crate::fields::{self, UserColumns};

/// Column list for `SELECT … FROM user`, in the order [`user_from_row`] reads.
pub(crate) const USER_COLUMNS: &str = "id, email, username, password, active, fs_uniquifier, fs_token_uniquifier, \
     confirmed_at, last_login_at, current_login_at, last_login_ip, current_login_ip, login_count, \
     tf_primary_method, tf_totp_secret, tf_phone_number, us_totp_secrets, us_phone_number, \
     fs_webauthn_user_handle, mf_recovery_codes, create_datetime, update_datetime";

pub(crate) const ROLE_COLUMNS: &str = "id, name, description, permissions, update_datetime";

pub(crate) const WEBAUTHN_COLUMNS: &str = "id, credential_id, public_key, sign_count, transports, backup_state, \
     device_type, extensions, create_datetime, lastuse_datetime, name, usage, user_id";

/// How SQLAlchemy writes a DATETIME on SQLite.
pub(crate) fn fmt_time(t: DateTime<Utc>) -> String {
    t.naive_utc().format("%Y-%m-%d %H:%M:%S%.6f").to_string()
}

/// Reads the formats SQLAlchemy and SQLite's CURRENT_TIMESTAMP write.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(t) = parse_sqlalchemy(s) {
        return Some(t);
    }
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
    .or_else(|| {
        chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
    })
    .or_else(|| DateTime::parse_from_rfc3339(s).ok().map(|d| d.naive_utc()))
    .map(|n| n.and_utc())
}

/// `YYYY-MM-DD HH:MM:SS[.f{1,9}]`, the format SQLAlchemy writes, without
/// chrono's format-string interpreter (every row of every authenticated
/// request has several). Anything else is `None`, for the general parser.
fn parse_sqlalchemy(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', frac @ ..] if !frac.is_empty() && frac.len() <= 9 => {
            let digits = num(20..b.len())?;
            digits * 10u32.pow(9 - u32::try_from(frac.len()).ok()?)
        }
        _ => return None,
    };
    let date =
        chrono::NaiveDate::from_ymd_opt(i32::try_from(num(0..4)?).ok()?, num(5..7)?, num(8..10)?)?;
    let time =
        chrono::NaiveTime::from_hms_nano_opt(num(11..13)?, num(14..16)?, num(17..19)?, nanos)?;
    Some(NaiveDateTime::new(date, time).and_utc())
}

fn time(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<DateTime<Utc>>> {
    let raw: Option<String> = row.get(idx)?;
    Ok(raw.as_deref().and_then(parse_time))
}

fn time_req(row: &Row<'_>, idx: usize) -> rusqlite::Result<DateTime<Utc>> {
    Ok(time(row, idx)?.unwrap_or_default())
}

pub(crate) fn user_from_row(row: &Row<'_>) -> rusqlite::Result<User> {
    let codes: Option<String> = row.get(19)?;
    Ok(User {
        id: row.get(0)?,
        email: row.get(1)?,
        username: row.get(2)?,
        password: row.get::<_, Option<String>>(3)?.map(SecretString::new),
        active: row.get(4)?,
        fs_uniquifier: row.get(5)?,
        fs_token_uniquifier: row.get(6)?,
        confirmed_at: time(row, 7)?,
        last_login_at: time(row, 8)?,
        current_login_at: time(row, 9)?,
        last_login_ip: row.get(10)?,
        current_login_ip: row.get(11)?,
        login_count: row.get(12)?,
        tf_primary_method: row.get(13)?,
        tf_totp_secret: row.get::<_, Option<String>>(14)?.map(SecretString::new),
        tf_phone_number: row.get(15)?,
        us_totp_secrets: row.get::<_, Option<String>>(16)?.map(SecretString::new),
        us_phone_number: row.get(17)?,
        fs_webauthn_user_handle: row.get(18)?,
        mf_recovery_codes: codes.map(|c| {
            asa_list::split(Some(&c))
                .into_iter()
                .map(SecretString::new)
                .collect()
        }),
        create_datetime: time_req(row, 20)?,
        update_datetime: time_req(row, 21)?,
        roles: Vec::new(),
        fields: portcullis_core::UserFields::new(),
    })
}

pub(crate) fn role_from_row(row: &Row<'_>) -> rusqlite::Result<Role> {
    let perms: Option<String> = row.get(3)?;
    Ok(Role {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        permissions: asa_list::split(perms.as_deref()),
        update_datetime: time_req(row, 4)?,
    })
}

pub(crate) fn webauthn_from_row(row: &Row<'_>) -> rusqlite::Result<WebAuthnCredential> {
    let transports: Option<String> = row.get(4)?;
    Ok(WebAuthnCredential {
        id: row.get(0)?,
        credential_id: row.get(1)?,
        public_key: row.get(2)?,
        sign_count: row.get::<_, Option<i64>>(3)?.unwrap_or(0),
        transports: asa_list::split(transports.as_deref()),
        backup_state: row.get(5)?,
        device_type: row.get(6)?,
        extensions: row.get(7)?,
        create_datetime: time_req(row, 8)?,
        lastuse_datetime: time_req(row, 9)?,
        name: row.get(10)?,
        usage: row.get(11)?,
        user_id: row.get(12)?,
    })
}

/// A user's roles, by name (duplicate link rows, which Flask-Security's
/// keyless join table allows, count once).
pub(crate) fn roles_of(conn: &Connection, user_id: i64) -> Result<Vec<Role>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT r.id, r.name, r.description, r.permissions, r.update_datetime FROM role r \
             WHERE r.id IN (SELECT role_id FROM roles_users WHERE user_id = ?1) ORDER BY r.name",
        )
        .sql()?;
    let rows = stmt.query_map([user_id], role_from_row).sql()?;
    rows.collect::<rusqlite::Result<Vec<_>>>().sql()
}

/// Runs a user query and attaches roles.
pub(crate) fn users_where(
    conn: &Connection,
    cols: &UserColumns,
    clause: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<User>> {
    let extra = &cols.select;
    let sql = format!("SELECT {USER_COLUMNS}{extra} FROM user {clause}");
    let mut stmt = conn.prepare_cached(&sql).sql()?;
    let users = stmt
        .query_map(params, |row| {
            let mut u = user_from_row(row)?;
            u.fields = fields::read(row, 22, cols)?;
            Ok(u)
        })
        .sql()?
        .collect::<rusqlite::Result<Vec<_>>>()
        .sql()?;
    users
        .into_iter()
        .map(|mut u| {
            u.roles = roles_of(conn, u.id)?;
            Ok(u)
        })
        .collect()
}

/// The first user matching, with its roles, in one query (the hot path of
/// every authenticated request). Duplicate link rows, which
/// Flask-Security's keyless join table allows, count once.
pub(crate) fn user_where(
    conn: &Connection,
    cols: &UserColumns,
    clause: &str,
    params: impl rusqlite::Params,
) -> Result<Option<User>> {
    static USER_COLS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let user_cols = USER_COLS.as_str();
    let extra = &cols.select_u;
    let sql = format!(
        "SELECT {user_cols}, r.id, r.name, r.description, r.permissions, r.update_datetime{extra} \
         FROM (SELECT * FROM user {clause} LIMIT 1) AS u \
         LEFT JOIN roles_users ru ON ru.user_id = u.id LEFT JOIN role r ON r.id = ru.role_id"
    );
    let mut stmt = conn.prepare_cached(&sql).sql()?;
    let mut rows = stmt.query(params).sql()?;
    let mut user: Option<User> = None;
    while let Some(row) = rows.next().sql()? {
        if user.is_none() {
            let mut u = user_from_row(row).sql()?;
            // After the role columns, so their places do not move.
            u.fields = fields::read(row, 27, cols).sql()?;
            user = Some(u);
        }
        let role_id: Option<i64> = row.get(22).sql()?;
        if let (Some(u), Some(rid)) = (user.as_mut(), role_id)
            && !u.roles.iter().any(|r| r.id == rid)
        {
            let perms: Option<String> = row.get(25).sql()?;
            u.roles.push(Role {
                id: rid,
                name: row.get(23).sql()?,
                description: row.get(24).sql()?,
                permissions: asa_list::split(perms.as_deref()),
                update_datetime: time_req(row, 26).sql()?,
            });
        }
    }
    // Sorted here rather than by `ORDER BY`, which made SQLite build a
    // temporary b-tree on every authenticated request. Byte order, as
    // SQLite's BINARY collation.
    if let Some(u) = user.as_mut() {
        u.roles.sort_by(|a, b| a.name.cmp(&b.name));
    }
    Ok(user)
}

/// The columns `tracker_from_row` reads, in order.
pub(crate) const TRACKER_COLUMNS: &str =
    "id, refresh_family, gen, expires_at, revoked_at, last_used_at, create_datetime, name, user_id";

pub(crate) fn tracker_from_row(row: &Row<'_>) -> rusqlite::Result<portcullis_core::RefreshTracker> {
    Ok(portcullis_core::RefreshTracker {
        id: row.get(0)?,
        refresh_family: row.get(1)?,
        generation: row.get::<_, Option<i64>>(2)?.unwrap_or(1),
        expires_at: time_req(row, 3)?,
        revoked_at: time(row, 4)?,
        last_used_at: time_req(row, 5)?,
        create_datetime: time_req(row, 6)?,
        name: row.get(7)?,
        user_id: row.get(8)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_in_sqlalchemy_format() {
        let t = parse_time("2026-11-23 10:13:19.150040").unwrap();
        assert_eq!(fmt_time(t), "2026-11-23 10:13:19.150040");
        assert_eq!(
            fmt_time(parse_time("2026-11-23 10:13:19").unwrap()),
            "2026-11-23 10:13:19.000000"
        );
        assert!(parse_time("2026-11-23T10:13:19.5").is_some());
        assert!(parse_time("yesterday").is_none());
        // The fast path agrees with chrono's parser, and leaves the rest to it.
        for s in [
            "2026-11-23 10:13:19.150040",
            "2026-11-23 10:13:19",
            "2026-11-23 10:13:19.5",
            "1999-01-01 00:00:00.123456789",
        ] {
            let chrono = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                .unwrap()
                .and_utc();
            assert_eq!(parse_sqlalchemy(s), Some(chrono), "{s}");
        }
        for s in [
            "2026-13-23 10:13:19",
            "2026-11-23 10:13:1x",
            "2026-11-23 10:13:19.",
            "2026-11-23 10:13:19.1234567890",
            "2026-11-23 10:13",
            "2026-11-23T10:13:19",
        ] {
            assert_eq!(parse_sqlalchemy(s), None, "{s}");
        }
        assert_eq!(
            parse_time("2026-11-23 10:13").map(fmt_time).as_deref(),
            Some("2026-11-23 10:13:00.000000")
        );
    }
}
