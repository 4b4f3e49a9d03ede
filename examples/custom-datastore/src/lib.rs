#![doc = include_str!("../README.md")]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use portcullis_core::store::{email_key, new_uniquifier, to_micros};
use portcullis_core::{
    Capabilities, Datastore, Error, NewRole, NewUser, NewWebAuthn, Result, Role, RoleStore,
    SecretString, User, UserFilter, UserPatch, UserStore, WebAuthnCredential, WebAuthnStore,
    WebAuthnUse,
};
use serde::{Deserialize, Serialize};

/// A user as this store keeps it: roles by name, secrets as plain strings
/// inside the file (protect the file like a database).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct UserDoc {
    id: i64,
    email: String,
    username: Option<String>,
    password: Option<String>,
    active: bool,
    fs_uniquifier: String,
    fs_token_uniquifier: Option<String>,
    confirmed_at: Option<DateTime<Utc>>,
    last_login_at: Option<DateTime<Utc>>,
    current_login_at: Option<DateTime<Utc>>,
    last_login_ip: Option<String>,
    current_login_ip: Option<String>,
    login_count: Option<i64>,
    tf_primary_method: Option<String>,
    tf_totp_secret: Option<String>,
    tf_phone_number: Option<String>,
    us_totp_secrets: Option<String>,
    us_phone_number: Option<String>,
    fs_webauthn_user_handle: Option<String>,
    mf_recovery_codes: Option<Vec<String>>,
    created: DateTime<Utc>,
    updated: DateTime<Utc>,
    roles: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RoleDoc {
    id: i64,
    description: Option<String>,
    permissions: Vec<String>,
    updated: DateTime<Utc>,
}

/// The whole database.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Document {
    next_id: i64,
    users: BTreeMap<i64, UserDoc>,
    /// By name.
    roles: BTreeMap<String, RoleDoc>,
}

/// A datastore kept in one JSON file.
#[derive(Debug)]
pub struct JsonFileStore {
    path: PathBuf,
    doc: Mutex<Document>,
}

fn io(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::unavailable("cannot read or write the JSON store").with_source(e)
}

impl JsonFileStore {
    /// Opens `path`, creating an empty store if it does not exist.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let doc = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::new(
                    portcullis_core::ErrorKind::Corrupt,
                    "the JSON store is not valid",
                )
                .with_source(e)
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Document::default(),
            Err(e) => return Err(io(e)),
        };
        Ok(Self {
            path,
            doc: Mutex::new(doc),
        })
    }

    /// Runs `f` on a copy of the document; if it succeeds, writes the copy
    /// to disk (temp file + rename) and makes it current. Atomic: a failure
    /// anywhere leaves file and memory as they were.
    fn transact<T>(&self, f: impl FnOnce(&mut Document) -> Result<T>) -> Result<T> {
        let mut current = self
            .doc
            .lock()
            .map_err(|_| Error::internal("store lock poisoned"))?;
        let mut draft = current.clone();
        let out = f(&mut draft)?;
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(&draft).map_err(io)?).map_err(io)?;
        std::fs::rename(&tmp, &self.path).map_err(io)?;
        *current = draft;
        Ok(out)
    }

    fn view<T>(&self, f: impl FnOnce(&Document) -> T) -> Result<T> {
        Ok(f(&*self
            .doc
            .lock()
            .map_err(|_| Error::internal("store lock poisoned"))?))
    }
}

impl Document {
    fn to_user(&self, d: &UserDoc) -> User {
        let mut roles: Vec<Role> = d
            .roles
            .iter()
            .filter_map(|n| self.roles.get(n).map(|r| to_role(n, r)))
            .collect();
        roles.sort_by(|a, b| a.name.cmp(&b.name));
        User {
            id: d.id,
            email: d.email.clone(),
            username: d.username.clone(),
            password: d.password.clone().map(SecretString::new),
            active: d.active,
            fs_uniquifier: d.fs_uniquifier.clone(),
            fs_token_uniquifier: d.fs_token_uniquifier.clone(),
            confirmed_at: d.confirmed_at,
            last_login_at: d.last_login_at,
            current_login_at: d.current_login_at,
            last_login_ip: d.last_login_ip.clone(),
            current_login_ip: d.current_login_ip.clone(),
            login_count: d.login_count,
            tf_primary_method: d.tf_primary_method.clone(),
            tf_totp_secret: d.tf_totp_secret.clone().map(SecretString::new),
            tf_phone_number: d.tf_phone_number.clone(),
            us_totp_secrets: d.us_totp_secrets.clone().map(SecretString::new),
            us_phone_number: d.us_phone_number.clone(),
            fs_webauthn_user_handle: d.fs_webauthn_user_handle.clone(),
            mf_recovery_codes: d
                .mf_recovery_codes
                .as_ref()
                .map(|c| c.iter().cloned().map(SecretString::new).collect()),
            create_datetime: d.created,
            update_datetime: d.updated,
            roles,
            fields: portcullis_core::UserFields::new(),
        }
    }

    fn find(&self, pred: impl Fn(&UserDoc) -> bool) -> Option<User> {
        self.users
            .values()
            .find(|u| pred(u))
            .map(|u| self.to_user(u))
    }

    fn user_mut(&mut self, id: i64) -> Result<&mut UserDoc> {
        self.users
            .get_mut(&id)
            .ok_or_else(|| Error::not_found("no such user"))
    }

    /// The uniqueness rules of the contract, for user `id` as it now stands.
    fn check_unique(&self, id: i64) -> Result<()> {
        let u = self
            .users
            .get(&id)
            .ok_or_else(|| Error::not_found("no such user"))?;
        let clash = |field: &'static str, get: fn(&UserDoc) -> Option<String>| -> Result<()> {
            match get(u) {
                Some(v)
                    if self
                        .users
                        .values()
                        .any(|o| o.id != id && get(o).as_ref() == Some(&v)) =>
                {
                    Err(Error::already_exists(field))
                }
                _ => Ok(()),
            }
        };
        clash("email", |d| Some(email_key(&d.email)))?;
        clash("username", |d| d.username.clone())?;
        clash("fs_uniquifier", |d| Some(d.fs_uniquifier.clone()))?;
        clash("fs_token_uniquifier", |d| d.fs_token_uniquifier.clone())?;
        clash("us_phone_number", |d| d.us_phone_number.clone())?;
        clash("fs_webauthn_user_handle", |d| {
            d.fs_webauthn_user_handle.clone()
        })
    }
}

fn to_role(name: &str, r: &RoleDoc) -> Role {
    Role {
        id: r.id,
        name: name.to_owned(),
        description: r.description.clone(),
        permissions: r.permissions.clone(),
        update_datetime: r.updated,
    }
}

fn now() -> DateTime<Utc> {
    to_micros(Utc::now())
}

/// Applies a patch field by field.
fn apply(d: &mut UserDoc, p: UserPatch) {
    let plain = |s: Option<SecretString>| s.map(|s| s.expose().to_owned());
    if let Some(v) = p.email {
        d.email = v;
    }
    if let Some(v) = p.username {
        d.username = v;
    }
    if let Some(v) = p.password {
        d.password = plain(v);
    }
    if let Some(v) = p.active {
        d.active = v;
    }
    if let Some(v) = p.fs_uniquifier {
        d.fs_uniquifier = v;
    }
    if let Some(v) = p.fs_token_uniquifier {
        d.fs_token_uniquifier = v;
    }
    if let Some(v) = p.confirmed_at {
        d.confirmed_at = v.map(to_micros);
    }
    if let Some(v) = p.last_login_at {
        d.last_login_at = v.map(to_micros);
    }
    if let Some(v) = p.current_login_at {
        d.current_login_at = v.map(to_micros);
    }
    if let Some(v) = p.last_login_ip {
        d.last_login_ip = v;
    }
    if let Some(v) = p.current_login_ip {
        d.current_login_ip = v;
    }
    if let Some(v) = p.login_count {
        d.login_count = v;
    }
    if let Some(v) = p.tf_primary_method {
        d.tf_primary_method = v;
    }
    if let Some(v) = p.tf_totp_secret {
        d.tf_totp_secret = plain(v);
    }
    if let Some(v) = p.tf_phone_number {
        d.tf_phone_number = v;
    }
    if let Some(v) = p.us_totp_secrets {
        d.us_totp_secrets = plain(v);
    }
    if let Some(v) = p.us_phone_number {
        d.us_phone_number = v;
    }
    if let Some(v) = p.fs_webauthn_user_handle {
        d.fs_webauthn_user_handle = v;
    }
    if let Some(v) = p.mf_recovery_codes {
        d.mf_recovery_codes = v.map(|c| c.iter().map(|s| s.expose().to_owned()).collect());
    }
}

impl JsonFileStore {
    /// Changes user `id` with `f`, re-checks uniqueness, and returns the user.
    fn change_user(&self, id: i64, f: impl FnOnce(&mut UserDoc)) -> Result<User> {
        self.transact(|doc| {
            let u = doc.user_mut(id)?;
            f(u);
            u.updated = now();
            doc.check_unique(id)?;
            Ok(doc.to_user(&doc.users[&id]))
        })
    }
}

#[async_trait::async_trait]
impl UserStore for JsonFileStore {
    async fn find_user_by_id(&self, id: i64) -> Result<Option<User>> {
        self.view(|d| d.users.get(&id).map(|u| d.to_user(u)))
    }
    async fn find_user_by_uniquifier(&self, uniquifier: &str) -> Result<Option<User>> {
        self.view(|d| d.find(|u| u.fs_uniquifier == uniquifier))
    }
    async fn find_user_by_token_uniquifier(&self, uid: &str) -> Result<Option<User>> {
        self.view(|d| {
            d.find(|u| u.fs_token_uniquifier.as_deref() == Some(uid))
                .or_else(|| d.find(|u| u.fs_uniquifier == uid))
        })
    }
    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let key = email_key(email);
        self.view(|d| d.find(|u| email_key(&u.email) == key))
    }
    async fn find_user_by_username(
        &self,
        username: &str,
        case_insensitive: bool,
    ) -> Result<Option<User>> {
        self.view(|d| {
            d.find(|u| match &u.username {
                Some(n) if case_insensitive => n.to_lowercase() == username.to_lowercase(),
                Some(n) => n == username,
                None => false,
            })
        })
    }
    async fn find_user_by_phone(&self, phone: &str) -> Result<Option<User>> {
        self.view(|d| d.find(|u| u.us_phone_number.as_deref() == Some(phone)))
    }
    async fn find_user_by_webauthn_handle(&self, handle: &str) -> Result<Option<User>> {
        self.view(|d| d.find(|u| u.fs_webauthn_user_handle.as_deref() == Some(handle)))
    }
    async fn list_users(&self, f: &UserFilter) -> Result<Vec<User>> {
        self.view(|d| {
            d.users
                .values()
                .filter(|u| f.active.is_none_or(|a| u.active == a))
                .filter(|u| {
                    f.role
                        .as_ref()
                        .is_none_or(|r| u.roles.contains(r) && d.roles.contains_key(r))
                })
                .skip(usize::try_from(f.offset).unwrap_or(usize::MAX))
                .take(
                    f.limit
                        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)),
                )
                .map(|u| d.to_user(u))
                .collect()
        })
    }
    async fn create_user(&self, new: NewUser) -> Result<User> {
        new.check()?;
        // This store keeps no application fields: writing one is refused.
        self.application_fields().check_create(&new.fields)?;
        self.transact(|doc| {
            if let Some(missing) = new.roles.iter().find(|r| !doc.roles.contains_key(*r)) {
                return Err(Error::not_found(format!("no role named {missing:?}")));
            }
            doc.next_id += 1;
            let id = doc.next_id;
            let t = now();
            doc.users.insert(
                id,
                UserDoc {
                    id,
                    email: new.email,
                    username: new.username,
                    password: new.password.map(|p| p.expose().to_owned()),
                    active: new.active,
                    fs_uniquifier: new.fs_uniquifier.unwrap_or_else(new_uniquifier),
                    fs_token_uniquifier: Some(
                        new.fs_token_uniquifier.unwrap_or_else(new_uniquifier),
                    ),
                    confirmed_at: new.confirmed_at.map(to_micros),
                    last_login_at: None,
                    current_login_at: None,
                    last_login_ip: None,
                    current_login_ip: None,
                    login_count: None,
                    tf_primary_method: None,
                    tf_totp_secret: None,
                    tf_phone_number: None,
                    us_totp_secrets: None,
                    us_phone_number: new.us_phone_number,
                    fs_webauthn_user_handle: Some(
                        new.fs_webauthn_user_handle.unwrap_or_else(new_uniquifier),
                    ),
                    mf_recovery_codes: None,
                    created: t,
                    updated: t,
                    roles: new.roles,
                },
            );
            doc.check_unique(id)?;
            Ok(doc.to_user(&doc.users[&id]))
        })
    }
    async fn update_user(&self, id: i64, patch: UserPatch) -> Result<User> {
        patch.check()?;
        self.application_fields().check_write(&patch.fields)?;
        if patch.is_empty() {
            return self
                .find_user_by_id(id)
                .await?
                .ok_or_else(|| Error::not_found("no such user"));
        }
        self.change_user(id, |u| apply(u, patch))
    }
    async fn delete_user(&self, id: i64) -> Result<bool> {
        self.transact(|doc| Ok(doc.users.remove(&id).is_some()))
    }
    async fn set_active(&self, id: i64, active: bool) -> Result<bool> {
        let before = self
            .find_user_by_id(id)
            .await?
            .ok_or_else(|| Error::not_found("no such user"))?;
        self.change_user(id, |u| u.active = active)?;
        Ok(before.active != active)
    }
    async fn rotate_uniquifier(&self, id: i64) -> Result<String> {
        self.change_user(id, |u| u.fs_uniquifier = new_uniquifier())
            .map(|u| u.fs_uniquifier)
    }
    async fn rotate_token_uniquifier(&self, id: i64) -> Result<String> {
        let v = new_uniquifier();
        self.change_user(id, |u| u.fs_token_uniquifier = Some(v.clone()))?;
        Ok(v)
    }
    async fn record_login(&self, id: i64, ip: Option<&str>, at: DateTime<Utc>) -> Result<User> {
        if let Some(ip) = ip {
            portcullis_core::store::limits::check("ip", ip, portcullis_core::store::limits::IP)?;
        }
        let at = to_micros(at);
        self.change_user(id, |u| {
            u.last_login_at = u.current_login_at.or(Some(at));
            u.last_login_ip = u.current_login_ip.take().or_else(|| ip.map(str::to_owned));
            u.current_login_at = Some(at);
            u.current_login_ip = ip.map(str::to_owned);
            u.login_count = Some(u.login_count.unwrap_or(0) + 1);
        })
    }
    async fn take_recovery_code(&self, id: i64, code: &str) -> Result<bool> {
        self.transact(|doc| {
            let u = doc.user_mut(id)?;
            let codes = u.mf_recovery_codes.get_or_insert_with(Vec::new);
            let pos = portcullis_core::crypto::recovery::find_code(codes, code);
            if let Some(p) = pos {
                codes.remove(p);
            }
            Ok(pos.is_some())
        })
    }
    async fn reset_user_access(&self, id: i64) -> Result<User> {
        self.change_user(id, |u| {
            u.fs_uniquifier = new_uniquifier();
            u.fs_token_uniquifier = Some(new_uniquifier());
            u.tf_primary_method = None;
            u.tf_totp_secret = None;
            u.tf_phone_number = None;
            u.us_totp_secrets = None;
            u.us_phone_number = None;
            u.mf_recovery_codes = None;
        })
    }
}

#[async_trait::async_trait]
impl RoleStore for JsonFileStore {
    async fn create_role(&self, new: NewRole) -> Result<Role> {
        new.check()?;
        self.transact(|doc| {
            if doc.roles.contains_key(&new.name) {
                return Err(Error::already_exists("role name"));
            }
            doc.next_id += 1;
            let mut permissions = new.permissions;
            permissions.dedup();
            let r = RoleDoc {
                id: doc.next_id,
                description: new.description,
                permissions,
                updated: now(),
            };
            let role = to_role(&new.name, &r);
            doc.roles.insert(new.name, r);
            Ok(role)
        })
    }
    async fn find_role(&self, name: &str) -> Result<Option<Role>> {
        self.view(|d| d.roles.get(name).map(|r| to_role(name, r)))
    }
    async fn list_roles(&self) -> Result<Vec<Role>> {
        self.view(|d| d.roles.iter().map(|(n, r)| to_role(n, r)).collect())
    }
    async fn delete_role(&self, name: &str) -> Result<bool> {
        self.transact(|doc| {
            let existed = doc.roles.remove(name).is_some();
            for u in doc.users.values_mut() {
                u.roles.retain(|r| r != name);
            }
            Ok(existed)
        })
    }
    async fn add_role_to_user(&self, user_id: i64, role: &str) -> Result<bool> {
        self.transact(|doc| {
            if !doc.roles.contains_key(role) {
                return Err(Error::not_found(format!("no role named {role:?}")));
            }
            let u = doc.user_mut(user_id)?;
            let added = !u.roles.iter().any(|r| r == role);
            if added {
                u.roles.push(role.to_owned());
            }
            Ok(added)
        })
    }
    async fn remove_role_from_user(&self, user_id: i64, role: &str) -> Result<bool> {
        self.transact(|doc| {
            if !doc.roles.contains_key(role) {
                return Err(Error::not_found(format!("no role named {role:?}")));
            }
            let u = doc.user_mut(user_id)?;
            let before = u.roles.len();
            u.roles.retain(|r| r != role);
            Ok(u.roles.len() != before)
        })
    }
    async fn add_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        portcullis_core::store::limits::list_items("permissions", permissions)?;
        self.transact(|doc| {
            let r = doc
                .roles
                .get_mut(role)
                .ok_or_else(|| Error::not_found(format!("no role named {role:?}")))?;
            for p in permissions {
                if !r.permissions.contains(p) {
                    r.permissions.push(p.clone());
                }
            }
            r.updated = now();
            Ok(to_role(role, r))
        })
    }
    async fn remove_permissions(&self, role: &str, permissions: &[String]) -> Result<Role> {
        self.transact(|doc| {
            let r = doc
                .roles
                .get_mut(role)
                .ok_or_else(|| Error::not_found(format!("no role named {role:?}")))?;
            r.permissions.retain(|p| !permissions.contains(p));
            r.updated = now();
            Ok(to_role(role, r))
        })
    }
}

fn no_webauthn() -> Error {
    Error::unsupported("this store does not keep WebAuthn credentials")
}

/// This store has no WebAuthn support, and says so.
#[async_trait::async_trait]
impl WebAuthnStore for JsonFileStore {
    async fn create_webauthn(&self, _: i64, _: NewWebAuthn) -> Result<WebAuthnCredential> {
        Err(no_webauthn())
    }
    async fn find_webauthn(&self, _: &[u8]) -> Result<Option<WebAuthnCredential>> {
        Ok(None)
    }
    async fn list_webauthn(&self, _: i64) -> Result<Vec<WebAuthnCredential>> {
        Ok(Vec::new())
    }
    async fn record_webauthn_use(&self, _: i64, _: &WebAuthnUse) -> Result<()> {
        Err(no_webauthn())
    }
    async fn delete_webauthn(&self, _: i64) -> Result<bool> {
        Err(no_webauthn())
    }
}

impl Datastore for JsonFileStore {
    fn backend_name(&self) -> &'static str {
        "json-file"
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::new(true, false, true)
    }
}
