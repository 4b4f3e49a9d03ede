#![doc = include_str!("../README.md")]

mod cpu;
mod extract;
mod guard;
mod middleware;
mod sessions;

pub use self::cpu::TokioCpuPool;
pub use self::extract::{Anonymous, AuthRejection, Authorized, CurrentUser, Policy};
pub use self::guard::{Guard, Rule};
pub use self::middleware::{PortcullisAxum, SessionOptions};
pub use self::sessions::SessionBridge;
