//! Extractors: who is calling, and whether they may (`portcullis-http`
//! decides). `Option<CurrentUser>` is actix-web's own: `None` for an
//! anonymous caller and for one refused (e.g. a failed CSRF check), so a
//! handler never acts for a user on a forged request.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, ResponseError};
use futures_util::future::LocalBoxFuture;
use http::StatusCode;
use portcullis_core::User;
use portcullis_http::{HttpResponse, Mechanism, Policy, RequestAuth, RequestContext, Rule};

use crate::convert::{Head, to_actix};

/// The authenticated user (by `SECURITY_API_ENABLED_METHODS`); a 401
/// envelope otherwise.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The user.
    pub user: User,
    /// How they authenticated.
    pub mechanism: Mechanism,
    /// When they last authenticated with a primary factor.
    pub fs_paa: Option<f64>,
}

impl From<RequestAuth> for CurrentUser {
    fn from(a: RequestAuth) -> Self {
        CurrentUser {
            user: a.user,
            mechanism: a.mechanism,
            fs_paa: a.fs_paa,
        }
    }
}

/// Why an extractor refused (an envelope response).
#[derive(Debug)]
pub struct AuthRejection(Box<HttpResponse>);

impl AuthRejection {
    pub(crate) fn into_response(self) -> HttpResponse {
        *self.0
    }
}

impl std::fmt::Display for AuthRejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "refused with {}", self.0.status)
    }
}

impl ResponseError for AuthRejection {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.0.status.as_u16())
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        to_actix((*self.0).clone())
    }
}

pub(crate) fn context(req: &HttpRequest) -> Result<RequestContext, AuthRejection> {
    req.extensions()
        .get::<RequestContext>()
        .cloned()
        .ok_or_else(|| {
            AuthRejection(Box::new(HttpResponse::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "PortcullisActix::wrap is not installed",
            )))
        })
}

fn require(
    req: &HttpRequest,
    rule: Rule,
) -> LocalBoxFuture<'static, Result<RequestAuth, AuthRejection>> {
    let ctx = context(req);
    let head = Head::of(req);
    Box::pin(async move {
        ctx?.require(&rule, head.as_head())
            .await
            .map_err(AuthRejection)
    })
}

impl FromRequest for CurrentUser {
    type Error = AuthRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = require(req, Rule::authenticated());
        Box::pin(async move { fut.await.map(Into::into) })
    }
}

/// The user, if the [`Policy`] `P` lets them in; 401/403 otherwise.
#[derive(Debug, Clone)]
pub struct Authorized<P: Policy>(pub CurrentUser, PhantomData<P>);

impl<P: Policy> FromRequest for Authorized<P> {
    type Error = AuthRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let fut = require(req, P::rule());
        Box::pin(async move { fut.await.map(|a| Authorized(a.into(), PhantomData)) })
    }
}

/// Only for callers who are not logged in (400 `ANONYMOUS_USER_REQUIRED` otherwise).
#[derive(Debug, Clone, Copy)]
pub struct Anonymous;

impl FromRequest for Anonymous {
    type Error = AuthRejection;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let ctx = context(req);
        let head = Head::of(req);
        Box::pin(async move {
            ctx?.authorize(&Rule::anonymous(), head.as_head())
                .await
                .map(|_| Anonymous)
                .map_err(AuthRejection)
        })
    }
}
