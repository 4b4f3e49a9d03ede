//! Auth tokens, session users, and the signed links sent by mail.

use chrono::TimeDelta;
use portcullis_crypto::{AuthToken, TokenError};
use serde_json::Value;

use super::service::Security;
use crate::Result;
use crate::models::User;

/// The links Portcullis mails, each signed with its own serializer (salt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkKind {
    /// `SECURITY_CONFIRM_SALT`.
    Confirm,
    /// `SECURITY_RESET_SALT`.
    Reset,
    /// `SECURITY_CHANGE_EMAIL_SALT`.
    ChangeEmail,
    /// `SECURITY_LOGIN_SALT` (passwordless).
    Login,
}

/// A request authenticated by an auth token.
#[derive(Debug, Clone)]
pub struct TokenAuth {
    /// The user (active).
    pub user: User,
    /// The verified token (its `fs_paa` serves freshness checks).
    pub token: AuthToken,
}

/// The login a Flask session cookie held (see
/// [`Security::adopt_flask_session`]).
#[derive(Debug, Clone)]
pub struct FlaskSession {
    /// The user (active).
    pub user: User,
    /// Flask-Login's `_fresh`.
    pub fresh: bool,
    /// Flask-Security's `fs_paa`, when the session had one.
    pub fs_paa: Option<f64>,
}

/// What a mailed link's token turned out to be.
#[derive(Debug)]
pub(crate) enum LinkStatus {
    /// Signed, in time, and its user exists.
    Valid { payload: Vec<Value>, user: User },
    /// Signed but too old; the user, when it still exists.
    Expired { user: Option<User> },
    /// Anything else.
    Invalid,
}

impl Security {
    /// Issues an auth token for `user`, recording `fs_paa` (when the user
    /// last authenticated with a primary factor).
    pub fn issue_auth_token(&self, user: &User, fs_paa: f64) -> String {
        self.auth_tokens()
            .issue(user.token_uniquifier(), fs_paa, 0, None, self.now_secs())
    }

    /// The active user an auth token names, or `None` for a bad, expired or
    /// orphaned token, or an inactive user.
    pub async fn authenticate_token(&self, token: &str) -> Result<Option<TokenAuth>> {
        let Ok(token) = self.auth_tokens().verify(token, self.clock().unix_time()) else {
            return Ok(None);
        };
        let user = self
            .store()
            .find_user_by_token_uniquifier(&token.uid)
            .await?;
        Ok(user
            .filter(|u| u.active)
            .map(|user| TokenAuth { user, token }))
    }

    /// Flask-Login's remember-me cookie for the user whose
    /// `fs_uniquifier` this is (signed with `SECRET_KEY`).
    pub fn remember_cookie(&self, fs_uniquifier: &str) -> String {
        match self.config().secret_key.as_ref() {
            Some(key) => portcullis_crypto::remember_cookie::encode(fs_uniquifier, key),
            None => String::new(),
        }
    }

    /// The active user a remember-me cookie names, when `SECRET_KEY` (or a
    /// fallback) signed it and the user's `fs_uniquifier` has not rotated.
    pub async fn remembered_user(&self, cookie: &str) -> Result<Option<User>> {
        let keys = self.config().secret_keys();
        let Some(uid) = portcullis_crypto::remember_cookie::decode(cookie, &keys) else {
            return Ok(None);
        };
        self.load_session_user(&uid).await
    }

    /// The cutover from a Flask-Security app
    /// (`SECURITY_DANGER_ACCEPT_FLASK_SESSIONS_UNTIL`): the login a Flask
    /// session cookie holds — signed with `SECRET_KEY` (or a fallback) by
    /// Flask's recipe, at most 31 days old (Flask's default
    /// `PERMANENT_SESSION_LIFETIME`), naming an active user by
    /// `fs_uniquifier`, presented before the deadline and **for the first
    /// time** (a replay gets nothing). A half-finished second factor in it
    /// is not carried over: that user signs in again. `None` for anything
    /// else.
    pub async fn adopt_flask_session(&self, cookie: &str) -> Result<Option<FlaskSession>> {
        let Some(until) = self.config().flask_sessions_until() else {
            return Ok(None);
        };
        let now = self.now();
        if now >= until {
            return Ok(None);
        }
        let c = self.config();
        let keys = c.secret_key_fallbacks.iter().chain(c.secret_key.iter());
        let Ok(serializer) = portcullis_crypto::UrlSafeTimedSerializer::flask_session(keys) else {
            return Ok(None);
        };
        let Ok(loaded) = serializer.loads(cookie, Some(31 * 86_400), self.now_secs()) else {
            return Ok(None);
        };
        let Some(uid) = loaded.payload.get("_user_id").and_then(Value::as_str) else {
            return Ok(None);
        };
        let key = super::limits::attempt_keys::flask_session(cookie);
        if !self.attempts().raise(&key, 1, until, now).await? {
            return Ok(None);
        }
        let Some(user) = self.load_session_user(uid).await? else {
            return Ok(None);
        };
        tracing::info!(
            user = user.id,
            "a Flask session was exchanged for a Portcullis one"
        );
        Ok(Some(FlaskSession {
            user,
            fresh: loaded.payload.get("_fresh").and_then(Value::as_bool) == Some(true),
            fs_paa: loaded.payload.get("fs_paa").and_then(Value::as_f64),
        }))
    }

    /// The active user a session names (by `fs_uniquifier`), or `None`.
    pub async fn load_session_user(&self, fs_uniquifier: &str) -> Result<Option<User>> {
        Ok(self
            .store()
            .find_user_by_uniquifier(fs_uniquifier)
            .await?
            .filter(|u| u.active))
    }

    pub(crate) fn sign_link(&self, kind: LinkKind, payload: &Value) -> String {
        self.serializer(kind).dumps(payload, self.now_secs())
    }

    /// Checks a mailed link's token: `[fs_uniquifier, …]`, signed for
    /// `kind`, at most `within` old.
    pub(crate) async fn check_link(
        &self,
        kind: LinkKind,
        token: &str,
        within: TimeDelta,
    ) -> Result<LinkStatus> {
        let (payload, expired) =
            match self
                .serializer(kind)
                .loads(token, Some(within.num_seconds()), self.now_secs())
            {
                Ok(l) => (l.payload, false),
                Err(TokenError::Expired { payload, .. }) => (payload, true),
                Err(_) => return Ok(LinkStatus::Invalid),
            };
        let Value::Array(items) = payload else {
            return Ok(LinkStatus::Invalid);
        };
        let Some(uid) = items.first().and_then(Value::as_str) else {
            return Ok(LinkStatus::Invalid);
        };
        let user = self.store().find_user_by_uniquifier(uid).await?;
        Ok(match (user, expired) {
            (user, true) => LinkStatus::Expired { user },
            (Some(user), false) => LinkStatus::Valid {
                payload: items,
                user,
            },
            (None, false) => LinkStatus::Invalid,
        })
    }
}
