//! Who is asking: auth token, session, or HTTP Basic — tried in
//! Flask-Security's order — and the guards' answers.

use http::StatusCode;
use portcullis_core::crypto::encoding::b64_decode;
use portcullis_core::flows::Freshness;
use portcullis_core::{MessageKey, Result, User};
use serde_json::json;

use crate::input::FormData;
use crate::respond::HttpResponse;
use crate::session::{SessionState, keys};
use crate::{HttpRequest, Portcullis};

/// An authentication mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// An auth token (header, query or JSON body).
    Token,
    /// The session cookie.
    Session,
    /// HTTP Basic.
    Basic,
}

impl Mechanism {
    /// Flask-Security's name.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Token => "token",
            Mechanism::Session => "session",
            Mechanism::Basic => "basic",
        }
    }

    /// Parses a name from `SECURITY_API_ENABLED_METHODS`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "token" => Some(Mechanism::Token),
            "session" => Some(Mechanism::Session),
            "basic" => Some(Mechanism::Basic),
            _ => None,
        }
    }
}

/// An authenticated request.
#[derive(Debug, Clone)]
pub struct RequestAuth {
    /// The user (active, current).
    pub user: User,
    /// How.
    pub mechanism: Mechanism,
    /// When the primary authentication happened, if known.
    pub fs_paa: Option<f64>,
}

impl Portcullis {
    /// The auth token a request carries: JSON body key, else query
    /// parameter, else header (Flask-Security's precedence).
    pub fn sent_auth_token(
        &self,
        req: &HttpRequest<'_>,
        body: Option<&FormData>,
    ) -> Option<String> {
        let c = self.security().config();
        body.and_then(|b| b.raw(&c.token_authentication_key))
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .or_else(|| req.query(&c.token_authentication_key))
            .or_else(|| {
                req.header(&c.token_authentication_header)
                    .map(str::to_owned)
            })
            .filter(|t| !t.is_empty())
    }

    /// Authenticates by the first of `allowed` that succeeds, in the order
    /// token, session, basic. A session naming a user that is gone,
    /// inactive or whose uniquifier rotated is logged out.
    pub async fn authenticate(
        &self,
        req: &HttpRequest<'_>,
        body: Option<&FormData>,
        session: &mut SessionState,
        allowed: &[Mechanism],
    ) -> Result<Option<RequestAuth>> {
        let s = self.security();
        if allowed.contains(&Mechanism::Token)
            && let Some(token) = self.sent_auth_token(req, body)
            && let Some(t) = s.authenticate_token(&token).await?
        {
            let fs_paa = if s.config().freshness_allow_auth_token {
                t.token.fs_paa
            } else {
                None
            };
            return Ok(Some(RequestAuth {
                user: t.user,
                mechanism: Mechanism::Token,
                fs_paa,
            }));
        }
        if allowed.contains(&Mechanism::Session)
            && let Some(uid) = session.user_id().map(str::to_owned)
        {
            match s.load_session_user(&uid).await? {
                Some(user) => {
                    return Ok(Some(RequestAuth {
                        user,
                        mechanism: Mechanism::Session,
                        fs_paa: session.get_f64(keys::FS_PAA),
                    }));
                }
                None => session.logout(),
            }
        }
        if allowed.contains(&Mechanism::Session)
            && session.user_id().is_none()
            && let Some(cookie) = req.cookie(&s.config().remember_cookie_name)
            && let Some(user) = s.remembered_user(&cookie).await?
        {
            session.login_remembered(&user.fs_uniquifier);
            return Ok(Some(RequestAuth {
                user,
                mechanism: Mechanism::Session,
                fs_paa: None,
            }));
        }
        if allowed.contains(&Mechanism::Basic)
            && let Some((identity, password)) = basic_credentials(req)
            && let Some(user) = s
                .verify_credentials(&identity, &password, req.client)
                .await?
        {
            return Ok(Some(RequestAuth {
                user,
                mechanism: Mechanism::Basic,
                fs_paa: Some(s.clock().unix_time()),
            }));
        }
        Ok(None)
    }

    /// The 401 Flask-Security answers when authentication is missing
    /// (with a Basic challenge when Basic was allowed).
    pub fn unauthenticated(&self, allowed: &[Mechanism]) -> HttpResponse {
        let s = self.security();
        let r = HttpResponse::error(
            StatusCode::UNAUTHORIZED,
            &s.messages().render(&MessageKey::Unauthenticated.into()),
        );
        if allowed.contains(&Mechanism::Basic) {
            r.with_basic_challenge(&s.config().default_http_auth_realm)
        } else {
            r
        }
    }

    /// Flask-Security's `default_unauthn_handler` for an application
    /// route: JSON clients (and any request where Basic is allowed, whose
    /// challenge a browser answers) get the 401 envelope; browsers are sent
    /// to the login page with `next` set to where they were going.
    pub(crate) fn unauthenticated_for(
        &self,
        head: crate::RequestHead<'_>,
        allowed: &[Mechanism],
    ) -> HttpResponse {
        if wants_json(head) || allowed.contains(&Mechanism::Basic) {
            return self.unauthenticated(allowed);
        }
        let next = head.uri.path_and_query().map_or("/", |p| p.as_str());
        let login = self.view(&self.security().config().login_url);
        HttpResponse::redirect(&crate::respond::with_next(&login, next))
    }

    /// Flask-Security's `default_unauthz_handler` for an application
    /// route: JSON clients get the 403 envelope; browsers are sent to
    /// `SECURITY_UNAUTHORIZED_VIEW` when it is set (403 otherwise).
    pub(crate) fn forbidden_for(&self, head: crate::RequestHead<'_>) -> HttpResponse {
        match &self.security().config().unauthorized_view {
            Some(view) if !wants_json(head) => HttpResponse::redirect(&self.view(view)),
            _ => self.forbidden(),
        }
    }

    /// The 403 for a missing role or permission.
    pub fn forbidden(&self) -> HttpResponse {
        HttpResponse::error(
            StatusCode::FORBIDDEN,
            &self
                .security()
                .messages()
                .render(&MessageKey::Unauthorized.into()),
        )
    }

    /// Checks freshness (`SECURITY_FRESHNESS` unless `within` is given);
    /// the 401 asking for re-authentication when stale. Basic is always fresh.
    pub fn require_fresh(
        &self,
        auth: &RequestAuth,
        session: &mut SessionState,
        within: Option<chrono::TimeDelta>,
    ) -> Result<(), Box<HttpResponse>> {
        let c = self.security().config();
        if auth.mechanism == Mechanism::Basic {
            return Ok(());
        }
        let gexp = if auth.mechanism == Mechanism::Session {
            session.values().get(keys::FS_GEXP).and_then(|v| v.as_i64())
        } else {
            None
        };
        match self.security().check_freshness(
            auth.fs_paa,
            gexp,
            within.unwrap_or(c.freshness),
            c.freshness_grace_period,
        ) {
            Freshness::Fresh { grace_until } => {
                if auth.mechanism == Mechanism::Session {
                    session.set(keys::FS_GEXP, json!(grace_until));
                }
                Ok(())
            }
            Freshness::Stale => {
                let msg = self
                    .security()
                    .messages()
                    .render(&MessageKey::ReauthenticationRequired.into());
                Err(Box::new(HttpResponse::envelope(
                    StatusCode::UNAUTHORIZED,
                    json!({"errors": [msg], "reauth_required": true, "unified_signin_enabled": c.unified_signin,
                           "has_webauthn_verify_credential": false, "oauth_enabled": self.security().config().oauth_enable, "oauth_providers": self.security().oauth_provider_names()}),
                )))
            }
        }
    }
}

fn basic_credentials(req: &HttpRequest<'_>) -> Option<(String, String)> {
    let value = req.header("authorization")?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(b64_decode(encoded.trim())?).ok()?;
    let (user, pass) = decoded.split_once(':')?;
    Some((user.to_owned(), pass.to_owned()))
}

/// Flask-Security's `want_json` for a request head.
fn wants_json(head: crate::RequestHead<'_>) -> bool {
    let client = portcullis_core::flows::ClientInfo::default();
    crate::HttpRequest {
        method: head.method,
        uri: head.uri,
        headers: head.headers,
        body: &[],
        client: &client,
    }
    .wants_json()
}
