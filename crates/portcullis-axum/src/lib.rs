#![doc = include_str!("../README.md")]

mod extract;
mod guard;
mod layer;
mod serve;

pub use self::extract::{Anonymous, AuthRejection, Authorized, CurrentUser};
pub use self::guard::{Guard, GuardService};
pub use self::layer::{PortcullisAxum, PortcullisLayer, PortcullisService};
pub use self::serve::{ServeOptions, serve};
pub use portcullis_http::{
    Policy, QUEUE_PER_SLOT, RequestContext, Rule, SameSite, SessionOptions, TokioCpuPool,
};
