//! Email confirmation.

use super::tokens::LinkKind;
use serde_json::{Map, Value, json};

use super::errors::{FlowError, FormErrors};
use super::login::{Authenticated, ClientInfo};
use super::service::Security;
use super::tokens::LinkStatus;
use crate::Result;
use crate::events::{AuthnVia, Event};
use crate::i18n::format_duration;
use crate::mail::MailKind;
use crate::messages::{Message, MessageKey};
use crate::models::User;
use crate::store::UserPatch;

/// A confirmed address.
#[derive(Debug, Clone)]
pub struct Confirmed {
    /// The user, now confirmed.
    pub user: User,
    /// Set with `SECURITY_AUTO_LOGIN_AFTER_CONFIRM`.
    pub login: Option<Authenticated>,
    /// The automatic login did not happen because a second factor is due.
    pub second_factor_due: bool,
}

impl Security {
    /// The user an email form names: it must exist (unless `generic`, where
    /// `Ok(None)` hides it). Used by confirmation, reset and username recovery.
    pub(crate) async fn user_for_email_form(
        &self,
        email: Option<&str>,
    ) -> Result<Result<Option<User>, FormErrors>> {
        let Some(raw) = email.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Err(FormErrors::field(
                "email",
                MessageKey::EmailNotProvided,
            )));
        };
        let email = match self.email_policy().validate(raw) {
            Ok(e) => e,
            Err(m) => return Ok(Err(FormErrors::field("email", m))),
        };
        match self.store().find_user_by_email(&email).await? {
            Some(u) => Ok(Ok(Some(u))),
            None if self.config().return_generic_responses => {
                self.burn_hash("not-a-password").await?;
                Ok(Ok(None))
            }
            None => Ok(Err(FormErrors::field(
                "email",
                MessageKey::UserDoesNotExist,
            ))),
        }
    }

    /// `POST /confirm`: (re)sends confirmation instructions.
    pub async fn send_confirmation(
        &self,
        email: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), FlowError> {
        let found = self.user_for_email_form(email).await?;
        if found.is_ok() {
            self.guard_send(email, client).await?;
        }
        let user = match found {
            Ok(Some(u)) => u,
            Ok(None) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        if user.confirmed_at.is_some() {
            if self.config().return_generic_responses {
                return Ok(());
            }
            return Err(FormErrors::field("email", MessageKey::AlreadyConfirmed).into());
        }
        self.send_confirmation_instructions(&user).await?;
        Ok(())
    }

    async fn send_confirmation_instructions(&self, user: &User) -> Result<()> {
        let c = self.config();
        let (link, token) = self.confirmation_link(user).await?;
        let context = Map::from_iter([
            ("confirmation_link".to_owned(), Value::String(link)),
            ("confirmation_token".to_owned(), Value::String(token)),
            (
                "within".to_owned(),
                json!(format_duration(c.confirm_email_within)),
            ),
        ]);
        self.send_mail(
            MailKind::ConfirmationInstructions,
            &user.email,
            &c.email_subject_confirm,
            Some(user),
            context,
        )
        .await?;
        self.emit(Event::ConfirmInstructionsSent {
            user: Box::new(user.clone()),
        })
        .await;
        Ok(())
    }

    /// `GET /confirm/<token>`: confirms the address the token was made for.
    /// Errors are form-level messages: `INVALID_CONFIRMATION_TOKEN`,
    /// `CONFIRMATION_EXPIRED` or `ALREADY_CONFIRMED`. A token stops working
    /// when the email changes (it carries a hash of the address).
    pub async fn confirm_email(
        &self,
        token: &str,
        client: &ClientInfo,
    ) -> Result<Confirmed, FlowError> {
        let c = self.config();
        let invalid = || FlowError::from(FormErrors::form(MessageKey::InvalidConfirmationToken));
        let (payload, user) = match self
            .check_link(LinkKind::Confirm, token, c.confirm_email_within)
            .await?
        {
            LinkStatus::Valid { payload, user } => (payload, user),
            LinkStatus::Expired { user: Some(u) } if u.confirmed_at.is_none() => {
                return Err(FormErrors::form(
                    Message::new(MessageKey::ConfirmationExpired)
                        .arg("within", format_duration(c.confirm_email_within))
                        .arg("email", u.email),
                )
                .into());
            }
            LinkStatus::Expired { user: Some(_) } => {
                return Err(FormErrors::form(MessageKey::AlreadyConfirmed).into());
            }
            _ => return Err(invalid()),
        };
        let email_hash = payload.get(1).and_then(Value::as_str).ok_or_else(invalid)?;
        if !self.verify_hash_data(email_hash, &user.email).await? {
            return Err(invalid());
        }
        if user.confirmed_at.is_some() {
            return Err(FormErrors::form(MessageKey::AlreadyConfirmed).into());
        }
        let user = self
            .store()
            .update_user(
                user.id,
                UserPatch {
                    confirmed_at: Some(Some(self.now())),
                    ..UserPatch::default()
                },
            )
            .await?;
        self.emit(Event::UserConfirmed {
            user: Box::new(user.clone()),
        })
        .await;
        let (login, second_factor_due) = if c.auto_login_after_confirm && user.active {
            self.auto_login(&user, AuthnVia::Confirm, client).await?
        } else {
            (None, false)
        };
        Ok(Confirmed {
            user,
            login,
            second_factor_due,
        })
    }
}
