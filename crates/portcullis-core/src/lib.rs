#![doc = include_str!("../README.md")]

pub mod config;
mod error;
pub mod events;
pub mod flows;
pub mod html;
pub mod i18n;
pub mod mail;
pub mod messages;
pub mod models;
pub mod oauth;
pub mod store;
mod util;
pub mod validation;

pub use portcullis_crypto as crypto;
pub use portcullis_crypto::{Clock, FakeClock, SecretString, SystemClock};

pub use self::config::{ConfigError, ConfigLoader, SecurityConfig};
pub use self::error::{Error, ErrorKind, Result};
pub use self::events::{Event, EventHooks};
pub use self::flows::{FlowError, FormErrors, Security};
pub use self::mail::{Email, MailKind, Mailer, SmsSender};
pub use self::messages::{Message, MessageKey, Messages};
pub use self::models::{RefreshTracker, Role, User, WebAuthnCredential};
pub use self::store::{
    AppField, AppFields, Capabilities, Datastore, FieldType, NewRefreshTracker, NewRole, NewUser,
    NewWebAuthn, RefreshTrackerStore, RoleStore, UserFields, UserFilter, UserPatch, UserStore,
    WebAuthnStore, WebAuthnUse,
};
