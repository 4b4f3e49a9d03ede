//! Changing a password, and resetting a forgotten one.

use super::tokens::LinkKind;
use serde_json::{Map, Value, json};

use super::errors::{FlowError, FormErrors};
use super::login::{Authenticated, ClientInfo, filled_secret};
use super::service::Security;
use super::tokens::LinkStatus;
use crate::events::{AuthnVia, Event};
use crate::i18n::format_duration;
use crate::mail::MailKind;
use crate::messages::{Message, MessageKey};
use crate::models::User;
use crate::store::{UserPatch, new_uniquifier};
use crate::{Result, SecretString};

/// Flask-Security's change-password form.
#[derive(Clone, Default)]
pub struct ChangePasswordForm {
    /// The current password (required when the user has one).
    pub password: Option<SecretString>,
    /// The new password.
    pub new_password: Option<SecretString>,
    /// The new password again.
    pub new_password_confirm: Option<SecretString>,
}

impl std::fmt::Debug for ChangePasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChangePasswordForm { .. }")
    }
}

/// Flask-Security's reset-password form.
#[derive(Clone, Default)]
pub struct ResetPasswordForm {
    /// The new password.
    pub password: Option<SecretString>,
    /// The new password again.
    pub password_confirm: Option<SecretString>,
}

impl std::fmt::Debug for ResetPasswordForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResetPasswordForm { .. }")
    }
}

/// A changed password.
#[derive(Debug, Clone)]
pub struct PasswordChanged {
    /// The user, with new uniquifiers.
    pub user: User,
    /// The fresh login that replaces the ended sessions.
    pub login: Authenticated,
}

/// A reset password.
#[derive(Debug, Clone)]
pub struct PasswordReset {
    /// The user, with new uniquifiers.
    pub user: User,
    /// Set with `SECURITY_AUTO_LOGIN_AFTER_RESET`.
    pub login: Option<Authenticated>,
    /// The automatic login did not happen because a second factor is due.
    pub second_factor_due: bool,
}

impl Security {
    /// Checks a new password and its confirmation; the normalised password.
    async fn new_password(
        &self,
        user: &User,
        field: &'static str,
        password: Option<&str>,
        confirm_field: &'static str,
        confirm: Option<&str>,
        errors: &mut FormErrors,
    ) -> Option<String> {
        let Some(pw) = password else {
            errors.add(field, MessageKey::PasswordNotProvided);
            return None;
        };
        if confirm != Some(pw) {
            errors.add(confirm_field, MessageKey::RetypePasswordMismatch);
        }
        let inputs: Vec<&str> = std::iter::once(user.email.as_str())
            .chain(user.username.as_deref())
            .collect();
        match self
            .password_policy()
            .validate(pw, &inputs, self.breach())
            .await
        {
            Ok(n) => Some(n),
            Err(m) => {
                errors.add(field, m);
                None
            }
        }
    }

    /// Stores a new password and ends every session and auth token by
    /// rotating both uniquifiers.
    async fn set_password(&self, user: &User, normalized: &str) -> Result<User> {
        let hash = self.hash_password(normalized).await?;
        let patch = UserPatch {
            password: Some(Some(SecretString::new(hash))),
            fs_uniquifier: Some(new_uniquifier()),
            fs_token_uniquifier: Some(Some(new_uniquifier())),
            ..UserPatch::default()
        };
        self.store().update_user(user.id, patch).await
    }

    /// `POST /change`: checks the current password, applies the policy to
    /// the new one, stores it, ends every other session and auth token,
    /// sends the notice, emits `password-changed`, and logs the user back in.
    pub async fn change_password(
        &self,
        user: &User,
        form: ChangePasswordForm,
        client: &ClientInfo,
    ) -> Result<PasswordChanged, FlowError> {
        let c = self.config();
        let mut errors = FormErrors::new();
        let current = filled_secret(&form.password);
        let new = filled_secret(&form.new_password);
        if user.password.is_some() {
            match current {
                None => errors.add("password", MessageKey::PasswordNotProvided),
                Some(pw) => {
                    self.guard_user(user, client).await?;
                    if self.check_password(user.clone(), pw).await?.is_none() {
                        self.attempt_failed(Some(user), "", client).await?;
                        errors.add("password", MessageKey::InvalidPassword);
                    } else if Some(pw) == new {
                        errors.add("password", MessageKey::PasswordIsTheSame);
                    }
                }
            }
        }
        let normalized = self
            .new_password(
                user,
                "new_password",
                new,
                "new_password_confirm",
                filled_secret(&form.new_password_confirm),
                &mut errors,
            )
            .await;
        errors.into_result()?;
        let Some(normalized) = normalized else {
            return Err(crate::Error::internal("validated password missing").into());
        };
        let user = self.set_password(user, &normalized).await?;
        if c.send_password_change_email {
            self.send_mail(
                MailKind::ChangeNotice,
                &user.email,
                &c.email_subject_password_change_notice,
                Some(&user),
                Map::new(),
            )
            .await?;
        }
        self.emit(Event::PasswordChanged {
            user: Box::new(user.clone()),
        })
        .await;
        let login = self
            .complete_login(user.clone(), vec![AuthnVia::Change], false, client)
            .await?;
        Ok(PasswordChanged {
            user: login.user.clone(),
            login,
        })
    }

    /// Flask-Security's `admin_change_password`: sets `new_password` (checked
    /// against the policy) without the current one, ends every session and
    /// auth token, and sends the change notice when `notify`. For
    /// administrators and the command line.
    pub async fn admin_change_password(
        &self,
        user: &User,
        new_password: &str,
        notify: bool,
    ) -> Result<User, FlowError> {
        let inputs: Vec<&str> = std::iter::once(user.email.as_str())
            .chain(user.username.as_deref())
            .collect();
        let normalized = self
            .password_policy()
            .validate(new_password, &inputs, self.breach())
            .await
            .map_err(|m| FormErrors::field("password", m))?;
        let user = self.set_password(user, &normalized).await?;
        if notify && self.config().send_password_change_email {
            let subject = self.config().email_subject_password_change_notice.clone();
            self.send_mail(
                MailKind::ChangeNotice,
                &user.email,
                &subject,
                Some(&user),
                Map::new(),
            )
            .await?;
        }
        self.emit(Event::PasswordChanged {
            user: Box::new(user.clone()),
        })
        .await;
        Ok(user)
    }

    /// A reset link for `user`: (absolute URL, token). The token is
    /// `[fs_uniquifier, null]`: the second element Flask-Security puts there
    /// is never checked, and the link dies when the uniquifier rotates.
    pub(crate) async fn reset_link(&self, user: &User) -> Result<(String, String)> {
        let token = self.sign_link(LinkKind::Reset, &json!([user.fs_uniquifier, Value::Null]));
        Ok((
            self.url(&format!("{}/{token}", self.config().reset_url)),
            token,
        ))
    }

    /// Whether a user may recover their account by mail: active, and
    /// confirmed when confirmation is required.
    fn recovery_refusal(&self, user: &User) -> Option<MessageKey> {
        if !user.active {
            Some(MessageKey::DisabledAccount)
        } else if self.requires_confirmation(user) {
            Some(MessageKey::ConfirmationRequired)
        } else {
            None
        }
    }

    /// `POST /reset`: mails reset instructions. With generic responses an
    /// unknown (or refused) address looks the same as success.
    pub async fn send_reset_instructions(
        &self,
        email: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), FlowError> {
        let generic = self.config().return_generic_responses;
        let found = self.user_for_email_form(email).await?;
        if found.is_ok() {
            self.guard_send(email, client).await?;
        }
        let user = match found {
            Ok(Some(u)) => u,
            Ok(None) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let refusal = match self.recovery_refusal(&user) {
            Some(r) => Some(Message::new(r)),
            None => self.app_lock(&user).await,
        };
        if let Some(refusal) = refusal {
            return if generic {
                Ok(())
            } else {
                Err(FormErrors::field("email", refusal).into())
            };
        }
        self.mail_reset_instructions(&user).await?;
        Ok(())
    }

    async fn mail_reset_instructions(&self, user: &User) -> Result<()> {
        let c = self.config();
        if !c.send_password_reset_email {
            return Ok(());
        }
        let (link, token) = self.reset_link(user).await?;
        let context = Map::from_iter([
            ("reset_link".to_owned(), Value::String(link)),
            ("reset_token".to_owned(), Value::String(token)),
            (
                "within".to_owned(),
                json!(format_duration(c.reset_password_within)),
            ),
        ]);
        self.send_mail(
            MailKind::ResetInstructions,
            &user.email,
            &c.email_subject_password_reset,
            Some(user),
            context,
        )
        .await?;
        self.emit(Event::ResetPasswordInstructionsSent {
            user: Box::new(user.clone()),
        })
        .await;
        Ok(())
    }

    /// `GET /reset/<token>`: the user a reset token is for. An expired token
    /// re-sends fresh instructions, as Flask-Security does.
    pub async fn reset_token_user(&self, token: &str) -> Result<User, FlowError> {
        let within = self.config().reset_password_within;
        match self.check_link(LinkKind::Reset, token, within).await? {
            LinkStatus::Valid { user, .. } => Ok(user),
            LinkStatus::Expired { user: Some(user) } => {
                if self.recovery_refusal(&user).is_none() {
                    self.mail_reset_instructions(&user).await?;
                }
                Err(FormErrors::form(
                    Message::new(MessageKey::PasswordResetExpired)
                        .arg("within", format_duration(within))
                        .arg("email", user.email),
                )
                .into())
            }
            _ => Err(FormErrors::form(MessageKey::InvalidResetPasswordToken).into()),
        }
    }

    /// `POST /reset/<token>`: sets the new password. The link works once:
    /// the password change rotates the uniquifier the token names.
    pub async fn reset_password(
        &self,
        token: &str,
        form: ResetPasswordForm,
        client: &ClientInfo,
    ) -> Result<PasswordReset, FlowError> {
        let c = self.config();
        let user = self.reset_token_user(token).await?;
        let mut errors = FormErrors::new();
        let normalized = self
            .new_password(
                &user,
                "password",
                filled_secret(&form.password),
                "password_confirm",
                filled_secret(&form.password_confirm),
                &mut errors,
            )
            .await;
        errors.into_result()?;
        let Some(normalized) = normalized else {
            return Err(crate::Error::internal("validated password missing").into());
        };
        let user = self.set_password(&user, &normalized).await?;
        if c.send_password_reset_notice_email {
            self.send_mail(
                MailKind::ResetNotice,
                &user.email,
                &c.email_subject_password_notice,
                Some(&user),
                Map::new(),
            )
            .await?;
        }
        self.emit(Event::PasswordReset {
            user: Box::new(user.clone()),
        })
        .await;
        let (login, second_factor_due) = if c.auto_login_after_reset && user.active {
            self.auto_login(&user, AuthnVia::Reset, client).await?
        } else {
            (None, false)
        };
        Ok(PasswordReset {
            user,
            login,
            second_factor_due,
        })
    }

    /// `SECURITY_USERNAME_RECOVERY`: mails the username to the address.
    pub async fn recover_username(
        &self,
        email: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), FlowError> {
        let c = self.config();
        self.guard_register(client).await?;
        let found = self.user_for_email_form(email).await?;
        if found.is_ok() {
            self.guard_send(email, client).await?;
        }
        let user = match found {
            Ok(Some(u)) => u,
            Ok(None) => return Ok(()),
            Err(e) => return Err(e.into()),
        };
        let refusal = match self.recovery_refusal(&user) {
            Some(r) => Some(Message::new(r)),
            None => self.app_lock(&user).await,
        };
        if let Some(refusal) = refusal {
            return if c.return_generic_responses {
                Ok(())
            } else {
                Err(FormErrors::field("email", refusal).into())
            };
        }
        let context = Map::from_iter([("username".to_owned(), json!(user.username))]);
        self.send_mail(
            MailKind::UsernameRecovery,
            &user.email,
            &c.email_subject_username_recovery,
            Some(&user),
            context,
        )
        .await?;
        self.emit(Event::UsernameRecoveryEmailSent {
            user: Box::new(user),
        })
        .await;
        Ok(())
    }
}
