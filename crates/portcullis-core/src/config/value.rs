//! Turning raw setting values (from TOML or the environment) into typed
//! fields. Environment values arrive as strings, so every parser also
//! accepts the string spelling: `true`/`false`, numbers, JSON for lists and
//! tables, and Flask-Security's `"<n> <unit>"` durations.

use std::collections::BTreeMap;

use chrono::TimeDelta;
use portcullis_crypto::SecretString;
use serde_json::Value;

/// A type a setting can hold.
pub trait FromSetting: Sized {
    /// Parses `v`; the error says what was expected.
    fn from_setting(v: &Value) -> Result<Self, String>;
}

/// A string value that holds JSON (as an environment variable does) is
/// parsed as JSON first.
fn json_in_string(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => serde_json::from_str(s.trim()).ok(),
        _ => None,
    }
}

/// A value taken as given (for tables whose entries are checked by their
/// owner, such as `SECURITY_EMAIL_VALIDATOR_ARGS`).
impl FromSetting for Value {
    fn from_setting(v: &Value) -> Result<Self, String> {
        Ok(v.clone())
    }
}

impl FromSetting for bool {
    fn from_setting(v: &Value) -> Result<Self, String> {
        match v {
            Value::Bool(b) => Ok(*b),
            Value::Number(n) if n.as_i64() == Some(0) => Ok(false),
            Value::Number(n) if n.as_i64() == Some(1) => Ok(true),
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" | "on" => Ok(true),
                "false" | "0" | "no" | "off" | "" => Ok(false),
                _ => Err(format!("expected true or false, got {s:?}")),
            },
            _ => Err(format!("expected true or false, got {v}")),
        }
    }
}

macro_rules! int_setting {
    ($($t:ty),*) => {$(
        impl FromSetting for $t {
            fn from_setting(v: &Value) -> Result<Self, String> {
                let n = match v {
                    Value::Number(n) => n.as_i64(),
                    Value::String(s) => s.trim().parse::<i64>().ok(),
                    _ => None,
                };
                n.and_then(|n| <$t>::try_from(n).ok())
                    .ok_or_else(|| format!("expected a whole number ({}), got {v}", stringify!($t)))
            }
        }
    )*};
}
int_setting!(u8, u32, u64, i64, usize);

impl FromSetting for String {
    fn from_setting(v: &Value) -> Result<Self, String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            _ => Err(format!("expected a string, got {v}")),
        }
    }
}

impl FromSetting for SecretString {
    fn from_setting(v: &Value) -> Result<Self, String> {
        // Never echo the value: it is a secret.
        String::from_setting(v)
            .map(SecretString::new)
            .map_err(|_| "expected a string".to_owned())
    }
}

impl<T: FromSetting> FromSetting for Option<T> {
    fn from_setting(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) if s.is_empty() || s == "null" || s == "None" => Ok(None),
            _ => T::from_setting(v).map(Some),
        }
    }
}

impl<T: FromSetting> FromSetting for Vec<T> {
    fn from_setting(v: &Value) -> Result<Self, String> {
        match v {
            Value::Array(items) => items.iter().map(T::from_setting).collect(),
            Value::String(s) => match json_in_string(v) {
                Some(parsed @ Value::Array(_)) => Self::from_setting(&parsed),
                _ if s.trim().is_empty() => Ok(Vec::new()),
                // A comma-separated list, for convenience in shells.
                _ => s
                    .split(',')
                    .map(|p| T::from_setting(&Value::String(p.trim().to_owned())))
                    .collect(),
            },
            Value::Null => Ok(Vec::new()),
            _ => Err(format!("expected a list, got {v}")),
        }
    }
}

impl<T: FromSetting> FromSetting for BTreeMap<String, T> {
    fn from_setting(v: &Value) -> Result<Self, String> {
        match v {
            Value::Object(map) => map
                .iter()
                .map(|(k, v)| {
                    T::from_setting(v)
                        .map(|t| (k.clone(), t))
                        .map_err(|e| format!("{k}: {e}"))
                })
                .collect(),
            // Empty, or `null`: none (Flask-Security's `None`).
            Value::String(t) if t.trim().is_empty() => Ok(BTreeMap::new()),
            Value::String(_) => match json_in_string(v) {
                Some(parsed @ Value::Object(_)) => Self::from_setting(&parsed),
                Some(Value::Null) => Ok(BTreeMap::new()),
                _ => Err("expected a table (a JSON object in an environment variable)".into()),
            },
            Value::Null => Ok(BTreeMap::new()),
            _ => Err(format!("expected a table, got {v}")),
        }
    }
}

impl FromSetting for TimeDelta {
    /// Seconds (a number), a `"<n> <unit>"` string as Flask-Security
    /// accepts (`"2 days"`, `"30 minutes"`), or a table such as
    /// `{days = 2}`.
    fn from_setting(v: &Value) -> Result<Self, String> {
        let bad = || {
            format!("expected seconds, \"<n> <unit>\" or {{days/hours/minutes/seconds}}, got {v}")
        };
        match v {
            Value::Number(n) => n
                .as_f64()
                .and_then(|s| TimeDelta::try_milliseconds((s * 1000.0) as i64))
                .ok_or_else(bad),
            Value::String(s) => {
                let s = s.trim();
                if let Ok(secs) = s.parse::<f64>() {
                    return Self::from_setting(&serde_json::json!(secs));
                }
                if let Some(parsed @ Value::Object(_)) = json_in_string(v) {
                    return Self::from_setting(&parsed);
                }
                let (n, unit) = s.split_once(char::is_whitespace).ok_or_else(bad)?;
                let n: f64 = n.trim().parse().map_err(|_| bad())?;
                let unit = unit.trim().trim_end_matches('s');
                let secs = match unit {
                    "second" => n,
                    "minute" => n * 60.0,
                    "hour" => n * 3600.0,
                    "day" => n * 86400.0,
                    "week" => n * 7.0 * 86400.0,
                    _ => return Err(bad()),
                };
                Self::from_setting(&serde_json::json!(secs))
            }
            Value::Object(map) => {
                let mut secs = 0.0;
                for (k, val) in map {
                    let n = val.as_f64().ok_or_else(bad)?;
                    secs += n * match k.as_str() {
                        "weeks" => 7.0 * 86400.0,
                        "days" => 86400.0,
                        "hours" => 3600.0,
                        "minutes" => 60.0,
                        "seconds" => 1.0,
                        _ => return Err(bad()),
                    };
                }
                Self::from_setting(&serde_json::json!(secs))
            }
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strings_parse_as_their_types() {
        assert!(bool::from_setting(&json!("true")).unwrap());
        assert!(!bool::from_setting(&json!("False")).unwrap());
        assert!(bool::from_setting(&json!("maybe")).is_err());
        assert_eq!(u32::from_setting(&json!("12")).unwrap(), 12);
        assert!(u32::from_setting(&json!(-1)).is_err());
        assert_eq!(String::from_setting(&json!(123)).unwrap(), "123");
        assert_eq!(
            Vec::<String>::from_setting(&json!(r#"["a","b"]"#)).unwrap(),
            ["a", "b"]
        );
        assert_eq!(
            Vec::<String>::from_setting(&json!("a, b")).unwrap(),
            ["a", "b"]
        );
        assert_eq!(Option::<String>::from_setting(&json!("")).unwrap(), None);
        let m = BTreeMap::<String, String>::from_setting(&json!(r#"{"1": "x"}"#)).unwrap();
        assert_eq!(m["1"], "x");
    }

    #[test]
    fn tables_and_none() {
        let t = |v| BTreeMap::<String, bool>::from_setting(&v);
        assert_eq!(t(json!({"no-store": true})).unwrap().len(), 1);
        assert_eq!(t(json!(r#"{"private": false}"#)).unwrap().len(), 1);
        for none in [json!(""), json!("  "), json!("null"), Value::Null] {
            assert!(t(none.clone()).unwrap().is_empty(), "{none}");
        }
        assert!(t(json!("[1]")).is_err());
        assert!(t(json!(3)).is_err());
    }

    #[test]
    fn durations() {
        let d = |v| TimeDelta::from_setting(&v).unwrap().num_seconds();
        assert_eq!(d(json!(900)), 900);
        assert_eq!(d(json!("900")), 900);
        assert_eq!(d(json!("2 days")), 172_800);
        assert_eq!(d(json!("30 minutes")), 1800);
        assert_eq!(d(json!("1 hour")), 3600);
        assert_eq!(d(json!({"hours": 2})), 7200);
        assert_eq!(d(json!(r#"{"days": 1}"#)), 86400);
        assert_eq!(d(json!(-1)), -1);
        assert!(TimeDelta::from_setting(&json!("soon")).is_err());
    }

    #[test]
    fn secrets_are_not_echoed_in_errors() {
        let e = SecretString::from_setting(&json!(["hunter2"])).unwrap_err();
        assert!(!e.contains("hunter2"));
    }
}
