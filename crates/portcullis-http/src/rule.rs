//! Authorization rules for the app's own routes, checked the same way by
//! every adapter's guards and extractors.

use chrono::TimeDelta;
use http::{HeaderMap, Method, StatusCode, Uri};
use portcullis_core::MessageKey;

use crate::auth::{Mechanism, RequestAuth};
use crate::respond::HttpResponse;
use crate::web::RequestContext;

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

    fn grants(&self, auth: &RequestAuth) -> bool {
        let u = &auth.user;
        self.roles_required.iter().all(|r| u.has_role(r))
            && (self.roles_accepted.is_empty() || self.roles_accepted.iter().any(|r| u.has_role(r)))
            && self
                .permissions_required
                .iter()
                .all(|x| u.has_permission(x))
            && (self.permissions_accepted.is_empty()
                || self
                    .permissions_accepted
                    .iter()
                    .any(|x| u.has_permission(x)))
    }
}

/// A named authorization rule, for adapters' `Authorized<P>` extractors.
pub trait Policy: Send + Sync + 'static {
    /// The rule.
    fn rule() -> Rule;
}

/// The parts of a request a rule looks at.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    /// Method.
    pub method: &'a Method,
    /// URI.
    pub uri: &'a Uri,
    /// Headers.
    pub headers: &'a HeaderMap,
}

impl RequestContext {
    /// Checks `rule` for the request: the user when allowed (`None` for an
    /// anonymous-only rule), else the envelope Flask-Security answers —
    /// 401 unauthenticated (with a Basic challenge when Basic is allowed;
    /// a browser is redirected to the login page instead), 403 without the
    /// role or permission (a browser to `SECURITY_UNAUTHORIZED_VIEW` when
    /// set), 400 for a CSRF failure or a
    /// signed-in caller on an anonymous-only route, 401 `reauth_required`
    /// when not fresh, 503 when the store is unavailable.
    pub async fn authorize(
        &self,
        rule: &Rule,
        head: RequestHead<'_>,
    ) -> Result<Option<RequestAuth>, Box<HttpResponse>> {
        let p = &self.portcullis;
        let allowed: &[Mechanism] = rule.mechanisms.as_deref().unwrap_or(p.api_mechanisms());
        let auth = self.authenticate(head, allowed).await?;
        if rule.anonymous {
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
            let refusal = p.unauthenticated_for(head, allowed);
            if refusal.status == StatusCode::FOUND {
                // Flask-Security's default_unauthn_handler flashes it.
                let mut c = self.inner.lock().await;
                p.flash(&mut c.state, MessageKey::Unauthenticated);
            }
            return Err(Box::new(refusal));
        };
        if !rule.grants(&auth) {
            return Err(Box::new(p.forbidden_for(head)));
        }
        self.check_csrf(&auth, head).await?;
        if let Some(within) = rule.within {
            let mut c = self.inner.lock().await;
            p.require_fresh(&auth, &mut c.state, Some(within))?;
        }
        Ok(Some(auth))
    }

    /// [`RequestContext::authorize`] for extractors that hand out a user:
    /// an anonymous-only `rule` lets nobody through here (401).
    pub async fn require(
        &self,
        rule: &Rule,
        head: RequestHead<'_>,
    ) -> Result<RequestAuth, Box<HttpResponse>> {
        match self.authorize(rule, head).await? {
            Some(auth) => Ok(auth),
            None => Err(Box::new(
                self.portcullis
                    .unauthenticated(self.portcullis.api_mechanisms()),
            )),
        }
    }

    /// The caller, if authenticated (by `SECURITY_API_ENABLED_METHODS`);
    /// `None` when anonymous. A caller who is authenticated but fails the
    /// CSRF check of an unsafe request is refused, not treated as
    /// anonymous, so a handler cannot act for them on a forged request.
    pub async fn current_user(
        &self,
        head: RequestHead<'_>,
    ) -> Result<Option<RequestAuth>, Box<HttpResponse>> {
        let allowed = self.portcullis.api_mechanisms();
        let Some(auth) = self.authenticate(head, allowed).await? else {
            return Ok(None);
        };
        self.check_csrf(&auth, head).await?;
        Ok(Some(auth))
    }

    /// Flask-Security's `auth_required` checks CSRF for the mechanisms in
    /// `SECURITY_CSRF_PROTECT_MECHANISMS`; outside its own forms the token
    /// comes in a header.
    async fn check_csrf(
        &self,
        auth: &RequestAuth,
        head: RequestHead<'_>,
    ) -> Result<(), Box<HttpResponse>> {
        let p = &self.portcullis;
        let c = p.security().config();
        let unsafe_method = !matches!(
            *head.method,
            Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
        );
        if !(unsafe_method
            && c.wtf_csrf_enabled
            && c.csrf_protect_mechanisms
                .iter()
                .any(|m| m == auth.mechanism.name()))
        {
            return Ok(());
        }
        let session = self.inner.lock().await;
        let sent = p.csrf().sent(head.headers, None);
        p.csrf()
            .check(&session.state, sent, p.security().now_secs())
            .map_err(|f| Box::new(HttpResponse::error(StatusCode::BAD_REQUEST, f.message())))
    }

    /// Authenticates once per request (header/query token, session,
    /// basic); later calls reuse the answer when its mechanism is allowed.
    async fn authenticate(
        &self,
        head: RequestHead<'_>,
        allowed: &[Mechanism],
    ) -> Result<Option<RequestAuth>, Box<HttpResponse>> {
        let mut c = self.inner.lock().await;
        if let Some(Some(a)) = &c.cached
            && allowed.contains(&a.mechanism)
        {
            return Ok(Some(a.clone()));
        }
        let client = c.client.clone();
        let req = crate::HttpRequest {
            method: head.method,
            uri: head.uri,
            headers: head.headers,
            body: b"",
            client: &client,
        };
        match self
            .portcullis
            .authenticate(&req, None, &mut c.state, allowed)
            .await
        {
            Ok(found) => {
                c.cached = Some(found.clone());
                Ok(found)
            }
            Err(e) => {
                tracing::error!(error = %e, "authentication failed");
                Err(Box::new(self.portcullis.flow_failure(&e)))
            }
        }
    }
}
