//! WebAuthn endpoints (`/wan-*`), answering as Flask-Security's do; the
//! ceremonies themselves are core's (`Security::wan_*`).

use http::StatusCode;
use portcullis_core::flows::{
    LoginStep, RelyingParty, USAGE_FIRST, USAGE_SECONDARY, WanOptions, WanPurpose,
};
use portcullis_core::{FlowError, FormErrors, MessageKey, Security, User};
use serde_json::{Value, json};

use crate::auth::RequestAuth;
use crate::endpoints::{Call, Endpoint};
use crate::input::FormData;
use crate::respond::HttpResponse;
use crate::session::{SessionState, keys};
use crate::{HttpRequest, Portcullis};

type Answer = portcullis_core::Result<HttpResponse>;

/// The browser's `credential`: Flask-Security's clients post the JSON
/// text of `navigator.credentials.*()`'s result; an object is taken too.
fn credential_text(form: &FormData) -> Option<String> {
    match form.raw("credential")? {
        Value::String(s) => Some(s.clone()),
        v @ Value::Object(_) => Some(v.to_string()),
        _ => None,
    }
}

impl Portcullis {
    /// The relying party of this request: its `Host`, over HTTPS when the
    /// request says so or the session cookie is `Secure`.
    fn relying_party(&self, req: &HttpRequest<'_>) -> Result<RelyingParty, Box<HttpResponse>> {
        let https = self.request_https(req) || self.session_options().secure;
        self.request_host(req)
            .and_then(|h| RelyingParty::from_host(&h, https))
            .ok_or_else(|| Box::new(self.form_errors(&FormErrors::form(MessageKey::ApiError))))
    }

    /// Whether the session holds a half-login waiting for its second
    /// factor (`tf_state` "ready"): `/wan-signin` is then its second step.
    fn wan_is_secondary(session: &SessionState) -> bool {
        session.get_str(keys::TF_USER_ID).is_some()
            && session.get_str(keys::TF_STATE) == Some("ready")
    }

    /// The `/wan-*` endpoints: one function each.
    pub(crate) async fn wan(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let rp = match self.relying_party(call.req) {
            Ok(rp) => rp,
            Err(r) => return Ok(*r),
        };
        match call.endpoint {
            Endpoint::WanRegister => self.wan_register(call, session, &rp).await,
            Endpoint::WanRegisterToken => self.wan_register_token(call, session, &rp).await,
            Endpoint::WanSignin => self.wan_signin(call, session, &rp).await,
            Endpoint::WanSigninToken => self.wan_signin_token(call, session, &rp).await,
            Endpoint::WanDelete => self.wan_delete(call, session).await,
            Endpoint::WanVerify => self.wan_verify(call, session, &rp).await,
            _ => self.wan_verify_token(call, session, &rp).await,
        }
    }

    /// `/wan-register`: the user's keys (GET), or a registration to start
    /// (POST `name`, `usage`). Needs a fresh login.
    async fn wan_register(
        &self,
        call: Call<'_, '_>,
        session: &mut SessionState,
        rp: &RelyingParty,
    ) -> Answer {
        let Some(a) = call.auth else {
            return Ok(self.unauthenticated(self.api_mechanisms()));
        };
        if let Err(r) = self.require_fresh(&a, session, None) {
            return Ok(*r);
        }
        let s = self.security();
        if !call.post {
            let creds = s.wan_credentials(&a.user).await?;
            let list: Vec<Value> = creds.iter().map(Security::wan_credential_json).collect();
            return Ok(self.answer(session, false, json!({"registered_credentials": list})));
        }
        let mut errors = FormErrors::new();
        let name = call.form.string("name", &mut errors);
        let usage = call.form.string("usage", &mut errors);
        if !errors.is_empty() {
            return Ok(self.form_errors(&errors));
        }
        let started = s
            .wan_start_register(&a.user, name.as_deref(), usage.as_deref(), rp)
            .await;
        self.wan_options(session, started)
    }

    /// `POST /wan-register/<state>`: the browser's new credential.
    async fn wan_register_token(
        &self,
        call: Call<'_, '_>,
        session: &mut SessionState,
        rp: &RelyingParty,
    ) -> Answer {
        let Some(a) = call.auth else {
            return Ok(self.unauthenticated(self.api_mechanisms()));
        };
        let credential = credential_text(&call.form);
        match self
            .security()
            .wan_finish_register(
                &a.user,
                call.token.unwrap_or_default(),
                credential.as_deref(),
                rp,
            )
            .await
        {
            Ok(_) => Ok(self.answer(session, false, json!({}))),
            Err(e) => self.flow_error(e),
        }
    }

    /// `/wan-signin`: whether this is a second factor (GET), or the request
    /// options (POST `identity`, `remember`). 404 when keys are neither a
    /// first factor nor this session's due second factor.
    async fn wan_signin(
        &self,
        call: Call<'_, '_>,
        session: &mut SessionState,
        rp: &RelyingParty,
    ) -> Answer {
        let s = self.security();
        let c = s.config();
        let secondary = Self::wan_is_secondary(session);
        if !secondary && !c.wan_allow_as_first_factor {
            return Ok(HttpResponse::error(StatusCode::NOT_FOUND, "Not Found"));
        }
        if !call.post {
            return Ok(self.answer(session, false, json!({"is_secondary": secondary})));
        }
        let mut errors = FormErrors::new();
        let identity = call.form.string("identity", &mut errors);
        let remember = call.form.boolean("remember", &mut errors);
        if !errors.is_empty() {
            return Ok(self.form_errors(&errors));
        }
        let remember = remember.unwrap_or(c.default_remember_me);
        let user = if secondary {
            match session.get_str(keys::TF_USER_ID).map(str::to_owned) {
                Some(uid) => s.store().find_user_by_uniquifier(&uid).await?,
                None => None,
            }
        } else if c.wan_allow_user_hints {
            match identity.filter(|i| !i.trim().is_empty()) {
                // An unknown or inactive identity gets the options of no one:
                // the answer does not tell who exists.
                Some(i) => s.lookup_identity(&i).await?,
                None => None,
            }
        } else {
            None
        };
        let user = user.filter(|u| u.active);
        let usage = if secondary {
            USAGE_SECONDARY
        } else {
            USAGE_FIRST
        };
        match s.wan_start_signin(user.as_ref(), &[usage], rp).await {
            Ok(o) => Ok(self.answer(
                session,
                false,
                json!({
                    "credential_options": o.credential_options,
                    "wan_state": o.state,
                    "remember": remember,
                    "is_secondary": secondary,
                }),
            )),
            Err(e) => self.flow_error(e),
        }
    }

    /// `POST /wan-signin/<state>`: a passkey sign-in, or the second factor
    /// of the session's half-login.
    async fn wan_signin_token(
        &self,
        call: Call<'_, '_>,
        session: &mut SessionState,
        rp: &RelyingParty,
    ) -> Answer {
        let s = self.security();
        let c = s.config();
        let req = call.req;
        let pending = if Self::wan_is_secondary(session) {
            match session.get_str(keys::TF_USER_ID).map(str::to_owned) {
                Some(uid) => s.store().find_user_by_uniquifier(&uid).await?,
                None => None,
            }
        } else {
            None
        };
        let purpose = match &pending {
            Some(u) => WanPurpose::Secondary(u),
            None => WanPurpose::First,
        };
        let credential = credential_text(&call.form);
        let asserted = match s
            .wan_finish_signin(
                call.token.unwrap_or_default(),
                credential.as_deref(),
                purpose,
                rp,
                req.client,
            )
            .await
        {
            Ok(a) => a,
            Err(e) => return self.flow_error(e),
        };
        let post_login = self.view(&c.post_login_view);
        let extra = json!({"post_login_url": post_login, "tf_required": false});
        if pending.is_some() {
            let r = self
                .tf_finish_login(req, session, asserted.user, true)
                .await?;
            return Ok(with_members(r, &extra));
        }
        let mut errors = FormErrors::new();
        let remember = call
            .form
            .boolean("remember", &mut errors)
            .unwrap_or(c.default_remember_me);
        session.tf_clean();
        let validity = req.cookie(&c.two_factor_validity_cookie_name);
        match s
            .passkey_login(asserted, remember, validity.as_deref(), req.client)
            .await
        {
            Ok(LoginStep::Done(a)) => self.logged_in(req, session, &a, extra).await,
            Ok(LoginStep::SecondFactor(p)) => Ok(self.tf_pending(session, &p)),
            Err(e) => self.flow_error(e),
        }
    }

    /// `/wan-delete`: removes one of the user's keys (POST `name`). Needs a
    /// fresh login.
    async fn wan_delete(&self, call: Call<'_, '_>, session: &mut SessionState) -> Answer {
        let Some(a) = call.auth else {
            return Ok(self.unauthenticated(self.api_mechanisms()));
        };
        if let Err(r) = self.require_fresh(&a, session, None) {
            return Ok(*r);
        }
        if !call.post {
            return Ok(self.answer(session, false, json!({})));
        }
        let mut errors = FormErrors::new();
        let name = call.form.string("name", &mut errors);
        if !errors.is_empty() {
            return Ok(self.form_errors(&errors));
        }
        match self.security().wan_delete(&a.user, name.as_deref()).await {
            Ok(_) => Ok(self.answer(session, false, json!({}))),
            Err(e) => self.flow_error(e),
        }
    }

    /// `/wan-verify`: the request options for re-authenticating the
    /// current user with one of their keys (POST).
    async fn wan_verify(
        &self,
        call: Call<'_, '_>,
        session: &mut SessionState,
        rp: &RelyingParty,
    ) -> Answer {
        let Some(a) = call.auth else {
            return Ok(self.unauthenticated(self.api_mechanisms()));
        };
        if !call.post {
            return Ok(self.answer(session, false, json!({})));
        }
        let s = self.security();
        let usages: Vec<&str> = s
            .config()
            .wan_allow_as_verify
            .iter()
            .map(String::as_str)
            .collect();
        let started = s.wan_start_signin(Some(&a.user), &usages, rp).await;
        self.wan_options(session, started)
    }

    /// `POST /wan-verify/<state>`: re-authentication by a key of the
    /// current user (never another's).
    async fn wan_verify_token(
        &self,
        call: Call<'_, '_>,
        session: &mut SessionState,
        rp: &RelyingParty,
    ) -> Answer {
        let Some(a) = call.auth else {
            return Ok(self.unauthenticated(self.api_mechanisms()));
        };
        let credential = credential_text(&call.form);
        let current: User = a.user.clone();
        match self
            .security()
            .wan_reauthenticate(
                call.token.unwrap_or_default(),
                credential.as_deref(),
                &current,
                rp,
                call.req.client,
            )
            .await
        {
            Ok(paa) => self.reauthenticated(call.req, session, a, paa).await,
            Err(e) => self.flow_error(e),
        }
    }

    /// The first half of a ceremony: `credential_options` and `wan_state`.
    fn wan_options(
        &self,
        session: &mut SessionState,
        started: Result<WanOptions, FlowError>,
    ) -> Answer {
        match started {
            Ok(o) => Ok(self.answer(
                session,
                false,
                json!({"credential_options": o.credential_options, "wan_state": o.state}),
            )),
            Err(e) => self.flow_error(e),
        }
    }

    /// Whether `user` has a key `/wan-verify` accepts (`GET /verify`'s
    /// `has_webauthn_verify_credential`).
    pub(crate) async fn wan_verify_available(
        &self,
        auth: Option<&RequestAuth>,
    ) -> portcullis_core::Result<bool> {
        let s = self.security();
        let c = s.config();
        let Some(a) = auth else { return Ok(false) };
        if !c.webauthn || c.wan_allow_as_verify.is_empty() {
            return Ok(false);
        }
        let usages: Vec<&str> = c.wan_allow_as_verify.iter().map(String::as_str).collect();
        s.wan_has(&a.user, &usages).await
    }
}

/// Adds `extra`'s members to a JSON envelope's `response`.
fn with_members(mut r: HttpResponse, extra: &Value) -> HttpResponse {
    let Some(mut body) = r.json() else { return r };
    if let (Some(resp), Some(add)) = (body["response"].as_object_mut(), extra.as_object()) {
        for (k, v) in add {
            resp.insert(k.clone(), v.clone());
        }
    }
    r.body = body.to_string().into_bytes();
    r
}
