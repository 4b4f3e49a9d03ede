//! Flask-Security's endpoints, answering as its JSON API does.

use http::{Method, StatusCode};
use portcullis_core::config::RedirectBehavior;
use portcullis_core::events::AuthnVia;
use portcullis_core::flows::{
    Authenticated, ChangePasswordForm, LoginForm, RegisterForm, ResetPasswordForm,
};
use portcullis_core::{FlowError, FormErrors, Message, User};
use serde_json::{Map, Value, json};

use crate::auth::{Mechanism, RequestAuth};
use crate::input::{BodyError, FormData};
use crate::respond::{HttpResponse, with_query};
use crate::session::{SessionState, keys};
use crate::{HttpRequest, MAX_BODY, Portcullis};

type Answer = portcullis_core::Result<HttpResponse>;

/// A request to an endpoint once admitted: what every endpoint family
/// gets instead of a long argument list.
pub(crate) struct Call<'r, 'a> {
    /// Which endpoint.
    pub(crate) endpoint: Endpoint,
    /// The token in the path, for the links that carry one.
    pub(crate) token: Option<&'r str>,
    /// The request.
    pub(crate) req: &'r HttpRequest<'a>,
    /// The body's fields (empty for a GET).
    pub(crate) form: FormData,
    /// Who is asking, if anyone.
    pub(crate) auth: Option<RequestAuth>,
    /// Whether it is a POST.
    pub(crate) post: bool,
}

/// The answer of a family to an endpoint that is not its own (dispatch
/// never sends one).
pub(crate) fn not_this_family() -> HttpResponse {
    HttpResponse::error(StatusCode::NOT_FOUND, "Not Found")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Login,
    SendLogin,
    TokenLogin,
    Logout,
    Register,
    Confirm,
    ConfirmToken,
    Reset,
    ResetToken,
    Change,
    ChangeEmail,
    ChangeEmailToken,
    ChangeUsername,
    RecoverUsername,
    Verify,
    TfSetup,
    TfSetupToken,
    TfValidate,
    TfSelect,
    TfRescue,
    MfRecoveryCodes,
    MfRecovery,
    UsSignin,
    UsSigninSendCode,
    UsVerify,
    UsVerifySendCode,
    UsSetup,
    UsSetupToken,
    UsVerifyLink,
    Unlock,
    UserSessions,
    WanRegister,
    WanRegisterToken,
    WanSignin,
    WanSigninToken,
    WanDelete,
    WanVerify,
    WanVerifyToken,
    RefreshToken,
    OauthStart,
    OauthResponse,
    OauthVerifyStart,
    OauthVerifyResponse,
}

impl Portcullis {
    fn route<'p>(&self, path: &'p str) -> Option<(Endpoint, Option<&'p str>)> {
        let c = self.security().config();
        let prefix = c.url_prefix.as_deref().unwrap_or("").trim_end_matches('/');
        let path = path.strip_prefix(prefix)?;
        let with_token = |base: &str| {
            path.strip_prefix(base)
                .and_then(|r| r.strip_prefix('/'))
                .filter(|t| !t.is_empty() && !t.contains('/'))
        };
        let (tf, us) = (c.two_factor, c.unified_signin);
        let mf = c.multi_factor_recovery_codes && (tf || c.webauthn);
        let wan = c.webauthn;
        let wan_verify = wan && c.freshness.num_seconds() >= 0 && !c.wan_allow_as_verify.is_empty();
        let login_path: &str = if us && c.us_signin_replaces_login {
            ""
        } else {
            &c.login_url
        };
        let own_sessions = c.user_sessions && self.session_store().is_some();
        let exact: [(bool, &str, Endpoint); 31] = [
            (
                self.security().refresh_tokens_enabled(),
                &c.refresh_token_url,
                Endpoint::RefreshToken,
            ),
            (c.passwordless, &c.login_url, Endpoint::SendLogin),
            (wan, &c.wan_register_url, Endpoint::WanRegister),
            (wan, &c.wan_signin_url, Endpoint::WanSignin),
            (wan, &c.wan_delete_url, Endpoint::WanDelete),
            (wan_verify, &c.wan_verify_url, Endpoint::WanVerify),
            (own_sessions, &c.user_sessions_url, Endpoint::UserSessions),
            (
                us && c.us_signin_replaces_login,
                &c.login_url,
                Endpoint::UsSignin,
            ),
            (true, login_path, Endpoint::Login),
            (true, &c.logout_url, Endpoint::Logout),
            (c.registerable, &c.register_url, Endpoint::Register),
            (c.confirmable, &c.confirm_url, Endpoint::Confirm),
            (c.recoverable, &c.reset_url, Endpoint::Reset),
            (c.changeable, &c.change_url, Endpoint::Change),
            (c.change_email, &c.change_email_url, Endpoint::ChangeEmail),
            (
                c.change_username,
                &c.change_username_url,
                Endpoint::ChangeUsername,
            ),
            (
                c.username_recovery,
                &c.username_recovery_url,
                Endpoint::RecoverUsername,
            ),
            (
                c.freshness.num_seconds() >= 0,
                &c.verify_url,
                Endpoint::Verify,
            ),
            (tf, &c.two_factor_setup_url, Endpoint::TfSetup),
            (tf, &c.two_factor_token_validation_url, Endpoint::TfValidate),
            (tf, &c.two_factor_select_url, Endpoint::TfSelect),
            (tf, &c.two_factor_rescue_url, Endpoint::TfRescue),
            (
                mf,
                &c.multi_factor_recovery_codes_url,
                Endpoint::MfRecoveryCodes,
            ),
            (mf, &c.multi_factor_recovery_url, Endpoint::MfRecovery),
            (us, &c.us_signin_url, Endpoint::UsSignin),
            (us, &c.us_signin_send_code_url, Endpoint::UsSigninSendCode),
            (
                us && c.freshness.num_seconds() >= 0,
                &c.us_verify_url,
                Endpoint::UsVerify,
            ),
            (
                us && c.freshness.num_seconds() >= 0,
                &c.us_verify_send_code_url,
                Endpoint::UsVerifySendCode,
            ),
            (us, &c.us_setup_url, Endpoint::UsSetup),
            (us, &c.us_verify_link_url, Endpoint::UsVerifyLink),
            (false, "", Endpoint::Verify),
        ];
        if let Some((_, _, e)) = exact.iter().find(|(on, url, _)| *on && *url == path) {
            return Some((*e, None));
        }
        let oauth = c.oauth_enable;
        let oauth_verify = oauth && c.freshness.num_seconds() >= 0;
        let tokened: [(bool, &str, Endpoint); 14] = [
            (oauth, &c.oauth_start_url, Endpoint::OauthStart),
            (oauth, &c.oauth_response_url, Endpoint::OauthResponse),
            (
                oauth_verify,
                &c.oauth_verify_start_url,
                Endpoint::OauthVerifyStart,
            ),
            (
                oauth_verify,
                &c.oauth_verify_response_url,
                Endpoint::OauthVerifyResponse,
            ),
            (c.passwordless, &c.login_url, Endpoint::TokenLogin),
            (wan, &c.wan_register_url, Endpoint::WanRegisterToken),
            (wan, &c.wan_signin_url, Endpoint::WanSigninToken),
            (wan_verify, &c.wan_verify_url, Endpoint::WanVerifyToken),
            (
                !c.danger_disable_attempt_limits,
                &c.unlock_url,
                Endpoint::Unlock,
            ),
            (tf, &c.two_factor_setup_url, Endpoint::TfSetupToken),
            (us, &c.us_setup_url, Endpoint::UsSetupToken),
            (c.confirmable, &c.confirm_url, Endpoint::ConfirmToken),
            (c.recoverable, &c.reset_url, Endpoint::ResetToken),
            (
                c.change_email,
                &c.change_email_url,
                Endpoint::ChangeEmailToken,
            ),
        ];
        tokened
            .iter()
            .filter(|(on, _, _)| *on)
            .find_map(|(_, base, e)| with_token(base).map(|t| (*e, Some(t))))
    }

    /// Whether `path` is one of Portcullis' endpoints (with its feature on).
    pub fn is_endpoint(&self, path: &str) -> bool {
        self.route(path).is_some()
    }

    /// Answers a request to one of Portcullis' endpoints; `None` when the
    /// path is not one (or its feature is off), for the application to
    /// handle. `session` is read and updated; the adapter saves it when
    /// modified and gives it a new id when asked.
    pub async fn handle(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
    ) -> Option<HttpResponse> {
        let (endpoint, token) = self.route(req.uri.path())?;
        // Endpoints without a page (`/refresh-token`, OAuth's) pass their
        // JSON or redirect through `browser` unchanged, except a 401, which
        // sends a browser to the login page as Flask-Security's handler.
        let result = if req.wants_json() {
            self.dispatch(endpoint, token, req, session).await
        } else {
            self.browser(endpoint, token, req, session).await
        };
        let response = result.unwrap_or_else(|e| self.flow_failure(&e));
        let response = match endpoint {
            Endpoint::Logout if session.user_id().is_none() => {
                self.clear_refresh_cookie(req, response)
            }
            _ => response,
        };
        let response = self.remember_cookie(req, session, response);
        // Flask-Security's `after_request` on its blueprint.
        Some(response.with_cache_control(self.cache_control()))
    }

    /// Sets or clears Flask-Login's remember-me cookie as the login or
    /// logout this request made asks (a logout clears it only when the
    /// request carries one, as Flask-Login).
    fn remember_cookie(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        r: HttpResponse,
    ) -> HttpResponse {
        let s = self.security();
        let c = s.config();
        let options = c.remember_cookie_options();
        match (session.take_remember(), session.user_id()) {
            (Some(true), Some(uid)) => r.with_lasting_cookie(
                &c.remember_cookie_name,
                &s.remember_cookie(uid),
                &options,
                c.remember_cookie_duration.num_seconds(),
            ),
            (Some(false), _) if req.cookie(&c.remember_cookie_name).is_some() => {
                r.with_cookie(&c.remember_cookie_name, "", &options, true)
            }
            _ => r,
        }
    }

    /// The answer to a failure that is no one's input error: 503 with
    /// `Retry-After` when a store or the hashing pool is unavailable (try
    /// again soon), 500 otherwise. Logged; the message says nothing of the
    /// cause.
    pub fn flow_failure(&self, e: &portcullis_core::Error) -> HttpResponse {
        if e.kind() == portcullis_core::ErrorKind::Unavailable {
            // Hashing slots and their queue full, or a store down.
            tracing::warn!(error = %e, "Portcullis is unavailable");
            let msg = self
                .security()
                .messages()
                .render(&portcullis_core::MessageKey::ServerBusy.into());
            return HttpResponse::error(StatusCode::SERVICE_UNAVAILABLE, &msg).with_retry_after(1);
        }
        tracing::error!(error = %e, "a Portcullis request failed");
        HttpResponse::error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The request could not be completed; please try again.",
        )
    }

    pub(crate) async fn dispatch(
        &self,
        endpoint: Endpoint,
        token: Option<&str>,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
    ) -> Answer {
        let call = match self.admit(endpoint, token, req, session).await? {
            Ok(call) => call,
            Err(refused) => return Ok(*refused),
        };
        match endpoint {
            Endpoint::Login | Endpoint::Logout => self.login_endpoints(call, session).await,
            Endpoint::SendLogin | Endpoint::TokenLogin => self.passwordless(call, session).await,
            Endpoint::RefreshToken => self.refresh_token(call).await,
            Endpoint::Register
            | Endpoint::Confirm
            | Endpoint::Reset
            | Endpoint::RecoverUsername => self.account_endpoints(call, session).await,
            Endpoint::ConfirmToken
            | Endpoint::ResetToken
            | Endpoint::Unlock
            | Endpoint::ChangeEmailToken => self.links_endpoints(call, session).await,
            Endpoint::Change
            | Endpoint::ChangeEmail
            | Endpoint::ChangeUsername
            | Endpoint::Verify => self.change_endpoints(call, session).await,
            Endpoint::UserSessions => match call.auth {
                Some(a) => self.user_sessions(req, session, &call.form, a).await,
                None => Ok(self.unauthenticated(self.api_mechanisms())),
            },
            Endpoint::WanRegister
            | Endpoint::WanRegisterToken
            | Endpoint::WanSignin
            | Endpoint::WanSigninToken
            | Endpoint::WanDelete
            | Endpoint::WanVerify
            | Endpoint::WanVerifyToken => self.wan(call, session).await,
            Endpoint::OauthStart
            | Endpoint::OauthResponse
            | Endpoint::OauthVerifyStart
            | Endpoint::OauthVerifyResponse => self.oauth(call, session).await,
            _ => self.mfa(call, session).await,
        }
    }

    /// Admits a request to an endpoint as Flask-Security's decorators do:
    /// the method, the body, who is asking, `auth_required`, CSRF and
    /// `anonymous_user_required`; the parsed [`Call`], or the refusal.
    async fn admit<'r, 'a>(
        &self,
        endpoint: Endpoint,
        token: Option<&'r str>,
        req: &'r HttpRequest<'a>,
        session: &mut SessionState,
    ) -> portcullis_core::Result<Result<Call<'r, 'a>, Box<HttpResponse>>> {
        let c = self.security().config();
        let post = req.method == Method::POST;
        let allowed_methods: &[Method] = match endpoint {
            Endpoint::ConfirmToken
            | Endpoint::ChangeEmailToken
            | Endpoint::UsVerifyLink
            | Endpoint::TokenLogin
            | Endpoint::OauthResponse
            | Endpoint::OauthVerifyResponse
            | Endpoint::Unlock => &[Method::GET],
            Endpoint::OauthStart | Endpoint::OauthVerifyStart => &[Method::POST],
            Endpoint::TfSetupToken
            | Endpoint::UsSetupToken
            | Endpoint::UsSigninSendCode
            | Endpoint::UsVerifySendCode
            | Endpoint::WanRegisterToken
            | Endpoint::WanSigninToken
            | Endpoint::WanVerifyToken
            | Endpoint::RefreshToken => &[Method::POST],
            // Logout's methods are SECURITY_LOGOUT_METHODS, below.
            _ => &[Method::GET, Method::POST],
        };
        let logout_ok = endpoint != Endpoint::Logout
            || c.logout_methods
                .iter()
                .any(|m| m.eq_ignore_ascii_case(req.method.as_str()));
        if !allowed_methods.contains(req.method) || !logout_ok {
            return Ok(Err(Box::new(HttpResponse::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed",
            ))));
        }
        if req.body.len() > MAX_BODY {
            return Ok(Err(Box::new(HttpResponse::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
            ))));
        }
        let form = if post {
            match FormData::parse(req.body, req.is_json()) {
                Ok(f) => f,
                Err(BodyError::MalformedJson) => {
                    return Ok(Err(Box::new(HttpResponse::error(
                        StatusCode::BAD_REQUEST,
                        "The request body is not a JSON object.",
                    ))));
                }
                Err(BodyError::MalformedForm) => {
                    return Ok(Err(Box::new(HttpResponse::error(
                        StatusCode::BAD_REQUEST,
                        "The form data is not valid.",
                    ))));
                }
            }
        } else {
            FormData::default()
        };
        let api = self.api_mechanisms();
        let auth = self.authenticate(req, Some(&form), session, api).await?;
        let needs_auth = matches!(
            endpoint,
            Endpoint::Change
                | Endpoint::ChangeEmail
                | Endpoint::ChangeUsername
                | Endpoint::Verify
                | Endpoint::TfSetupToken
                | Endpoint::MfRecoveryCodes
                | Endpoint::UsVerify
                | Endpoint::UsVerifySendCode
                | Endpoint::UsSetup
                | Endpoint::UsSetupToken
                | Endpoint::UserSessions
                | Endpoint::WanRegister
                | Endpoint::WanRegisterToken
                | Endpoint::WanDelete
                | Endpoint::WanVerify
                | Endpoint::WanVerifyToken
                | Endpoint::OauthVerifyStart
        );
        if needs_auth && auth.is_none() {
            return Ok(Err(Box::new(self.unauthenticated(api))));
        }
        // A logout is exempt from CSRF unless `SECURITY_LOGOUT_CSRF` (then
        // a signed-in caller's logout is checked like any post).
        let csrf_exempt = endpoint == Endpoint::Logout && !(c.logout_csrf && auth.is_some());
        if post
            && !csrf_exempt
            && let Err(r) = self.check_csrf(req, &form, session, auth.as_ref())
        {
            return Ok(Err(r));
        }
        // Flask-Security's `anonymous_user_required` (every request to
        // these) and `_handle_already_auth` (a post to login or unified
        // sign-in; a browser's GET too, while a JSON GET gets its answer so
        // an SPA can read its CSRF token). A browser is sent to the
        // post-login view, JSON gets the 400.
        let anonymous_only = (post && matches!(endpoint, Endpoint::Login | Endpoint::UsSignin))
            || matches!(
                endpoint,
                Endpoint::Register
                    | Endpoint::RecoverUsername
                    | Endpoint::TfRescue
                    | Endpoint::MfRecovery
                    | Endpoint::UsSigninSendCode
                    | Endpoint::UsVerifyLink
                    | Endpoint::TokenLogin
                    | Endpoint::WanSignin
                    | Endpoint::OauthStart
            );
        let browser = !req.wants_json();
        let anonymous_page = browser && matches!(endpoint, Endpoint::Login | Endpoint::UsSignin);
        if (anonymous_only || anonymous_page) && auth.is_some() && browser {
            return Ok(Err(Box::new(HttpResponse::redirect(
                &self.view(&self.security().config().post_login_view),
            ))));
        }
        if anonymous_only && auth.is_some() {
            let msg = self
                .security()
                .messages()
                .render(&portcullis_core::MessageKey::AnonymousUserRequired.into());
            return Ok(Err(Box::new(HttpResponse::error(
                StatusCode::BAD_REQUEST,
                &msg,
            ))));
        }
        Ok(Ok(Call {
            endpoint,
            token,
            req,
            form,
            auth,
            post,
        }))
    }

    /// Flask-Security's `NextFormMixin.validate_next`: a `next` (form or
    /// query) that leaves the site is a field error, `INVALID_REDIRECT`,
    /// and the form fails with it.
    fn check_next(&self, req: &HttpRequest<'_>, form: &FormData, errors: &mut FormErrors) {
        let next = form
            .raw("next")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| req.query("next"))
            .filter(|n| !n.is_empty());
        if let Some(n) = next
            && !crate::respond::is_allowed_redirect(
                &n,
                self.request_host(req).as_deref(),
                &crate::respond::RedirectRules::from_config(self.security().config()),
            )
        {
            errors.add("next", portcullis_core::MessageKey::InvalidRedirect);
        }
    }

    /// `/login` and `/logout`.
    async fn login_endpoints(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            endpoint,
            post,
            req,
            form,
            auth,
            ..
        } = call;
        let s = self.security();
        let c = s.config();
        let client = req.client;
        let mut errors = FormErrors::new();
        match (endpoint, post) {
            (Endpoint::Login, false) => {
                let ids: Vec<&str> = c
                    .user_identity_attributes
                    .iter()
                    .map(|a| a.attr.name())
                    .collect();
                let mut r = self.ok(
                    session,
                    auth.as_ref().map(|a| &a.user),
                    false,
                    json!({"identity_attributes": ids}),
                );
                // The auth token an OAuth login started with
                // `?include_auth_token` made, handed over once.
                if auth.is_some() && req.has_query("include_auth_token") {
                    r = self.with_oauth_token(session, r);
                }
                Ok(r)
            }
            (Endpoint::Login, true) => {
                self.check_next(req, &form, &mut errors);
                let f = LoginForm {
                    email: form.string("email", &mut errors),
                    username: form.string("username", &mut errors),
                    password: form.secret("password", &mut errors),
                    remember: form.boolean("remember", &mut errors),
                };
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                // A second factor may follow: the login itself is recorded after it.
                session.tf_clean();
                match s.authenticate_password(f, client).await {
                    Ok((user, remember)) => {
                        self.tf_enter_or_login(req, session, user, remember, AuthnVia::Password)
                            .await
                    }
                    Err(e) => self.flow_error(e),
                }
            }
            (Endpoint::Logout, _) => {
                self.revoke_presented_refresh_token(req, &form, auth.as_ref())
                    .await?;
                session.logout_user();
                let r = HttpResponse::ok(Map::new());
                Ok(match &c.csrf_cookie_name {
                    Some(name) => r.with_cookie(name, "", &c.csrf_cookie, true),
                    None => r,
                })
            }
            _ => Ok(not_this_family()),
        }
    }

    /// `/register`, and the requests that mail a link or a name: `/confirm`, `/reset`, `/recover-username`.
    async fn account_endpoints(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            endpoint,
            post,
            req,
            form,
            ..
        } = call;
        let s = self.security();
        let client = req.client;
        let mut errors = FormErrors::new();
        match (endpoint, post) {
            (Endpoint::Register, false)
            | (Endpoint::Confirm, false)
            | (Endpoint::Reset, false)
            | (Endpoint::RecoverUsername, false) => Ok(self.ok(session, None, false, json!({}))),
            (Endpoint::Register, true) => {
                let f = RegisterForm {
                    email: form.string("email", &mut errors),
                    password: form.secret("password", &mut errors),
                    password_confirm: form.secret("password_confirm", &mut errors),
                    username: form.string("username", &mut errors),
                    json: req.is_json(),
                    fields: s
                        .register_field_names()
                        .filter_map(|n| form.raw(n).map(|v| (n.to_owned(), v.clone())))
                        .collect(),
                };
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s.register(f, client).await {
                    Ok(r) => match (r.login, r.user) {
                        (Some(a), _) => self.logged_in(req, session, &a, json!({})).await,
                        (None, Some(u)) if r.second_factor_due => {
                            self.tf_start(session, &u, false, client).await
                        }
                        (_, user) => Ok(self.ok(session, user.as_ref(), true, json!({}))),
                    },
                    Err(e) => self.flow_error(e),
                }
            }
            (Endpoint::Confirm, true)
            | (Endpoint::Reset, true)
            | (Endpoint::RecoverUsername, true) => {
                let email = form.string("email", &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                let result = match endpoint {
                    Endpoint::Confirm => s.send_confirmation(email.as_deref(), client).await,
                    Endpoint::Reset => s.send_reset_instructions(email.as_deref(), client).await,
                    _ => s.recover_username(email.as_deref(), client).await,
                };
                match result {
                    Ok(()) => Ok(self.ok(session, None, false, json!({}))),
                    Err(e) => self.flow_error(e),
                }
            }
            _ => Ok(not_this_family()),
        }
    }

    /// The links that arrive by mail: `/confirm/<token>`, `/reset/<token>`, `/unlock/<token>`, `/change-email/<token>`.
    async fn links_endpoints(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            endpoint,
            post,
            token,
            req,
            form,
            ..
        } = call;
        let s = self.security();
        let c = s.config();
        let client = req.client;
        let mut errors = FormErrors::new();
        match (endpoint, post) {
            (Endpoint::ConfirmToken, _) => {
                let token = token.unwrap_or_default();
                match s.confirm_email(token, client).await {
                    Ok(done) => {
                        // With a second factor due, the user logs in normally.
                        if let Some(a) = &done.login {
                            session.login(&a.user.fs_uniquifier, a.fs_paa, a.remember);
                        }
                        let msg = s
                            .messages()
                            .render(&portcullis_core::MessageKey::EmailConfirmed.into());
                        let target = c.post_confirm_view.clone().unwrap_or_else(|| {
                            if done.login.is_some() {
                                c.post_login_view.clone()
                            } else {
                                c.login_url.clone()
                            }
                        });
                        Ok(self.link_redirect(session, &target, "success", &msg, Some(&done.user)))
                    }
                    Err(e) => self.link_error(
                        session,
                        e,
                        c.confirm_error_view.as_deref().unwrap_or(&c.confirm_url),
                    ),
                }
            }
            (Endpoint::Unlock, _) => match s.unlock_with_token(token.unwrap_or_default()).await {
                Ok(user) => {
                    let msg = s
                        .messages()
                        .render(&portcullis_core::MessageKey::AccountUnlocked.into());
                    let target = c.post_unlock_view.as_deref().unwrap_or(&c.login_url);
                    Ok(self.link_redirect(session, target, "success", &msg, Some(&user)))
                }
                Err(e) => self.link_error(session, e, &c.login_url),
            },
            (Endpoint::ResetToken, false) => {
                let token = token.unwrap_or_default();
                match s.reset_token_user(token).await {
                    Ok(_) => {
                        let view = c
                            .reset_view
                            .clone()
                            .unwrap_or_else(|| format!("{}/{token}", c.reset_url));
                        Ok(HttpResponse::redirect(&with_query(
                            &view,
                            &[("token", token)],
                        )))
                    }
                    Err(e) => self.link_error(
                        session,
                        e,
                        c.reset_error_view.as_deref().unwrap_or(&c.reset_url),
                    ),
                }
            }
            (Endpoint::ResetToken, true) => {
                let f = ResetPasswordForm {
                    password: form.secret("password", &mut errors),
                    password_confirm: form.secret("password_confirm", &mut errors),
                };
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s.reset_password(token.unwrap_or_default(), f, client).await {
                    Ok(done) => match done.login {
                        Some(a) => self.logged_in(req, session, &a, json!({})).await,
                        None if done.second_factor_due => {
                            self.tf_start(session, &done.user, false, client).await
                        }
                        None => Ok(HttpResponse::ok(Map::new())),
                    },
                    Err(e) => self.flow_error(e),
                }
            }
            (Endpoint::ChangeEmailToken, _) => {
                match s.finish_change_email(token.unwrap_or_default()).await {
                    Ok(done) => {
                        let msg = s
                            .messages()
                            .render(&portcullis_core::MessageKey::ChangeEmailConfirmed.into());
                        let target = c
                            .post_change_email_view
                            .clone()
                            .unwrap_or_else(|| c.post_login_view.clone());
                        Ok(self.link_redirect(session, &target, "success", &msg, Some(&done.user)))
                    }
                    Err(e) => self.link_error(
                        session,
                        e,
                        c.change_email_error_view
                            .as_deref()
                            .unwrap_or(&c.change_email_url),
                    ),
                }
            }
            _ => Ok(not_this_family()),
        }
    }

    /// Changes by a signed-in user: `/change`, `/change-email`, `/change-username`, `/verify`.
    async fn change_endpoints(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            endpoint,
            post,
            req,
            form,
            auth,
            ..
        } = call;
        let s = self.security();
        let client = req.client;
        let api = self.api_mechanisms();
        let mut errors = FormErrors::new();
        match (endpoint, post) {
            (Endpoint::Change, false) => {
                let user = auth.as_ref().map(|a| &a.user);
                Ok(self.ok(
                    session,
                    user,
                    true,
                    json!({"active_password": user.is_some_and(|u| u.password.is_some())}),
                ))
            }
            (Endpoint::Change, true) => {
                let Some(a) = auth else {
                    return Ok(self.unauthenticated(api));
                };
                let f = ChangePasswordForm {
                    password: form.secret("password", &mut errors),
                    new_password: form.secret("new_password", &mut errors),
                    new_password_confirm: form.secret("new_password_confirm", &mut errors),
                };
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s.change_password(&a.user, f, client).await {
                    Ok(mut done) => {
                        // Flask-Security logs the user in again, remembered
                        // when the request carried a remember cookie (the
                        // old one died with the uniquifier).
                        done.login.remember =
                            req.cookie(&s.config().remember_cookie_name).is_some();
                        self.logged_in(req, session, &done.login, json!({})).await
                    }
                    Err(e) => self.flow_error(e),
                }
            }
            (Endpoint::ChangeEmail, _) | (Endpoint::ChangeUsername, _) => {
                let Some(a) = auth else {
                    return Ok(self.unauthenticated(api));
                };
                if let Err(r) = self.require_fresh(&a, session, None) {
                    return Ok(*r);
                }
                let email_flow = endpoint == Endpoint::ChangeEmail;
                if !post {
                    let extra = if email_flow {
                        json!({"current_email": a.user.email})
                    } else {
                        json!({"current_username": a.user.username})
                    };
                    return Ok(self.ok(session, Some(&a.user), true, extra));
                }
                let value = form.string(if email_flow { "email" } else { "username" }, &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                let result = if email_flow {
                    s.start_change_email(&a.user, value.as_deref())
                        .await
                        .map(|()| a.user.clone())
                } else {
                    s.change_username(&a.user, value.as_deref()).await
                };
                match result {
                    Ok(u) => Ok(self.ok(session, Some(&u), true, json!({}))),
                    Err(e) => self.flow_error(e),
                }
            }
            (Endpoint::Verify, false) => {
                let wan = self.wan_verify_available(auth.as_ref()).await?;
                let user = auth.as_ref().map(|a| &a.user);
                Ok(self.ok(session, user, true, json!({"has_webauthn_verify_credential": wan, "oauth_enabled": self.security().config().oauth_enable, "oauth_providers": self.security().oauth_provider_names()})))
            }
            (Endpoint::Verify, true) => {
                let Some(a) = auth else {
                    return Ok(self.unauthenticated(api));
                };
                let pw = form.secret("password", &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s.reauthenticate(&a.user, pw.as_ref(), client).await {
                    Ok(paa) => self.reauthenticated(req, session, a, paa).await,
                    Err(e) => self.flow_error(e),
                }
            }
            _ => Ok(not_this_family()),
        }
    }

    /// CSRF as Flask-Security applies it: unauthenticated calls to its
    /// endpoints unless `SECURITY_CSRF_IGNORE_UNAUTH_ENDPOINTS`;
    /// authenticated ones when their mechanism is in
    /// `SECURITY_CSRF_PROTECT_MECHANISMS`.
    fn check_csrf(
        &self,
        req: &HttpRequest<'_>,
        form: &FormData,
        session: &SessionState,
        auth: Option<&RequestAuth>,
    ) -> Result<(), Box<HttpResponse>> {
        let c = self.security().config();
        if !c.wtf_csrf_enabled {
            return Ok(());
        }
        let needed = match auth {
            None => !c.csrf_ignore_unauth_endpoints,
            Some(a) => c
                .csrf_protect_mechanisms
                .iter()
                .any(|m| m == a.mechanism.name()),
        };
        if !needed {
            return Ok(());
        }
        let body_token = form.raw("csrf_token").and_then(Value::as_str);
        let sent = self.csrf().sent(req.headers, body_token);
        self.csrf()
            .check(session, sent, self.security().now_secs())
            .map_err(|f| Box::new(HttpResponse::error(StatusCode::BAD_REQUEST, f.message())))
    }

    pub(crate) fn form_errors(&self, errors: &FormErrors) -> HttpResponse {
        HttpResponse::form_errors(errors, self.security().messages())
    }

    pub(crate) fn flow_error(&self, e: FlowError) -> portcullis_core::Result<HttpResponse> {
        match e {
            FlowError::Form(f) => Ok(self.form_errors(&f)),
            FlowError::SendFailed(f) => Ok(HttpResponse::form_errors_with(
                StatusCode::INTERNAL_SERVER_ERROR,
                &f,
                self.security().messages(),
            )),
            FlowError::Limited(l) => Ok(HttpResponse::form_errors_with(
                StatusCode::TOO_MANY_REQUESTS,
                &l.errors,
                self.security().messages(),
            )
            .with_retry_after(l.retry_after)),
            FlowError::Internal(e) => Err(e),
            other => Err(portcullis_core::Error::internal(other.to_string())),
        }
    }

    /// After `/verify` or `/us-verify`: the new `fs_paa` in the session (a
    /// session's grace period starts again), and the envelope with the
    /// token when asked.
    pub(crate) async fn reauthenticated(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        a: RequestAuth,
        fs_paa: f64,
    ) -> Answer {
        if a.mechanism == Mechanism::Session {
            session.set(keys::FS_PAA, json!(fs_paa));
            session.remove(keys::FS_GEXP);
        }
        let done = Authenticated {
            user: a.user,
            fs_paa,
            authn_via: Vec::new(),
            remember: false,
        };
        self.ok_with_token(req, session, &done, json!({})).await
    }

    /// A 200 envelope of `body` plus `csrf_token` (and its cookie).
    pub(crate) fn respond_ok(
        &self,
        session: &mut SessionState,
        mut body: Map<String, Value>,
    ) -> HttpResponse {
        let csrf = self.add_csrf(session, &mut body);
        self.with_csrf_cookie(HttpResponse::ok(body), csrf.as_deref())
    }

    /// A success envelope: `csrf_token` always, `user` when asked, `extra` keys.
    pub(crate) fn ok(
        &self,
        session: &mut SessionState,
        user: Option<&User>,
        include_user: bool,
        extra: Value,
    ) -> HttpResponse {
        let mut body = extra.as_object().cloned().unwrap_or_default();
        let csrf = self.add_csrf(session, &mut body);
        if include_user || user.is_some() {
            let payload = user
                .map(|u| self.security().security_payload(u))
                .unwrap_or_default();
            body.insert("user".into(), Value::Object(payload));
        }
        self.with_csrf_cookie(HttpResponse::ok(body), csrf.as_deref())
    }

    /// Puts the session's signed CSRF token into `body`; returns it for the cookie.
    fn add_csrf(
        &self,
        session: &mut SessionState,
        body: &mut Map<String, Value>,
    ) -> Option<String> {
        let t = self
            .csrf()
            .token(session, self.security().now_secs())
            .ok()?;
        body.insert("csrf_token".into(), json!(t));
        Some(t)
    }

    /// Sets the CSRF cookie (when `SECURITY_CSRF_COOKIE_NAME` is set) to `token`.
    fn with_csrf_cookie(&self, r: HttpResponse, token: Option<&str>) -> HttpResponse {
        let c = self.security().config();
        match (&c.csrf_cookie_name, token) {
            (Some(name), Some(t)) => r.with_cookie(name, t, &c.csrf_cookie, false),
            _ => r,
        }
    }

    /// After a login: the session, and `user.authentication_token` when
    /// `?include_auth_token` (or `SECURITY_BACKWARDS_COMPAT_AUTH_TOKEN`).
    pub(crate) async fn logged_in(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        a: &Authenticated,
        extra: Value,
    ) -> Answer {
        session.login(&a.user.fs_uniquifier, a.fs_paa, a.remember);
        self.ok_with_token(req, session, a, extra).await
    }

    /// The envelope after an authentication: the user's payload and, when
    /// `?include_auth_token` (or `SECURITY_BACKWARDS_COMPAT_AUTH_TOKEN`),
    /// an auth token and — with refresh tokens on — a new refresh-token
    /// family, in its cookie or as `user.refresh_token`.
    pub(crate) async fn ok_with_token(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        a: &Authenticated,
        extra: Value,
    ) -> Answer {
        let s = self.security();
        let mut body = extra.as_object().cloned().unwrap_or_default();
        let csrf = self.add_csrf(session, &mut body);
        let mut user = s.security_payload(&a.user);
        let mut refresh = None;
        if req.has_query("include_auth_token") || s.config().backwards_compat_auth_token {
            user.insert(
                "authentication_token".into(),
                json!(s.issue_auth_token(&a.user, a.fs_paa)),
            );
            refresh = s.issue_refresh_token(&a.user).await?;
        }
        let cookie = self.place_refresh_token(&mut user, refresh);
        body.insert("user".into(), Value::Object(user));
        let r = self.with_csrf_cookie(HttpResponse::ok(body), csrf.as_deref());
        Ok(self.with_refresh_cookie(r, cookie))
    }

    /// A mailed link's success: 302 to `target`, with the message under its
    /// category and `email` and `identity` in SPA mode, flashed otherwise.
    fn link_redirect(
        &self,
        session: &mut SessionState,
        target: &str,
        category: &str,
        message: &str,
        user: Option<&User>,
    ) -> HttpResponse {
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(u) = user {
            params.push(("email", &u.email));
            params.push(("identity", &u.email));
        }
        self.message_redirect(session, &self.view(target), category, message, &params)
    }

    /// A mailed link's failure: 302 to `view` with the message under its
    /// category (`error` or `info`) in SPA mode, flashed otherwise.
    fn link_error(
        &self,
        session: &mut SessionState,
        e: FlowError,
        view: &str,
    ) -> portcullis_core::Result<HttpResponse> {
        let f = match e {
            FlowError::Form(f) => f,
            other => return self.flow_error(other),
        };
        let messages = self.security().messages();
        let (category, text) = f
            .entries()
            .first()
            .map(|(_, m): &(&str, Message)| {
                (messages.category(m.key).to_owned(), messages.render(m))
            })
            .unwrap_or_else(|| ("error".into(), String::new()));
        Ok(self.message_redirect(session, &self.view(view), &category, &text, &[]))
    }

    /// Flask-Security's way to carry a mailed link's outcome to `target`
    /// (a path): in SPA mode in the redirect's query (`?success=…` and
    /// `extra`), otherwise flashed for the page there
    /// (`SECURITY_FLASH_MESSAGES`).
    pub(crate) fn message_redirect(
        &self,
        session: &mut SessionState,
        target: &str,
        category: &str,
        text: &str,
        extra: &[(&str, &str)],
    ) -> HttpResponse {
        let c = self.security().config();
        if c.redirect_behavior == RedirectBehavior::Spa {
            let mut params = vec![(category, text)];
            params.extend_from_slice(extra);
            return HttpResponse::redirect(&with_query(target, &params));
        }
        if c.flash_messages {
            session.flash(category, text);
        }
        HttpResponse::redirect(target)
    }

    /// Resolves a Flask-Security view: an endpoint name (`.login`) or a URL.
    pub(crate) fn view(&self, view: &str) -> String {
        let c = self.security().config();
        let prefix = c.url_prefix.as_deref().unwrap_or("").trim_end_matches('/');
        let url = match view {
            ".login" | "security.login" => return format!("{prefix}{}", c.login_url),
            ".wan_register" | "security.wan_register" => {
                return format!("{prefix}{}", c.wan_register_url);
            }
            ".two_factor_setup" | "security.two_factor_setup" => {
                return format!("{prefix}{}", c.two_factor_setup_url);
            }
            ".us_setup" | "security.us_setup" => return format!("{prefix}{}", c.us_setup_url),
            // One of Portcullis' own endpoints, already under the prefix.
            v if v.starts_with('/') && self.is_endpoint(v) => return v.to_owned(),
            v if v.starts_with('/')
                && [
                    &c.login_url,
                    &c.confirm_url,
                    &c.reset_url,
                    &c.change_email_url,
                ]
                .iter()
                .any(|u| u.as_str() == v) =>
            {
                return format!("{prefix}{v}");
            }
            v => v,
        };
        // Flask-Security's `get_url`: a view that is a URL rather than an
        // endpoint gets `SECURITY_REDIRECT_HOST` as its host (an SPA
        // served from elsewhere).
        match &c.redirect_host {
            Some(host) => crate::respond::with_netloc(url, host),
            None => url.to_owned(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use portcullis_core::{ConfigLoader, Security};

    use crate::Portcullis;

    fn portcullis(vars: &[(&'static str, &'static str)]) -> Portcullis {
        let (config, _) = ConfigLoader::new()
            .vars([
                ("SECRET_KEY", "views-secret"),
                ("SECURITY_PASSWORD_SALT", "views-salt"),
            ])
            .vars(vars.iter().copied())
            .build()
            .unwrap();
        let security = Security::builder(config)
            .store(Arc::new(portcullis_memory::MemoryStore::new()))
            .mailer(Arc::new(portcullis_mail::MemoryOutbox::new()))
            .build()
            .unwrap();
        Portcullis::new(security).unwrap()
    }

    #[test]
    fn a_view_is_an_endpoint_name_one_of_ours_or_a_url_on_the_redirect_host() {
        let p = portcullis(&[
            ("SECURITY_URL_PREFIX", "/auth"),
            ("SECURITY_REDIRECT_HOST", "spa.example.com"),
        ]);
        for (view, url) in [
            // Flask-Security's endpoint names, under the prefix.
            (".login", "/auth/login"),
            ("security.login", "/auth/login"),
            (".wan_register", "/auth/wan-register"),
            ("security.wan_register", "/auth/wan-register"),
            (".two_factor_setup", "/auth/tf-setup"),
            ("security.two_factor_setup", "/auth/tf-setup"),
            (".us_setup", "/auth/us-setup"),
            ("security.us_setup", "/auth/us-setup"),
            // One of our endpoints: as it is.
            ("/auth/login", "/auth/login"),
            // One of our configured URLs without the prefix: with it.
            ("/login", "/auth/login"),
            ("/confirm", "/auth/confirm"),
            ("/reset", "/auth/reset"),
            ("/change-email", "/auth/change-email"),
            // Anything else is the application's: on the redirect host.
            ("/dashboard", "//spa.example.com/dashboard"),
            ("/auth/dashboard", "//spa.example.com/auth/dashboard"),
            (
                "https://elsewhere.example/x?y=1",
                "https://spa.example.com/x?y=1",
            ),
        ] {
            assert_eq!(p.view(view), url, "{view}");
        }
        // Without a redirect host, the application's views are unchanged.
        let plain = portcullis(&[]);
        assert_eq!(plain.view("/dashboard"), "/dashboard");
        assert_eq!(plain.view(".login"), "/login");
        assert_eq!(plain.view("/login"), "/login");
    }
}
