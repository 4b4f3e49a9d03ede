//! Outgoing mail: what the flows ask to send, and the [`Mailer`] trait
//! that sends it. Rendering (templates, text and HTML bodies) belongs to
//! the mailer (see the `portcullis-mail` crate).

use std::fmt;

use serde_json::{Map, Value};

use crate::Result;

/// Every mail Flask-Security sends, named after its template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MailKind {
    /// `welcome`: after registration (with a confirmation link when confirmable).
    Welcome,
    /// `welcome_existing`: registration attempt for an existing email (generic responses).
    WelcomeExisting,
    /// `welcome_existing_username`: registration attempt with a taken username.
    WelcomeExistingUsername,
    /// `confirmation_instructions`.
    ConfirmationInstructions,
    /// `reset_instructions`.
    ResetInstructions,
    /// `reset_notice`.
    ResetNotice,
    /// `change_notice`: password changed.
    ChangeNotice,
    /// `login_instructions`: passwordless login link.
    LoginInstructions,
    /// `two_factor_instructions`: a two-factor code.
    TwoFactorInstructions,
    /// `two_factor_rescue`: a user asked the administrators for help.
    TwoFactorRescue,
    /// `us_instructions`: a unified sign-in code (and magic link).
    UsInstructions,
    /// `change_email_instructions`: link to confirm a new address.
    ChangeEmailInstructions,
    /// `change_username_notice`.
    ChangeUsernameNotice,
    /// `username_recovery`.
    UsernameRecovery,
    /// `unlock_instructions`: the account was locked after too many failed
    /// sign-ins; the link unlocks it (Portcullis' own).
    UnlockInstructions,
    /// `factor_added_notice`: a second factor or sign-in method was added
    /// (Portcullis' own).
    FactorAddedNotice,
    /// `factor_removed_notice`: one was removed (Portcullis' own).
    FactorRemovedNotice,
    /// `email_changed_notice`: to the old address after an email change
    /// (Portcullis' own).
    EmailChangedNotice,
}

impl MailKind {
    /// Every kind.
    pub const ALL: [MailKind; 18] = [
        MailKind::Welcome,
        MailKind::WelcomeExisting,
        MailKind::WelcomeExistingUsername,
        MailKind::ConfirmationInstructions,
        MailKind::ResetInstructions,
        MailKind::ResetNotice,
        MailKind::ChangeNotice,
        MailKind::LoginInstructions,
        MailKind::TwoFactorInstructions,
        MailKind::TwoFactorRescue,
        MailKind::UsInstructions,
        MailKind::ChangeEmailInstructions,
        MailKind::ChangeUsernameNotice,
        MailKind::UsernameRecovery,
        MailKind::UnlockInstructions,
        MailKind::FactorAddedNotice,
        MailKind::FactorRemovedNotice,
        MailKind::EmailChangedNotice,
    ];

    /// Flask-Security's template name (`security/email/<name>.txt|html`).
    pub fn template(self) -> &'static str {
        match self {
            MailKind::Welcome => "welcome",
            MailKind::WelcomeExisting => "welcome_existing",
            MailKind::WelcomeExistingUsername => "welcome_existing_username",
            MailKind::ConfirmationInstructions => "confirmation_instructions",
            MailKind::ResetInstructions => "reset_instructions",
            MailKind::ResetNotice => "reset_notice",
            MailKind::ChangeNotice => "change_notice",
            MailKind::LoginInstructions => "login_instructions",
            MailKind::TwoFactorInstructions => "two_factor_instructions",
            MailKind::TwoFactorRescue => "two_factor_rescue",
            MailKind::UsInstructions => "us_instructions",
            MailKind::ChangeEmailInstructions => "change_email_instructions",
            MailKind::ChangeUsernameNotice => "change_username_notice",
            MailKind::UsernameRecovery => "username_recovery",
            MailKind::UnlockInstructions => "unlock_instructions",
            MailKind::FactorAddedNotice => "factor_added_notice",
            MailKind::FactorRemovedNotice => "factor_removed_notice",
            MailKind::EmailChangedNotice => "email_changed_notice",
        }
    }
}

/// One mail to send: its kind, recipient, subject and the values its
/// templates use (`user`, `confirmation_link`, `reset_link`, `token`, …).
#[derive(Clone, PartialEq)]
pub struct Email {
    /// Which mail.
    pub kind: MailKind,
    /// Recipient address.
    pub to: String,
    /// Sender (`SECURITY_EMAIL_SENDER`).
    pub from: String,
    /// Subject line.
    pub subject: String,
    /// The template to render, without `.txt` / `.html`: the kind's
    /// `SECURITY_*_EMAIL_TEMPLATE` setting (by default
    /// `security/email/<kind's name>`), see
    /// [`SecurityConfig::mail_template`](crate::SecurityConfig::mail_template).
    pub template: String,
    /// Template context.
    pub context: Map<String, Value>,
}

impl fmt::Debug for Email {
    /// The context holds links with live tokens, so it is not printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("kind", &self.kind)
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("template", &self.template)
            .finish_non_exhaustive()
    }
}

/// Sends mail. Implementations render [`Email::template`] (else
/// [`Email::kind`]'s built-in templates) with [`Email::context`].
#[async_trait::async_trait]
pub trait Mailer: Send + Sync + fmt::Debug {
    /// Sends one mail.
    async fn send(&self, email: &Email) -> Result<()>;
}

impl crate::SecurityConfig {
    /// The template `kind` renders (Flask-Security's path without `.txt` /
    /// `.html`): its `SECURITY_*_EMAIL_TEMPLATE` /
    /// `SECURITY_EMAIL_TEMPLATE_*` setting; Portcullis' own mails, which
    /// have none, `security/email/<name>`.
    pub fn mail_template(&self, kind: MailKind) -> std::borrow::Cow<'_, str> {
        use std::borrow::Cow::{Borrowed, Owned};
        match kind {
            MailKind::Welcome => Borrowed(&self.register_email_template),
            MailKind::WelcomeExisting => Borrowed(&self.register_email_existing_template),
            MailKind::WelcomeExistingUsername => {
                Borrowed(&self.register_email_existing_username_template)
            }
            MailKind::ConfirmationInstructions => Borrowed(&self.email_template_confirm),
            MailKind::ResetInstructions => Borrowed(&self.email_template_password_reset),
            MailKind::ResetNotice => Borrowed(&self.email_template_password_reset_notice),
            MailKind::ChangeNotice => Borrowed(&self.email_template_password_change_notice),
            MailKind::LoginInstructions => Borrowed(&self.email_template_passwordless),
            MailKind::TwoFactorInstructions => Borrowed(&self.two_factor_email_template),
            MailKind::TwoFactorRescue => Borrowed(&self.two_factor_rescue_email_template),
            MailKind::UsInstructions => Borrowed(&self.us_email_template),
            MailKind::ChangeEmailInstructions => Borrowed(&self.change_email_email_template),
            MailKind::ChangeUsernameNotice => Borrowed(&self.change_username_email_template),
            MailKind::UsernameRecovery => Borrowed(&self.username_recovery_email_template),
            MailKind::UnlockInstructions
            | MailKind::FactorAddedNotice
            | MailKind::FactorRemovedNotice
            | MailKind::EmailChangedNotice => Owned(format!("security/email/{}", kind.template())),
        }
    }
}

/// Sends text messages (two-factor and unified sign-in codes).
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync + fmt::Debug {
    /// Sends `message` to `to` (E.164).
    async fn send_sms(&self, to: &str, message: &str) -> Result<()>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mail_renders_the_template_its_setting_names() {
        let (c, _) = crate::ConfigLoader::new()
            .vars([
                ("SECRET_KEY", "k"),
                ("SECURITY_PASSWORD_SALT", "s"),
                (
                    "SECURITY_EMAIL_TEMPLATE_PASSWORD_RESET",
                    "myapp/email/reset",
                ),
            ])
            .build()
            .unwrap();
        for kind in MailKind::ALL {
            let want = match kind {
                MailKind::ResetInstructions => "myapp/email/reset".to_owned(),
                // Flask-Security's defaults are its own folder and the kind's name.
                _ => format!("security/email/{}", kind.template()),
            };
            assert_eq!(c.mail_template(kind), want, "{kind:?}");
        }
    }

    #[test]
    fn template_names_and_redacted_debug() {
        assert_eq!(MailKind::ALL.len(), 18);
        assert_eq!(MailKind::ResetInstructions.template(), "reset_instructions");
        let mut context = Map::new();
        context.insert(
            "reset_link".into(),
            Value::String("https://x/reset/SECRET".into()),
        );
        let e = Email {
            kind: MailKind::ResetInstructions,
            to: "a@b.c".into(),
            from: "n@b.c".into(),
            subject: "s".into(),
            template: "security/email/reset_instructions".into(),
            context,
        };
        assert!(!format!("{e:?}").contains("SECRET"));
    }
}
