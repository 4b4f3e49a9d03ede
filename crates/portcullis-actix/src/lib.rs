#![doc = include_str!("../README.md")]

mod convert;
mod extract;
mod guard;
mod middleware;

pub use self::extract::{Anonymous, AuthRejection, Authorized, CurrentUser};
pub use self::guard::{Require, RequireMiddleware};
pub use self::middleware::{PortcullisActix, PortcullisMiddleware, PortcullisWrap};
pub use portcullis_http::{
    Policy, QUEUE_PER_SLOT, RequestContext, Rule, SameSite, SessionOptions, TokioCpuPool,
};
