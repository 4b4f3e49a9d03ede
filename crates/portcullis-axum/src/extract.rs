//! Extractors: who is calling, and whether they may (`portcullis-http`
//! decides).

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use portcullis_core::User;
use portcullis_http::{
    HttpResponse, Mechanism, Policy, RequestAuth, RequestContext, RequestHead, Rule,
};

use crate::layer::into_axum;

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

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        into_axum(*self.0)
    }
}

pub(crate) fn context(parts: &Parts) -> Result<RequestContext, AuthRejection> {
    parts
        .extensions
        .get::<RequestContext>()
        .cloned()
        .ok_or_else(|| {
            AuthRejection(Box::new(HttpResponse::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "PortcullisAxum's layer is not installed",
            )))
        })
}

pub(crate) fn head(parts: &Parts) -> RequestHead<'_> {
    RequestHead {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
    }
}

async fn require(parts: &Parts, rule: &Rule) -> Result<RequestAuth, AuthRejection> {
    context(parts)?
        .require(rule, head(parts))
        .await
        .map_err(AuthRejection)
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        require(parts, &Rule::authenticated()).await.map(Into::into)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(context(parts)?
            .current_user(head(parts))
            .await
            .map_err(AuthRejection)?
            .map(CurrentUser::from))
    }
}

/// The user, if the [`Policy`] `P` lets them in; 401/403 otherwise.
#[derive(Debug, Clone)]
pub struct Authorized<P: Policy>(pub CurrentUser, PhantomData<P>);

impl<S: Send + Sync, P: Policy> FromRequestParts<S> for Authorized<P> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        require(parts, &P::rule())
            .await
            .map(|a| Authorized(a.into(), PhantomData))
    }
}

/// Only for callers who are not logged in (400 `ANONYMOUS_USER_REQUIRED` otherwise).
#[derive(Debug, Clone, Copy)]
pub struct Anonymous;

impl<S: Send + Sync> FromRequestParts<S> for Anonymous {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        context(parts)?
            .authorize(&Rule::anonymous(), head(parts))
            .await
            .map(|_| Anonymous)
            .map_err(AuthRejection)
    }
}
