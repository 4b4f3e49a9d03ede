#![doc = include_str!("../README.md")]

mod cpu;
mod extract;
mod guard;
mod middleware;
mod serve;
mod sessions;

pub use self::cpu::{QUEUE_PER_SLOT, TokioCpuPool};
pub use self::extract::{Anonymous, AuthRejection, Authorized, CurrentUser, Policy};
pub use self::guard::{Guard, Rule};
pub use self::middleware::{PortcullisAxum, SessionOptions};
pub use self::serve::{ServeOptions, serve};
pub use self::sessions::SessionBridge;
pub use tower_sessions::cookie::SameSite;
