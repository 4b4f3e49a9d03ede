#![doc = include_str!("../README.md")]

mod attempts;
mod config;
mod error;
mod fields;
mod pool;
mod refresh;
mod roles;
mod rows;
pub mod schema;
mod sessions;
mod store;
mod users;
mod webauthn;

pub use self::config::SqliteConfig;
pub use self::schema::{MigrationReport, MigrationStatus};
pub use self::store::SqliteStore;
