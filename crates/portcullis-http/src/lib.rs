#![doc = include_str!("../README.md")]

mod auth;
pub mod csrf;
mod endpoints;
pub mod input;
mod respond;
pub mod session;

pub use self::auth::{Mechanism, RequestAuth};
pub use self::csrf::{Csrf, CsrfFailure};
pub use self::input::FormData;
pub use self::respond::{HttpResponse, is_safe_redirect, with_query};
pub use self::session::SessionState;

use http::{HeaderMap, Method, Uri};
use portcullis_core::flows::ClientInfo;
use portcullis_core::{Result, Security};

/// Largest request body Portcullis' endpoints read (64 KiB); adapters
/// should refuse larger ones before buffering them.
pub const MAX_BODY: usize = 64 * 1024;

/// A request, framework-neutral.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// Method.
    pub method: &'a Method,
    /// URI (path and query).
    pub uri: &'a Uri,
    /// Headers.
    pub headers: &'a HeaderMap,
    /// The whole body (at most [`MAX_BODY`]).
    pub body: &'a [u8],
    /// The client (for login tracking).
    pub client: &'a ClientInfo,
}

impl HttpRequest<'_> {
    /// A query parameter.
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.uri.query()?;
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// Whether a query parameter is present (with any value).
    pub fn has_query(&self, name: &str) -> bool {
        self.uri
            .query()
            .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == name))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the body is JSON.
    pub fn is_json(&self) -> bool {
        input::is_json_content_type(self.header("content-type"))
    }
}

/// Flask-Security's HTTP behaviour over a [`Security`] service.
#[derive(Debug, Clone)]
pub struct Portcullis {
    security: Security,
    csrf: Csrf,
}

impl Portcullis {
    /// Wraps a service.
    pub fn new(security: Security) -> Result<Self> {
        let csrf = Csrf::new(security.config())?;
        Ok(Self { security, csrf })
    }

    /// The service.
    pub fn security(&self) -> &Security {
        &self.security
    }

    /// The CSRF helper.
    pub fn csrf(&self) -> &Csrf {
        &self.csrf
    }
}
