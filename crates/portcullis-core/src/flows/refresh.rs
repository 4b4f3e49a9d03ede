//! Refresh tokens (`SECURITY_REFRESH_TOKEN`, Flask-Security 5.9).
//!
//! Each response that carries an auth token also starts a refresh-token
//! *family*: a tracker row (`fs_refresh_tracker`) and a token
//! `{"ver":"1","uid","expires_at","last_used_at","name","family","gen"}`
//! signed, untimed, with `SECURITY_REFRESH_TOKEN_SALT` — the same bytes
//! Flask-Security issues, so tokens cross over both ways. Exchanging a
//! token at `/refresh-token` moves the family to the next generation and
//! returns a new auth token and refresh token; presenting an older
//! generation again revokes the family (a stolen token's replay ends it for
//! the thief and the owner alike). Logout revokes the family it is given.
//!
//! Stricter than Flask-Security: the generation moves atomically (of two
//! simultaneous uses of one token one succeeds, the other revokes the
//! family), an inactive user gets nothing, logout revokes only the
//! caller's own family, failures count against the client's address, and
//! the new auth token's `fs_paa` is the family's creation (the login that
//! started it), not the time of the refresh.

use chrono::{DateTime, Utc};
use portcullis_crypto::UrlSafeTimedSerializer;
use serde_json::{Value, json};

use super::errors::{FlowError, FormErrors};
use super::login::ClientInfo;
use super::service::Security;
use crate::events::Event;
use crate::messages::{Message, MessageKey};
use crate::models::{RefreshTracker, User};
use crate::store::{NewRefreshTracker, RefreshTrackerStore, new_uniquifier};
use crate::{Error, ErrorKind, Result};

/// Why a refresh token was refused (Flask-Security's `RefreshTokenErrors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshError {
    /// Not a token signed with the refresh salt.
    Invalid,
    /// The family is past `SECURITY_REFRESH_TOKEN_MAX_AGE`, or unused for
    /// longer than `SECURITY_REFRESH_TOKEN_MAX_IDLE`.
    Expired,
    /// No such family (cleaned up, or its user deleted).
    NotFound,
    /// An earlier generation: the token was used before. The family is
    /// revoked.
    GenMismatch,
    /// The family was revoked (logout, reuse, access reset).
    Revoked,
}

impl RefreshError {
    /// Flask-Security's name, as its message shows it.
    pub fn name(self) -> &'static str {
        match self {
            RefreshError::Invalid => "INVALID",
            RefreshError::Expired => "EXPIRED",
            RefreshError::NotFound => "NOT_FOUND",
            RefreshError::GenMismatch => "GEN_MISMATCH",
            RefreshError::Revoked => "REVOKED",
        }
    }
}

/// A successful exchange.
#[derive(Debug, Clone)]
pub struct Refreshed {
    /// Whose tokens they are.
    pub user: User,
    /// A new auth token.
    pub auth_token: String,
    /// The family's next refresh token.
    pub refresh_token: String,
}

/// A token as Flask-Security signs it.
fn token_data(t: &RefreshTracker, uid: &str) -> Value {
    json!({
        "ver": "1",
        "uid": uid,
        "expires_at": python_timestamp(t.expires_at),
        "last_used_at": python_timestamp(t.last_used_at),
        "name": t.name,
        "family": t.refresh_family,
        "gen": t.generation,
    })
}

/// `datetime.timestamp()` of a naive UTC time (informational only: the
/// tracker row decides).
fn python_timestamp(t: DateTime<Utc>) -> f64 {
    t.timestamp_micros() as f64 / 1e6
}

/// What a signed token names.
struct Claims {
    family: String,
    generation: i64,
    uid: String,
}

fn claims(v: &Value) -> Option<Claims> {
    Some(Claims {
        family: v.get("family")?.as_str()?.to_owned(),
        generation: v.get("gen")?.as_i64()?,
        uid: v.get("uid")?.as_str()?.to_owned(),
    })
}

impl Security {
    /// Whether refresh tokens are on.
    pub fn refresh_tokens_enabled(&self) -> bool {
        self.refresh_parts().is_some()
    }

    fn refresh_parts(&self) -> Option<(&UrlSafeTimedSerializer, &dyn RefreshTrackerStore)> {
        self.inner_refresh().map(|(s, store)| (s, store.as_ref()))
    }

    /// A new refresh-token family for `user` (after cleaning up its
    /// expired and/or revoked trackers, as configured); `None` when refresh
    /// tokens are off.
    pub async fn issue_refresh_token(&self, user: &User) -> Result<Option<String>> {
        let Some((serializer, store)) = self.refresh_parts() else {
            return Ok(None);
        };
        let c = self.config();
        let now = self.now();
        store
            .cleanup_refresh_trackers(
                user.id,
                now,
                c.refresh_token_cleanup_expired,
                c.refresh_token_cleanup_revoked,
            )
            .await?;
        let new = NewRefreshTracker {
            refresh_family: new_uniquifier(),
            name: "default".into(),
            expires_at: now + c.refresh_token_max_age,
            at: now,
        };
        let t = store.create_refresh_tracker(user.id, new).await?;
        let token = serializer.dumps_untimed(&token_data(&t, user.token_uniquifier()));
        self.emit(Event::RefreshTrackerCreated {
            user: Box::new(user.clone()),
            family: t.refresh_family,
        })
        .await;
        Ok(Some(token))
    }

    /// `POST /refresh-token`: exchanges a refresh token for a new auth
    /// token and the family's next refresh token. Refusals are form errors
    /// on `refresh_token` (`REFRESH_TOKEN_INVALID` with the reason,
    /// `USER_DOES_NOT_EXIST`, `DISABLED_ACCOUNT`) and count against the
    /// client's address; reuse of an earlier generation revokes the family.
    pub async fn refresh(&self, token: &str, client: &ClientInfo) -> Result<Refreshed, FlowError> {
        self.guard_address(client).await?;
        let (serializer, store) = self
            .refresh_parts()
            .ok_or_else(|| Error::new(ErrorKind::Config, "refresh tokens are off"))?;
        let refused = match self.check_refresh(serializer, store, token).await? {
            Ok((tracker, user)) => match self.exchange(serializer, store, tracker, user).await? {
                Ok(done) => return Ok(done),
                Err(e) => e,
            },
            Err(e) => e,
        };
        self.attempt_failed(None, "", client).await?;
        Err(FormErrors::field("refresh_token", refused).into())
    }

    /// The tracker and active user a token names, or the refusal.
    async fn check_refresh(
        &self,
        serializer: &UrlSafeTimedSerializer,
        store: &dyn RefreshTrackerStore,
        token: &str,
    ) -> Result<Result<(RefreshTracker, User), Message>> {
        let invalid =
            |e: RefreshError| Message::new(MessageKey::RefreshTokenInvalid).arg("reason", e.name());
        let Some(claims) = serializer
            .loads_untimed(token)
            .ok()
            .as_ref()
            .and_then(claims)
        else {
            return Ok(Err(invalid(RefreshError::Invalid)));
        };
        let Some(tracker) = store.find_refresh_tracker(&claims.family).await? else {
            return Ok(Err(invalid(RefreshError::NotFound)));
        };
        let user = self
            .store()
            .find_user_by_token_uniquifier(&claims.uid)
            .await?;
        if let Some(e) = self.tracker_refusal(&tracker, claims.generation) {
            if e == RefreshError::GenMismatch {
                self.revoke_tracker(store, &tracker, user.as_ref(), Some(e))
                    .await?;
            }
            return Ok(Err(invalid(e)));
        }
        match user {
            Some(u) if u.id != tracker.user_id => Ok(Err(invalid(RefreshError::Invalid))),
            Some(u) if !u.active => Ok(Err(MessageKey::DisabledAccount.into())),
            Some(u) => Ok(Ok((tracker, u))),
            None => Ok(Err(MessageKey::UserDoesNotExist.into())),
        }
    }

    /// Flask-Security's checks, in its order.
    fn tracker_refusal(&self, t: &RefreshTracker, generation: i64) -> Option<RefreshError> {
        let now = self.now();
        if t.generation != generation {
            Some(RefreshError::GenMismatch)
        } else if t.expires_at < now || now - t.last_used_at > self.config().refresh_token_max_idle
        {
            Some(RefreshError::Expired)
        } else if t.revoked_at.is_some_and(|r| r <= now) {
            Some(RefreshError::Revoked)
        } else {
            None
        }
    }

    /// Moves the family on and issues the pair; a lost race is a reuse.
    async fn exchange(
        &self,
        serializer: &UrlSafeTimedSerializer,
        store: &dyn RefreshTrackerStore,
        tracker: RefreshTracker,
        user: User,
    ) -> Result<Result<Refreshed, Message>> {
        let Some(next) = store
            .exchange_refresh_tracker(tracker.id, tracker.generation, self.now())
            .await?
        else {
            let e = RefreshError::GenMismatch;
            self.revoke_tracker(store, &tracker, Some(&user), Some(e))
                .await?;
            return Ok(Err(
                Message::new(MessageKey::RefreshTokenInvalid).arg("reason", e.name())
            ));
        };
        let refresh_token = serializer.dumps_untimed(&token_data(&next, user.token_uniquifier()));
        let auth_token = self.issue_auth_token(&user, python_timestamp(next.create_datetime));
        Ok(Ok(Refreshed {
            user,
            auth_token,
            refresh_token,
        }))
    }

    async fn revoke_tracker(
        &self,
        store: &dyn RefreshTrackerStore,
        tracker: &RefreshTracker,
        user: Option<&User>,
        reason: Option<RefreshError>,
    ) -> Result<()> {
        if store.revoke_refresh_tracker(tracker.id, self.now()).await? {
            self.emit(Event::RefreshTrackerRevoked {
                user: user.map(|u| Box::new(u.clone())),
                family: tracker.refresh_family.clone(),
                reason,
            })
            .await;
        }
        Ok(())
    }

    /// At logout: revokes the family `token` names when it is `user`'s
    /// and still live; `true` when it did. Anything else is ignored, as
    /// Flask-Security's logout ignores a bad refresh token.
    pub async fn revoke_refresh_token(&self, token: &str, user: &User) -> Result<bool> {
        let Some((serializer, store)) = self.refresh_parts() else {
            return Ok(false);
        };
        let Some(claims) = serializer
            .loads_untimed(token)
            .ok()
            .as_ref()
            .and_then(claims)
        else {
            return Ok(false);
        };
        match store.find_refresh_tracker(&claims.family).await? {
            Some(t) if t.user_id == user.id && t.revoked_at.is_none() => {
                self.revoke_tracker(store, &t, Some(user), None).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
