//! Flask-Security's account flows, framework-free: registration,
//! confirmation, login, change and reset of passwords, change of email and
//! username, username recovery, re-authentication, auth tokens, two-factor
//! authentication, unified sign-in and recovery codes.
//!
//! [`Security`] holds what the flows need (settings, datastore, mailer,
//! hooks, clock, CPU pool) and offers each flow as an async method. A
//! method validates its input exactly as Flask-Security's form does,
//! answers [`FlowError::Form`] with the same field errors, persists through
//! the datastore, sends its mail, emits its events, and returns what the
//! web layer needs next (for a login: the user and the authentication time
//! to put into the session or an auth token). Links that arrive by mail are
//! `start_*` / `finish_*` pairs.
//!
//! Each flow is described, with its settings and any difference from
//! Flask-Security, in `docs/flows/`.

mod confirm;
mod cpu;
mod email;
mod errors;
mod limits;
mod login;
mod login_step;
mod oauth;
mod password;
mod passwordless;
mod recovery;
mod refresh;
mod register;
mod service;
mod tokens;
mod two_factor;
mod unified;
mod username;
mod webauthn;

pub use self::confirm::Confirmed;
pub use self::cpu::{CpuPool, InlineCpu, Job, run_on};
pub use self::email::EmailChanged;
pub use self::errors::{FlowError, FormErrors, Limited};
pub use self::limits::{AccountLockHook, HalfLoginBudget, attempt_keys};
pub use self::login::{Authenticated, ClientInfo, Freshness, LoginForm};
pub use self::login_step::{CodeDelivery, LoginStep, PendingLogin, PendingState};
pub use self::password::{ChangePasswordForm, PasswordChanged, PasswordReset, ResetPasswordForm};
pub use self::passwordless::LoginLinkRefused;
pub use self::refresh::{RefreshError, Refreshed};
pub use self::register::{PasswordConfirm, RegisterField, RegisterForm, Registered, ValidateField};
pub use self::service::{MapIdentity, Security, SecurityBuilder, SecurityPayload};
pub use self::tokens::{FlaskSession, TokenAuth};
pub use self::two_factor::{
    AuthenticatorSetup, PendingFactor, TF_METHODS, TF_WEBAUTHN, TfRescue, TfSetupStarted,
};
pub use self::unified::{LinkRefused, UsSetupStarted, UsSignedIn};
pub use self::webauthn::{
    RelyingParty, USAGE_FIRST, USAGE_SECONDARY, WanAsserted, WanOptions, WanPurpose,
};
