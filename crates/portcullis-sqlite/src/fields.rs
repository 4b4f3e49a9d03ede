//! Application fields: the `user` table's columns that are not
//! Flask-Security's, found with `PRAGMA table_info` when the store opens.

use portcullis_core::store::fields::{FS_USER_COLUMNS, check_name};
use portcullis_core::{AppField, AppFields, FieldType, Result, UserFields};
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, Row};

use crate::error::SqlResult;

/// The application columns of `user`, and the SQL that reads them.
#[derive(Debug, Default)]
pub(crate) struct UserColumns {
    /// The columns, in table order.
    pub(crate) app: Vec<AppField>,
    /// `, "a", "b"` — appended to a select list (empty without columns).
    pub(crate) select: String,
    /// `, u."a", u."b"` — the same for the aliased hot-path query.
    pub(crate) select_u: String,
    /// The same columns as the checks writes go through.
    fields: AppFields,
}

impl UserColumns {
    /// The store's [`AppFields`] (built once, at discovery).
    pub(crate) fn fields(&self) -> &AppFields {
        &self.fields
    }
}

/// Reads `user`'s columns. Columns whose names are not plain identifiers
/// are left alone (never read or written); a missing table has none.
pub(crate) fn discover(conn: &Connection) -> Result<UserColumns> {
    let mut stmt = conn.prepare("PRAGMA table_info(\"user\")").sql()?;
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                r.get::<_, bool>(3)?,
                r.get::<_, Option<String>>(4)?.is_some(),
                r.get::<_, i64>(5)? > 0,
            ))
        })
        .sql()?
        .collect::<rusqlite::Result<Vec<_>>>()
        .sql()?;
    let app: Vec<AppField> = rows
        .into_iter()
        .filter(|(name, _, _, _, pk)| {
            !pk && !FS_USER_COLUMNS.contains(&name.as_str()) && check_name(name).is_ok()
        })
        .map(|(name, decl, notnull, has_default, _)| AppField {
            ty: FieldType::from_sql(&decl),
            name,
            nullable: !notnull,
            has_default,
            sql_type: decl,
        })
        .collect();
    let list = |prefix: &str| {
        app.iter()
            .map(|f| format!(", {prefix}\"{}\"", f.name))
            .collect::<String>()
    };
    Ok(UserColumns {
        select: list(""),
        select_u: list("u."),
        fields: AppFields::Columns(app.clone()),
        app,
    })
}

/// The application fields of a row whose columns `start..` are `cols`'.
pub(crate) fn read(
    row: &Row<'_>,
    start: usize,
    cols: &UserColumns,
) -> rusqlite::Result<UserFields> {
    let mut out = UserFields::new();
    for (i, f) in cols.app.iter().enumerate() {
        let v = match (row.get_ref(start + i)?, f.ty) {
            (ValueRef::Null, _) => serde_json::Value::Null,
            (ValueRef::Integer(n), FieldType::Boolean) => serde_json::Value::Bool(n != 0),
            (ValueRef::Integer(n), _) => n.into(),
            (ValueRef::Real(x), _) => serde_json::Number::from_f64(x)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            (ValueRef::Text(t), _) => String::from_utf8_lossy(t).into_owned().into(),
            // Bytes have no JSON form; a BLOB column is not an application field's.
            (ValueRef::Blob(_), _) => continue,
        };
        out.insert(f.name.clone(), v);
    }
    Ok(out)
}

/// A checked application value as an SQLite value.
pub(crate) fn to_sql(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => n.as_i64().map_or_else(
            || Value::Real(n.as_f64().unwrap_or_default()),
            Value::Integer,
        ),
        serde_json::Value::String(s) => Value::Text(s.clone()),
        _ => Value::Null,
    }
}
