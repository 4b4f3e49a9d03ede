//! Setting types that are more than a scalar.

use std::str::FromStr;

use serde_json::Value;

use super::value::FromSetting;

/// One entry of `SECURITY_USER_IDENTITY_ATTRIBUTES`: a user attribute that
/// identifies a user at login, tried in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityAttribute {
    /// `email`, `username` or `us_phone_number`.
    pub attr: IdentityAttr,
    /// Match regardless of case.
    pub case_insensitive: bool,
}

/// The attributes that can identify a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IdentityAttr {
    /// The email address (normalised as an email).
    Email,
    /// The username (normalised as a username).
    Username,
    /// The unified sign-in phone number (E.164).
    UsPhoneNumber,
}

impl IdentityAttr {
    /// The model attribute's name.
    pub fn name(self) -> &'static str {
        match self {
            IdentityAttr::Email => "email",
            IdentityAttr::Username => "username",
            IdentityAttr::UsPhoneNumber => "us_phone_number",
        }
    }
}

impl FromStr for IdentityAttr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "email" => Ok(IdentityAttr::Email),
            "username" => Ok(IdentityAttr::Username),
            "us_phone_number" => Ok(IdentityAttr::UsPhoneNumber),
            _ => Err(format!(
                "unknown identity attribute {s:?} (use email, username or us_phone_number)"
            )),
        }
    }
}

impl FromSetting for IdentityAttribute {
    /// `"email"`, or Flask-Security's shape `{"email": {"case_insensitive": true}}`
    /// (a `mapper` entry is accepted and ignored: each attribute has its
    /// built-in normaliser).
    fn from_setting(v: &Value) -> Result<Self, String> {
        match v {
            Value::String(s) => {
                let attr: IdentityAttr = s.parse()?;
                Ok(IdentityAttribute {
                    attr,
                    case_insensitive: attr == IdentityAttr::Email,
                })
            }
            Value::Object(m) if m.len() == 1 => {
                let (name, opts) = m.iter().next().ok_or("empty identity attribute")?;
                let attr: IdentityAttr = name.parse()?;
                let case_insensitive = opts
                    .get("case_insensitive")
                    .map(bool::from_setting)
                    .transpose()?
                    .unwrap_or(false);
                Ok(IdentityAttribute {
                    attr,
                    case_insensitive,
                })
            }
            _ => Err(format!(
                "expected an attribute name or {{name: {{case_insensitive}}}}, got {v}"
            )),
        }
    }
}

/// `SECURITY_PASSWORD_SINGLE_HASH`: `true` (never pre-hash) or the schemes
/// that are not pre-hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SingleHashSetting {
    /// `true`: no scheme gets the HMAC pre-hash.
    All,
    /// Schemes (by passlib name) that get the raw password. Names of
    /// schemes Portcullis does not implement (Django's) are kept and
    /// have no effect.
    Schemes(Vec<String>),
}

impl FromSetting for SingleHashSetting {
    fn from_setting(v: &Value) -> Result<Self, String> {
        match bool::from_setting(v) {
            Ok(true) => return Ok(SingleHashSetting::All),
            // Flask-Security treats a falsy value as {"plaintext"}.
            Ok(false) => return Ok(SingleHashSetting::Schemes(vec!["plaintext".into()])),
            Err(_) => {}
        }
        Vec::<String>::from_setting(v).map(SingleHashSetting::Schemes)
    }
}

/// `SECURITY_PASSWORD_CHECK_BREACHED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreachedCheck {
    /// No check.
    Off,
    /// Check; if the service cannot be reached, accept the password.
    BestEffort,
    /// Check; if the service cannot be reached, refuse the password.
    Strict,
}

impl FromSetting for BreachedCheck {
    fn from_setting(v: &Value) -> Result<Self, String> {
        if let Value::String(s) = v
            && s.eq_ignore_ascii_case("strict")
        {
            return Ok(BreachedCheck::Strict);
        }
        bool::from_setting(v)
            .map(|b| {
                if b {
                    BreachedCheck::BestEffort
                } else {
                    BreachedCheck::Off
                }
            })
            .map_err(|_| format!("expected true, false or \"strict\", got {v}"))
    }
}

/// Cookie attributes (`SECURITY_CSRF_COOKIE`, `SECURITY_TWO_FACTOR_VALIDITY_COOKIE`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieOptions {
    /// `SameSite`: `Strict`, `Lax` or `None`; absent leaves it unset.
    pub samesite: Option<String>,
    /// `HttpOnly`.
    pub httponly: bool,
    /// `Secure`.
    pub secure: bool,
    /// `Path` (default `/`).
    pub path: String,
    /// `Domain`.
    pub domain: Option<String>,
}

impl CookieOptions {
    pub(crate) fn new(samesite: &str, httponly: bool, secure: bool) -> Self {
        Self {
            samesite: Some(samesite.to_owned()),
            httponly,
            secure,
            path: "/".into(),
            domain: None,
        }
    }
}

impl FromSetting for CookieOptions {
    fn from_setting(v: &Value) -> Result<Self, String> {
        let map = match v {
            Value::Object(m) => m.clone(),
            Value::String(s) => match serde_json::from_str::<Value>(s) {
                Ok(Value::Object(m)) => m,
                _ => return Err("expected a table of cookie attributes".into()),
            },
            _ => return Err(format!("expected a table of cookie attributes, got {v}")),
        };
        let mut c = CookieOptions {
            samesite: None,
            httponly: false,
            secure: false,
            path: "/".into(),
            domain: None,
        };
        for (k, v) in &map {
            match k.to_ascii_lowercase().as_str() {
                "samesite" => {
                    let s = Option::<String>::from_setting(v)?;
                    if let Some(s) = &s
                        && !["strict", "lax", "none"].contains(&s.to_ascii_lowercase().as_str())
                    {
                        return Err(format!("samesite must be Strict, Lax or None, not {s:?}"));
                    }
                    c.samesite = s;
                }
                "httponly" => c.httponly = bool::from_setting(v)?,
                "secure" => c.secure = bool::from_setting(v)?,
                "path" => c.path = String::from_setting(v)?,
                "domain" => c.domain = Option::<String>::from_setting(v)?,
                other => return Err(format!("unknown cookie attribute {other:?}")),
            }
        }
        Ok(c)
    }
}

/// `SECURITY_REDIRECT_BEHAVIOR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RedirectBehavior {
    /// Flask-Security's default: redirects go to server-rendered views.
    #[default]
    Default,
    /// `"spa"`: link endpoints redirect to the `*_VIEW` settings with
    /// query parameters, for a single-page app.
    Spa,
}

impl FromSetting for RedirectBehavior {
    fn from_setting(v: &Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(RedirectBehavior::Default),
            Value::String(s) if s.is_empty() || s == "None" || s == "null" => {
                Ok(RedirectBehavior::Default)
            }
            Value::String(s) if s == "spa" => Ok(RedirectBehavior::Spa),
            _ => Err(format!("expected \"spa\" or nothing, got {v}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn identity_attributes_in_both_shapes() {
        let a = IdentityAttribute::from_setting(&json!("username")).unwrap();
        assert_eq!(a.attr, IdentityAttr::Username);
        assert!(!a.case_insensitive);
        let a = IdentityAttribute::from_setting(
            &json!({"email": {"mapper": "uia_email_mapper", "case_insensitive": true}}),
        )
        .unwrap();
        assert!(a.case_insensitive);
        assert!(IdentityAttribute::from_setting(&json!("phone")).is_err());
    }

    #[test]
    fn breached_and_single_hash() {
        assert_eq!(
            BreachedCheck::from_setting(&json!("strict")).unwrap(),
            BreachedCheck::Strict
        );
        assert_eq!(
            BreachedCheck::from_setting(&json!(true)).unwrap(),
            BreachedCheck::BestEffort
        );
        assert_eq!(
            SingleHashSetting::from_setting(&json!(true)).unwrap(),
            SingleHashSetting::All
        );
        assert_eq!(
            SingleHashSetting::from_setting(&json!(["plaintext"])).unwrap(),
            SingleHashSetting::Schemes(vec!["plaintext".into()])
        );
    }

    #[test]
    fn cookies() {
        let c = CookieOptions::from_setting(&json!({"samesite": "Lax", "secure": false})).unwrap();
        assert_eq!(c.samesite.as_deref(), Some("Lax"));
        assert!(CookieOptions::from_setting(&json!({"samesite": "sometimes"})).is_err());
        assert!(CookieOptions::from_setting(&json!({"colour": "blue"})).is_err());
    }
}
