//! Refresh tokens over HTTP: `POST /refresh-token`, the `fs_refresh`
//! cookie (or `user.refresh_token` when `SECURITY_REFRESH_TOKEN_COOKIE_NAME`
//! is empty), and revocation at logout. The decisions are core's
//! (`Security::refresh`, `issue_refresh_token`, `revoke_refresh_token`).

use http::StatusCode;
use http::header::{HeaderValue, VARY};
use portcullis_core::MessageKey;
use portcullis_core::flows::FormErrors;
use serde_json::{Map, Value, json};

use crate::auth::RequestAuth;
use crate::endpoints::Call;
use crate::input::FormData;
use crate::{HttpRequest, HttpResponse, Portcullis};

type Answer = portcullis_core::Result<HttpResponse>;

impl Portcullis {
    /// The refresh cookie's name, when tokens travel in a cookie.
    fn refresh_cookie_name(&self) -> Option<&str> {
        let c = self.security().config();
        c.refresh_token_cookie_name
            .as_deref()
            .filter(|n| !n.is_empty())
    }

    /// Puts a new refresh token where the settings say: into `user` (JSON
    /// mode), or returns it for the cookie.
    pub(crate) fn place_refresh_token(
        &self,
        user: &mut Map<String, Value>,
        token: Option<String>,
    ) -> Option<String> {
        let token = token?;
        if self.refresh_cookie_name().is_some() {
            return Some(token);
        }
        user.insert("refresh_token".into(), json!(token));
        None
    }

    /// Sets the refresh cookie (a browser-session cookie, as Flask-Security
    /// sets it) and `Vary: Cookie`.
    pub(crate) fn with_refresh_cookie(
        &self,
        r: HttpResponse,
        token: Option<String>,
    ) -> HttpResponse {
        match (self.refresh_cookie_name(), token) {
            (Some(name), Some(t)) => {
                let options = &self.security().config().refresh_token_cookie;
                let mut r = r.with_cookie(name, &t, options, false);
                r.headers.append(VARY, HeaderValue::from_static("Cookie"));
                r
            }
            _ => r,
        }
    }

    /// The refresh token a request presents: the cookie's in cookie mode
    /// (the body is then ignored, as Flask-Security), else the body's
    /// `refresh_token`.
    fn presented_refresh_token(
        &self,
        req: &HttpRequest<'_>,
        form: &FormData,
        errors: &mut FormErrors,
    ) -> Option<String> {
        match self.refresh_cookie_name() {
            Some(name) => req.cookie(name),
            None => form.string("refresh_token", errors),
        }
        .filter(|t| !t.is_empty())
    }

    /// `POST /refresh-token` (JSON only): a new auth token and the
    /// family's next refresh token, in `user`; no `csrf_token`.
    pub(crate) async fn refresh_token(&self, call: Call<'_, '_>) -> Answer {
        let req = call.req;
        if !req.is_json() {
            return Ok(HttpResponse::error(
                StatusCode::BAD_REQUEST,
                "The refresh token must be sent as JSON.",
            ));
        }
        let mut errors = FormErrors::new();
        let token = self.presented_refresh_token(req, &call.form, &mut errors);
        let Some(token) = token.filter(|_| errors.is_empty()) else {
            if errors.is_empty() {
                errors.add("refresh_token", MessageKey::FieldRequired);
            }
            return Ok(self.form_errors(&errors));
        };
        let s = self.security();
        match s.refresh(&token, req.client).await {
            Ok(done) => {
                let mut user = s.security_payload(&done.user);
                user.insert("authentication_token".into(), json!(done.auth_token));
                let cookie = self.place_refresh_token(&mut user, Some(done.refresh_token));
                let mut body = Map::new();
                body.insert("user".into(), Value::Object(user));
                Ok(self.with_refresh_cookie(HttpResponse::ok(body), cookie))
            }
            Err(e) => self.flow_error(e),
        }
    }

    /// At logout: revokes the refresh family the request presents, when it
    /// is the caller's.
    pub(crate) async fn revoke_presented_refresh_token(
        &self,
        req: &HttpRequest<'_>,
        form: &FormData,
        auth: Option<&RequestAuth>,
    ) -> portcullis_core::Result<()> {
        let s = self.security();
        let Some(auth) = auth.filter(|_| s.refresh_tokens_enabled()) else {
            return Ok(());
        };
        let mut ignored = FormErrors::new();
        if let Some(t) = self.presented_refresh_token(req, form, &mut ignored) {
            s.revoke_refresh_token(&t, &auth.user).await?;
        }
        Ok(())
    }

    /// After a logout: the refresh cookie deleted, when the request had one.
    pub(crate) fn clear_refresh_cookie(
        &self,
        req: &HttpRequest<'_>,
        r: HttpResponse,
    ) -> HttpResponse {
        let s = self.security();
        match self.refresh_cookie_name() {
            Some(name) if s.refresh_tokens_enabled() && req.cookie(name).is_some() => {
                r.with_cookie(name, "", &s.config().refresh_token_cookie, true)
            }
            _ => r,
        }
    }
}
