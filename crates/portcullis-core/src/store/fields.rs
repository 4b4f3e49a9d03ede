//! Application fields: the columns an application added to
//! Flask-Security's `user` table (or the keys it keeps on a user document)
//! — `first_name`, `last_name`, a `tenant_id` — read into
//! [`User::fields`](crate::User::fields) and written through
//! [`NewUser::fields`](super::NewUser::fields) and
//! [`UserPatch::fields`](super::UserPatch::fields).
//!
//! SQL backends discover them: every column of the `user` table that is
//! not one of Flask-Security's ([`FS_USER_COLUMNS`]) is one, its SQL type
//! deciding the JSON type of its values ([`FieldType::from_sql`]).
//! Schemaless backends (documents, memory) take any well-formed name.

use serde_json::Value;

use crate::{Error, Result};

/// Application field values by name. Values are JSON scalars (`null`,
/// booleans, numbers, strings).
pub type UserFields = serde_json::Map<String, Value>;

/// Every column of Flask-Security's `user` model (`fsqla` v1 to v4, with
/// the optional `fs_token_uniquifier`). None of them is an application
/// field, and none can be written as one.
pub const FS_USER_COLUMNS: [&str; 22] = [
    "id",
    "email",
    "username",
    "password",
    "active",
    "fs_uniquifier",
    "fs_token_uniquifier",
    "confirmed_at",
    "last_login_at",
    "current_login_at",
    "last_login_ip",
    "current_login_ip",
    "login_count",
    "tf_primary_method",
    "tf_totp_secret",
    "tf_phone_number",
    "us_totp_secrets",
    "us_phone_number",
    "fs_webauthn_user_handle",
    "mf_recovery_codes",
    "create_datetime",
    "update_datetime",
];

/// The longest field name (MySQL's identifier limit).
pub const MAX_NAME: usize = 64;

/// The longest text value of an application field, in bytes.
pub const MAX_TEXT: usize = 65_535;

/// The JSON type an application field's values have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Whole numbers (`INTEGER`, `BIGINT`, …).
    Integer,
    /// Floating-point numbers (`REAL`, `DOUBLE`, `FLOAT`).
    Real,
    /// `true` / `false` (`BOOLEAN`, MySQL's `TINYINT(1)`).
    Boolean,
    /// Strings: text, and every other SQL type in its text form (dates
    /// and times as the database prints them, `NUMERIC` exactly).
    Text,
}

impl FieldType {
    /// The type of a column declared `decl` (SQLite's declared type, or
    /// PostgreSQL's / MySQL's column type), following SQLite's affinity
    /// rules for the names they share.
    pub fn from_sql(decl: &str) -> FieldType {
        let d = decl.to_ascii_lowercase();
        if d.starts_with("bool") || d == "tinyint(1)" {
            FieldType::Boolean
        } else if d.contains("int") && !d.contains("interval") && !d.contains("point") {
            FieldType::Integer
        } else if d.contains("real")
            || d.contains("floa")
            || d.contains("doub")
            || d == "float4"
            || d == "float8"
        {
            FieldType::Real
        } else {
            FieldType::Text
        }
    }

    fn name(self) -> &'static str {
        match self {
            FieldType::Integer => "an integer",
            FieldType::Real => "a number",
            FieldType::Boolean => "true or false",
            FieldType::Text => "text",
        }
    }
}

/// One application field of a store with a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppField {
    /// Column name.
    pub name: String,
    /// What its values are.
    pub ty: FieldType,
    /// Whether it may be `null`.
    pub nullable: bool,
    /// Whether the database fills it when an insert leaves it out.
    pub has_default: bool,
    /// The column's type as the database names it (for casts).
    pub sql_type: String,
}

impl AppField {
    /// Whether a new user must be given a value (`NOT NULL` without a default).
    pub fn required(&self) -> bool {
        !self.nullable && !self.has_default
    }

    /// Checks that `value` fits this field.
    pub fn check(&self, value: &Value) -> Result<()> {
        let fits = match (self.ty, value) {
            (_, Value::Null) => self.nullable,
            (FieldType::Integer, Value::Number(n)) => n.is_i64(),
            (FieldType::Real, Value::Number(_))
            | (FieldType::Boolean, Value::Bool(_))
            | (FieldType::Text, Value::String(_)) => true,
            _ => false,
        };
        if fits {
            Ok(())
        } else if value.is_null() {
            Err(Error::invalid_input(format!(
                "the application field {} cannot be null",
                self.name
            )))
        } else {
            Err(Error::invalid_input(format!(
                "the application field {} holds {}",
                self.name,
                self.ty.name()
            )))
        }
    }
}

/// Which application fields a store has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppFields {
    /// Exactly these (a SQL table's extra columns; none for a store that
    /// keeps no application fields).
    Columns(Vec<AppField>),
    /// Any well-formed name (documents, memory).
    Any,
}

impl Default for AppFields {
    fn default() -> Self {
        AppFields::Columns(Vec::new())
    }
}

impl AppFields {
    /// Whether `name` can be written.
    pub fn has(&self, name: &str) -> bool {
        match self {
            AppFields::Any => check_name(name).is_ok(),
            AppFields::Columns(c) => c.iter().any(|f| f.name == name),
        }
    }

    /// The declared fields (none for [`AppFields::Any`]).
    pub fn columns(&self) -> &[AppField] {
        match self {
            AppFields::Columns(c) => c,
            AppFields::Any => &[],
        }
    }

    /// Checks `fields` for a write: every name exists and every value fits
    /// ([`check_values`] first).
    pub fn check_write(&self, fields: &UserFields) -> Result<()> {
        check_values(fields)?;
        if let AppFields::Columns(cols) = self {
            for (name, value) in fields {
                match cols.iter().find(|f| &f.name == name) {
                    Some(f) => f.check(value)?,
                    None => {
                        return Err(Error::invalid_input(format!(
                            "the user table has no application field {name}"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// Checks `fields` for a new user: as [`check_write`](Self::check_write),
    /// and every required column is given.
    pub fn check_create(&self, fields: &UserFields) -> Result<()> {
        self.check_write(fields)?;
        if let Some(missing) = self
            .columns()
            .iter()
            .find(|f| f.required() && !fields.contains_key(&f.name))
        {
            return Err(Error::invalid_input(format!(
                "the application field {} is required (NOT NULL without a default)",
                missing.name
            )));
        }
        Ok(())
    }
}

/// Whether `name` can name an application field: an ASCII identifier
/// (`[A-Za-z_][A-Za-z0-9_]*`, at most [`MAX_NAME`] bytes) that is not one
/// of Flask-Security's columns.
pub fn check_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let well_formed = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= MAX_NAME;
    if !well_formed {
        return Err(Error::invalid_input(format!(
            "{name:?} cannot name an application field: use letters, digits and _ (at most {MAX_NAME})"
        )));
    }
    if FS_USER_COLUMNS.contains(&name) {
        return Err(Error::invalid_input(format!(
            "{name} is one of Flask-Security's own user columns, not an application field"
        )));
    }
    Ok(())
}

/// Checks names and values whatever the store: names as [`check_name`],
/// values JSON scalars, text at most [`MAX_TEXT`] bytes.
pub fn check_values(fields: &UserFields) -> Result<()> {
    for (name, value) in fields {
        check_name(name)?;
        match value {
            Value::Array(_) | Value::Object(_) => {
                return Err(Error::invalid_input(format!(
                    "the application field {name} must hold a scalar (null, true/false, a number or text)"
                )));
            }
            Value::String(s) if s.len() > MAX_TEXT => {
                return Err(Error::invalid_input(format!(
                    "the application field {name} is longer than {MAX_TEXT} bytes"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// A value read back in its text form (`CAST(… AS TEXT)`), as `ty`: the
/// text when it does not parse (nothing is lost).
pub fn from_text(ty: FieldType, text: Option<String>) -> Value {
    let Some(t) = text else {
        return Value::Null;
    };
    match ty {
        FieldType::Integer => t
            .trim()
            .parse::<i64>()
            .map_or(Value::String(t), Value::from),
        FieldType::Real => t
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(t), Value::Number),
        FieldType::Boolean => match t.trim() {
            "1" | "t" | "true" | "TRUE" => Value::Bool(true),
            "0" | "f" | "false" | "FALSE" => Value::Bool(false),
            _ => Value::String(t),
        },
        FieldType::Text => Value::String(t),
    }
}

/// A value's text form for a text bind (`CAST(? AS <type>)`), with
/// booleans as `bool_text` spells them. `None` for `null`.
pub fn to_text(value: &Value, bool_text: (&str, &str)) -> Option<String> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(if *b { bool_text.0 } else { bool_text.1 }.to_owned()),
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(name: &str, ty: FieldType, nullable: bool) -> AppField {
        AppField {
            name: name.into(),
            ty,
            nullable,
            has_default: false,
            sql_type: String::new(),
        }
    }

    #[test]
    fn types_from_sql_declarations() {
        for (decl, ty) in [
            ("INTEGER", FieldType::Integer),
            ("bigint", FieldType::Integer),
            ("int4", FieldType::Integer),
            ("BOOLEAN", FieldType::Boolean),
            ("bool", FieldType::Boolean),
            ("tinyint(1)", FieldType::Boolean),
            ("tinyint(4)", FieldType::Integer),
            ("REAL", FieldType::Real),
            ("double precision", FieldType::Real),
            ("float8", FieldType::Real),
            ("VARCHAR(255)", FieldType::Text),
            ("character varying", FieldType::Text),
            ("DATETIME", FieldType::Text),
            ("timestamp without time zone", FieldType::Text),
            ("interval", FieldType::Text),
            ("NUMERIC(10,2)", FieldType::Text),
            ("", FieldType::Text),
        ] {
            assert_eq!(FieldType::from_sql(decl), ty, "{decl}");
        }
    }

    #[test]
    fn names_are_identifiers_and_not_flask_securitys() {
        check_name("first_name").unwrap();
        check_name("_x9").unwrap();
        for bad in ["", "9x", "a-b", "a b", "$set", "a.b", "é", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for own in FS_USER_COLUMNS {
            assert!(check_name(own).is_err(), "{own}");
        }
    }

    #[test]
    fn values_must_fit_their_columns() {
        let cols = AppFields::Columns(vec![
            field("first_name", FieldType::Text, true),
            field("age", FieldType::Integer, false),
            field("vip", FieldType::Boolean, true),
            field("score", FieldType::Real, true),
        ]);
        let ok = json!({"first_name": "Ada", "age": 36, "vip": true, "score": 1.5});
        cols.check_create(ok.as_object().unwrap()).unwrap();
        for bad in [
            json!({"first_name": 3, "age": 1}),
            json!({"age": "36"}),
            json!({"age": 1.5}),
            json!({"age": null}),
            json!({"age": 1, "vip": "yes"}),
            json!({"age": 1, "score": "high"}),
            json!({"age": 1, "nickname": "x"}),
            json!({"age": 1, "email": "x@example.com"}),
            json!({"age": 1, "first_name": ["a"]}),
            json!({"age": 1, "first_name": "x".repeat(MAX_TEXT + 1)}),
        ] {
            let e = cols.check_create(bad.as_object().unwrap()).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
        // NOT NULL without a default must be given on create, not on update.
        let partial = json!({"first_name": "Ada"});
        assert!(cols.check_create(partial.as_object().unwrap()).is_err());
        cols.check_write(partial.as_object().unwrap()).unwrap();
        // Schemaless: any well-formed name, scalars only.
        AppFields::Any
            .check_create(json!({"nickname": "x"}).as_object().unwrap())
            .unwrap();
        assert!(
            AppFields::Any
                .check_write(json!({"a.b": 1}).as_object().unwrap())
                .is_err()
        );
        assert!(!AppFields::default().has("first_name"));
    }

    #[test]
    fn text_forms_round_trip() {
        assert_eq!(from_text(FieldType::Integer, Some("42".into())), json!(42));
        assert_eq!(from_text(FieldType::Real, Some("1.5".into())), json!(1.5));
        assert_eq!(from_text(FieldType::Boolean, Some("t".into())), json!(true));
        assert_eq!(
            from_text(FieldType::Boolean, Some("0".into())),
            json!(false)
        );
        assert_eq!(from_text(FieldType::Integer, Some("x".into())), json!("x"));
        assert_eq!(from_text(FieldType::Text, None), Value::Null);
        assert_eq!(to_text(&json!(true), ("1", "0")).as_deref(), Some("1"));
        assert_eq!(to_text(&json!(2.5), ("1", "0")).as_deref(), Some("2.5"));
        assert_eq!(to_text(&Value::Null, ("1", "0")), None);
    }
}
