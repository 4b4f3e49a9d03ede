//! Changing the email address (a link to the new address confirms it).

use super::tokens::LinkKind;
use serde_json::{Map, Value, json};

use super::errors::{FlowError, FormErrors};
use super::login::filled;
use super::service::Security;
use super::tokens::LinkStatus;
use crate::ErrorKind;
use crate::events::Event;
use crate::i18n::format_duration;
use crate::mail::MailKind;
use crate::messages::{Message, MessageKey};
use crate::models::User;
use crate::store::UserPatch;

/// A confirmed change of address.
#[derive(Debug, Clone)]
pub struct EmailChanged {
    /// The user, with the new address (confirmed now).
    pub user: User,
    /// The previous address.
    pub old_email: String,
}

impl Security {
    /// `POST /change-email`: mails a confirmation link to the new address.
    /// With generic responses a taken address is accepted silently and
    /// nothing is sent.
    pub async fn start_change_email(
        &self,
        user: &User,
        new_email: Option<&str>,
    ) -> Result<(), FlowError> {
        let c = self.config();
        let Some(raw) = filled(&new_email.map(str::to_owned)).map(str::to_owned) else {
            return Err(FormErrors::field("email", MessageKey::EmailNotProvided).into());
        };
        let email = self
            .new_address(&raw)
            .await
            .map_err(|m| FormErrors::field("email", m))?;
        if self.store().find_user_by_email(&email).await?.is_some() {
            if c.return_generic_responses {
                return Ok(());
            }
            return Err(FormErrors::field(
                "email",
                Message::new(MessageKey::EmailAlreadyAssociated).arg("email", email),
            )
            .into());
        }
        let payload = json!([
            user.fs_uniquifier,
            self.hash_data(&user.email).await?,
            email
        ]);
        let token = self.sign_link(LinkKind::ChangeEmail, &payload);
        let link = self.url(&format!("{}/{token}", c.change_email_url));
        let context = Map::from_iter([
            ("link".to_owned(), Value::String(link)),
            ("token".to_owned(), Value::String(token)),
            (
                "within".to_owned(),
                json!(format_duration(c.change_email_within)),
            ),
        ]);
        self.send_mail(
            MailKind::ChangeEmailInstructions,
            &email,
            &c.change_email_subject,
            Some(user),
            context,
        )
        .await?;
        self.emit(Event::ChangeEmailInstructionsSent {
            user: Box::new(user.clone()),
            new_email: email,
        })
        .await;
        Ok(())
    }

    /// `GET /change-email/<token>`: switches to the new address if the
    /// token is valid, the current address is still the one it was made
    /// for, and the new one is still free. Errors: `CHANGE_EMAIL_EXPIRED`,
    /// `API_ERROR` (invalid), `EMAIL_ALREADY_ASSOCIATED`.
    pub async fn finish_change_email(&self, token: &str) -> Result<EmailChanged, FlowError> {
        let c = self.config();
        let invalid = || FlowError::from(FormErrors::form(MessageKey::ApiError));
        let (payload, user) = match self
            .check_link(LinkKind::ChangeEmail, token, c.change_email_within)
            .await?
        {
            LinkStatus::Valid { payload, user } => (payload, user),
            LinkStatus::Expired { .. } => {
                return Err(FormErrors::form(
                    Message::new(MessageKey::ChangeEmailExpired)
                        .arg("within", format_duration(c.change_email_within)),
                )
                .into());
            }
            LinkStatus::Invalid => return Err(invalid()),
        };
        let (Some(old_hash), Some(new_email)) = (
            payload.get(1).and_then(Value::as_str),
            payload.get(2).and_then(Value::as_str),
        ) else {
            return Err(invalid());
        };
        if !self.verify_hash_data(old_hash, &user.email).await? {
            return Err(invalid());
        }
        let taken = || {
            FlowError::from(FormErrors::form(
                Message::new(MessageKey::EmailAlreadyAssociated).arg("email", new_email.to_owned()),
            ))
        };
        if self
            .store()
            .find_user_by_email(new_email)
            .await?
            .is_some_and(|o| o.id != user.id)
        {
            return Err(taken());
        }
        let patch = UserPatch {
            email: Some(new_email.to_owned()),
            confirmed_at: Some(Some(self.now())),
            ..UserPatch::default()
        };
        let updated = match self.store().update_user(user.id, patch).await {
            Ok(u) => u,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(taken()),
            Err(e) => return Err(e.into()),
        };
        // The old address hears of it: whoever lost control of the account
        // learns it from the address they still read.
        self.send_notice(
            crate::mail::MailKind::EmailChangedNotice,
            &user.email,
            &updated,
            "email",
        )
        .await;
        self.emit(Event::ChangeEmailConfirmed {
            user: Box::new(updated.clone()),
            old_email: user.email.clone(),
        })
        .await;
        Ok(EmailChanged {
            user: updated,
            old_email: user.email,
        })
    }
}
