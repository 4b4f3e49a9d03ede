//! Login by password, re-authentication, freshness.

use chrono::TimeDelta;

use super::errors::{FlowError, FormErrors};
use super::service::Security;
use crate::config::{IdentityAttr, IdentityMapper};
use crate::events::{AuthnVia, Event};
use crate::messages::MessageKey;
use crate::models::User;
use crate::store::UserPatch;
use crate::validation::canonical_phone;
use crate::{Result, SecretString};

/// Who is asking (for login tracking).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// The client's address (`remote_addr`).
    pub remote_addr: Option<String>,
}

/// Flask-Security's login form.
#[derive(Clone, Default)]
pub struct LoginForm {
    /// Email (the identity, unless a username is given with usernames on).
    pub email: Option<String>,
    /// Username (with `SECURITY_USERNAME_ENABLE`).
    pub username: Option<String>,
    /// Password.
    pub password: Option<SecretString>,
    /// Remember me (default `SECURITY_DEFAULT_REMEMBER_ME`).
    pub remember: Option<bool>,
}

impl std::fmt::Debug for LoginForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginForm")
            .field("email", &self.email)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A user who has just authenticated: what the web layer puts into the
/// session (`fs_uniquifier`, `fs_paa`) or an auth token.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The user, as stored after login tracking.
    pub user: User,
    /// When the primary authentication happened (Unix seconds).
    pub fs_paa: f64,
    /// How.
    pub authn_via: Vec<AuthnVia>,
    /// Remember me.
    pub remember: bool,
}

/// The result of a freshness check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Freshness {
    /// Fresh enough; a session should store `grace_until` (`fs_gexp`).
    Fresh {
        /// New end of the grace period (Unix seconds), for sessions.
        grace_until: i64,
    },
    /// Re-authentication is needed.
    Stale,
}

/// A guard's verdict where refusals are not errors: `Ok(true)` to go on,
/// `Ok(false)` when refused, `Err` when the store failed.
fn refused_or_error(r: Result<(), FlowError>) -> Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(FlowError::Internal(e)) => Err(e),
        Err(_) => Ok(false),
    }
}

pub(crate) fn filled(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

pub(crate) fn filled_secret(v: &Option<SecretString>) -> Option<&str> {
    v.as_ref()
        .map(SecretString::expose)
        .filter(|s| !s.is_empty())
}

impl Security {
    /// Logs a user in by password, as Flask-Security's `LoginForm` does:
    /// the identity is the email, or the username when usernames are on and
    /// no email is given. Unknown users cost a hash's time. Upgrades the
    /// stored hash when it needs it, records the login (trackable), emits
    /// `user-authenticated`. With `SECURITY_RETURN_GENERIC_RESPONSES`, every
    /// identity or password error becomes the one generic message.
    pub async fn login(
        &self,
        form: LoginForm,
        client: &ClientInfo,
    ) -> Result<Authenticated, FlowError> {
        let (user, remember) = self.authenticate_password(form, client).await?;
        Ok(self
            .complete_login(user, vec![AuthnVia::Password], remember, client)
            .await?)
    }

    /// The first factor of [`login`](Self::login) alone: checks the form
    /// and the password and returns the user and their remember-me choice,
    /// without logging them in (no tracking, no event). The web layer calls
    /// it when a second factor may follow, then
    /// [`complete_login`](Self::complete_login). Attempt limits apply
    /// (429 as [`FlowError::Limited`]); a wrong password counts against
    /// the client address, the identity from it, and the account.
    pub async fn authenticate_password(
        &self,
        form: LoginForm,
        client: &ClientInfo,
    ) -> Result<(User, bool), FlowError> {
        match self.check_login(&form, client).await? {
            Ok(user) => {
                let remember = form.remember.unwrap_or(self.config().default_remember_me);
                Ok((user, remember))
            }
            Err(mut errors) => {
                if self.config().return_generic_responses {
                    errors.squash(
                        &["email", "password", "username"],
                        MessageKey::GenericAuthnFailed,
                    );
                }
                Err(FlowError::Form(errors))
            }
        }
    }

    async fn check_login(
        &self,
        form: &LoginForm,
        client: &ClientInfo,
    ) -> Result<Result<User, FormErrors>, FlowError> {
        let mut errors = FormErrors::new();
        let config = self.config();
        let email = filled(&form.email);
        let username = if config.username_enable {
            filled(&form.username)
        } else {
            None
        };
        let password = filled_secret(&form.password);
        let mut ifield = "email";
        let mut lookup: Option<(IdentityAttr, String)> = None;
        match (email, username) {
            (Some(e), _) => match config.email_validator_args.validate(e) {
                Ok(n) => lookup = Some((IdentityAttr::Email, n)),
                Err(m) => errors.add("email", m),
            },
            (None, Some(u)) => {
                ifield = "username";
                match self.username_policy().normalize(u) {
                    Some(n) => lookup = Some((IdentityAttr::Username, n)),
                    None => errors.add("username", MessageKey::UserDoesNotExist),
                }
            }
            // With usernames on, Flask-Security's email field is optional:
            // no identity at all is the form's USER_DOES_NOT_EXIST (once
            // the password's own check has passed).
            (None, None) if config.username_enable => {
                if password.is_some() {
                    errors.add("", MessageKey::UserDoesNotExist);
                }
            }
            (None, None) => errors.add("email", MessageKey::EmailNotProvided),
        }
        if password.is_none() {
            errors.add("password", MessageKey::PasswordNotProvided);
        }
        let (Some((attr, value)), Some(password), true) = (lookup, password, errors.is_empty())
        else {
            return Ok(Err(errors));
        };
        let case_insensitive = config
            .user_identity_attributes
            .iter()
            .find(|a| a.attr == attr)
            .is_none_or(|a| a.case_insensitive);
        self.guard_address(client).await?;
        let found = self
            .store()
            .find_user_by_identity(attr, &value, case_insensitive)
            .await?;
        self.guard_identity(found.as_ref(), &value, client).await?;
        let Some(user) = found else {
            self.burn_hash(password).await?;
            self.attempt_failed(None, &value, client).await?;
            errors.add(ifield, MessageKey::UserDoesNotExist);
            return Ok(Err(errors));
        };
        let Some(user) = self.check_password(user.clone(), password).await? else {
            self.attempt_failed(Some(&user), &value, client).await?;
            errors.add("password", MessageKey::InvalidPassword);
            return Ok(Err(errors));
        };
        if !user.active {
            errors.add(ifield, MessageKey::DisabledAccount);
        } else if let Some(m) = self.app_lock(&user).await {
            errors.add(ifield, m);
        } else if self.requires_confirmation(&user) {
            errors.add(ifield, MessageKey::ConfirmationRequired);
        }
        Ok(if errors.is_empty() {
            Ok(user)
        } else {
            Err(errors)
        })
    }

    /// HTTP Basic: the active user `identity` (any identity attribute)
    /// names, if `password` is theirs. Unknown identities cost a hash's
    /// time. Attempt limits apply as at login: over a budget, or with the
    /// account locked, the answer is `None` without a password check.
    pub async fn verify_credentials(
        &self,
        identity: &str,
        password: &str,
        client: &ClientInfo,
    ) -> Result<Option<User>> {
        if !refused_or_error(self.guard_address(client).await)? {
            return Ok(None);
        }
        let found = self.lookup_identity(identity).await?;
        if !refused_or_error(self.guard_identity(found.as_ref(), identity, client).await)? {
            return Ok(None);
        }
        let Some(user) = found else {
            self.burn_hash(password).await?;
            self.attempt_failed(None, identity, client).await?;
            return Ok(None);
        };
        let Some(user) = self.check_password(user.clone(), password).await? else {
            self.attempt_failed(Some(&user), identity, client).await?;
            return Ok(None);
        };
        Ok(Some(user).filter(|u| u.active && !self.requires_confirmation(u)))
    }

    /// Flask-Security's `lookup_identity`: the first identity attribute
    /// (`SECURITY_USER_IDENTITY_ATTRIBUTES`, in order) whose mapper accepts
    /// `identity` decides, whether or not it finds a user.
    pub async fn lookup_identity(&self, identity: &str) -> Result<Option<User>> {
        for attr in &self.config().user_identity_attributes {
            let value = match &attr.mapper {
                IdentityMapper::Email => self.email_policy().validate(identity).ok(),
                IdentityMapper::Username => self.username_policy().normalize(identity),
                IdentityMapper::Phone => {
                    canonical_phone(identity, &self.config().phone_region_default)
                }
                IdentityMapper::Custom(name) => self.mappers().map(name, identity),
            };
            if let Some(v) = value {
                return self
                    .store()
                    .find_user_by_identity(attr.attr, &v, attr.case_insensitive)
                    .await;
            }
        }
        Ok(None)
    }

    /// Whether the user must confirm their email before logging in.
    pub fn requires_confirmation(&self, user: &User) -> bool {
        let c = self.config();
        c.confirmable && !c.login_without_confirmation && user.confirmed_at.is_none()
    }

    /// Verifies `password` for `user` (`verify_and_update_password`):
    /// returns the user (re-read if its hash was upgraded) when it matches;
    /// on a mismatch emits `user-failed-authn`. Users without a password
    /// still cost a hash's time.
    pub(crate) async fn check_password(&self, user: User, password: &str) -> Result<Option<User>> {
        let Some(stored) = user.password.as_ref().map(|p| p.expose().to_owned()) else {
            self.burn_hash(password).await?;
            self.emit(Event::UserFailedAuthn {
                user: Some(Box::new(user)),
                auth_type: "password",
                tfa: false,
            })
            .await;
            return Ok(None);
        };
        let verified = self.verify_password(password, &stored).await?;
        if !verified.matches {
            self.emit(Event::UserFailedAuthn {
                user: Some(Box::new(user)),
                auth_type: "password",
                tfa: false,
            })
            .await;
            return Ok(None);
        }
        if verified.needs_update {
            let new_hash = self.hash_password(password).await?;
            let patch = UserPatch {
                password: Some(Some(SecretString::new(new_hash))),
                ..UserPatch::default()
            };
            match self.store().update_user(user.id, patch).await {
                Ok(updated) => return Ok(Some(updated)),
                // The login still succeeds; the upgrade is tried again next time.
                Err(e) => {
                    tracing::warn!(error = %e, user = user.id, "could not upgrade a password hash")
                }
            }
        }
        Ok(Some(user))
    }

    /// Flask-Security's `login_user`: login tracking (when trackable) and
    /// `user-authenticated`. Returns what the session or token records.
    pub async fn complete_login(
        &self,
        user: User,
        authn_via: Vec<AuthnVia>,
        remember: bool,
        client: &ClientInfo,
    ) -> Result<Authenticated> {
        self.attempt_passed(&user, client).await?;
        let user = if self.config().trackable {
            self.store()
                .record_login(user.id, client.remote_addr.as_deref(), self.now())
                .await?
        } else {
            user
        };
        self.emit(Event::UserAuthenticated {
            user: Box::new(user.clone()),
            authn_via: authn_via.clone(),
        })
        .await;
        Ok(Authenticated {
            user,
            fs_paa: self.clock().unix_time(),
            authn_via,
            remember,
        })
    }

    /// An automatic login after registration, confirmation or a reset:
    /// completed unless a second factor is due (then `None`, and nothing is
    /// recorded: the web layer starts the second factor with the user).
    /// A "remember this device" cookie is not consulted here, so it never
    /// lets an automatic login skip the second factor.
    pub(crate) async fn auto_login(
        &self,
        user: &User,
        via: AuthnVia,
        client: &ClientInfo,
    ) -> Result<(Option<Authenticated>, bool)> {
        if self.tf_required(user, None).await? {
            return Ok((None, true));
        }
        let a = self
            .complete_login(user.clone(), vec![via], false, client)
            .await?;
        Ok((Some(a), false))
    }

    /// `/verify`: re-authenticates `user` by password; returns the new
    /// `fs_paa`.
    pub async fn reauthenticate(
        &self,
        user: &User,
        password: Option<&SecretString>,
        client: &ClientInfo,
    ) -> Result<f64, FlowError> {
        let Some(pw) = password.map(SecretString::expose).filter(|p| !p.is_empty()) else {
            return Err(FormErrors::field("password", MessageKey::PasswordNotProvided).into());
        };
        self.guard_user(user, client).await?;
        match self.check_password(user.clone(), pw).await? {
            Some(_) => {
                self.attempt_passed(user, client).await?;
                Ok(self.clock().unix_time())
            }
            None => {
                self.attempt_failed(Some(user), "", client).await?;
                Err(FormErrors::field("password", MessageKey::InvalidPassword).into())
            }
        }
    }

    /// Flask-Security's `check_and_update_authn_fresh`: `within` negative
    /// means always fresh; within the grace period (sessions only) it is
    /// fresh and the grace is extended; otherwise fresh only if the last
    /// primary authentication (`fs_paa`) is less than `within` ago.
    pub fn check_freshness(
        &self,
        fs_paa: Option<f64>,
        grace_until: Option<i64>,
        within: TimeDelta,
        grace: TimeDelta,
    ) -> Freshness {
        let now = self.clock().unix_time();
        let next_grace = now as i64 + grace.num_seconds();
        if within.num_seconds() < 0 {
            return Freshness::Fresh {
                grace_until: next_grace,
            };
        }
        if grace_until.is_some_and(|g| (now as i64) < g) {
            return Freshness::Fresh {
                grace_until: next_grace,
            };
        }
        match fs_paa {
            Some(paa) if paa > 0.0 && (now - paa).abs() < within.num_seconds() as f64 => {
                Freshness::Fresh {
                    grace_until: next_grace,
                }
            }
            _ => Freshness::Stale,
        }
    }
}
