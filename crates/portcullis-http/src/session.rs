//! The server-side session a request carries: the adapter loads it from its
//! session store before [`Portcullis::handle`](crate::Portcullis::handle)
//! and saves it afterwards when [`SessionState::is_modified`].

use serde_json::{Map, Value, json};

/// Session keys, as Flask-Login / Flask-Security name them.
pub mod keys {
    /// The user's `fs_uniquifier`.
    pub const USER_ID: &str = "_user_id";
    /// Whether the login is fresh (not from a remember cookie).
    pub const FRESH: &str = "_fresh";
    /// Remember me.
    pub const REMEMBER: &str = "_remember";
    /// When the primary authentication happened (float seconds).
    pub const FS_PAA: &str = "fs_paa";
    /// End of the freshness grace period (int seconds).
    pub const FS_GEXP: &str = "fs_gexp";
    /// The raw CSRF token.
    pub const CSRF: &str = "csrf_token";
    /// Two-factor in progress: the user's `fs_uniquifier`.
    pub const TF_USER_ID: &str = "tf_user_id";
    /// Two-factor in progress: `setup_from_login`, `ready` or `validating_profile`.
    pub const TF_STATE: &str = "tf_state";
    /// Two-factor in progress: the method being set up.
    pub const TF_PRIMARY_METHOD: &str = "tf_primary_method";
    /// Two-factor in progress: remember me, from the first factor.
    pub const TF_REMEMBER: &str = "tf_remember_login";
    /// Two-factor in progress: the new secret being set up (encrypted).
    pub const TF_TOTP_SECRET: &str = "tf_totp_secret";
    /// Two-factor in progress: the user must choose a method.
    pub const TF_SELECT: &str = "tf_select";
    /// Two-factor in progress: the SMS number being set up (Portcullis keeps
    /// it here until its code is verified; Flask-Security stores it at once).
    pub const TF_PHONE: &str = "tf_phone_number";
    /// Two-factor in progress: names the half-login's code budget in the
    /// attempt store (Portcullis' own).
    pub const TF_NONCE: &str = "tf_nonce";
    /// Two-factor in progress: the code being checked is the last one the
    /// half-login allows (Portcullis' own).
    pub const TF_LAST_ATTEMPT: &str = "tf_last_attempt";
    /// Where an adapter keeps the session's values in its store record
    /// (the record's other entries are the adapter's own).
    pub const RECORD_STATE: &str = "portcullis";
    /// When the session's user logged in (Unix seconds; Portcullis' own).
    pub const LOGGED_IN_AT: &str = "portcullis_logged_in_at";
    /// When the session was last seen (Unix seconds, to within the
    /// adapter's touch interval; Portcullis' own).
    pub const LAST_SEEN: &str = "portcullis_last_seen";
    /// The client address at login (Portcullis' own).
    pub const CLIENT_ADDR: &str = "portcullis_client_addr";
    /// The `User-Agent` at login (Portcullis' own).
    pub const USER_AGENT: &str = "portcullis_user_agent";
    /// Flask's flashed messages: `[category, message]` pairs shown (and
    /// dropped) by the next page.
    pub const FLASHES: &str = "_flashes";
    /// Where to go after an OAuth login or re-authentication (Flask-Security's).
    pub const OAUTH_NEXT: &str = "fs_oauth_next";
    /// The `state`, nonce and PKCE verifier of the OAuth request under way
    /// (Portcullis'; authlib keeps its own under `_state_<name>_<state>`).
    pub const OAUTH_PENDING: &str = "portcullis_oauth";
    /// The OAuth login started with `?include_auth_token` (Portcullis').
    pub const OAUTH_WANTS_TOKEN: &str = "portcullis_oauth_token";
    /// The auth token an OAuth login made, for the next `GET /login?include_auth_token` (Portcullis').
    pub const OAUTH_TOKEN: &str = "portcullis_oauth_auth_token";
    /// Every two-factor key.
    pub const TF_ALL: [&str; 9] = [
        TF_USER_ID,
        TF_STATE,
        TF_PRIMARY_METHOD,
        TF_REMEMBER,
        TF_TOTP_SECRET,
        TF_SELECT,
        TF_PHONE,
        TF_NONCE,
        TF_LAST_ATTEMPT,
    ];
}

/// A session's data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionState {
    values: Map<String, Value>,
    modified: bool,
    renew: bool,
    /// The session's id in the store, when the adapter knows it (not a
    /// value: never saved).
    current_id: Option<String>,
}

impl SessionState {
    /// A session with these values (as loaded by the adapter).
    pub fn from_values(values: Map<String, Value>) -> Self {
        Self {
            values,
            modified: false,
            renew: false,
            current_id: None,
        }
    }

    /// The values, for saving.
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    /// Whether anything changed and the session must be saved.
    pub fn is_modified(&self) -> bool {
        self.modified
    }

    /// Whether the adapter must give the session a new id (after a login,
    /// against session fixation).
    pub fn needs_new_id(&self) -> bool {
        self.renew
    }

    /// A string value.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(Value::as_str)
    }

    /// Tells the state its id in the store (adapters, before handling).
    pub fn set_current_id(&mut self, id: Option<String>) {
        self.current_id = id;
    }

    /// The session's id in the store, if the adapter said.
    pub fn current_id(&self) -> Option<&str> {
        self.current_id.as_deref()
    }

    /// A flag (`false` when absent or not a boolean).
    pub fn get_bool(&self, key: &str) -> bool {
        self.values
            .get(key)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// A number.
    pub fn get_f64(&self, key: &str) -> Option<f64> {
        self.values.get(key).and_then(Value::as_f64)
    }

    /// Sets a value.
    pub fn set(&mut self, key: &str, value: Value) {
        if self.values.get(key) != Some(&value) {
            self.values.insert(key.to_owned(), value);
            self.modified = true;
        }
    }

    /// Removes a value.
    pub fn remove(&mut self, key: &str) {
        if self.values.remove(key).is_some() {
            self.modified = true;
        }
    }

    /// The logged-in user's `fs_uniquifier`.
    pub fn user_id(&self) -> Option<&str> {
        self.get_str(keys::USER_ID)
    }

    /// Records a login (Flask-Login's `login_user` plus `fs_paa`); asks for
    /// a new session id.
    pub fn login(&mut self, fs_uniquifier: &str, fs_paa: f64, remember: bool) {
        self.set(keys::USER_ID, json!(fs_uniquifier));
        self.set(keys::FRESH, json!(true));
        self.set(keys::FS_PAA, json!(fs_paa));
        // Flask-Login: only a remembered login touches the cookie.
        if remember {
            self.set(keys::REMEMBER, json!("set"));
        }
        self.remove(keys::FS_GEXP);
        self.renew = true;
    }

    /// Records a login from a remember-me cookie (Flask-Login's
    /// `_load_user_from_remember_cookie`): not fresh, and no `fs_paa`, so
    /// freshness-guarded endpoints ask the user to verify again.
    pub fn login_remembered(&mut self, fs_uniquifier: &str) {
        self.set(keys::USER_ID, json!(fs_uniquifier));
        self.set(keys::FRESH, json!(false));
        self.remove(keys::FS_PAA);
        self.remove(keys::FS_GEXP);
        self.renew = true;
    }

    /// What the response must do with the remember-me cookie, once
    /// (Flask-Login pops `_remember` after acting on it): `Some(true)` set
    /// it for the session's user, `Some(false)` clear it.
    pub fn take_remember(&mut self) -> Option<bool> {
        let op = match self.get_str(keys::REMEMBER) {
            Some("set") => Some(self.user_id().is_some()),
            Some("clear") => Some(false),
            _ => None,
        };
        self.remove(keys::REMEMBER);
        op
    }

    /// Keeps a half-login (core's [`PendingLogin`]) under Flask-Security's
    /// keys, in place of any other: `tf_user_id`, `tf_state`
    /// (`setup_from_login` or `ready`) or `tf_select`, `tf_remember_login`,
    /// and Portcullis' `tf_nonce`.
    ///
    /// [`PendingLogin`]: portcullis_core::flows::PendingLogin
    pub fn set_pending(&mut self, p: &portcullis_core::flows::PendingLogin) {
        use portcullis_core::flows::PendingState;
        self.tf_clean();
        if p.remember {
            self.set(keys::TF_REMEMBER, json!(true));
        }
        self.set(keys::TF_USER_ID, json!(p.user));
        self.set(keys::TF_NONCE, json!(p.nonce));
        match p.state {
            PendingState::SetupFromLogin => self.set(keys::TF_STATE, json!("setup_from_login")),
            PendingState::Ready => self.set(keys::TF_STATE, json!("ready")),
            PendingState::Select => self.set(keys::TF_SELECT, json!(true)),
        }
    }

    /// Forgets any two-factor login in progress (`tf_clean_session`).
    pub fn tf_clean(&mut self) {
        for k in keys::TF_ALL {
            self.remove(k);
        }
    }

    /// Forgets the user and the CSRF token (the session side of Flask-Security's `logout_user`),
    /// and any two-factor login in progress.
    pub fn logout(&mut self) {
        self.tf_clean();
        for k in [
            keys::USER_ID,
            keys::FRESH,
            keys::FS_PAA,
            keys::FS_GEXP,
            keys::REMEMBER,
            keys::CSRF,
            keys::LOGGED_IN_AT,
            keys::CLIENT_ADDR,
            keys::USER_AGENT,
            keys::OAUTH_NEXT,
            keys::OAUTH_PENDING,
            keys::OAUTH_WANTS_TOKEN,
            keys::OAUTH_TOKEN,
        ] {
            self.remove(k);
        }
        self.renew = true;
    }

    /// Flask's `flash`: `message` shown by the next page rendered for
    /// this session (at most 16 wait; older ones are dropped first).
    pub fn flash(&mut self, category: &str, message: &str) {
        let mut list = self
            .values()
            .get(keys::FLASHES)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        list.push(json!([category, message]));
        let excess = list.len().saturating_sub(16);
        list.drain(..excess);
        self.set(keys::FLASHES, Value::Array(list));
    }

    /// Flask's `get_flashed_messages(with_categories=True)`: the waiting
    /// messages, removed from the session.
    pub fn take_flashes(&mut self) -> Vec<(String, String)> {
        let Some(list) = self.values().get(keys::FLASHES).cloned() else {
            return Vec::new();
        };
        self.remove(keys::FLASHES);
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|pair| match pair.as_array()?.as_slice() {
                [Value::String(c), Value::String(m)] => Some((c.clone(), m.clone())),
                _ => None,
            })
            .collect()
    }

    /// Flask-Login's `logout_user`: [`logout`](Self::logout), and the
    /// remember-me cookie cleared (when the request carries one). A session
    /// dropped because its user is gone is only `logout`: it asks no
    /// cookie change and leaves no value behind.
    pub fn logout_user(&mut self) {
        self.logout();
        self.set(keys::REMEMBER, json!("clear"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flashes_wait_for_the_next_page_and_survive_a_logout() {
        let mut s = SessionState::default();
        assert!(s.take_flashes().is_empty());
        s.flash("success", "one");
        s.login("uid", 1.0, false);
        s.logout_user();
        for n in 0..20 {
            s.flash("info", &format!("n{n}"));
        }
        let got = s.take_flashes();
        assert_eq!(got.len(), 16, "capped");
        assert_eq!(got[0], ("info".to_owned(), "n4".to_owned()));
        assert_eq!(got[15], ("info".to_owned(), "n19".to_owned()));
        assert!(s.take_flashes().is_empty(), "shown once");
        s.flash("success", "kept");
        s.logout();
        assert_eq!(
            s.take_flashes(),
            [("success".to_owned(), "kept".to_owned())]
        );
    }

    #[test]
    fn only_logout_user_asks_to_clear_the_remember_cookie() {
        let mut s = SessionState::default();
        s.login("uid", 1.0, true);
        assert_eq!(s.take_remember(), Some(true));
        // A session whose user is gone: emptied, nothing left to store.
        s.logout();
        assert!(s.values().is_empty(), "{:?}", s.values());
        assert_eq!(s.take_remember(), None);
        // A logout asked for: the cookie is cleared once.
        s.login("uid", 1.0, false);
        s.logout_user();
        assert_eq!(s.take_remember(), Some(false));
        assert_eq!(s.take_remember(), None);
        assert!(s.values().is_empty());
    }
}
