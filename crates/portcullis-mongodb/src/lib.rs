#![doc = include_str!("../README.md")]

mod attempts;
mod config;
mod doc;
mod error;
mod indexes;
mod query;
mod refresh;
mod store;

pub use config::MongoConfig;
pub use mongodb;
pub use store::MongoStore;
