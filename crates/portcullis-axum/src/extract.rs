//! Extractors: who is calling, and whether they may.

use std::marker::PhantomData;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
use portcullis_core::User;
use portcullis_http::{HttpResponse, Mechanism};

use crate::guard::{Rule, authenticate};
use crate::middleware::{AuthContext, into_axum};

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

/// Why an extractor refused (an envelope response).
#[derive(Debug)]
pub struct AuthRejection(Box<HttpResponse>);

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        into_axum(*self.0)
    }
}

fn context(parts: &Parts) -> Result<AuthContext, AuthRejection> {
    parts
        .extensions
        .get::<AuthContext>()
        .cloned()
        .ok_or_else(|| {
            AuthRejection(Box::new(HttpResponse::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "PortcullisAxum::wrap is not installed",
            )))
        })
}

fn unauthenticated() -> AuthRejection {
    AuthRejection(Box::new(HttpResponse::error(
        StatusCode::UNAUTHORIZED,
        "You must sign in to view this resource.",
    )))
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match Rule::authenticated()
            .evaluate(&context(parts)?, parts)
            .await
        {
            Ok(Some(a)) => Ok(CurrentUser {
                user: a.user,
                mechanism: a.mechanism,
                fs_paa: a.fs_paa,
            }),
            Ok(None) => Err(unauthenticated()),
            Err(r) => Err(AuthRejection(r)),
        }
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        let ctx = context(parts)?;
        let api = ctx.portcullis.api_mechanisms();
        Ok(authenticate(&ctx, parts, api).await.map(|a| CurrentUser {
            user: a.user,
            mechanism: a.mechanism,
            fs_paa: a.fs_paa,
        }))
    }
}

/// A named authorization rule, for [`Authorized`].
pub trait Policy: Send + Sync + 'static {
    /// The rule.
    fn rule() -> Rule;
}

/// The user, if the [`Policy`] `P` lets them in; 401/403 otherwise.
#[derive(Debug, Clone)]
pub struct Authorized<P: Policy>(pub CurrentUser, PhantomData<P>);

impl<S: Send + Sync, P: Policy> FromRequestParts<S> for Authorized<P> {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match P::rule().evaluate(&context(parts)?, parts).await {
            Ok(Some(a)) => Ok(Authorized(
                CurrentUser {
                    user: a.user,
                    mechanism: a.mechanism,
                    fs_paa: a.fs_paa,
                },
                PhantomData,
            )),
            Ok(None) => Err(unauthenticated()),
            Err(r) => Err(AuthRejection(r)),
        }
    }
}

/// Only for callers who are not logged in (400 `ANONYMOUS_USER_REQUIRED` otherwise).
#[derive(Debug, Clone, Copy)]
pub struct Anonymous;

impl<S: Send + Sync> FromRequestParts<S> for Anonymous {
    type Rejection = AuthRejection;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match Rule::anonymous().evaluate(&context(parts)?, parts).await {
            Ok(_) => Ok(Anonymous),
            Err(r) => Err(AuthRejection(r)),
        }
    }
}
