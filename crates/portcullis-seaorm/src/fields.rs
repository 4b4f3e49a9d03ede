//! Application fields: the `user` table's columns that are not
//! Flask-Security's. The entity stays fsqla's; these are found in the
//! catalogue when the store opens, read with one extra query per lookup
//! (only when there are any) and written in the same transaction as the
//! row. Values travel as text on PostgreSQL (`CAST(? AS <type>)`, so any
//! column type takes its text form) and typed elsewhere.

use portcullis_core::store::fields::{FS_USER_COLUMNS, check_name, from_text, to_text};
use portcullis_core::{AppField, AppFields, FieldType, Result, User, UserFields};
use sea_orm::sea_query::Expr;
use sea_orm::{ConnectionTrait, DbBackend, Value};

use crate::error::DbResult;
use crate::sql::stmt;

/// The application columns of `user`.
#[derive(Debug, Default, Clone)]
pub(crate) struct UserColumns {
    pub(crate) app: Vec<AppField>,
    /// The same columns as the checks writes go through (built once).
    fields: AppFields,
}

impl UserColumns {
    pub(crate) fn fields(&self) -> &AppFields {
        &self.fields
    }
}

/// `name` quoted for `backend`. Names are plain identifiers
/// ([`check_name`]), so quoting cannot be escaped.
pub(crate) fn quote(backend: DbBackend, name: &str) -> String {
    match backend {
        DbBackend::MySql => format!("`{name}`"),
        _ => format!("\"{name}\""),
    }
}

/// Reads `user`'s columns from the catalogue. Columns whose names are not
/// plain identifiers are left alone; a missing table has none.
pub(crate) async fn discover<C: ConnectionTrait>(conn: &C) -> Result<UserColumns> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => {
            "SELECT column_name::text, udt_name::text, is_nullable::text, column_default::text \
             FROM information_schema.columns WHERE table_schema = current_schema() \
             AND table_name = 'user' ORDER BY ordinal_position"
        }
        DbBackend::MySql => {
            "SELECT CAST(column_name AS CHAR), CAST(column_type AS CHAR), CAST(is_nullable AS CHAR), \
             CAST(column_default AS CHAR) FROM information_schema.columns \
             WHERE table_schema = DATABASE() AND table_name = 'user' ORDER BY ordinal_position"
        }
        _ => {
            "SELECT name, type, CASE WHEN \"notnull\" = 0 THEN 'YES' ELSE 'NO' END, dflt_value \
             FROM pragma_table_info('user') ORDER BY cid"
        }
    };
    let rows = conn
        .query_all_raw(stmt(backend, sql, Vec::new()))
        .await
        .db()?;
    let mut app = Vec::new();
    for r in rows {
        let name: String = r.try_get_by_index(0).db()?;
        if FS_USER_COLUMNS.contains(&name.as_str()) || check_name(&name).is_err() {
            continue;
        }
        let sql_type: String = r
            .try_get_by_index::<Option<String>>(1)
            .db()?
            .unwrap_or_default();
        let nullable: String = r.try_get_by_index(2).db()?;
        // MariaDB shows "no default" of a nullable column as the literal
        // NULL (a text default would be quoted: 'NULL').
        let default: Option<String> = r
            .try_get_by_index::<Option<String>>(3)
            .db()?
            .filter(|d| !(backend == DbBackend::MySql && d == "NULL"));
        app.push(AppField {
            ty: FieldType::from_sql(&sql_type),
            name,
            nullable: nullable.eq_ignore_ascii_case("yes"),
            has_default: default.is_some(),
            sql_type,
        });
    }
    Ok(UserColumns {
        fields: AppFields::Columns(app.clone()),
        app,
    })
}

/// Reads the application fields of `users` (one query) into each.
pub(crate) async fn attach<C: ConnectionTrait>(
    conn: &C,
    cols: &UserColumns,
    users: &mut [User],
) -> Result<()> {
    if cols.app.is_empty() || users.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let text = if backend == DbBackend::MySql {
        "CHAR"
    } else {
        "TEXT"
    };
    let select: String = cols
        .app
        .iter()
        .map(|f| format!(", CAST({} AS {text})", quote(backend, &f.name)))
        .collect();
    let marks = vec!["?"; users.len()].join(", ");
    let sql = format!(
        "SELECT id{select} FROM {} WHERE id IN ({marks})",
        quote(backend, "user")
    );
    let ids = users
        .iter()
        .map(|u| Value::BigInt(Some(u.id)))
        .collect::<Vec<_>>();
    for row in conn.query_all_raw(stmt(backend, &sql, ids)).await.db()? {
        let id: i64 = match backend {
            DbBackend::Postgres => i64::from(row.try_get_by_index::<i32>(0).db()?),
            _ => row.try_get_by_index::<i64>(0).db()?,
        };
        let mut fields = UserFields::new();
        for (i, f) in cols.app.iter().enumerate() {
            let raw: Option<String> = row.try_get_by_index(i + 1).db()?;
            fields.insert(f.name.clone(), from_text(f.ty, raw));
        }
        if let Some(u) = users.iter_mut().find(|u| u.id == id) {
            u.fields = fields;
        }
    }
    Ok(())
}

/// A checked value for `field` as a bind value, with the type PostgreSQL
/// casts its text to (`None`: bound as it is).
pub(crate) fn bind(
    backend: DbBackend,
    field: &AppField,
    v: &serde_json::Value,
) -> (Value, Option<String>) {
    if backend == DbBackend::Postgres {
        let text = Value::String(to_text(v, ("true", "false")));
        return (text, Some(quote(backend, &field.sql_type)));
    }
    let value = match v {
        serde_json::Value::Bool(b) => Value::Bool(Some(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::BigInt(Some(i)),
            None => Value::Double(n.as_f64()),
        },
        serde_json::Value::String(s) => Value::String(Some(s.clone())),
        _ => Value::String(None),
    };
    (value, None)
}

/// [`bind`] as an expression for a query builder.
pub(crate) fn expr(backend: DbBackend, field: &AppField, v: &serde_json::Value) -> Expr {
    match bind(backend, field, v) {
        (value, Some(ty)) => Expr::cust_with_values(format!("CAST($1 AS {ty})"), [value]),
        (value, None) => Expr::val(value),
    }
}

/// Writes `fields` (checked) on row `id`.
pub(crate) async fn write<C: ConnectionTrait>(
    conn: &C,
    cols: &UserColumns,
    id: i32,
    fields: &UserFields,
) -> Result<()> {
    if fields.is_empty() {
        return Ok(());
    }
    let backend = conn.get_database_backend();
    let mut sets = Vec::new();
    let mut values = Vec::new();
    for (name, v) in fields {
        let Some(f) = cols.app.iter().find(|f| &f.name == name) else {
            continue;
        };
        let (value, cast) = bind(backend, f, v);
        let mark = cast.map_or_else(|| "?".to_owned(), |ty| format!("CAST(? AS {ty})"));
        sets.push(format!("{} = {mark}", quote(backend, name)));
        values.push(value);
    }
    values.push(Value::Int(Some(id)));
    let sql = format!(
        "UPDATE {} SET {} WHERE id = ?",
        quote(backend, "user"),
        sets.join(", ")
    );
    conn.execute_raw(stmt(backend, &sql, values)).await.db()?;
    Ok(())
}
