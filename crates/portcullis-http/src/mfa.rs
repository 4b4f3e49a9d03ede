//! Two-factor (`/tf-*`), recovery-code (`/mf-*`) and unified sign-in
//! (`/us-*`) endpoints, answering as Flask-Security's do. The half-logged-in
//! state between the first and the second factor lives in the server-side
//! session under Flask-Security's key names (`tf_user_id`, `tf_state`, …).

use http::StatusCode;
use portcullis_core::config::RedirectBehavior;
use portcullis_core::events::AuthnVia;
use portcullis_core::flows::{
    Authenticated, CodeDelivery, HalfLoginBudget, LoginStep, PendingFactor, PendingLogin,
    PendingState, TF_WEBAUTHN, TfRescue, TfSetupStarted,
};
use portcullis_core::{FlowError, FormErrors, Message, MessageKey, SecretString, User};
use serde_json::{Map, Value, json};

use crate::auth::RequestAuth;
use crate::endpoints::{Call, Endpoint};
use crate::input::FormData;
use crate::respond::{HttpResponse, with_query};
use crate::session::{SessionState, keys};
use crate::{HttpRequest, Portcullis};

type Answer = portcullis_core::Result<HttpResponse>;
type Answer2 = portcullis_core::Result<Option<HttpResponse>>;

fn via(method: &str) -> AuthnVia {
    match method {
        "email" => AuthnVia::Email,
        "sms" => AuthnVia::Sms,
        "authenticator" => AuthnVia::Authenticator,
        _ => AuthnVia::Password,
    }
}

impl Portcullis {
    /// A 200 envelope with `csrf_token`, `extra`, and `user` (the
    /// payload of `for_user`, when given).
    pub(crate) fn answer_for(
        &self,
        session: &mut SessionState,
        for_user: Option<&User>,
        extra: Value,
    ) -> HttpResponse {
        let mut body = extra.as_object().cloned().unwrap_or_default();
        if let Some(u) = for_user {
            body.insert(
                "user".into(),
                Value::Object(self.security().security_payload(u)),
            );
        }
        self.respond_ok(session, body)
    }

    /// A 200 envelope with `csrf_token`, `extra`, and `user: {}` when asked.
    pub(crate) fn answer(
        &self,
        session: &mut SessionState,
        include_user: bool,
        extra: Value,
    ) -> HttpResponse {
        let mut body = extra.as_object().cloned().unwrap_or_default();
        if include_user {
            body.insert("user".into(), json!({}));
        }
        self.respond_ok(session, body)
    }

    /// `tf_illegal_state`: `TWO_FACTOR_PERMISSION_DENIED` as a form error.
    fn tf_illegal(&self, session: &mut SessionState) -> HttpResponse {
        session.tf_clean();
        self.form_errors(&FormErrors::form(MessageKey::TwoFactorPermissionDenied))
    }

    /// The user a two-factor login in progress is for, when the session is
    /// in one of `states` (`tf_check_state`).
    async fn tf_user(
        &self,
        session: &mut SessionState,
        states: &[&str],
    ) -> portcullis_core::Result<Option<User>> {
        let state_ok = session
            .get_str(keys::TF_STATE)
            .is_some_and(|s| states.contains(&s));
        let Some(uid) = session
            .get_str(keys::TF_USER_ID)
            .filter(|_| state_ok)
            .map(str::to_owned)
        else {
            session.tf_clean();
            return Ok(None);
        };
        let user = self
            .security()
            .store()
            .find_user_by_uniquifier(&uid)
            .await?;
        if user.is_none() {
            session.tf_clean();
        }
        Ok(user)
    }

    /// After a first factor (`tf_enter`): core's login step logs the user
    /// in, or starts the second factor when one is required (the request's
    /// validity cookie counts).
    pub(crate) async fn tf_enter_or_login(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        user: User,
        remember: bool,
        how: AuthnVia,
    ) -> Answer {
        let s = self.security();
        let validity = req.cookie(&s.config().two_factor_validity_cookie_name);
        match s
            .start_login(user, how, remember, validity.as_deref(), req.client)
            .await
        {
            Ok(LoginStep::Done(a)) => {
                self.logged_in(req, session, &a, json!({"tf_required": false}))
                    .await
            }
            Ok(LoginStep::SecondFactor(pending)) => Ok(self.tf_pending(session, &pending)),
            Err(e) => {
                session.tf_clean();
                self.flow_error(e)
            }
        }
    }

    /// `tf_enter` for a login whose second factor is known to be due (an
    /// automatic login after confirmation or a reset).
    pub(crate) async fn tf_start(
        &self,
        session: &mut SessionState,
        user: &User,
        remember: bool,
        client: &portcullis_core::flows::ClientInfo,
    ) -> Answer {
        match self
            .security()
            .start_second_factor(user, remember, client)
            .await
        {
            Ok(pending) => Ok(self.tf_pending(session, &pending)),
            Err(e) => {
                session.tf_clean();
                self.flow_error(e)
            }
        }
    }

    /// A half-login kept in the session under Flask-Security's keys, and
    /// what the client must do next.
    pub(crate) fn tf_pending(&self, session: &mut SessionState, p: &PendingLogin) -> HttpResponse {
        session.set_pending(p);
        match p.state {
            PendingState::SetupFromLogin => self.answer(
                session,
                false,
                json!({"tf_required": true, "tf_state": "setup_from_login"}),
            ),
            PendingState::Select => self.answer(
                session,
                false,
                json!({"tf_required": true, "tf_select": true, "tf_setup_methods": p.setup_methods}),
            ),
            PendingState::Ready if p.delivery == CodeDelivery::Failed => {
                let msg = self
                    .security()
                    .messages()
                    .render(&MessageKey::FailedToSendCode.into());
                HttpResponse::error(StatusCode::INTERNAL_SERVER_ERROR, &msg)
            }
            PendingState::Ready if p.method.as_deref() == Some(TF_WEBAUTHN) => {
                let c = self.security().config();
                let url = self.security().path(&c.wan_signin_url);
                self.answer(
                    session,
                    false,
                    json!({"tf_required": true, "tf_signin_url": url, "tf_state": "ready", "tf_method": TF_WEBAUTHN}),
                )
            }
            PendingState::Ready => {
                let method = p.method.as_deref().unwrap_or_default();
                self.answer(
                    session,
                    false,
                    json!({"tf_required": true, "tf_state": "ready", "tf_primary_method": method, "tf_method": method}),
                )
            }
        }
    }

    /// A completed login: the session, the validity cookie when asked for,
    /// the envelope with (when `?include_auth_token`) the auth token.
    pub(crate) async fn tf_finish_login(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        user: User,
        validity_cookie: bool,
    ) -> Answer {
        let s = self.security();
        let remember = session
            .values()
            .get(keys::TF_REMEMBER)
            .and_then(Value::as_bool)
            .unwrap_or(false);
        session.tf_clean();
        let a = s
            .complete_login(user, Vec::new(), remember, req.client)
            .await?;
        let r = self.logged_in(req, session, &a, json!({})).await?;
        let c = s.config();
        Ok(
            if validity_cookie && remember && !c.two_factor_always_validate {
                r.with_lasting_cookie(
                    &c.two_factor_validity_cookie_name,
                    &s.tf_validity_token(&a.user),
                    &c.two_factor_validity_cookie,
                    c.two_factor_login_validity.num_seconds(),
                )
            } else {
                r
            },
        )
    }

    /// Two-factor, recovery codes and unified sign-in: one function each.
    pub(crate) async fn mfa(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        match call.endpoint {
            Endpoint::TfSetup => self.tf_setup(call, session).await,
            Endpoint::TfSetupToken => self.tf_setup_token(call, session).await,
            Endpoint::TfValidate => {
                self.tf_validate(call.req, session, &call.form, call.auth)
                    .await
            }
            Endpoint::TfSelect => self.tf_select(call, session).await,
            Endpoint::TfRescue => self.tf_rescue(call, session).await,
            Endpoint::MfRecoveryCodes => self.mf_recovery_codes(call, session).await,
            Endpoint::MfRecovery => self.mf_recovery(call, session).await,
            _ => self.unified(call, session).await,
        }
    }

    /// `/tf-setup`: the methods (GET), or a method to set up (POST).
    async fn tf_setup(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            form, auth, post, ..
        } = call;
        let s = self.security();
        let c = s.config();
        let mut errors = FormErrors::new();
        let user = match &auth {
            Some(a) => {
                if let Err(r) = self.require_fresh(a, session, None) {
                    return Ok(*r);
                }
                a.user.clone()
            }
            None => match self
                .tf_user(session, &["setup_from_login", "validating_profile"])
                .await?
            {
                Some(u) => u,
                None => return Ok(self.tf_illegal(session)),
            },
        };
        if !post {
            return Ok(self.answer(
                session,
                false,
                json!({"tf_required": c.two_factor_required, "tf_primary_method": user.tf_primary_method,
                       "tf_method": user.tf_primary_method, "tf_phone_number": user.tf_phone_number,
                       "tf_available_methods": s.tf_available_methods(&user)}),
            ));
        }
        let setup = form.string("setup", &mut errors);
        let phone = form.string("phone", &mut errors);
        if !errors.is_empty() {
            return Ok(self.form_errors(&errors));
        }
        match s
            .tf_start_setup(&user, setup.as_deref(), phone.as_deref())
            .await
        {
            Ok(TfSetupStarted::Disabled(u)) => {
                session.tf_clean();
                Ok(self.answer_for(session, Some(&u), json!({})))
            }
            Ok(TfSetupStarted::Pending {
                factor,
                authenticator,
            }) => {
                session.set(keys::TF_TOTP_SECRET, json!(factor.totp_secret.expose()));
                session.set(keys::TF_PRIMARY_METHOD, json!(factor.method));
                session.set(keys::TF_STATE, json!("validating_profile"));
                match &factor.phone {
                    Some(p) => session.set(keys::TF_PHONE, json!(p)),
                    None => session.remove(keys::TF_PHONE),
                }
                let state_token = auth.is_some().then(|| s.tf_setup_token(&factor));
                let mut extra = json!({"tf_state": "validating_profile", "tf_primary_method": factor.method,
                                       "tf_method": factor.method, "tf_state_token": state_token});
                if let Some(a) = authenticator {
                    extra["tf_authr_key"] = json!(a.key);
                    extra["tf_authr_b32key"] = json!(a.b32key);
                    extra["tf_authr_username"] = json!(a.username);
                    extra["tf_authr_issuer"] = json!(a.issuer);
                    extra["tf_authr_uri"] = json!(a.uri);
                }
                Ok(self.answer(session, false, extra))
            }
            Err(e) => self.flow_error(e),
        }
    }

    /// `/tf-setup/<token>`: a signed-in user's code finishes the setup.
    async fn tf_setup_token(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            token, form, auth, ..
        } = call;
        let s = self.security();
        let mut errors = FormErrors::new();
        let Some(a) = auth else {
            return Ok(self.unauthenticated(self.api_mechanisms()));
        };
        let factor = match s.tf_read_setup_token(token.unwrap_or_default()) {
            Ok(f) => f,
            Err(e) => {
                session.tf_clean();
                return Ok(self.form_errors(&e));
            }
        };
        let code = form.code("code", &mut errors);
        if !errors.is_empty() {
            return Ok(self.form_errors(&errors));
        }
        match s
            .tf_finish_setup(&a.user, &factor, code.as_deref(), false)
            .await
        {
            Ok(u) => {
                session.tf_clean();
                Ok(self.answer(
                    session,
                    false,
                    json!({"tf_method": factor.method, "tf_primary_method": factor.method, "tf_phone": u.tf_phone_number}),
                ))
            }
            Err(e) => self.flow_error(e),
        }
    }

    /// `/tf-select`: which of several second factors to use now.
    async fn tf_select(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            req, form, post, ..
        } = call;
        let s = self.security();
        let mut errors = FormErrors::new();
        if session.values().get(keys::TF_SELECT).is_none() {
            return Ok(self.tf_illegal(session));
        }
        let uid = session.get_str(keys::TF_USER_ID).map(str::to_owned);
        let user = match uid {
            Some(u) => s.store().find_user_by_uniquifier(&u).await?,
            None => None,
        };
        let Some(user) = user else {
            return Ok(self.tf_illegal(session));
        };
        let methods = s.tf_setup_methods(&user).await?;
        if !post {
            return Ok(self.answer(
                session,
                false,
                json!({"tf_select": true, "tf_setup_methods": methods}),
            ));
        }
        let which = form.string("which", &mut errors);
        if !errors.is_empty() {
            return Ok(self.form_errors(&errors));
        }
        if !which.as_ref().is_some_and(|w| methods.contains(w)) {
            return Ok(self.form_errors(&FormErrors::field("which", MessageKey::NotAValidChoice)));
        }
        let which = which.unwrap_or_default();
        match s.second_factor_ready(&user, &which, req.client).await {
            Ok((method, delivery)) => {
                let pending = PendingLogin {
                    user: user.fs_uniquifier.clone(),
                    remember: session.get_bool(keys::TF_REMEMBER),
                    nonce: session
                        .get_str(keys::TF_NONCE)
                        .map_or_else(portcullis_core::store::new_uniquifier, str::to_owned),
                    state: PendingState::Ready,
                    method: Some(method),
                    setup_methods: Vec::new(),
                    delivery,
                };
                Ok(self.tf_pending(session, &pending))
            }
            Err(e) => {
                session.tf_clean();
                self.flow_error(e)
            }
        }
    }

    /// `/tf-rescue`: help for a user without their second factor.
    async fn tf_rescue(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            req, form, post, ..
        } = call;
        let s = self.security();
        let c = s.config();
        let mut errors = FormErrors::new();
        let Some(user) = self.tf_user(session, &["ready"]).await? else {
            return Ok(self.tf_illegal(session));
        };
        let options: Map<String, Value> = s
            .tf_rescue_options(&user)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), json!(v)))
            .collect();
        if post {
            let help = form.string("help_setup", &mut errors);
            if !errors.is_empty() {
                return Ok(self.form_errors(&errors));
            }
            match s.tf_rescue(&user, help.as_deref(), req.client).await {
                Ok(TfRescue::UseRecoveryCode) => {
                    return Ok(HttpResponse::redirect(
                        &s.path(&c.multi_factor_recovery_url),
                    ));
                }
                Ok(_) => {}
                Err(e) => return self.flow_error(e),
            }
        }
        Ok(self.answer(session, false, json!({"recovery_options": options})))
    }

    /// `/mf-recovery-codes`: show (GET) or make new (POST) recovery codes.
    async fn mf_recovery_codes(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call { auth, post, .. } = call;
        let s = self.security();
        let Some(a) = auth else {
            return Ok(self.unauthenticated(self.api_mechanisms()));
        };
        if let Err(r) = self.require_fresh(&a, session, None) {
            return Ok(*r);
        }
        let codes = if post {
            s.mf_generate_recovery_codes(&a.user).await?
        } else {
            s.mf_recovery_codes(&a.user)
        };
        Ok(self.answer(session, false, json!({"recovery_codes": codes})))
    }

    /// `/mf-recovery`: a recovery code instead of the second factor.
    async fn mf_recovery(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            req, form, post, ..
        } = call;
        let s = self.security();
        let mut errors = FormErrors::new();
        let Some(user) = self.tf_user(session, &["ready"]).await? else {
            return Ok(self.tf_illegal(session));
        };
        if !post {
            return Ok(self.answer(session, false, json!({})));
        }
        let code = form.string("code", &mut errors);
        if !errors.is_empty() {
            return Ok(self.form_errors(&errors));
        }
        if let Some(r) = self.half_login_budget(session).await? {
            return Ok(r);
        }
        match s.mf_use_recovery_code(&user, code.as_deref()).await {
            // No validity cookie after a recovery code, and never a token.
            Ok(()) => {
                let remember = session
                    .values()
                    .get(keys::TF_REMEMBER)
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                session.tf_clean();
                let a = s
                    .complete_login(user, Vec::new(), remember, req.client)
                    .await?;
                session.login(&a.user.fs_uniquifier, a.fs_paa, a.remember);
                Ok(self.answer_for(session, Some(&a.user), json!({})))
            }
            Err(e) => self.flow_error(e),
        }
    }

    async fn tf_validate(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        form: &FormData,
        auth: Option<RequestAuth>,
    ) -> Answer {
        let s = self.security();
        let state = session.get_str(keys::TF_STATE).map(str::to_owned);
        let pending = match (
            session.get_str(keys::TF_PRIMARY_METHOD),
            session.get_str(keys::TF_TOTP_SECRET),
        ) {
            (Some(m), Some(t)) => Some(PendingFactor {
                method: m.to_owned(),
                totp_secret: SecretString::new(t.to_owned()),
                phone: session.get_str(keys::TF_PHONE).map(str::to_owned),
            }),
            _ => None,
        };
        let changing = auth.is_some();
        let validating = state.as_deref() == Some("validating_profile");
        let user = match &auth {
            Some(a) => {
                if !validating || pending.is_none() {
                    // Flask-Security logs out here: this looks like an attack or a logic error.
                    session.logout_user();
                    return Ok(self.tf_illegal(session));
                }
                a.user.clone()
            }
            None => {
                if !matches!(state.as_deref(), Some("ready" | "validating_profile"))
                    || (validating && pending.is_none())
                {
                    return Ok(self.tf_illegal(session));
                }
                match self
                    .tf_user(session, &["ready", "validating_profile"])
                    .await?
                {
                    Some(u) => u,
                    None => return Ok(self.tf_illegal(session)),
                }
            }
        };
        if req.method != http::Method::POST {
            let extra = if changing {
                json!({})
            } else {
                let options: Map<String, Value> = s
                    .tf_rescue_options(&user)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), json!(v)))
                    .collect();
                json!({"recovery_options": options})
            };
            return Ok(self.answer_for(session, Some(&user), extra));
        }
        let mut errors = FormErrors::new();
        let code = form.code("code", &mut errors);
        if !errors.is_empty() {
            return Ok(self.form_errors(&errors));
        }
        let last = match (
            changing,
            code.as_deref().is_some_and(|c| !c.trim().is_empty()),
        ) {
            (false, true) => match self.half_login_budget(session).await? {
                Some(r) => return Ok(r),
                None => session.get_bool(keys::TF_LAST_ATTEMPT),
            },
            _ => false,
        };
        let result = match (&pending, validating) {
            (Some(f), true) => {
                s.tf_finish_setup(&user, f, code.as_deref(), !changing)
                    .await
            }
            _ => match s.tf_check_login_code(&user, code.as_deref()).await {
                Ok(()) => {
                    let method = user.tf_primary_method.clone().unwrap_or_default();
                    s.tf_code_confirmed(&user, &method).await;
                    Ok(user)
                }
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(u) if changing => {
                session.tf_clean();
                let a = Authenticated {
                    fs_paa: auth.as_ref().and_then(|a| a.fs_paa).unwrap_or_default(),
                    user: u,
                    authn_via: Vec::new(),
                    remember: false,
                };
                self.ok_with_token(req, session, &a, json!({})).await
            }
            Ok(u) => self.tf_finish_login(req, session, u, true).await,
            Err(FlowError::Form(_)) if last => Ok(self.half_login_spent(session)),
            Err(e) => self.flow_error(e),
        }
    }

    /// Counts a code attempt in the half-login: `Some(answer)` when its
    /// budget is spent (the half-login is over), else `None`, with
    /// `TF_LAST_ATTEMPT` set when this is the last attempt allowed.
    async fn half_login_budget(&self, session: &mut SessionState) -> Answer2 {
        let Some(nonce) = session.get_str(keys::TF_NONCE).map(str::to_owned) else {
            return Ok(Some(self.half_login_spent(session)));
        };
        match self.security().half_login_attempt(&nonce).await? {
            HalfLoginBudget::Spent => Ok(Some(self.half_login_spent(session))),
            HalfLoginBudget::Last => {
                session.set(keys::TF_LAST_ATTEMPT, json!(true));
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// The half-login ends: the password must be given again.
    fn half_login_spent(&self, session: &mut SessionState) -> HttpResponse {
        session.tf_clean();
        self.form_errors(&FormErrors::form(MessageKey::TooManyCodeAttempts))
    }

    async fn unified(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Call {
            endpoint,
            req,
            ref form,
            ref auth,
            post,
            ..
        } = call;
        let s = self.security();
        let c = s.config();
        let mut errors = FormErrors::new();
        let ids: Vec<&str> = c
            .user_identity_attributes
            .iter()
            .map(|a| a.attr.name())
            .collect();
        match endpoint {
            Endpoint::UsSignin => {
                let payload = json!({"available_methods": c.us_enabled_methods, "code_methods": s.us_code_methods(),
                                     "identity_attributes": ids});
                if !post {
                    return Ok(self.answer_for(session, auth.as_ref().map(|a| &a.user), payload));
                }
                session.tf_clean();
                let identity = form.string("identity", &mut errors);
                let passcode = form.code("passcode", &mut errors);
                let remember = form.boolean("remember", &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s
                    .us_signin(
                        identity.as_deref(),
                        passcode.as_deref(),
                        remember,
                        req.client,
                    )
                    .await
                {
                    Ok(signed) => {
                        let how = via(&signed.method);
                        if c.us_mfa_required.contains(&signed.method) {
                            self.tf_enter_or_login(req, session, signed.user, signed.remember, how)
                                .await
                        } else {
                            let a = s
                                .complete_login(signed.user, vec![how], signed.remember, req.client)
                                .await?;
                            self.logged_in(req, session, &a, json!({"tf_required": false}))
                                .await
                        }
                    }
                    Err(e) => self.flow_error(e),
                }
            }
            Endpoint::UsSigninSendCode => {
                let identity = form.string("identity", &mut errors);
                let chosen = form.string("chosen_method", &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s
                    .us_signin_send_code(identity.as_deref(), chosen.as_deref(), req.client)
                    .await
                {
                    Ok(()) => Ok(self.answer(session, false, json!({}))),
                    Err(e) => self.flow_error(e),
                }
            }
            Endpoint::UsVerify
            | Endpoint::UsVerifySendCode
            | Endpoint::UsSetup
            | Endpoint::UsSetupToken => {
                let Some(a) = call.auth.clone() else {
                    return Ok(self.unauthenticated(self.api_mechanisms()));
                };
                self.us_authenticated(call, session, a).await
            }
            Endpoint::UsVerifyLink => self.us_verify_link(req, session).await,
            _ => Ok(HttpResponse::error(StatusCode::NOT_FOUND, "Not found")),
        }
    }

    async fn us_authenticated(
        &self,
        call: Call<'_, '_>,
        session: &mut SessionState,
        a: RequestAuth,
    ) -> Answer {
        let Call {
            endpoint,
            token,
            req,
            ref form,
            post,
            ..
        } = call;
        let s = self.security();
        let c = s.config();
        let mut errors = FormErrors::new();
        match endpoint {
            Endpoint::UsVerify if !post => {
                let active: Vec<String> = s.us_active_methods(&a.user);
                let code_methods: Vec<String> = s
                    .us_code_methods()
                    .into_iter()
                    .filter(|m| active.contains(m))
                    .collect();
                Ok(self.answer(
                    session,
                    false,
                    json!({"available_methods": c.us_enabled_methods, "code_methods": code_methods,
                           "has_webauthn_verify_credential": false, "oauth_enabled": self.security().config().oauth_enable, "oauth_providers": self.security().oauth_provider_names()}),
                ))
            }
            Endpoint::UsVerify => {
                let passcode = form.code("passcode", &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s
                    .us_reauthenticate(&a.user, passcode.as_deref(), req.client)
                    .await
                {
                    Ok(paa) => self.reauthenticated(req, session, a, paa).await,
                    Err(e) => self.flow_error(e),
                }
            }
            Endpoint::UsVerifySendCode => {
                let chosen = form.string("chosen_method", &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s
                    .us_verify_send_code(&a.user, chosen.as_deref(), req.client)
                    .await
                {
                    Ok(()) => Ok(self.answer(session, false, json!({}))),
                    Err(e) => self.flow_error(e),
                }
            }
            Endpoint::UsSetup => {
                if let Err(r) = self.require_fresh(&a, session, None) {
                    return Ok(*r);
                }
                if !post {
                    let ids: Vec<&str> = c
                        .user_identity_attributes
                        .iter()
                        .map(|i| i.attr.name())
                        .collect();
                    let phone = c
                        .us_enabled_methods
                        .iter()
                        .any(|m| m == "sms")
                        .then(|| a.user.us_phone_number.clone())
                        .flatten();
                    return Ok(self.answer(
                        session,
                        false,
                        json!({"identity_attributes": ids, "available_methods": c.us_enabled_methods,
                               "active_methods": s.us_active_methods(&a.user), "setup_methods": s.us_setup_methods(),
                               "phone": phone}),
                    ));
                }
                let chosen = form.string("chosen_method", &mut errors);
                let delete = form.string_list("delete_method", &mut errors);
                let phone = form.string("phone", &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s
                    .us_start_setup(&a.user, chosen.as_deref(), &delete, phone.as_deref())
                    .await
                {
                    Ok(started) => {
                        let mut extra = json!({});
                        if let Some(f) = &started.pending {
                            extra = json!({"chosen_method": f.method, "phone": f.phone, "state": s.us_setup_token(f)});
                        }
                        if let Some(au) = started.authenticator {
                            extra["authr_key"] = json!(au.key);
                            extra["authr_b32key"] = json!(au.b32key);
                            extra["authr_username"] = json!(au.username);
                            extra["authr_issuer"] = json!(au.issuer);
                            extra["authr_uri"] = json!(au.uri);
                        }
                        Ok(self.answer(session, false, extra))
                    }
                    Err(e) => self.flow_error(e),
                }
            }
            _ => {
                let factor = match s.us_read_setup_token(token.unwrap_or_default()) {
                    Ok(f) => f,
                    Err(e) => return Ok(self.form_errors(&e)),
                };
                let passcode = form.code("passcode", &mut errors);
                if !errors.is_empty() {
                    return Ok(self.form_errors(&errors));
                }
                match s
                    .us_finish_setup(&a.user, &factor, passcode.as_deref())
                    .await
                {
                    Ok(u) => {
                        let phone = c
                            .us_enabled_methods
                            .iter()
                            .any(|m| m == "sms")
                            .then_some(u.us_phone_number)
                            .flatten();
                        Ok(self.answer(
                            session,
                            false,
                            json!({"chosen_method": factor.method, "phone": phone}),
                        ))
                    }
                    Err(e) => self.flow_error(e),
                }
            }
        }
    }

    /// `GET /us-verify-link?id=&code=`: the magic link.
    async fn us_verify_link(&self, req: &HttpRequest<'_>, session: &mut SessionState) -> Answer {
        let s = self.security();
        let c = s.config();
        let spa = c.redirect_behavior == RedirectBehavior::Spa;
        let error_view = if spa {
            self.view(c.login_error_view.as_deref().unwrap_or(&c.login_url))
        } else {
            s.path(&c.us_signin_url)
        };
        let (id, code) = (req.query("id"), req.query("code"));
        let user = match s
            .us_verify_link(id.as_deref(), code.as_deref(), req.client)
            .await
        {
            Ok(u) => u,
            Err(refused) => return Ok(self.refusal_redirect(session, &error_view, &refused.0)),
        };
        let validity = req.cookie(&c.two_factor_validity_cookie_name);
        let tf_due = s.tf_required(&user, validity.as_deref()).await?
            && c.us_mfa_required.iter().any(|m| m == "email");
        self.link_login(req, session, user, AuthnVia::Email, tf_due, &error_view)
            .await
    }

    /// The end of a login by mailed link (the magic link, a passwordless
    /// link): when a second factor is due, an SPA goes to `error_view` with
    /// `tf_required=1` and a browser to the second factor's page; otherwise
    /// the user is logged in and sent to `SECURITY_POST_LOGIN_VIEW`.
    pub(crate) async fn link_login(
        &self,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        user: User,
        via: AuthnVia,
        tf_due: bool,
        error_view: &str,
    ) -> Answer {
        let s = self.security();
        let c = s.config();
        let spa = c.redirect_behavior == RedirectBehavior::Spa;
        if tf_due {
            if spa {
                return Ok(HttpResponse::redirect(&with_query(
                    error_view,
                    &[
                        ("tf_required", "1"),
                        ("email", &user.email),
                        ("identity", &user.email),
                    ],
                )));
            }
            // Browsers continue with the second factor's pages.
            let r = self
                .tf_enter_or_login(req, session, user, false, via)
                .await?;
            return Ok(HttpResponse::redirect(
                &self
                    .tf_next_page(&r)
                    .unwrap_or_else(|| s.path(&c.two_factor_token_validation_url)),
            ));
        }
        let a = s.complete_login(user, vec![via], false, req.client).await?;
        session.login(&a.user.fs_uniquifier, a.fs_paa, a.remember);
        let target = self.view(&c.post_login_view);
        Ok(if spa {
            HttpResponse::redirect(&with_query(
                &target,
                &[("email", &a.user.email), ("identity", &a.user.email)],
            ))
        } else {
            HttpResponse::redirect(&target)
        })
    }

    /// A magic link refused: `message` carried to `target` (already a
    /// path) as Flask-Security carries it — in the query in SPA mode,
    /// flashed otherwise.
    pub(crate) fn refusal_redirect(
        &self,
        session: &mut SessionState,
        target: &str,
        message: &Message,
    ) -> HttpResponse {
        let m = self.security().messages();
        let (category, text) = (m.category(message.key).to_owned(), m.render(message));
        self.message_redirect(session, target, &category, &text, &[])
    }

    /// Where a browser goes after a JSON answer that started a second
    /// factor: `/tf-setup`, `/tf-validate` or `/tf-select`.
    pub(crate) fn tf_next_page(&self, r: &HttpResponse) -> Option<String> {
        let c = self.security().config();
        let body = r.json()?;
        let resp = &body["response"];
        if resp["tf_required"] != json!(true) {
            return None;
        }
        Some(if resp["tf_select"] == json!(true) {
            self.security().path(&c.two_factor_select_url)
        } else if resp["tf_method"] == json!(TF_WEBAUTHN) {
            self.security().path(&c.wan_signin_url)
        } else if resp["tf_state"] == json!("setup_from_login") {
            self.security().path(&c.two_factor_setup_url)
        } else {
            self.security().path(&c.two_factor_token_validation_url)
        })
    }
}
