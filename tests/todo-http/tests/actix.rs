//! The todo example's HTTP suite over real TCP, against the actix build.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]
// The attacker suite's futures nest deeply enough for clippy's layout queries.
#![recursion_limit = "256"]

/// The adapter every test in this binary runs against.
const ADAPTER: common::Adapter = common::Adapter::Actix;

#[path = "suite/attacker.rs"]
mod attacker;
#[path = "suite/browser.rs"]
mod browser;
mod common;
#[path = "suite/cutover.rs"]
mod cutover;
#[path = "suite/fields.rs"]
mod fields;
#[path = "suite/http.rs"]
mod http;
#[path = "suite/mfa.rs"]
mod mfa;
#[path = "suite/oauth.rs"]
mod oauth;
#[path = "suite/passwordless.rs"]
mod passwordless;
#[path = "suite/proxy.rs"]
mod proxy;
#[path = "suite/refresh.rs"]
mod refresh;
#[path = "suite/remember.rs"]
mod remember;
#[path = "suite/settings.rs"]
mod settings;
#[path = "suite/webauthn.rs"]
mod webauthn;
