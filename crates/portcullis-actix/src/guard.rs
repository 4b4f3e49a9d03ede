//! A middleware that enforces a [`Rule`] on a scope or resource
//! (`portcullis-http` decides).

use std::future::{Ready, ready};
use std::rc::Rc;
use std::sync::Arc;

use actix_web::Error;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use futures_util::future::LocalBoxFuture;
use portcullis_http::Rule;

use crate::convert::{Head, to_actix};
use crate::extract::context;

/// Enforces a [`Rule`]: `web::scope("/admin").wrap(Require::new(Rule::roles_required(["admin"])))`.
/// Needs [`PortcullisActix::wrap`](crate::PortcullisActix::wrap) around the app.
#[derive(Debug, Clone)]
pub struct Require {
    rule: Arc<Rule>,
}

impl Require {
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

impl From<Rule> for Require {
    fn from(rule: Rule) -> Self {
        Self::new(rule)
    }
}

impl<S, B> Transform<S, ServiceRequest> for Require
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = Error;
    type Transform = RequireMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequireMiddleware {
            service: Rc::new(service),
            rule: self.rule.clone(),
        }))
    }
}

/// The service [`Require`] makes.
#[derive(Debug)]
pub struct RequireMiddleware<S> {
    service: Rc<S>,
    rule: Arc<Rule>,
}

impl<S, B> Service<ServiceRequest> for RequireMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        let rule = self.rule.clone();
        Box::pin(async move {
            let refused = match context(req.request()) {
                Ok(ctx) => {
                    let head = Head::of(req.request());
                    ctx.authorize(&rule, head.as_head()).await.err()
                }
                Err(e) => Some(Box::new(e.into_response())),
            };
            match refused {
                None => Ok(service.call(req).await?.map_into_left_body()),
                Some(r) => Ok(req.into_response(to_actix(*r)).map_into_right_body()),
            }
        })
    }
}
