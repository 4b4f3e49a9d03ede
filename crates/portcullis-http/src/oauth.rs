//! Social and OpenID Connect login (`SECURITY_OAUTH_ENABLE`), answering
//! as Flask-Security's `oauth_glue` views: every answer is a redirect
//! (to the provider, to where the user goes next, or to an error view),
//! but a signed-in JSON caller's start, which is a 400 envelope. The
//! decisions are core's (`Security::oauth_*`).

use http::StatusCode;
use portcullis_core::config::RedirectBehavior;
use portcullis_core::flows::{LoginStep, PendingLogin};
use portcullis_core::oauth::{OAuthPending, OAuthPurpose, OAuthResponse};
use portcullis_core::{FlowError, MessageKey, User};
use serde_json::json;

use crate::endpoints::{Call, Endpoint};
use crate::respond::{HttpResponse, RedirectRules, is_allowed_redirect, with_query};
use crate::session::{SessionState, keys};
use crate::{HttpRequest, Portcullis};

type Answer = portcullis_core::Result<HttpResponse>;

impl Portcullis {
    /// The four OAuth endpoints.
    pub(crate) async fn oauth(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let name = call.token.unwrap_or_default();
        if self.security().oauth_provider(name).is_none() {
            return Ok(HttpResponse::error(StatusCode::NOT_FOUND, "Not Found"));
        }
        match call.endpoint {
            Endpoint::OauthStart => self.oauth_start(&call, session, OAuthPurpose::Login).await,
            Endpoint::OauthVerifyStart => {
                self.oauth_start(&call, session, OAuthPurpose::Verify).await
            }
            Endpoint::OauthResponse => self.oauth_login(&call, session).await,
            _ => self.oauth_verify(&call, session).await,
        }
    }

    /// `POST /login/oauthstart/<name>` and `/login/oauth-verify-start/<name>`:
    /// `next` kept in the session (never in the redirect URI, which a
    /// provider may match exactly), and the browser sent to the provider.
    async fn oauth_start(
        &self,
        call: &Call<'_, '_>,
        session: &mut SessionState,
        purpose: OAuthPurpose,
    ) -> Answer {
        let req = call.req;
        let name = call.token.unwrap_or_default();
        session.remove(keys::OAUTH_NEXT);
        if let Some(next) = req.query("next").filter(|n| !n.is_empty()) {
            session.set(keys::OAUTH_NEXT, json!(next));
        }
        if purpose == OAuthPurpose::Login && req.has_query("include_auth_token") {
            session.set(keys::OAUTH_WANTS_TOKEN, json!(true));
        } else {
            session.remove(keys::OAUTH_WANTS_TOKEN);
        }
        let redirect_uri = self.oauth_redirect_uri(req, purpose, name);
        match self
            .security()
            .oauth_start(name, purpose, &redirect_uri)
            .await
        {
            Ok(Some((url, pending))) => {
                session.set(keys::OAUTH_PENDING, json!(pending));
                Ok(HttpResponse::redirect(&url))
            }
            Ok(None) => Ok(HttpResponse::error(StatusCode::NOT_FOUND, "Not Found")),
            Err(e) => self.oauth_refused(session, e, purpose),
        }
    }

    /// The external URL the provider sends the browser back to.
    fn oauth_redirect_uri(
        &self,
        req: &HttpRequest<'_>,
        purpose: OAuthPurpose,
        name: &str,
    ) -> String {
        let c = self.security().config();
        let scheme = if self.request_https(req) {
            "https"
        } else {
            "http"
        };
        let host = self.request_host(req).unwrap_or_else(|| "localhost".into());
        let path = match purpose {
            OAuthPurpose::Login => &c.oauth_response_url,
            OAuthPurpose::Verify => &c.oauth_verify_response_url,
        };
        format!("{scheme}://{host}{}/{name}", self.security().path(path))
    }

    /// The session's pending request, taken out of it: used once, whatever
    /// the answer.
    fn take_oauth_pending(session: &mut SessionState) -> Option<OAuthPending> {
        let pending = session
            .values()
            .get(keys::OAUTH_PENDING)
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok());
        session.remove(keys::OAUTH_PENDING);
        pending
    }

    /// The provider's query.
    fn oauth_response(req: &HttpRequest<'_>) -> OAuthResponse {
        OAuthResponse {
            state: req.query("state"),
            code: req.query("code"),
            error: req.query("error"),
            error_description: req.query("error_description"),
        }
    }

    /// `GET /login/oauthresponse/<name>`.
    async fn oauth_login(&self, call: &Call<'_, '_>, session: &mut SessionState) -> Answer {
        let req = call.req;
        let s = self.security();
        let c = s.config();
        let pending = Self::take_oauth_pending(session);
        let wants_token = session.get_bool(keys::OAUTH_WANTS_TOKEN);
        session.remove(keys::OAUTH_WANTS_TOKEN);
        if call.auth.is_some() {
            // Signed in meanwhile (another tab): nothing to do.
            session.remove(keys::OAUTH_NEXT);
            return Ok(HttpResponse::redirect(&self.view(&c.post_login_view)));
        }
        let validity = req.cookie(&c.two_factor_validity_cookie_name);
        let step = s
            .oauth_login(
                call.token.unwrap_or_default(),
                pending,
                &Self::oauth_response(req),
                validity.as_deref(),
                req.client,
            )
            .await;
        let next = session.get_str(keys::OAUTH_NEXT).map(str::to_owned);
        session.remove(keys::OAUTH_NEXT);
        match step {
            Ok(LoginStep::Done(a)) => {
                session.tf_clean();
                session.login(&a.user.fs_uniquifier, a.fs_paa, a.remember);
                if wants_token {
                    session.set(
                        keys::OAUTH_TOKEN,
                        json!(s.issue_auth_token(&a.user, a.fs_paa)),
                    );
                }
                Ok(self.oauth_landing(
                    req,
                    &a.user,
                    c.post_oauth_login_view.as_deref(),
                    &c.post_login_view,
                    next,
                ))
            }
            Ok(LoginStep::SecondFactor(p)) => Ok(self.oauth_second_factor(session, &p, next)),
            Err(e) => self.oauth_refused(session, e, OAuthPurpose::Login),
        }
    }

    /// `GET /login/oauth-verify-response/<name>`: the signed-in user
    /// re-authenticated by the provider.
    async fn oauth_verify(&self, call: &Call<'_, '_>, session: &mut SessionState) -> Answer {
        let req = call.req;
        let s = self.security();
        let c = s.config();
        let pending = Self::take_oauth_pending(session);
        let next = session.get_str(keys::OAUTH_NEXT).map(str::to_owned);
        session.remove(keys::OAUTH_NEXT);
        let Some(a) = call.auth.as_ref() else {
            let e = FlowError::Form(portcullis_core::FormErrors::form(
                MessageKey::Unauthenticated,
            ));
            return self.oauth_refused(session, e, OAuthPurpose::Verify);
        };
        let result = s
            .oauth_reauthenticate(
                call.token.unwrap_or_default(),
                pending,
                &Self::oauth_response(req),
                &a.user,
                req.client,
            )
            .await;
        match result {
            Ok(paa) => {
                if a.mechanism == crate::auth::Mechanism::Session {
                    session.set(keys::FS_PAA, json!(paa));
                    session.remove(keys::FS_GEXP);
                }
                let spa = c.redirect_behavior == RedirectBehavior::Spa;
                if !spa && c.flash_messages {
                    let m = s.messages();
                    let key = MessageKey::ReauthenticationSuccessful;
                    session.flash(m.category(key), &m.render(&key.into()));
                }
                let fallback = c
                    .post_verify_view
                    .clone()
                    .unwrap_or_else(|| c.post_login_view.clone());
                Ok(self.oauth_landing(
                    req,
                    &a.user,
                    c.post_oauth_verify_view.as_deref(),
                    &fallback,
                    next,
                ))
            }
            Err(e) => {
                let r = self.oauth_refused(session, e, OAuthPurpose::Verify)?;
                // Forms go back to the verify page, with `next`.
                if c.redirect_behavior != RedirectBehavior::Spa && r.status == StatusCode::FOUND {
                    let view = if c.unified_signin {
                        &c.us_verify_url
                    } else {
                        &c.verify_url
                    };
                    let target = self.security().path(view);
                    let target = match next.as_deref() {
                        Some(n) => with_query(&target, &[("next", n)]),
                        None => target,
                    };
                    return Ok(HttpResponse::redirect(&target));
                }
                Ok(r)
            }
        }
    }

    /// Where a signed-in (or re-authenticated) user lands: in SPA mode the
    /// SPA's view with `email` and `identity`; otherwise `next` when it is
    /// a safe target, else `view`.
    fn oauth_landing(
        &self,
        req: &HttpRequest<'_>,
        user: &User,
        spa_view: Option<&str>,
        view: &str,
        next: Option<String>,
    ) -> HttpResponse {
        let c = self.security().config();
        if c.redirect_behavior == RedirectBehavior::Spa {
            let target = self.view(spa_view.unwrap_or(view));
            return HttpResponse::redirect(&with_query(
                &target,
                &[("email", &user.email), ("identity", &user.email)],
            ));
        }
        let rules = RedirectRules::from_config(c);
        let host = self.request_host(req);
        match next.filter(|n| is_allowed_redirect(n, host.as_deref(), &rules)) {
            Some(n) => HttpResponse::redirect(&n),
            None => HttpResponse::redirect(&self.view(view)),
        }
    }

    /// A second factor is due after the provider: the half-login kept, and
    /// the browser sent to the page that asks for it (Flask-Security's
    /// `tf_enter` for a request that is not JSON).
    fn oauth_second_factor(
        &self,
        session: &mut SessionState,
        p: &PendingLogin,
        next: Option<String>,
    ) -> HttpResponse {
        let r = self.tf_pending(session, p);
        let c = self.security().config();
        let page = self
            .tf_next_page(&r)
            .unwrap_or_else(|| self.security().path(&c.two_factor_token_validation_url));
        match next {
            Some(n) => HttpResponse::redirect(&with_query(&page, &[("next", &n)])),
            None => HttpResponse::redirect(&page),
        }
    }

    /// A refusal: in SPA mode to `LOGIN_ERROR_VIEW` / `VERIFY_ERROR_VIEW`
    /// with the message under its category; otherwise flashed, and the
    /// browser sent to the login page. Too many failures are a 429 there.
    fn oauth_refused(
        &self,
        session: &mut SessionState,
        e: FlowError,
        purpose: OAuthPurpose,
    ) -> Answer {
        let errors = match e {
            FlowError::Form(f) => f,
            FlowError::Limited(l) => l.errors,
            other => return self.flow_error(other),
        };
        let c = self.security().config();
        let messages = self.security().messages();
        let (category, text) = errors
            .entries()
            .first()
            .map(|(_, m)| (messages.category(m.key).to_owned(), messages.render(m)))
            .unwrap_or_else(|| ("error".into(), String::new()));
        let spa_view = match purpose {
            OAuthPurpose::Login => c.login_error_view.as_deref(),
            OAuthPurpose::Verify => c.verify_error_view.as_deref(),
        };
        let target = match (c.redirect_behavior, spa_view) {
            (RedirectBehavior::Spa, Some(v)) => self.view(v),
            _ => self.security().path(&c.login_url),
        };
        Ok(self.message_redirect(session, &target, &category, &text, &[]))
    }
}

impl Portcullis {
    /// Adds the auth token an OAuth login left in the session (asked for
    /// with `?include_auth_token` at its start) to `r`'s `user`, once.
    pub(crate) fn with_oauth_token(
        &self,
        session: &mut SessionState,
        mut r: HttpResponse,
    ) -> HttpResponse {
        let Some(token) = session.get_str(keys::OAUTH_TOKEN).map(str::to_owned) else {
            return r;
        };
        session.remove(keys::OAUTH_TOKEN);
        if let Some(mut body) = r.json()
            && let Some(user) = body["response"]["user"].as_object_mut()
        {
            user.insert("authentication_token".into(), json!(token));
            r.body = body.to_string().into_bytes();
        }
        r
    }
}
