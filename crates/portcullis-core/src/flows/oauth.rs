//! Social and OpenID Connect login (`SECURITY_OAUTH_ENABLE`), as
//! Flask-Security's `oauth_glue`: a start that sends the browser to the
//! provider, and a response that finds the user the provider names and
//! logs them in through the login step (a due second factor is still
//! asked for), or re-authenticates the signed-in user.
//!
//! Unlike Flask-Security, which lets authlib keep them, the `state`, the
//! nonce and the PKCE verifier are made and checked here; see
//! [`crate::oauth`].

use std::sync::Arc;

use portcullis_crypto::random;
use portcullis_crypto::secret::ct_eq;

use super::errors::{FlowError, FormErrors};
use super::login::ClientInfo;
use super::login_step::LoginStep;
use super::service::Security;
use crate::config::{IdentityAttr, IdentityMapper};
use crate::events::{AuthnVia, Event};
use crate::messages::{Message, MessageKey};
use crate::models::User;
use crate::oauth::{
    OAuthAuthorize, OAuthExchange, OAuthFailure, OAuthIdentity, OAuthPending, OAuthProvider,
    OAuthPurpose, OAuthResponse,
};
use crate::store::NewUser;

/// How long the provider may take to send the browser back.
const PENDING_FOR_SECS: i64 = 600;

/// A refusal as the user sees it: `OAUTH_HANDSHAKE_ERROR` with the
/// failure's code and description.
fn handshake(f: &OAuthFailure) -> FlowError {
    tracing::info!(error = %f.error, "an OAuth handshake failed");
    let m = Message::new(MessageKey::OauthHandshakeError)
        .arg("exerror", f.error.clone())
        .arg("exdesc", f.description.clone());
    FlowError::Form(FormErrors::form(m))
}

fn random_token() -> Result<String, FlowError> {
    let bytes = random::bytes::<32>()
        .map_err(|e| FlowError::Internal(crate::Error::internal(e.to_string())))?;
    Ok(portcullis_crypto::encoding::urlsafe_encode(&bytes))
}

impl Security {
    /// The provider called `name`, if it is offered.
    pub fn oauth_provider(&self, name: &str) -> Option<&Arc<dyn OAuthProvider>> {
        self.oauth_providers().iter().find(|p| p.name() == name)
    }

    /// The names of the providers offered (`oauth_providers` in
    /// Flask-Security's `GET /verify`).
    pub fn oauth_provider_names(&self) -> Vec<String> {
        self.oauth_providers()
            .iter()
            .map(|p| p.name().to_owned())
            .collect()
    }

    /// Starts an authorization request to `name` for `purpose`, the
    /// provider to send the browser back to `redirect_uri`: the URL to
    /// redirect to, and the secrets to keep in the session. `None` when no
    /// such provider is offered (404).
    pub async fn oauth_start(
        &self,
        name: &str,
        purpose: OAuthPurpose,
        redirect_uri: &str,
    ) -> Result<Option<(String, OAuthPending)>, FlowError> {
        let Some(provider) = self.oauth_provider(name) else {
            return Ok(None);
        };
        let pending = OAuthPending {
            provider: name.to_owned(),
            purpose,
            state: random_token()?,
            nonce: random_token()?,
            pkce_verifier: random_token()?,
            redirect_uri: redirect_uri.to_owned(),
            started: self.now_secs(),
        };
        let url = provider
            .authorization_url(&OAuthAuthorize {
                redirect_uri: &pending.redirect_uri,
                state: &pending.state,
                nonce: &pending.nonce,
                pkce_verifier: &pending.pkce_verifier,
            })
            .await
            .map_err(|f| handshake(&f))?;
        Ok(Some((url, pending)))
    }

    /// The provider's answer for `name`: checks it against `pending` (the
    /// session's, taken out of it by the caller so it is used once),
    /// exchanges the code and maps the identity. Returns the identity's
    /// mapped value and the user it names, if any. Every refusal is
    /// `OAUTH_HANDSHAKE_ERROR` and counts against the client address.
    async fn oauth_identify(
        &self,
        name: &str,
        purpose: OAuthPurpose,
        pending: Option<OAuthPending>,
        response: &OAuthResponse,
        client: &ClientInfo,
    ) -> Result<(String, OAuthIdentity, Option<User>), FlowError> {
        self.guard_address(client).await?;
        let exchanged = self.oauth_exchange(name, purpose, pending, response).await;
        let identity = match exchanged {
            Ok(i) => i,
            Err(f) => {
                self.attempt_failed(None, &format!("oauth:{name}"), client)
                    .await?;
                return Err(handshake(&f));
            }
        };
        let Some((attr, value)) = self.oauth_map_identity(&identity) else {
            return Err(handshake(&OAuthFailure::new(
                "Config error",
                format!("Invalid identity attribute: {}", identity.attribute),
            )));
        };
        let case_insensitive = self
            .config()
            .user_identity_attributes
            .iter()
            .find(|a| a.attr == attr)
            .is_none_or(|a| a.case_insensitive);
        let user = self
            .store()
            .find_user_by_identity(attr, &value, case_insensitive)
            .await?;
        Ok((value, identity, user))
    }

    /// Checks the answer against the pending request and exchanges the code.
    async fn oauth_exchange(
        &self,
        name: &str,
        purpose: OAuthPurpose,
        pending: Option<OAuthPending>,
        response: &OAuthResponse,
    ) -> Result<OAuthIdentity, OAuthFailure> {
        let provider = self
            .oauth_provider(name)
            .ok_or_else(|| OAuthFailure::new("unknown_provider", "No such provider."))?;
        let mismatch = || {
            OAuthFailure::new(
                "mismatching_state",
                "CSRF Warning! State not equal in request and response.",
            )
        };
        let pending = pending.ok_or_else(mismatch)?;
        let state = response.state.as_deref().unwrap_or_default();
        if pending.provider != name
            || pending.purpose != purpose
            || !ct_eq(pending.state.as_bytes(), state.as_bytes())
        {
            return Err(mismatch());
        }
        if self.now_secs() - pending.started > PENDING_FOR_SECS {
            return Err(OAuthFailure::new(
                "expired_state",
                "The sign-in took too long; please try again.",
            ));
        }
        if let Some(error) = response.error.as_deref() {
            return Err(OAuthFailure::new(
                error,
                response.error_description.clone().unwrap_or_default(),
            ));
        }
        let code = response
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| OAuthFailure::new("missing_code", "The provider sent no code."))?;
        provider
            .identity(&OAuthExchange {
                redirect_uri: &pending.redirect_uri,
                code,
                pkce_verifier: &pending.pkce_verifier,
                nonce: &pending.nonce,
            })
            .await
    }

    /// The identity's attribute, if it is one of
    /// `SECURITY_USER_IDENTITY_ATTRIBUTES`, and its value through the
    /// attribute's mapper.
    fn oauth_map_identity(&self, identity: &OAuthIdentity) -> Option<(IdentityAttr, String)> {
        let attr = self
            .config()
            .user_identity_attributes
            .iter()
            .find(|a| a.attr.name() == identity.attribute)?;
        let value = match &attr.mapper {
            IdentityMapper::Email => self.email_policy().validate(&identity.value).ok(),
            IdentityMapper::Username => self.username_policy().normalize(&identity.value),
            IdentityMapper::Phone => crate::validation::canonical_phone(
                &identity.value,
                &self.config().phone_region_default,
            ),
            IdentityMapper::Custom(name) => self.mappers().map(name, &identity.value),
        }?;
        Some((attr.attr, value))
    }

    /// `GET /login/oauthresponse/<name>`: the user the provider names,
    /// active and not locked, through the login step (`authn_via` oauth;
    /// a due second factor is asked for, `validity` being the request's
    /// "remember this device" token). An unknown identity is refused
    /// (`IDENTITY_NOT_REGISTERED`) unless `SECURITY_OAUTH_REGISTER_VERIFIED`
    /// is on and the provider verified the email address.
    pub async fn oauth_login(
        &self,
        name: &str,
        pending: Option<OAuthPending>,
        response: &OAuthResponse,
        validity: Option<&str>,
        client: &ClientInfo,
    ) -> Result<LoginStep, FlowError> {
        let (value, identity, user) = self
            .oauth_identify(name, OAuthPurpose::Login, pending, response, client)
            .await?;
        let user = match user {
            Some(u) => u,
            None => match self.oauth_register(&identity, &value).await? {
                Some(u) => u,
                None => {
                    let m = Message::new(MessageKey::IdentityNotRegistered).arg("id", value);
                    return Err(FormErrors::form(m).into());
                }
            },
        };
        if !user.active {
            return Err(FormErrors::form(MessageKey::DisabledAccount).into());
        }
        if let Some(m) = self.app_lock(&user).await {
            return Err(FormErrors::form(m).into());
        }
        self.guard_lock(&user).await?;
        self.start_login(user, AuthnVia::Oauth, false, validity, client)
            .await
    }

    /// The opt-in registration of an unknown, provider-verified email
    /// address: a confirmed user without a password.
    async fn oauth_register(
        &self,
        identity: &OAuthIdentity,
        email: &str,
    ) -> Result<Option<User>, FlowError> {
        if !self.config().oauth_register_verified
            || identity.attribute != "email"
            || !identity.email_verified
        {
            return Ok(None);
        }
        let new = NewUser {
            confirmed_at: Some(self.now()),
            ..NewUser::new(email.to_owned(), None)
        };
        let user = self.store().create_user(new).await?;
        let user = self.us_setup_email(user).await?;
        self.emit(Event::UserRegistered {
            user: Box::new(user.clone()),
        })
        .await;
        Ok(Some(user))
    }

    /// `GET /login/oauth-verify-response/<name>`: re-authenticates
    /// `current` when the provider names them (the same user; emails are
    /// unique, so this is Flask-Security's email comparison); the new
    /// `fs_paa`.
    pub async fn oauth_reauthenticate(
        &self,
        name: &str,
        pending: Option<OAuthPending>,
        response: &OAuthResponse,
        current: &User,
        client: &ClientInfo,
    ) -> Result<f64, FlowError> {
        let (value, _, user) = self
            .oauth_identify(name, OAuthPurpose::Verify, pending, response, client)
            .await?;
        match user {
            Some(u) if u.id == current.id => {
                self.attempt_passed(current, client).await?;
                Ok(self.clock().unix_time())
            }
            _ => {
                let m = Message::new(MessageKey::IdentityNotRegistered).arg("id", value);
                Err(FormErrors::form(m).into())
            }
        }
    }
}
