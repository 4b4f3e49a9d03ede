//! Request bodies: JSON objects or URL-encoded forms, read into one shape,
//! with Flask-Security's rule that a field of the wrong type is
//! `API_ERROR` on that field.

use portcullis_core::{FormErrors, MessageKey, SecretString};
use serde_json::{Map, Value};

/// Whether a body is JSON.
pub fn is_json_content_type(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
    })
}

/// A parsed request body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FormData {
    fields: Map<String, Value>,
    /// Every value of a form field that was sent more than once (checkboxes).
    repeated: Map<String, Value>,
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// Not valid JSON, or JSON that is not an object.
    MalformedJson,
    /// Not valid UTF-8 form data.
    MalformedForm,
}

impl FormData {
    /// Parses `body` as JSON (when `json`) or as a URL-encoded form. An
    /// empty body is an empty form.
    pub fn parse(body: &[u8], json: bool) -> Result<Self, BodyError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self::default());
        }
        if json {
            return match serde_json::from_slice::<Value>(body) {
                Ok(Value::Object(fields)) => Ok(Self {
                    fields,
                    repeated: Map::new(),
                }),
                _ => Err(BodyError::MalformedJson),
            };
        }
        if std::str::from_utf8(body).is_err() {
            return Err(BodyError::MalformedForm);
        }
        let (mut fields, mut repeated) = (Map::new(), Map::new());
        for (k, v) in form_urlencoded::parse(body) {
            let (k, v) = (k.into_owned(), Value::String(v.into_owned()));
            if let Some(first) = fields.get(&k) {
                if let Value::Array(all) = repeated
                    .entry(k.clone())
                    .or_insert_with(|| Value::Array(vec![first.clone()]))
                {
                    all.push(v);
                }
            } else {
                fields.insert(k, v);
            }
        }
        Ok(Self { fields, repeated })
    }

    /// A form of these string fields (a page filled from the query).
    pub(crate) fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Self {
            fields: pairs
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
            repeated: Map::new(),
        }
    }

    /// The raw value of a field.
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.fields.get(name)
    }

    /// A string field; absent or `null` is `None`; any other type is
    /// `API_ERROR` on the field.
    pub fn string(&self, name: &'static str, errors: &mut FormErrors) -> Option<String> {
        match self.fields.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errors.add(name, MessageKey::ApiError);
                None
            }
        }
    }

    /// A code field: a string, or a JSON integer read as its decimal text
    /// (Flask-Security's `IsStringOrInt`).
    pub fn code(&self, name: &'static str, errors: &mut FormErrors) -> Option<String> {
        match self.fields.get(name) {
            Some(Value::Number(n)) if n.is_u64() => Some(n.to_string()),
            _ => self.string(name, errors),
        }
    }

    /// A list of strings: a JSON array of strings, or one string (a form
    /// field). Anything else is `API_ERROR` on the field.
    pub fn string_list(&self, name: &'static str, errors: &mut FormErrors) -> Vec<String> {
        match self.repeated.get(name).or_else(|| self.fields.get(name)) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) if s.is_empty() => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => {
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect();
                strings.unwrap_or_else(|| {
                    errors.add(name, MessageKey::ApiError);
                    Vec::new()
                })
            }
            Some(_) => {
                errors.add(name, MessageKey::ApiError);
                Vec::new()
            }
        }
    }

    /// A secret string field (passwords).
    pub fn secret(&self, name: &'static str, errors: &mut FormErrors) -> Option<SecretString> {
        self.string(name, errors).map(SecretString::new)
    }

    /// A boolean field: JSON `true`/`false`, or form `y`/`on`/`true`/`1`.
    pub fn boolean(&self, name: &'static str, errors: &mut FormErrors) -> Option<bool> {
        match self.fields.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) => Some(matches!(
                s.to_ascii_lowercase().as_str(),
                "y" | "yes" | "on" | "true" | "1"
            )),
            Some(_) => {
                errors.add(name, MessageKey::ApiError);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_forms() {
        assert!(is_json_content_type(Some(
            "application/json; charset=utf-8"
        )));
        assert!(is_json_content_type(Some("application/vnd.api+json")));
        assert!(!is_json_content_type(Some(
            "application/x-www-form-urlencoded"
        )));
        let f = FormData::parse(
            br#"{"email": "a@b.c", "remember": true, "password": 5}"#,
            true,
        )
        .unwrap();
        let mut e = FormErrors::new();
        assert_eq!(f.string("email", &mut e).as_deref(), Some("a@b.c"));
        assert_eq!(f.boolean("remember", &mut e), Some(true));
        assert!(f.secret("password", &mut e).is_none());
        assert!(e.has("password", MessageKey::ApiError));
        let f = FormData::parse(b"email=a%40b.c&remember=y&m=email&email=x&m=sms", false).unwrap();
        let mut e = FormErrors::new();
        assert_eq!(f.string("email", &mut e).as_deref(), Some("a@b.c"));
        assert_eq!(f.string_list("m", &mut e), vec!["email", "sms"]);
        assert_eq!(f.string_list("remember", &mut e), vec!["y"]);
        assert_eq!(f.boolean("remember", &mut e), Some(true));
        assert_eq!(
            FormData::parse(b"{bad", true),
            Err(BodyError::MalformedJson)
        );
        assert_eq!(
            FormData::parse(b"[1,2]", true),
            Err(BodyError::MalformedJson)
        );
        assert_eq!(FormData::parse(b"", true), Ok(FormData::default()));
        assert_eq!(
            FormData::parse(&[0xff, 0xfe], false),
            Err(BodyError::MalformedForm)
        );
    }
}
