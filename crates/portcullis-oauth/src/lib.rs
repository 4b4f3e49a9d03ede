#![doc = include_str!("../README.md")]

mod errors;
mod github;
mod http;
mod oidc;
mod settings;

pub use self::github::{GitHubEndpoints, GitHubProvider};
pub use self::http::HttpFailure;
pub use self::oidc::OidcProvider;
pub use self::settings::{SETTING_SUFFIXES, providers_from_settings};
