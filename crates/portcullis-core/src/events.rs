//! Events for Flask-Security's signals, delivered to [`EventHooks`].

use std::fmt;

use crate::models::User;

/// How a user authenticated (`authn_via` in Flask-Security).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthnVia {
    /// Password.
    Password,
    /// Emailed code.
    Email,
    /// SMS code.
    Sms,
    /// Authenticator app.
    Authenticator,
    /// Confirmation link (auto-login after confirm).
    Confirm,
    /// Reset (auto-login after reset).
    Reset,
    /// Registration (auto-login after register).
    Register,
    /// WebAuthn.
    Webauthn,
    /// Re-login after a password change.
    Change,
    /// A passwordless login link.
    Token,
    /// An OAuth / OpenID Connect provider.
    Oauth,
}

impl AuthnVia {
    /// Flask-Security's spelling.
    pub fn name(self) -> &'static str {
        match self {
            AuthnVia::Password => "password",
            AuthnVia::Email => "email",
            AuthnVia::Sms => "sms",
            AuthnVia::Authenticator => "authenticator",
            AuthnVia::Confirm => "confirm",
            AuthnVia::Reset => "reset",
            AuthnVia::Register => "register",
            AuthnVia::Webauthn => "webauthn",
            AuthnVia::Change => "change",
            AuthnVia::Token => "token",
            AuthnVia::Oauth => "oauth",
        }
    }
}

/// Something that happened, named after Flask-Security's signal. Events
/// carry no tokens or codes; applications that need to act on a sent link
/// receive it through the mailer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// `user-authenticated`.
    UserAuthenticated {
        /// Who.
        user: Box<User>,
        /// How (empty when completing a second factor).
        authn_via: Vec<AuthnVia>,
    },
    /// `user-unauthenticated`: a protected resource was asked for without
    /// valid authentication.
    UserUnauthenticated,
    /// `user-failed-authn`.
    UserFailedAuthn {
        /// The user, when the identity matched one.
        user: Option<Box<User>>,
        /// `password`, `passcode`, `passkey` or `code`.
        auth_type: &'static str,
        /// During a two-factor step.
        tfa: bool,
    },
    /// `user-registered`.
    UserRegistered {
        /// The new user.
        user: Box<User>,
    },
    /// `user-not-registered` (generic responses hid an existing account).
    UserNotRegistered {
        /// The existing user, if any.
        user: Option<Box<User>>,
        /// The email was taken.
        existing_email: bool,
        /// The username was taken.
        existing_username: bool,
    },
    /// `user-confirmed`.
    UserConfirmed {
        /// Who.
        user: Box<User>,
    },
    /// `confirm-instructions-sent`.
    ConfirmInstructionsSent {
        /// To whom.
        user: Box<User>,
    },
    /// `password-reset`.
    PasswordReset {
        /// Whose.
        user: Box<User>,
    },
    /// `password-changed`.
    PasswordChanged {
        /// Whose.
        user: Box<User>,
    },
    /// `password-reset-instructions-sent`.
    ResetPasswordInstructionsSent {
        /// To whom.
        user: Box<User>,
    },
    /// `login-instructions-sent` (passwordless).
    LoginInstructionsSent {
        /// To whom.
        user: Box<User>,
    },
    /// `tf-code-confirmed`.
    TfCodeConfirmed {
        /// Who.
        user: Box<User>,
        /// Which method.
        method: String,
    },
    /// `tf-profile-changed`.
    TfProfileChanged {
        /// Who.
        user: Box<User>,
        /// The new method.
        method: String,
    },
    /// `tf-security-token-sent`.
    TfSecurityTokenSent {
        /// To whom.
        user: Box<User>,
        /// By which method.
        method: String,
    },
    /// `tf-disabled`.
    TfDisabled {
        /// Whose.
        user: Box<User>,
    },
    /// `us-security-token-sent`.
    UsSecurityTokenSent {
        /// To whom.
        user: Box<User>,
        /// By which method.
        method: String,
    },
    /// `us-profile-changed`.
    UsProfileChanged {
        /// Whose.
        user: Box<User>,
        /// Methods set up or deleted.
        methods: Vec<String>,
        /// Whether they were deleted.
        delete: bool,
    },
    /// `change-email-instructions-sent`.
    ChangeEmailInstructionsSent {
        /// Who.
        user: Box<User>,
        /// The address asked for.
        new_email: String,
    },
    /// `change-email`: a new address was confirmed.
    ChangeEmailConfirmed {
        /// Who (with the new address).
        user: Box<User>,
        /// The previous address.
        old_email: String,
    },
    /// `username-recovery-email-sent`.
    UsernameRecoveryEmailSent {
        /// To whom.
        user: Box<User>,
    },
    /// `username-changed`.
    UsernameChanged {
        /// Who.
        user: Box<User>,
        /// The previous username.
        old_username: Option<String>,
    },
    /// `wan-registered`.
    WanRegistered {
        /// Who.
        user: Box<User>,
        /// The credential's name.
        name: String,
    },
    /// `wan-deleted`.
    WanDeleted {
        /// Who.
        user: Box<User>,
        /// The credential's name.
        name: String,
    },
    /// `refresh-tracker-created`: a refresh-token family was issued.
    RefreshTrackerCreated {
        /// Whose.
        user: Box<User>,
        /// The family.
        family: String,
    },
    /// `refresh-tracker-revoked`: at logout, or on reuse of an earlier
    /// generation (`reason` `GenMismatch`).
    RefreshTrackerRevoked {
        /// Whose, when the token still names a user.
        user: Option<Box<User>>,
        /// The family.
        family: String,
        /// Why, when it was a refusal.
        reason: Option<crate::flows::RefreshError>,
    },
}

impl Event {
    /// Flask-Security's signal name.
    pub fn signal(&self) -> &'static str {
        match self {
            Event::UserAuthenticated { .. } => "user-authenticated",
            Event::UserUnauthenticated => "user-unauthenticated",
            Event::UserFailedAuthn { .. } => "user-failed-authn",
            Event::UserRegistered { .. } => "user-registered",
            Event::UserNotRegistered { .. } => "user-not-registered",
            Event::UserConfirmed { .. } => "user-confirmed",
            Event::ConfirmInstructionsSent { .. } => "confirm-instructions-sent",
            Event::PasswordReset { .. } => "password-reset",
            Event::PasswordChanged { .. } => "password-changed",
            Event::ResetPasswordInstructionsSent { .. } => "password-reset-instructions-sent",
            Event::LoginInstructionsSent { .. } => "login-instructions-sent",
            Event::TfCodeConfirmed { .. } => "tf-code-confirmed",
            Event::TfProfileChanged { .. } => "tf-profile-changed",
            Event::TfSecurityTokenSent { .. } => "tf-security-token-sent",
            Event::TfDisabled { .. } => "tf-disabled",
            Event::UsSecurityTokenSent { .. } => "us-security-token-sent",
            Event::UsProfileChanged { .. } => "us-profile-changed",
            Event::ChangeEmailInstructionsSent { .. } => "change-email-instructions-sent",
            Event::ChangeEmailConfirmed { .. } => "change-email",
            Event::UsernameRecoveryEmailSent { .. } => "username-recovery-email-sent",
            Event::UsernameChanged { .. } => "username-changed",
            Event::WanRegistered { .. } => "wan-registered",
            Event::WanDeleted { .. } => "wan-deleted",
            Event::RefreshTrackerCreated { .. } => "refresh-tracker-created",
            Event::RefreshTrackerRevoked { .. } => "refresh-tracker-revoked",
        }
    }
}

/// Receives events. The default does nothing; implement the methods you
/// need. Hooks run inline with the request: keep them quick, and hand
/// slow work to a queue.
#[async_trait::async_trait]
pub trait EventHooks: Send + Sync + fmt::Debug {
    /// Called for every event.
    async fn on_event(&self, event: &Event) {
        let _ = event;
    }
}

/// Hooks that ignore everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;

impl EventHooks for NoHooks {}

/// Hooks that record every event; for tests.
#[derive(Debug, Default)]
pub struct RecordingHooks {
    events: std::sync::Mutex<Vec<Event>>,
}

impl RecordingHooks {
    /// The signal names recorded so far, in order.
    pub fn signals(&self) -> Vec<&'static str> {
        self.events
            .lock()
            .map(|e| e.iter().map(Event::signal).collect())
            .unwrap_or_default()
    }

    /// A copy of the events recorded so far.
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

#[async_trait::async_trait]
impl EventHooks for RecordingHooks {
    async fn on_event(&self, event: &Event) {
        if let Ok(mut e) = self.events.lock() {
            e.push(event.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recording_hooks_record() {
        let h = RecordingHooks::default();
        crate::util::block_on(h.on_event(&Event::UserUnauthenticated));
        crate::util::block_on(NoHooks.on_event(&Event::UserUnauthenticated));
        assert_eq!(h.signals(), ["user-unauthenticated"]);
    }
}
