#![doc = include_str!("../README.md")]

mod attempts;
#[cfg(feature = "postgres")]
mod cache;
#[cfg(not(feature = "postgres"))]
#[path = "no_cache.rs"]
mod cache;
mod config;
pub mod entity;
mod error;
mod fields;
pub mod migrate;
mod refresh;
mod roles;
pub mod scratch;
mod sessions;
mod sql;
mod store;
mod users;
mod webauthn;

pub use config::{Dialect, SeaOrmConfig};
pub use migrate::{MigrationReport, MigrationStatus};
pub use sea_orm;
pub use store::SeaOrmStore;
