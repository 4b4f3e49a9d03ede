//! Authorization rules, and a tower layer that enforces one.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use chrono::TimeDelta;
use http::StatusCode;
use portcullis_core::MessageKey;
use portcullis_http::{HttpResponse, Mechanism, RequestAuth};

use crate::middleware::{AuthContext, into_axum};

/// What a route needs: Flask-Security's `auth_required`,
/// `roles_required` / `roles_accepted`, `permissions_required` /
/// `permissions_accepted`, and `anonymous_user_required`. Role and
/// permission rules authenticate first (401), then authorize (403).
#[derive(Debug, Clone, Default)]
pub struct Rule {
    mechanisms: Option<Vec<Mechanism>>,
    within: Option<TimeDelta>,
    roles_required: Vec<String>,
    roles_accepted: Vec<String>,
    permissions_required: Vec<String>,
    permissions_accepted: Vec<String>,
    anonymous: bool,
}

fn strings<I: IntoIterator<Item = S>, S: Into<String>>(i: I) -> Vec<String> {
    i.into_iter().map(Into::into).collect()
}

impl Rule {
    /// Any authenticated user (by `SECURITY_API_ENABLED_METHODS`).
    pub fn authenticated() -> Self {
        Self::default()
    }

    /// Only these mechanisms count.
    pub fn mechanisms(mut self, m: impl IntoIterator<Item = Mechanism>) -> Self {
        self.mechanisms = Some(m.into_iter().collect());
        self
    }

    /// The primary authentication must be at most `within` old.
    pub fn fresh_within(mut self, within: TimeDelta) -> Self {
        self.within = Some(within);
        self
    }

    /// Every one of these roles.
    pub fn roles_required<I: IntoIterator<Item = S>, S: Into<String>>(roles: I) -> Self {
        Self {
            roles_required: strings(roles),
            ..Self::default()
        }
    }

    /// At least one of these roles.
    pub fn roles_accepted<I: IntoIterator<Item = S>, S: Into<String>>(roles: I) -> Self {
        Self {
            roles_accepted: strings(roles),
            ..Self::default()
        }
    }

    /// Every one of these permissions.
    pub fn permissions_required<I: IntoIterator<Item = S>, S: Into<String>>(p: I) -> Self {
        Self {
            permissions_required: strings(p),
            ..Self::default()
        }
    }

    /// At least one of these permissions.
    pub fn permissions_accepted<I: IntoIterator<Item = S>, S: Into<String>>(p: I) -> Self {
        Self {
            permissions_accepted: strings(p),
            ..Self::default()
        }
    }

    /// Only callers who are not logged in.
    pub fn anonymous() -> Self {
        Self {
            anonymous: true,
            ..Self::default()
        }
    }

    /// Checks the request: the user when allowed, else the 400/401/403
    /// envelope Flask-Security answers.
    pub(crate) async fn evaluate(
        &self,
        ctx: &AuthContext,
        parts: &http::request::Parts,
    ) -> Result<Option<RequestAuth>, Box<HttpResponse>> {
        let p = &ctx.portcullis;
        // Borrowed, not rebuilt per request.
        let allowed: &[Mechanism] = self.mechanisms.as_deref().unwrap_or(p.api_mechanisms());
        let auth = authenticate(ctx, parts, allowed).await;
        if self.anonymous {
            return match auth {
                Some(_) => Err(Box::new(HttpResponse::error(
                    StatusCode::BAD_REQUEST,
                    &p.security()
                        .messages()
                        .render(&MessageKey::AnonymousUserRequired.into()),
                ))),
                None => Ok(None),
            };
        }
        let Some(auth) = auth else {
            return Err(Box::new(p.unauthenticated(allowed)));
        };
        let u = &auth.user;
        let ok = self.roles_required.iter().all(|r| u.has_role(r))
            && (self.roles_accepted.is_empty()
                || self.roles_accepted.iter().any(|r| u.has_role(r)))
            && self
                .permissions_required
                .iter()
                .all(|x| u.has_permission(x))
            && (self.permissions_accepted.is_empty()
                || self
                    .permissions_accepted
                    .iter()
                    .any(|x| u.has_permission(x)));
        if !ok {
            return Err(Box::new(p.forbidden()));
        }
        // Flask-Security's `auth_required` checks CSRF for the mechanisms in
        // SECURITY_CSRF_PROTECT_MECHANISMS; outside its own forms the token
        // comes in a header.
        let c = p.security().config();
        let unsafe_method = !matches!(
            parts.method,
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        );
        if unsafe_method
            && c.wtf_csrf_enabled
            && c.csrf_protect_mechanisms
                .iter()
                .any(|m| m == auth.mechanism.name())
        {
            let session = ctx.session.lock().await;
            let sent = p.csrf().sent(&parts.headers, None);
            if let Err(f) = p.csrf().check(&session, sent, p.security().now_secs()) {
                return Err(Box::new(HttpResponse::error(
                    StatusCode::BAD_REQUEST,
                    f.message(),
                )));
            }
        }
        if let Some(within) = self.within {
            let mut session = ctx.session.lock().await;
            p.require_fresh(&auth, &mut session, Some(within))?;
        }
        Ok(Some(auth))
    }
}

/// Authenticates once per request (header/query token, session, basic).
pub(crate) async fn authenticate(
    ctx: &AuthContext,
    parts: &http::request::Parts,
    allowed: &[Mechanism],
) -> Option<RequestAuth> {
    let mut cached = ctx.cached.lock().await;
    if let Some(Some(a)) = cached.as_ref()
        && allowed.contains(&a.mechanism)
    {
        return Some(a.clone());
    }
    let client = portcullis_core::flows::ClientInfo::default();
    let req = portcullis_http::HttpRequest {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body: b"",
        client: &client,
    };
    let mut session = ctx.session.lock().await;
    let found = match ctx
        .portcullis
        .authenticate(&req, None, &mut session, allowed)
        .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(error = %e, "authentication failed");
            None
        }
    };
    *cached = Some(found.clone());
    found
}

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

    /// [`Rule::roles_required`].
    pub fn roles_required<I: IntoIterator<Item = S>, S: Into<String>>(roles: I) -> Self {
        Self::new(Rule::roles_required(roles))
    }

    /// [`Rule::roles_accepted`].
    pub fn roles_accepted<I: IntoIterator<Item = S>, S: Into<String>>(roles: I) -> Self {
        Self::new(Rule::roles_accepted(roles))
    }

    /// [`Rule::permissions_required`].
    pub fn permissions_required<I: IntoIterator<Item = S>, S: Into<String>>(p: I) -> Self {
        Self::new(Rule::permissions_required(p))
    }

    /// [`Rule::permissions_accepted`].
    pub fn permissions_accepted<I: IntoIterator<Item = S>, S: Into<String>>(p: I) -> Self {
        Self::new(Rule::permissions_accepted(p))
    }

    /// [`Rule::anonymous`].
    pub fn anonymous_required() -> Self {
        Self::new(Rule::anonymous())
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
            let Some(ctx) = req.extensions().get::<AuthContext>().cloned() else {
                return Ok(into_axum(HttpResponse::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "PortcullisAxum::wrap is not installed",
                )));
            };
            let (parts, body) = req.into_parts();
            match rule.evaluate(&ctx, &parts).await {
                Ok(_) => inner.call(Request::from_parts(parts, body)).await,
                Err(r) => Ok(into_axum(*r)),
            }
        })
    }
}
