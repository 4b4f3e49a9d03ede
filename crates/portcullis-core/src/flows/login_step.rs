//! The login as one typed step from the first factor to the second, the
//! same for every first factor (password, unified sign-in, a magic link,
//! an automatic login after confirmation or a reset) and every adapter:
//! [`Security::start_login`] answers [`LoginStep::Done`] or
//! [`LoginStep::SecondFactor`] with a serialisable [`PendingLogin`] the web
//! layer keeps in the session until the second factor is given.

use serde::{Deserialize, Serialize};

use super::errors::FlowError;
use super::login::{Authenticated, ClientInfo};
use super::service::Security;
use crate::events::AuthnVia;
use crate::models::User;

/// Where a half-login stands (Flask-Security's `tf_state`, and `tf_select`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingState {
    /// Two-factor is required and the user has no method: they set one up
    /// now (`setup_from_login`).
    SetupFromLogin,
    /// The user must choose among several methods (`tf_select`).
    Select,
    /// The user has a method and is asked for its code (`ready`).
    Ready,
}

/// Whether the code of a half-login in state [`PendingState::Ready`] was
/// sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeDelivery {
    /// The method sends nothing (an authenticator app), or the state is not
    /// `ready`.
    NotNeeded,
    /// The code went out by mail or SMS.
    Sent,
    /// Mail or SMS failed: Flask-Security answers 500 `FAILED_TO_SEND_CODE`
    /// and keeps the half-login, so `/tf-validate` can still be tried
    /// (and a new code asked for).
    Failed,
}

/// A login whose first factor was given and whose second is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The user's `fs_uniquifier` (`tf_user_id`).
    pub user: String,
    /// Remember me, from the first factor (`tf_remember_login`).
    pub remember: bool,
    /// Names this half-login's code budget in the attempt store
    /// (`tf_nonce`): every half-login gets its own five attempts.
    pub nonce: String,
    /// Where it stands.
    pub state: PendingState,
    /// The method asked for, in state [`PendingState::Ready`].
    pub method: Option<String>,
    /// The methods to choose from, in state [`PendingState::Select`].
    pub setup_methods: Vec<String>,
    /// Whether the code went out.
    pub delivery: CodeDelivery,
}

/// What a first factor leads to.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)]
pub enum LoginStep {
    /// Logged in: record it in the session or issue a token.
    Done(Authenticated),
    /// A second factor is due: keep this until it is given.
    SecondFactor(PendingLogin),
}

impl Security {
    /// Flask-Security's `tf_enter` after a first factor `via`: logs `user`
    /// in ([`complete_login`](Self::complete_login)) unless a second factor
    /// is due — `validity` being the request's "remember this device"
    /// token, if any — and otherwise starts it
    /// ([`start_second_factor`](Self::start_second_factor)).
    pub async fn start_login(
        &self,
        user: User,
        via: AuthnVia,
        remember: bool,
        validity: Option<&str>,
        client: &ClientInfo,
    ) -> Result<LoginStep, FlowError> {
        // One look at the user's methods (a store read, with WebAuthn)
        // serves both the decision and the half-login.
        let methods = self.tf_setup_methods(&user).await?;
        if !self.tf_due(&user, &methods, validity) {
            let done = self
                .complete_login(user, vec![via], remember, client)
                .await?;
            return Ok(LoginStep::Done(done));
        }
        Ok(LoginStep::SecondFactor(
            self.half_login(&user, methods, remember, client).await?,
        ))
    }

    /// The half-login for `user`, whose second factor is due: set up a
    /// method (none yet), choose one (several), or give the code of their
    /// method — sent now for email and SMS, within the send budget
    /// ([`FlowError::Limited`] beyond it).
    pub async fn start_second_factor(
        &self,
        user: &User,
        remember: bool,
        client: &ClientInfo,
    ) -> Result<PendingLogin, FlowError> {
        let methods = self.tf_setup_methods(user).await?;
        self.half_login(user, methods, remember, client).await
    }

    /// The half-login for `user`, whose set-up second factors are `methods`.
    async fn half_login(
        &self,
        user: &User,
        methods: Vec<String>,
        remember: bool,
        client: &ClientInfo,
    ) -> Result<PendingLogin, FlowError> {
        let mut pending = PendingLogin {
            user: user.fs_uniquifier.clone(),
            remember,
            nonce: crate::store::new_uniquifier(),
            state: PendingState::SetupFromLogin,
            method: None,
            setup_methods: Vec::new(),
            delivery: CodeDelivery::NotNeeded,
        };
        match methods.len() {
            0 => {}
            1 => {
                let (method, delivery) =
                    self.second_factor_ready(user, &methods[0], client).await?;
                pending.state = PendingState::Ready;
                pending.delivery = delivery;
                pending.method = Some(method);
            }
            _ => {
                pending.state = PendingState::Select;
                pending.setup_methods = methods;
            }
        }
        Ok(pending)
    }

    /// A half-login moving to [`PendingState::Ready`] with `method` (one
    /// of [`tf_setup_methods`](Self::tf_setup_methods), from the start or
    /// chosen at `/tf-select`): the code plugin's method is the user's
    /// primary one, its code sent for email and SMS within the send budget;
    /// `webauthn` sends nothing.
    pub async fn second_factor_ready(
        &self,
        user: &User,
        method: &str,
        client: &ClientInfo,
    ) -> Result<(String, CodeDelivery), FlowError> {
        if method == super::two_factor::TF_WEBAUTHN {
            return Ok((method.to_owned(), CodeDelivery::NotNeeded));
        }
        let method = user.tf_primary_method.clone().unwrap_or_default();
        let delivery = self.send_login_code(user, &method, client).await?;
        Ok((method, delivery))
    }

    /// The code of a half-login's method, for email and SMS.
    async fn send_login_code(
        &self,
        user: &User,
        method: &str,
        client: &ClientInfo,
    ) -> Result<CodeDelivery, FlowError> {
        if !matches!(method, "email" | "mail" | "sms") {
            return Ok(CodeDelivery::NotNeeded);
        }
        self.guard_send(Some(&user.email), client).await?;
        let secret = user
            .tf_totp_secret
            .as_ref()
            .map(|s| s.expose().to_owned())
            .unwrap_or_default();
        match self
            .tf_send_code(user, method, &secret, user.tf_phone_number.as_deref())
            .await
        {
            Ok(()) => Ok(CodeDelivery::Sent),
            Err(e) => {
                tracing::error!(error = %e, "could not send a two-factor code");
                Ok(CodeDelivery::Failed)
            }
        }
    }
}
