//! `UserStore` for the memory store.

use chrono::{DateTime, Utc};
use portcullis_core::store::{email_key, new_uniquifier};
use portcullis_core::{
    Error, NewUser, Result, SecretString, User, UserFilter, UserPatch, UserStore,
};

use crate::{Inner, MemoryStore};

fn not_found() -> Error {
    Error::not_found("no such user")
}

/// Refuses values another user holds.
fn check_unique(inner: &Inner, u: &User) -> Result<()> {
    if inner.email_taken(&u.email, Some(u.id)) {
        return Err(Error::already_exists("email"));
    }
    for other in inner.users.values().filter(|o| o.id != u.id) {
        let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
        if other.fs_uniquifier == u.fs_uniquifier {
            return Err(Error::already_exists("fs_uniquifier"));
        }
        if same(&other.username, &u.username) {
            return Err(Error::already_exists("username"));
        }
        if same(&other.fs_token_uniquifier, &u.fs_token_uniquifier) {
            return Err(Error::already_exists("fs_token_uniquifier"));
        }
        if same(&other.us_phone_number, &u.us_phone_number) {
            return Err(Error::already_exists("us_phone_number"));
        }
        if same(&other.fs_webauthn_user_handle, &u.fs_webauthn_user_handle) {
            return Err(Error::already_exists("fs_webauthn_user_handle"));
        }
    }
    Ok(())
}

fn apply(u: &mut User, p: UserPatch) {
    p.apply_to(u);
    for t in [
        &mut u.confirmed_at,
        &mut u.last_login_at,
        &mut u.current_login_at,
    ] {
        *t = t.map(portcullis_core::store::to_micros);
    }
}

impl MemoryStore {
    /// Changes user `id` under the write lock, checking uniqueness, and
    /// returns the result. Nothing changes if `f` or the check fails.
    fn change<T>(&self, id: i64, f: impl FnOnce(&mut User) -> Result<T>) -> Result<(T, User)> {
        let now = self.now();
        let mut inner = self.write()?;
        let mut u = inner.users.get(&id).cloned().ok_or_else(not_found)?;
        let out = f(&mut u)?;
        u.update_datetime = now;
        check_unique(&inner, &u)?;
        inner.users.insert(id, u.clone());
        Ok((out, inner.with_roles(&u)))
    }
}

#[async_trait::async_trait]
impl UserStore for MemoryStore {
    async fn find_user_by_id(&self, id: i64) -> Result<Option<User>> {
        let inner = self.read()?;
        Ok(inner.users.get(&id).map(|u| inner.with_roles(u)))
    }

    async fn find_user_by_uniquifier(&self, uniquifier: &str) -> Result<Option<User>> {
        Ok(self.read()?.user_by(|u| u.fs_uniquifier == uniquifier))
    }

    async fn find_user_by_token_uniquifier(&self, uid: &str) -> Result<Option<User>> {
        let inner = self.read()?;
        Ok(inner
            .user_by(|u| u.fs_token_uniquifier.as_deref() == Some(uid))
            .or_else(|| inner.user_by(|u| u.fs_uniquifier == uid)))
    }

    async fn find_user_by_email(&self, email: &str) -> Result<Option<User>> {
        let key = email_key(email);
        Ok(self.read()?.user_by(|u| email_key(&u.email) == key))
    }

    async fn find_user_by_username(
        &self,
        username: &str,
        case_insensitive: bool,
    ) -> Result<Option<User>> {
        let want = username.to_lowercase();
        Ok(self.read()?.user_by(|u| match &u.username {
            Some(n) if case_insensitive => n.to_lowercase() == want,
            Some(n) => n == username,
            None => false,
        }))
    }

    async fn find_user_by_phone(&self, phone: &str) -> Result<Option<User>> {
        Ok(self
            .read()?
            .user_by(|u| u.us_phone_number.as_deref() == Some(phone)))
    }

    async fn find_user_by_webauthn_handle(&self, handle: &str) -> Result<Option<User>> {
        Ok(self
            .read()?
            .user_by(|u| u.fs_webauthn_user_handle.as_deref() == Some(handle)))
    }

    async fn list_users(&self, filter: &UserFilter) -> Result<Vec<User>> {
        let inner = self.read()?;
        let role_id = match &filter.role {
            Some(name) => match inner.role_by_name(name) {
                Some(r) => Some(r.id),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        Ok(inner
            .users
            .values()
            .filter(|u| filter.active.is_none_or(|a| u.active == a))
            .filter(|u| role_id.is_none_or(|r| inner.links.contains(&(u.id, r))))
            .skip(usize::try_from(filter.offset).unwrap_or(usize::MAX))
            .take(
                filter
                    .limit
                    .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)),
            )
            .map(|u| inner.with_roles(u))
            .collect())
    }

    async fn create_user(&self, new: NewUser) -> Result<User> {
        new.check()?;
        let now = self.now();
        let mut inner = self.write()?;
        let role_ids = new
            .roles
            .iter()
            .map(|name| {
                inner
                    .role_by_name(name)
                    .map(|r| r.id)
                    .ok_or_else(|| Error::not_found(format!("no role named {name:?}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let id = inner.next_id + 1;
        let user = User {
            id,
            email: new.email,
            username: new.username,
            password: new.password,
            active: new.active,
            fs_uniquifier: new.fs_uniquifier.unwrap_or_else(new_uniquifier),
            fs_token_uniquifier: Some(new.fs_token_uniquifier.unwrap_or_else(new_uniquifier)),
            confirmed_at: new.confirmed_at.map(portcullis_core::store::to_micros),
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
            create_datetime: now,
            update_datetime: now,
            roles: Vec::new(),
            fields: new.fields,
        };
        check_unique(&inner, &user)?;
        inner.next();
        for rid in role_ids {
            inner.links.insert((id, rid));
        }
        inner.users.insert(id, user.clone());
        Ok(inner.with_roles(&user))
    }

    async fn update_user(&self, id: i64, patch: UserPatch) -> Result<User> {
        patch.check()?;
        if patch.is_empty() {
            return self.find_user_by_id(id).await?.ok_or_else(not_found);
        }
        self.change(id, |u| {
            apply(u, patch);
            Ok(())
        })
        .map(|((), u)| u)
    }

    async fn delete_user(&self, id: i64) -> Result<bool> {
        let mut inner = self.write()?;
        if inner.users.remove(&id).is_none() {
            return Ok(false);
        }
        inner.links.retain(|(uid, _)| *uid != id);
        inner.credentials.retain(|_, c| c.user_id != id);
        inner.trackers.retain(|_, t| t.user_id != id);
        Ok(true)
    }

    async fn set_active(&self, id: i64, active: bool) -> Result<bool> {
        self.change(id, |u| {
            Ok(std::mem::replace(&mut u.active, active) != active)
        })
        .map(|(changed, _)| changed)
    }

    async fn rotate_uniquifier(&self, id: i64) -> Result<String> {
        self.change(id, |u| {
            u.fs_uniquifier = new_uniquifier();
            Ok(u.fs_uniquifier.clone())
        })
        .map(|(v, _)| v)
    }

    async fn rotate_token_uniquifier(&self, id: i64) -> Result<String> {
        self.change(id, |u| {
            let v = new_uniquifier();
            u.fs_token_uniquifier = Some(v.clone());
            Ok(v)
        })
        .map(|(v, _)| v)
    }

    async fn record_login(&self, id: i64, ip: Option<&str>, at: DateTime<Utc>) -> Result<User> {
        if let Some(ip) = ip {
            portcullis_core::store::limits::check("ip", ip, portcullis_core::store::limits::IP)?;
        }
        let at = portcullis_core::store::to_micros(at);
        self.change(id, |u| {
            u.last_login_at = u.current_login_at.or(Some(at));
            u.last_login_ip = u.current_login_ip.take().or_else(|| ip.map(str::to_owned));
            u.current_login_at = Some(at);
            u.current_login_ip = ip.map(str::to_owned);
            u.login_count = Some(u.login_count.unwrap_or(0) + 1);
            Ok(())
        })
        .map(|((), u)| u)
    }

    async fn take_recovery_code(&self, id: i64, code: &str) -> Result<bool> {
        self.change(id, |u| {
            let Some(codes) = u.mf_recovery_codes.as_mut() else {
                return Ok(false);
            };
            let before = codes.len();
            let target = SecretString::new(code);
            if let Some(pos) = codes.iter().position(|c| *c == target) {
                codes.remove(pos);
            }
            Ok(codes.len() != before)
        })
        .map(|(taken, _)| taken)
    }

    async fn reset_user_access(&self, id: i64) -> Result<User> {
        let (_, user) = self.change(id, |u| {
            UserPatch::reset_access().apply_to(u);
            Ok(())
        })?;
        let now = self.now();
        let mut inner = self.write()?;
        inner.credentials.retain(|_, c| c.user_id != id);
        for t in inner.trackers.values_mut().filter(|t| t.user_id == id) {
            t.revoked_at.get_or_insert(now);
        }
        Ok(user)
    }
}
