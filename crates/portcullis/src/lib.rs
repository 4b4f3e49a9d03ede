#![doc = include_str!("../README.md")]

mod builder;

pub use self::builder::{Auth, AuthBuilder, BuildError};
pub use portcullis_core as core;
pub use portcullis_http as http;
pub use portcullis_http::{Mechanism, Policy, Rule, SameSite, SessionOptions, TokioCpuPool};
pub use portcullis_mail as mail;

#[cfg(feature = "actix")]
pub use portcullis_actix as actix;
#[cfg(feature = "axum")]
pub use portcullis_axum as axum;
#[cfg(feature = "mongodb")]
pub use portcullis_mongodb as mongodb;
#[cfg(feature = "seaorm")]
pub use portcullis_seaorm as seaorm;
#[cfg(feature = "sqlite")]
pub use portcullis_sqlite as sqlite;
