//! A tower layer that enforces a [`Rule`] (`portcullis-http` decides).

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use portcullis_http::{RequestHead, Rule};

use crate::extract::{context, head};
use crate::layer::into_axum;

/// A tower layer enforcing a [`Rule`] (use with `route_layer`).
#[derive(Debug, Clone)]
pub struct Guard {
    rule: Arc<Rule>,
}

impl Guard {
    /// A guard for `rule`.
    pub fn new(rule: Rule) -> Self {
        Self {
            rule: Arc::new(rule),
        }
    }

    /// [`Rule::authenticated`].
    pub fn auth_required() -> Self {
        Self::new(Rule::authenticated())
    }
}

impl From<Rule> for Guard {
    fn from(rule: Rule) -> Self {
        Self::new(rule)
    }
}

impl<S> tower::Layer<S> for Guard {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GuardService {
            inner,
            rule: self.rule.clone(),
        }
    }
}

/// The service [`Guard`] makes.
#[derive(Debug, Clone)]
pub struct GuardService<S> {
    inner: S,
    rule: Arc<Rule>,
}

impl<S> tower::Service<Request> for GuardService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        // The clone that was polled ready serves this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let rule = self.rule.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let ctx = match context(&parts) {
                Ok(ctx) => ctx,
                Err(r) => return Ok(r.into_response()),
            };
            let head: RequestHead<'_> = head(&parts);
            match ctx.authorize(&rule, head).await {
                Ok(_) => inner.call(Request::from_parts(parts, body)).await,
                Err(r) => Ok(into_axum(*r)),
            }
        })
    }
}
