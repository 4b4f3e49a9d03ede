//! Documents ↔ models, and the filters and updates the store sends. Pure
//! functions, unit-tested without a server.
//!
//! Shapes (field names are Flask-Security's):
//!
//! - `user`: `{_id: i64, email, email_key, username, username_key, password,
//!   active, fs_uniquifier, fs_token_uniquifier, confirmed_at, …,
//!   mf_recovery_codes: [..], roles: [role _id, …], create_datetime,
//!   update_datetime}`. `email_key` is the Unicode lower case of the email
//!   (the unique index that makes email case-insensitively unique);
//!   `username_key` serves case-insensitive username lookups. Roles are
//!   referenced by id.
//! - `role`: `{_id: i64, name, description, permissions: [..], update_datetime}`.
//! - `web_authn`: `{_id: i64, credential_id: binary, public_key: binary, …,
//!   user_id: i64}`.
//! - `fs_refresh_tracker`: `{_id: i64, refresh_family, gen, expires_at,
//!   revoked_at, last_used_at, create_datetime, name, user_id: i64}`.
//! - `portcullis_sessions`: `{_id: session id, data: JSON text, expires_at}`.
//!
//! BSON dates keep milliseconds; where a time has sub-millisecond
//! microseconds they are kept beside it in `<field>_us`, so times
//! round-trip to the microsecond like the SQL backends.

use chrono::{DateTime, Utc};
use mongodb::bson::{Binary, Bson, Document, doc, spec::BinarySubtype};
use portcullis_core::store::email_key;
use portcullis_core::{
    Error, NewRefreshTracker, NewUser, NewWebAuthn, RefreshTracker, Result, Role, SecretString,
    User, UserPatch, WebAuthnCredential,
};

fn bad(what: &str) -> Error {
    Error::new(
        portcullis_core::ErrorKind::Corrupt,
        format!("a stored document has no valid {what}"),
    )
}

/// A time as `(date, sub-millisecond microseconds)`.
pub(crate) fn time_parts(t: DateTime<Utc>) -> (Bson, Option<i32>) {
    let micros = t.timestamp_micros();
    let millis = micros.div_euclid(1000);
    let rest = i32::try_from(micros.rem_euclid(1000)).unwrap_or(0);
    (
        Bson::DateTime(mongodb::bson::DateTime::from_millis(millis)),
        (rest != 0).then_some(rest),
    )
}

/// Sets `field` (and `field_us`) in `d`, or nulls them.
pub(crate) fn put_time(d: &mut Document, field: &str, t: Option<DateTime<Utc>>) {
    match t {
        Some(t) => {
            let (date, us) = time_parts(t);
            d.insert(field, date);
            d.insert(format!("{field}_us"), us.map_or(Bson::Null, Bson::Int32));
        }
        None => {
            d.insert(field, Bson::Null);
            d.insert(format!("{field}_us"), Bson::Null);
        }
    }
}

/// Reads `field` (and `field_us`).
pub(crate) fn get_time(d: &Document, field: &str) -> Option<DateTime<Utc>> {
    let ms = match d.get(field)? {
        Bson::DateTime(t) => t.timestamp_millis(),
        _ => return None,
    };
    let us = match d.get(format!("{field}_us")) {
        Some(Bson::Int32(n)) => i64::from(*n),
        Some(Bson::Int64(n)) => *n,
        _ => 0,
    };
    DateTime::from_timestamp_micros(ms.checked_mul(1000)?.checked_add(us)?)
}

fn opt_str(v: Option<String>) -> Bson {
    v.map_or(Bson::Null, Bson::String)
}

fn opt_secret(v: Option<SecretString>) -> Bson {
    v.map_or(Bson::Null, |s| Bson::String(s.expose().to_owned()))
}

fn strings(v: &[String]) -> Bson {
    Bson::Array(v.iter().cloned().map(Bson::String).collect())
}

fn get_str(d: &Document, k: &str) -> Option<String> {
    d.get_str(k).ok().map(str::to_owned)
}

fn get_i64(d: &Document, k: &str) -> Option<i64> {
    match d.get(k)? {
        Bson::Int64(n) => Some(*n),
        Bson::Int32(n) => Some(i64::from(*n)),
        Bson::Double(f) if f.fract() == 0.0 => Some(*f as i64),
        _ => None,
    }
}

fn get_strings(d: &Document, k: &str) -> Vec<String> {
    d.get_array(k)
        .map(|a| {
            a.iter()
                .filter_map(|b| b.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn get_bytes(d: &Document, k: &str) -> Option<Vec<u8>> {
    match d.get(k)? {
        Bson::Binary(b) => Some(b.bytes.clone()),
        _ => None,
    }
}

/// Raw bytes as BSON binary.
pub(crate) fn bytes(v: Vec<u8>) -> Bson {
    Bson::Binary(Binary {
        subtype: BinarySubtype::Generic,
        bytes: v,
    })
}

/// The new user document (`id` from the counter, `now` for both stamps).
pub(crate) fn new_user_doc(
    id: i64,
    new: NewUser,
    uniquifiers: [String; 3],
    roles: Vec<i64>,
    now: DateTime<Utc>,
) -> Document {
    let [uniq, token, handle] = uniquifiers;
    let mut d = doc! {
        "_id": id,
        "email_key": email_key(&new.email),
        "email": new.email,
        "username_key": opt_str(new.username.as_deref().map(str::to_lowercase)),
        "username": opt_str(new.username),
        "password": opt_secret(new.password),
        "active": new.active,
        "fs_uniquifier": uniq,
        "fs_token_uniquifier": token,
        "last_login_ip": Bson::Null,
        "current_login_ip": Bson::Null,
        "login_count": Bson::Null,
        "tf_primary_method": Bson::Null,
        "tf_totp_secret": Bson::Null,
        "tf_phone_number": Bson::Null,
        "us_totp_secrets": Bson::Null,
        "us_phone_number": opt_str(new.us_phone_number),
        "fs_webauthn_user_handle": handle,
        "mf_recovery_codes": Bson::Null,
        "roles": roles,
    };
    for (name, v) in &new.fields {
        d.insert(name.as_str(), to_bson(v));
    }
    put_time(&mut d, "confirmed_at", new.confirmed_at);
    put_time(&mut d, "last_login_at", None);
    put_time(&mut d, "current_login_at", None);
    put_time(&mut d, "create_datetime", Some(now));
    put_time(&mut d, "update_datetime", Some(now));
    d
}

/// A user document as a [`User`] (roles are resolved by the caller).
pub(crate) fn user_from(d: &Document) -> Result<User> {
    let codes = match d.get("mf_recovery_codes") {
        Some(Bson::Array(a)) => Some(
            a.iter()
                .filter_map(|b| b.as_str().map(SecretString::new))
                .collect(),
        ),
        Some(Bson::String(s)) => Some(
            portcullis_core::models::asa_list::split(Some(s))
                .into_iter()
                .map(SecretString::new)
                .collect(),
        ),
        _ => None,
    };
    Ok(User {
        id: get_i64(d, "_id").ok_or_else(|| bad("user _id"))?,
        email: get_str(d, "email").ok_or_else(|| bad("email"))?,
        username: get_str(d, "username"),
        password: get_str(d, "password").map(SecretString::new),
        active: d.get_bool("active").unwrap_or(false),
        fs_uniquifier: get_str(d, "fs_uniquifier").ok_or_else(|| bad("fs_uniquifier"))?,
        fs_token_uniquifier: get_str(d, "fs_token_uniquifier"),
        confirmed_at: get_time(d, "confirmed_at"),
        last_login_at: get_time(d, "last_login_at"),
        current_login_at: get_time(d, "current_login_at"),
        last_login_ip: get_str(d, "last_login_ip"),
        current_login_ip: get_str(d, "current_login_ip"),
        login_count: get_i64(d, "login_count"),
        tf_primary_method: get_str(d, "tf_primary_method"),
        tf_totp_secret: get_str(d, "tf_totp_secret").map(SecretString::new),
        tf_phone_number: get_str(d, "tf_phone_number"),
        us_totp_secrets: get_str(d, "us_totp_secrets").map(SecretString::new),
        us_phone_number: get_str(d, "us_phone_number"),
        fs_webauthn_user_handle: get_str(d, "fs_webauthn_user_handle"),
        mf_recovery_codes: codes,
        create_datetime: get_time(d, "create_datetime").unwrap_or_default(),
        update_datetime: get_time(d, "update_datetime").unwrap_or_default(),
        roles: Vec::new(),
        fields: app_fields(d),
    })
}

/// Keys of a user document that are this store's, besides
/// Flask-Security's columns: never application fields.
pub(crate) const OWN_KEYS: [&str; 9] = [
    "_id",
    "email_key",
    "username_key",
    "roles",
    "confirmed_at_us",
    "last_login_at_us",
    "current_login_at_us",
    "create_datetime_us",
    "update_datetime_us",
];

/// Whether `name` is one of this store's keys (and so cannot be written
/// as an application field).
pub(crate) fn is_own_key(name: &str) -> bool {
    OWN_KEYS.contains(&name) || portcullis_core::store::fields::FS_USER_COLUMNS.contains(&name)
}

/// Refuses application fields that would overwrite this store's keys.
pub(crate) fn check_app_fields(fields: &portcullis_core::UserFields) -> Result<()> {
    match fields.keys().find(|k| is_own_key(k)) {
        Some(k) => Err(Error::invalid_input(format!(
            "{k} is a key of the user document, not an application field"
        ))),
        None => Ok(()),
    }
}

/// Every other key of a user document: the application's fields. Dates
/// read as RFC 3339 text, other non-JSON values in relaxed Extended JSON.
fn app_fields(d: &Document) -> portcullis_core::UserFields {
    d.iter()
        .filter(|(k, _)| !is_own_key(k))
        .map(|(k, v)| {
            let json = match v {
                Bson::DateTime(t) => t
                    .try_to_rfc3339_string()
                    .map_or(serde_json::Value::Null, serde_json::Value::String),
                other => other.clone().into_relaxed_extjson(),
            };
            (k.clone(), json)
        })
        .collect()
}

/// A checked application value (a JSON scalar) as BSON.
pub(crate) fn to_bson(v: &serde_json::Value) -> Bson {
    match v {
        serde_json::Value::Bool(b) => Bson::Boolean(*b),
        serde_json::Value::Number(n) => n
            .as_i64()
            .map_or_else(|| Bson::Double(n.as_f64().unwrap_or_default()), Bson::Int64),
        serde_json::Value::String(s) => Bson::String(s.clone()),
        _ => Bson::Null,
    }
}

/// The role ids a user document references.
pub(crate) fn role_ids(d: &Document) -> Vec<i64> {
    d.get_array("roles")
        .map(|a| {
            a.iter()
                .filter_map(|b| match b {
                    Bson::Int64(n) => Some(*n),
                    Bson::Int32(n) => Some(i64::from(*n)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The `$set` document a patch makes (with `update_datetime`).
pub(crate) fn patch_set(p: UserPatch, now: DateTime<Utc>) -> Document {
    let mut s = Document::new();
    for (name, v) in &p.fields {
        s.insert(name.as_str(), to_bson(v));
    }
    if let Some(v) = p.email {
        s.insert("email_key", email_key(&v));
        s.insert("email", v);
    }
    if let Some(v) = p.username {
        s.insert("username_key", opt_str(v.as_deref().map(str::to_lowercase)));
        s.insert("username", opt_str(v));
    }
    if let Some(v) = p.password {
        s.insert("password", opt_secret(v));
    }
    if let Some(v) = p.active {
        s.insert("active", v);
    }
    if let Some(v) = p.fs_uniquifier {
        s.insert("fs_uniquifier", v);
    }
    if let Some(v) = p.fs_token_uniquifier {
        s.insert("fs_token_uniquifier", opt_str(v));
    }
    if let Some(v) = p.confirmed_at {
        put_time(&mut s, "confirmed_at", v);
    }
    if let Some(v) = p.last_login_at {
        put_time(&mut s, "last_login_at", v);
    }
    if let Some(v) = p.current_login_at {
        put_time(&mut s, "current_login_at", v);
    }
    if let Some(v) = p.last_login_ip {
        s.insert("last_login_ip", opt_str(v));
    }
    if let Some(v) = p.current_login_ip {
        s.insert("current_login_ip", opt_str(v));
    }
    if let Some(v) = p.login_count {
        s.insert("login_count", v.map_or(Bson::Null, Bson::Int64));
    }
    if let Some(v) = p.tf_primary_method {
        s.insert("tf_primary_method", opt_str(v));
    }
    if let Some(v) = p.tf_totp_secret {
        s.insert("tf_totp_secret", opt_secret(v));
    }
    if let Some(v) = p.tf_phone_number {
        s.insert("tf_phone_number", opt_str(v));
    }
    if let Some(v) = p.us_totp_secrets {
        s.insert("us_totp_secrets", opt_secret(v));
    }
    if let Some(v) = p.us_phone_number {
        s.insert("us_phone_number", opt_str(v));
    }
    if let Some(v) = p.fs_webauthn_user_handle {
        s.insert("fs_webauthn_user_handle", opt_str(v));
    }
    if let Some(v) = p.mf_recovery_codes {
        s.insert(
            "mf_recovery_codes",
            v.map_or(Bson::Null, |c| {
                Bson::Array(
                    c.iter()
                        .map(|s| Bson::String(s.expose().to_owned()))
                        .collect(),
                )
            }),
        );
    }
    put_time(&mut s, "update_datetime", Some(now));
    s
}

/// The aggregation-pipeline update that records a login in one atomic
/// step: the `$set` stage sees the document as it was, so `last_*` take the
/// old `current_*`.
pub(crate) fn record_login_update(
    ip: Option<&str>,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Document> {
    let (at_date, at_us) = time_parts(at);
    let at_us = at_us.map_or(Bson::Null, Bson::Int32);
    let ip = ip.map_or(Bson::Null, |s| Bson::String(s.to_owned()));
    let mut set = doc! {
        "last_login_at": {"$ifNull": ["$current_login_at", at_date.clone()]},
        "last_login_at_us": {"$cond": [{"$eq": [{"$ifNull": ["$current_login_at", Bson::Null]}, Bson::Null]}, at_us.clone(), "$current_login_at_us"]},
        "last_login_ip": {"$ifNull": ["$current_login_ip", {"$literal": ip.clone()}]},
        "current_login_at": at_date,
        "current_login_at_us": {"$literal": at_us},
        "current_login_ip": {"$literal": ip},
        "login_count": {"$add": [{"$ifNull": ["$login_count", 0_i64]}, 1_i64]},
    };
    let (now_date, now_us) = time_parts(now);
    set.insert("update_datetime", now_date);
    set.insert(
        "update_datetime_us",
        doc! {"$literal": now_us.map_or(Bson::Null, Bson::Int32)},
    );
    vec![doc! {"$set": set}]
}

/// A role document as a [`Role`].
pub(crate) fn role_from(d: &Document) -> Result<Role> {
    let permissions = match d.get("permissions") {
        Some(Bson::String(s)) => portcullis_core::models::asa_list::split(Some(s)),
        _ => get_strings(d, "permissions"),
    };
    Ok(Role {
        id: get_i64(d, "_id").ok_or_else(|| bad("role _id"))?,
        name: get_str(d, "name").ok_or_else(|| bad("role name"))?,
        description: get_str(d, "description"),
        permissions,
        update_datetime: get_time(d, "update_datetime").unwrap_or_default(),
    })
}

/// A new role document.
pub(crate) fn new_role_doc(
    id: i64,
    name: String,
    description: Option<String>,
    permissions: &[String],
    now: DateTime<Utc>,
) -> Document {
    let mut d = doc! {
        "_id": id,
        "name": name,
        "description": opt_str(description),
        "permissions": strings(permissions),
    };
    put_time(&mut d, "update_datetime", Some(now));
    d
}

/// A new credential document.
pub(crate) fn new_webauthn_doc(
    id: i64,
    user_id: i64,
    new: NewWebAuthn,
    now: DateTime<Utc>,
) -> Document {
    let mut d = doc! {
        "_id": id,
        "credential_id": bytes(new.credential_id),
        "public_key": bytes(new.public_key),
        "sign_count": new.sign_count,
        "transports": strings(&new.transports),
        "backup_state": new.backup_state,
        "device_type": new.device_type,
        "extensions": opt_str(new.extensions),
        "name": new.name,
        "usage": new.usage,
        "user_id": user_id,
    };
    put_time(&mut d, "create_datetime", Some(now));
    put_time(&mut d, "lastuse_datetime", Some(now));
    d
}

/// A credential document as a [`WebAuthnCredential`].
pub(crate) fn webauthn_from(d: &Document) -> Result<WebAuthnCredential> {
    Ok(WebAuthnCredential {
        id: get_i64(d, "_id").ok_or_else(|| bad("credential _id"))?,
        credential_id: get_bytes(d, "credential_id").ok_or_else(|| bad("credential_id"))?,
        public_key: get_bytes(d, "public_key").ok_or_else(|| bad("public_key"))?,
        sign_count: get_i64(d, "sign_count").unwrap_or(0),
        transports: get_strings(d, "transports"),
        backup_state: d.get_bool("backup_state").unwrap_or(false),
        device_type: get_str(d, "device_type").unwrap_or_default(),
        extensions: get_str(d, "extensions"),
        create_datetime: get_time(d, "create_datetime").unwrap_or_default(),
        lastuse_datetime: get_time(d, "lastuse_datetime").unwrap_or_default(),
        name: get_str(d, "name").unwrap_or_default(),
        usage: get_str(d, "usage").unwrap_or_default(),
        user_id: get_i64(d, "user_id").ok_or_else(|| bad("credential user_id"))?,
    })
}

/// A new refresh tracker document (generation 1).
pub(crate) fn new_tracker_doc(id: i64, user_id: i64, new: NewRefreshTracker) -> Document {
    let mut d = doc! {
        "_id": id,
        "refresh_family": new.refresh_family,
        "gen": 1_i64,
        "name": new.name,
        "user_id": user_id,
    };
    put_time(&mut d, "expires_at", Some(new.expires_at));
    put_time(&mut d, "revoked_at", None);
    put_time(&mut d, "last_used_at", Some(new.at));
    put_time(&mut d, "create_datetime", Some(new.at));
    d
}

/// A tracker document as a [`RefreshTracker`].
pub(crate) fn tracker_from(d: &Document) -> Result<RefreshTracker> {
    Ok(RefreshTracker {
        id: get_i64(d, "_id").ok_or_else(|| bad("tracker _id"))?,
        refresh_family: get_str(d, "refresh_family").ok_or_else(|| bad("refresh_family"))?,
        generation: get_i64(d, "gen").unwrap_or(1),
        expires_at: get_time(d, "expires_at").unwrap_or_default(),
        revoked_at: get_time(d, "revoked_at"),
        last_used_at: get_time(d, "last_used_at").unwrap_or_default(),
        create_datetime: get_time(d, "create_datetime").unwrap_or_default(),
        name: get_str(d, "name").unwrap_or_default(),
        user_id: get_i64(d, "user_id").ok_or_else(|| bad("tracker user_id"))?,
    })
}

/// The index a duplicate-key message names (`… index: email_key_1 dup key: …`),
/// as the field it protects. The message quotes the value after `dup key`,
/// which is never read.
pub(crate) fn duplicate_field(message: &str) -> String {
    let index = message
        .split_once("index: ")
        .map(|(_, rest)| rest.split_whitespace().next().unwrap_or(""))
        .unwrap_or("");
    const FIELDS: &[(&str, &str)] = &[
        ("fs_token_uniquifier", "fs_token_uniquifier"),
        ("fs_webauthn_user_handle", "fs_webauthn_user_handle"),
        ("fs_uniquifier", "fs_uniquifier"),
        ("us_phone_number", "us_phone_number"),
        ("email_key", "email"),
        ("username", "username"),
        ("credential_id", "credential id"),
        ("refresh_family", "refresh_family"),
        ("user_id_1_name", "credential name"),
        ("name", "role name"),
        ("_id", "id"),
    ];
    FIELDS
        .iter()
        .find(|(needle, _)| index.contains(needle))
        .map_or_else(|| "a unique value".to_owned(), |(_, f)| (*f).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64, micros: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, micros * 1000).unwrap()
    }

    #[test]
    fn times_keep_microseconds_beside_the_date() {
        let t = at(1_767_225_600, 999_999);
        let mut d = Document::new();
        put_time(&mut d, "confirmed_at", Some(t));
        assert_eq!(d.get_i32("confirmed_at_us").unwrap(), 999);
        assert_eq!(get_time(&d, "confirmed_at"), Some(t));
        let whole = at(1_767_225_600, 5000);
        put_time(&mut d, "confirmed_at", Some(whole));
        assert!(d.is_null("confirmed_at_us"));
        assert_eq!(get_time(&d, "confirmed_at"), Some(whole));
        put_time(&mut d, "confirmed_at", None);
        assert_eq!(get_time(&d, "confirmed_at"), None);
        // Before 1970 too.
        let old = at(-1, 1);
        put_time(&mut d, "x", Some(old));
        assert_eq!(get_time(&d, "x"), Some(old));
    }

    #[test]
    fn a_user_round_trips_through_its_document() {
        let now = at(1_800_000_000, 123_456);
        let mut new = NewUser::new("Jörg@Example.com", Some(SecretString::new("$argon2id$x")));
        new.username = Some("Jörg".into());
        new.confirmed_at = Some(now);
        new.us_phone_number = Some("+15550001111".into());
        let d = new_user_doc(
            7,
            new,
            ["u".into(), "t".into(), "h".into()],
            vec![1, 2],
            now,
        );
        assert_eq!(d.get_str("email_key").unwrap(), "jörg@example.com");
        assert_eq!(d.get_str("username_key").unwrap(), "jörg");
        assert_eq!(role_ids(&d), [1, 2]);
        let u = user_from(&d).unwrap();
        assert_eq!(u.id, 7);
        assert_eq!(u.email, "Jörg@Example.com");
        assert_eq!(u.password.unwrap().expose(), "$argon2id$x");
        assert_eq!(u.fs_uniquifier, "u");
        assert_eq!(u.fs_token_uniquifier.as_deref(), Some("t"));
        assert_eq!(u.fs_webauthn_user_handle.as_deref(), Some("h"));
        assert_eq!(u.confirmed_at, Some(now));
        assert_eq!(u.create_datetime, now);
        assert!(u.mf_recovery_codes.is_none());
    }

    #[test]
    fn a_patch_sets_only_its_fields_and_keeps_the_keys_in_step() {
        let now = at(1_800_000_000, 0);
        let s = patch_set(
            UserPatch {
                email: Some("NEW@example.com".into()),
                username: Some(None),
                mf_recovery_codes: Some(Some(vec![SecretString::new("a-b")])),
                ..UserPatch::default()
            },
            now,
        );
        let keys: Vec<&str> = s.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "email_key",
                "email",
                "username_key",
                "username",
                "mf_recovery_codes",
                "update_datetime",
                "update_datetime_us"
            ]
        );
        assert_eq!(s.get_str("email_key").unwrap(), "new@example.com");
        assert!(s.is_null("username_key"));
        assert_eq!(s.get_array("mf_recovery_codes").unwrap().len(), 1);
    }

    #[test]
    fn record_login_is_one_pipeline_stage_reading_the_old_values() {
        let p = record_login_update(Some("10.0.0.1"), at(1_800_000_000, 1), at(1_800_000_001, 0));
        assert_eq!(p.len(), 1);
        let set = p[0].get_document("$set").unwrap();
        assert_eq!(
            set.get_document("last_login_at")
                .unwrap()
                .get_array("$ifNull")
                .unwrap()[0],
            Bson::String("$current_login_at".into())
        );
        assert_eq!(
            set.get_document("login_count").unwrap(),
            &doc! {"$add": [{"$ifNull": ["$login_count", 0_i64]}, 1_i64]}
        );
        // Literal values cannot be mistaken for field paths.
        assert_eq!(
            set.get_document("current_login_ip").unwrap(),
            &doc! {"$literal": "10.0.0.1"}
        );
    }

    #[test]
    fn roles_and_credentials_round_trip() {
        let now = at(1_800_000_000, 42);
        let r = role_from(&new_role_doc(
            3,
            "admin".into(),
            None,
            &["a".into(), "b".into()],
            now,
        ))
        .unwrap();
        assert_eq!(
            (r.id, r.name.as_str(), r.permissions.len()),
            (3, "admin", 2)
        );
        assert_eq!(r.update_datetime, now);
        // Flask-Security's comma-joined string is read too.
        let legacy = doc! {"_id": 4_i64, "name": "x", "permissions": "p, q"};
        assert_eq!(role_from(&legacy).unwrap().permissions, ["p", "q"]);
        let new = NewWebAuthn {
            credential_id: vec![1, 2, 3],
            public_key: vec![9],
            name: "key".into(),
            sign_count: 5,
            usage: "first".into(),
            device_type: "single_device".into(),
            backup_state: true,
            transports: vec!["usb".into()],
            extensions: None,
        };
        let c = webauthn_from(&new_webauthn_doc(8, 7, new, now)).unwrap();
        assert_eq!((c.id, c.user_id, c.sign_count), (8, 7, 5));
        assert_eq!(c.credential_id, [1, 2, 3]);
        assert_eq!(c.transports, ["usb"]);
        assert_eq!(c.lastuse_datetime, now);
    }

    #[test]
    fn broken_documents_are_errors_not_panics() {
        assert!(user_from(&doc! {"_id": "not a number"}).is_err());
        assert!(role_from(&doc! {}).is_err());
        assert!(webauthn_from(&doc! {"_id": 1_i64}).is_err());
    }

    #[test]
    fn duplicate_key_messages_name_the_field_not_the_value() {
        assert_eq!(
            duplicate_field(
                r#"E11000 duplicate key error collection: db.user index: email_key_1 dup key: { email_key: "fs_uniquifier" }"#
            ),
            "email"
        );
        assert_eq!(
            duplicate_field(
                "E11000 duplicate key error collection: db.user index: fs_token_uniquifier_1 dup key: { : \"x\" }"
            ),
            "fs_token_uniquifier"
        );
        assert_eq!(
            duplicate_field(
                "E11000 duplicate key error collection: db.web_authn index: user_id_1_name_1 dup key: {}"
            ),
            "credential name"
        );
        assert_eq!(duplicate_field("something"), "a unique value");
    }
}
