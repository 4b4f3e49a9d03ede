//! Changing the username.

use serde_json::Map;

use super::errors::{FlowError, FormErrors};
use super::login::filled;
use super::service::Security;
use crate::ErrorKind;
use crate::events::Event;
use crate::mail::MailKind;
use crate::messages::{Message, MessageKey};
use crate::models::User;
use crate::store::UserPatch;

impl Security {
    /// `POST /change-username`: validates and stores a new username, sends
    /// the notice, emits `username-changed`.
    pub async fn change_username(
        &self,
        user: &User,
        username: Option<&str>,
    ) -> Result<User, FlowError> {
        let c = self.config();
        let Some(raw) = filled(&username.map(str::to_owned)).map(str::to_owned) else {
            return Err(FormErrors::field("username", MessageKey::UsernameNotProvided).into());
        };
        let name = match self.username_policy().validate(&raw) {
            Ok(Some(n)) => n,
            Ok(None) => {
                return Err(FormErrors::field("username", MessageKey::UsernameNotProvided).into());
            }
            Err(m) => return Err(FormErrors::field("username", m).into()),
        };
        let taken = || {
            FlowError::from(FormErrors::field(
                "username",
                Message::new(MessageKey::UsernameAlreadyAssociated).arg("username", name.clone()),
            ))
        };
        if self
            .store()
            .find_user_by_username(&name, true)
            .await?
            .is_some_and(|o| o.id != user.id)
        {
            return Err(taken());
        }
        let updated = match self
            .store()
            .update_user(
                user.id,
                UserPatch {
                    username: Some(Some(name.clone())),
                    ..UserPatch::default()
                },
            )
            .await
        {
            Ok(u) => u,
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(taken()),
            Err(e) => return Err(e.into()),
        };
        if c.send_username_change_email {
            self.send_mail(
                MailKind::ChangeUsernameNotice,
                &updated.email,
                &c.email_subject_username_change_notice,
                Some(&updated),
                Map::new(),
            )
            .await?;
        }
        self.emit(Event::UsernameChanged {
            user: Box::new(updated.clone()),
            old_username: user.username.clone(),
        })
        .await;
        Ok(updated)
    }
}
