//! Passwordless login (`SECURITY_PASSWORDLESS`): `/login` mails a link,
//! `/login/<token>` logs the user in.
//!
//! As Flask-Security: the token is `[fs_uniquifier]` signed with
//! `SECURITY_LOGIN_SALT`, valid for `SECURITY_LOGIN_WITHIN`; an expired link
//! mails a new one. Stricter than Flask-Security: a link works once, an
//! inactive or locked user is refused, and the web layer asks for the
//! user's second factor when one is due (Flask-Security logs in without
//! it).

use serde_json::{Map, Value, json};

use super::errors::{FlowError, FormErrors};
use super::login::ClientInfo;
use super::service::Security;
use super::tokens::{LinkKind, LinkStatus};
use crate::Result;
use crate::events::Event;
use crate::i18n::format_duration;
use crate::mail::MailKind;
use crate::messages::{Message, MessageKey};
use crate::models::User;

/// Why a passwordless link did not log anyone in: the message for the
/// error redirect.
#[derive(Debug, Clone)]
pub struct LoginLinkRefused(pub Message);

impl Security {
    /// `POST /login` with passwordless on: mails a login link to the user
    /// `email` names (within the send budget). Refuses an unknown address
    /// (unless generic responses hide it), an inactive or locked account,
    /// and an unconfirmed one when confirmation is required.
    pub async fn send_login_instructions(
        &self,
        email: Option<&str>,
        client: &ClientInfo,
    ) -> Result<Option<User>, FlowError> {
        let generic = self.config().return_generic_responses;
        let found = self.user_for_email_form(email).await?;
        if found.is_ok() {
            self.guard_send(email, client).await?;
        }
        let user = match found {
            Ok(Some(u)) => u,
            Ok(None) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let refusal = match self.login_link_refusal(&user) {
            Some(r) => Some(Message::new(r)),
            None => self.app_lock(&user).await,
        };
        if let Some(refusal) = refusal {
            return if generic {
                Ok(None)
            } else {
                Err(FormErrors::field("email", refusal).into())
            };
        }
        self.mail_login_instructions(&user).await?;
        Ok(Some(user))
    }

    fn login_link_refusal(&self, user: &User) -> Option<MessageKey> {
        if !user.active {
            Some(MessageKey::DisabledAccount)
        } else if self.requires_confirmation(user) {
            Some(MessageKey::ConfirmationRequired)
        } else {
            None
        }
    }

    async fn mail_login_instructions(&self, user: &User) -> Result<()> {
        let c = self.config();
        let token = self.sign_link(LinkKind::Login, &json!([user.fs_uniquifier]));
        let link = self.url(&format!("{}/{token}", c.login_url));
        let context = Map::from_iter([
            ("login_link".to_owned(), Value::String(link)),
            ("login_token".to_owned(), Value::String(token)),
            ("within".to_owned(), json!(format_duration(c.login_within))),
        ]);
        self.send_mail(
            MailKind::LoginInstructions,
            &user.email,
            &c.email_subject_passwordless,
            Some(user),
            context,
        )
        .await?;
        self.emit(Event::LoginInstructionsSent {
            user: Box::new(user.clone()),
        })
        .await;
        Ok(())
    }

    /// `GET /login/<token>`: the user a passwordless link logs in, for the
    /// web layer to [`start_login`](Self::start_login) with
    /// [`AuthnVia::Token`](crate::events::AuthnVia::Token). An expired link
    /// mails a new one (`LOGIN_EXPIRED`); a bad, used or orphaned one is
    /// `INVALID_LOGIN_TOKEN` and counts as a failed attempt from the
    /// client's address.
    pub async fn login_token_user(
        &self,
        token: &str,
        client: &ClientInfo,
    ) -> Result<User, LoginLinkRefused> {
        if let Err(e) = self.guard_address(client).await {
            return Err(limited(e));
        }
        match self.check_login_link(token, client).await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "passwordless link check failed");
                Err(LoginLinkRefused(MessageKey::ApiError.into()))
            }
        }
    }

    async fn check_login_link(
        &self,
        token: &str,
        client: &ClientInfo,
    ) -> Result<Result<User, LoginLinkRefused>> {
        let within = self.config().login_within;
        let invalid = || Err(LoginLinkRefused(MessageKey::InvalidLoginToken.into()));
        let user = match self.check_link(LinkKind::Login, token, within).await? {
            LinkStatus::Valid { user, .. } => user,
            LinkStatus::Expired { user: Some(user) } => {
                if self.login_link_refusal(&user).is_none() && self.app_lock(&user).await.is_none()
                {
                    self.mail_login_instructions(&user).await?;
                }
                return Ok(Err(LoginLinkRefused(
                    Message::new(MessageKey::LoginExpired)
                        .arg("within", format_duration(within))
                        .arg("email", user.email),
                )));
            }
            _ => {
                self.attempt_failed(None, "", client).await?;
                return Ok(invalid());
            }
        };
        if let Some(refusal) = self.login_link_refusal(&user) {
            return Ok(Err(LoginLinkRefused(refusal.into())));
        }
        if let Some(lock) = self.app_lock(&user).await {
            return Ok(Err(LoginLinkRefused(lock)));
        }
        if let Err(e) = self.guard_user(&user, client).await {
            return Ok(Err(limited(e)));
        }
        if !self.claim_login_link(token).await? {
            self.attempt_failed(Some(&user), "", client).await?;
            self.emit(Event::UserFailedAuthn {
                user: Some(Box::new(user)),
                auth_type: "token",
                tfa: false,
            })
            .await;
            return Ok(invalid());
        }
        Ok(Ok(user))
    }

    /// Marks a login link used; `false` when it already was.
    async fn claim_login_link(&self, token: &str) -> Result<bool> {
        let now = self.now();
        let expires = now + self.config().login_within + chrono::TimeDelta::seconds(5);
        self.attempts()
            .raise(
                &super::limits::attempt_keys::login_link(token),
                1,
                expires,
                now,
            )
            .await
    }
}

/// The message of a refusal by the attempt limits.
fn limited(e: FlowError) -> LoginLinkRefused {
    let message = match e {
        FlowError::Limited(l) => l.errors.entries().first().map(|(_, m)| m.clone()),
        _ => None,
    };
    LoginLinkRefused(message.unwrap_or_else(|| MessageKey::TooManyAttempts.into()))
}
