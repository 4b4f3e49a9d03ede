//! Setting types that are more than a scalar.

use std::collections::BTreeMap;
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
    /// What turns a typed identity into this attribute's stored form (or
    /// says it is not one).
    pub mapper: IdentityMapper,
}

/// Flask-Security's identity mappers (`uia_email_mapper`,
/// `uia_username_mapper`, `uia_phone_mapper`), named as in its settings,
/// or an application's own, registered with
/// [`SecurityBuilder::identity_mapper`](crate::flows::SecurityBuilder::identity_mapper).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityMapper {
    /// `uia_email_mapper`: a valid address, normalised.
    Email,
    /// `uia_username_mapper`: a valid username, normalised.
    Username,
    /// `uia_phone_mapper`: a valid phone number, in E.164.
    Phone,
    /// The application's mapper of this name.
    Custom(String),
}

impl IdentityMapper {
    /// The mapper Flask-Security gives `attr` by default.
    pub fn default_for(attr: IdentityAttr) -> Self {
        match attr {
            IdentityAttr::Email => IdentityMapper::Email,
            IdentityAttr::Username => IdentityMapper::Username,
            IdentityAttr::UsPhoneNumber => IdentityMapper::Phone,
        }
    }

    /// From a setting: a Flask-Security mapper by its (dotted) name, or
    /// any other name for the application's own.
    pub fn from_name(name: &str) -> Self {
        match name.rsplit('.').next().unwrap_or(name) {
            "uia_email_mapper" => IdentityMapper::Email,
            "uia_username_mapper" => IdentityMapper::Username,
            "uia_phone_mapper" => IdentityMapper::Phone,
            _ => IdentityMapper::Custom(name.to_owned()),
        }
    }
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
    /// `"email"`, or Flask-Security's shape
    /// `{"email": {"mapper": "uia_email_mapper", "case_insensitive": true}}`
    /// (without `mapper`, the attribute's own).
    fn from_setting(v: &Value) -> Result<Self, String> {
        match v {
            Value::String(s) => {
                let attr: IdentityAttr = s.parse()?;
                Ok(IdentityAttribute {
                    attr,
                    case_insensitive: attr == IdentityAttr::Email,
                    mapper: IdentityMapper::default_for(attr),
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
                let mapper = match opts.get("mapper") {
                    None | Some(Value::Null) => IdentityMapper::default_for(attr),
                    Some(Value::String(name)) => IdentityMapper::from_name(name),
                    Some(other) => {
                        return Err(format!("a mapper is named by a string, got {other}"));
                    }
                };
                Ok(IdentityAttribute {
                    attr,
                    case_insensitive,
                    mapper,
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

/// An attempt budget: at most `count` in `per` (written `"5/5m"`,
/// `"30/15 minutes"` or `{count = 5, per = 300}`; the unit is `s`, `m`,
/// `h`, `d` or a Flask-Security duration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// How many (at least 1).
    pub count: u32,
    /// In how long.
    pub per: chrono::TimeDelta,
}

impl Rate {
    /// `count` in `per_secs` seconds.
    pub const fn per_secs(count: u32, per_secs: i64) -> Self {
        Self {
            count,
            per: chrono::TimeDelta::seconds(per_secs),
        }
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}s", self.count, self.per.num_seconds())
    }
}

impl FromSetting for Rate {
    fn from_setting(v: &Value) -> Result<Self, String> {
        let bad = || format!("expected an attempt budget such as \"5/5m\", got {v}");
        let (count, per) = match v {
            Value::String(s) => {
                let (n, per) = s.trim().split_once('/').ok_or_else(bad)?;
                let per = per.trim();
                let secs = match per.char_indices().last() {
                    Some((i, u @ ('s' | 'm' | 'h' | 'd')))
                        if per[..i].trim().parse::<f64>().is_ok() =>
                    {
                        let n: f64 = per[..i].trim().parse().map_err(|_| bad())?;
                        n * match u {
                            's' => 1.0,
                            'm' => 60.0,
                            'h' => 3600.0,
                            _ => 86400.0,
                        }
                    }
                    _ => {
                        let d = chrono::TimeDelta::from_setting(&Value::String(per.to_owned()))?;
                        d.num_milliseconds() as f64 / 1000.0
                    }
                };
                (n.trim().parse::<u32>().map_err(|_| bad())?, secs)
            }
            Value::Object(m) => {
                let count = m.get("count").and_then(Value::as_u64).ok_or_else(bad)?;
                let per = chrono::TimeDelta::from_setting(m.get("per").ok_or_else(bad)?)?;
                (
                    u32::try_from(count).map_err(|_| bad())?,
                    per.num_milliseconds() as f64 / 1000.0,
                )
            }
            _ => return Err(bad()),
        };
        if count == 0 || per < 1.0 {
            return Err(format!(
                "an attempt budget needs at least 1 attempt in at least 1 second, got {v} (to turn limits off, see SECURITY_DANGER_DISABLE_ATTEMPT_LIMITS)"
            ));
        }
        Ok(Rate {
            count,
            per: chrono::TimeDelta::seconds(per as i64),
        })
    }
}

/// `SECURITY_EMAIL_VALIDATOR_ARGS`: the keyword arguments Flask-Security
/// passes to `email_validator.validate_email`, as a table: each
/// [`EmailPolicy`](crate::validation::EmailPolicy) field, `timeout` in
/// seconds. Arguments that would accept addresses Portcullis
/// cannot store or look up (quoted local parts, IP-literal domains,
/// display names) are refused rather than ignored: the users they let in
/// could not sign in afterwards.
impl FromSetting for crate::validation::EmailPolicy {
    fn from_setting(v: &Value) -> Result<Self, String> {
        let mut policy = Self::default();
        for (arg, value) in BTreeMap::<String, Value>::from_setting(v)? {
            let on = || bool::from_setting(&value).map_err(|e| format!("{arg}: {e}"));
            match arg.as_str() {
                "allow_smtputf8" => policy.allow_smtputf8 = on()?,
                "allow_empty_local" => policy.allow_empty_local = on()?,
                "strict" => policy.strict = on()?,
                "test_environment" => policy.test_environment = on()?,
                "globally_deliverable" => policy.globally_deliverable = on()?,
                "check_deliverability" => policy.check_deliverability = on()?,
                "timeout" => {
                    let secs = value
                        .as_f64()
                        .filter(|s| s.is_finite() && *s > 0.0)
                        .ok_or_else(|| format!("timeout: expected seconds, got {value}"))?;
                    policy.dns_timeout = std::time::Duration::from_secs_f64(secs);
                }
                "allow_quoted_local" | "allow_domain_literal" | "allow_display_name" => {
                    if on()? {
                        return Err(format!(
                            "{arg} = true is not supported: Portcullis accepts dot-atom addresses only"
                        ));
                    }
                }
                _ => {
                    return Err(format!(
                        "{arg} is not an email_validator argument Portcullis reads"
                    ));
                }
            }
        }
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rates() {
        let r = |v: serde_json::Value| Rate::from_setting(&v);
        assert_eq!(r(json!("5/5m")).unwrap(), Rate::per_secs(5, 300));
        assert_eq!(r(json!("30/15 minutes")).unwrap(), Rate::per_secs(30, 900));
        assert_eq!(r(json!("10/1h")).unwrap(), Rate::per_secs(10, 3600));
        assert_eq!(r(json!("3/90")).unwrap(), Rate::per_secs(3, 90));
        assert_eq!(
            r(json!({"count": 4, "per": 60})).unwrap(),
            Rate::per_secs(4, 60)
        );
        for bad in [
            json!("5"),
            json!("0/5m"),
            json!("5/0s"),
            json!("x/5m"),
            json!(5),
        ] {
            assert!(r(bad.clone()).is_err(), "{bad}");
        }
    }

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
