//! Browsers: HTML pages and redirects, as a view over the JSON answers.

use http::{Method, StatusCode};
use portcullis_core::flows::PasswordConfirm;
use portcullis_core::{Message, MessageKey};
use serde_json::{Map, Value, json};

use crate::endpoints::Endpoint;
use crate::html::{field, radio, required};
use crate::input::FormData;
use crate::respond::{HttpResponse, RedirectRules, is_allowed_redirect, with_query};
use crate::session::SessionState;
use crate::{HttpRequest, Portcullis};

impl Portcullis {
    fn page_of(
        &self,
        endpoint: Endpoint,
    ) -> Option<(&'static str, &'static str, Vec<Value>, &'static str)> {
        let c = self.security().config();
        // Fields Flask-Security's forms give a required validator carry
        // the `required` attribute, as WTForms renders them.
        let email = |on: bool| required(field("email", "email", "Email Address", "email"), on);
        let pw = |n: &str, l: &str, a: &str| required(field(n, "password", l, a), true);
        let mut remember = field("remember", "checkbox", "Remember Me", "");
        remember["checked"] = json!(c.default_remember_me);
        Some(match endpoint {
            // LOGOUT_CSRF refused a browser's logout: the confirmation
            // page, whose form carries the token.
            Endpoint::Logout => ("logout_user.html", "Confirm Sign Out", vec![], "Submit"),
            Endpoint::Login => {
                // With usernames on either identity will do: neither
                // field is required.
                let mut f = vec![
                    email(!c.username_enable),
                    pw("password", "Password", "current-password"),
                    remember.clone(),
                ];
                if c.username_enable {
                    f.insert(1, field("username", "text", "Username", "username"));
                }
                ("login_user.html", "Login", f, "Login")
            }
            Endpoint::Register => {
                // The password (and its confirmation) only when one is
                // required; the username by USERNAME_REQUIRED.
                // The legacy forms (USE_REGISTER_V2 off) mark neither
                // password field required.
                let pw_required = c.password_required && c.use_register_v2;
                let optional_pw = |n: &str, l: &str, on: bool| {
                    required(field(n, "password", l, "new-password"), on)
                };
                let mut f = vec![
                    email(true),
                    optional_pw("password", "Password", pw_required),
                ];
                match c.register_password_confirm(false) {
                    PasswordConfirm::Absent => {}
                    PasswordConfirm::IfGiven => {
                        f.push(optional_pw("password_confirm", "Retype Password", false));
                    }
                    PasswordConfirm::Required => {
                        f.push(optional_pw(
                            "password_confirm",
                            "Retype Password",
                            pw_required,
                        ));
                    }
                }
                if c.username_enable {
                    let u = field("username", "text", "Username", "username");
                    f.insert(1, required(u, c.username_required));
                }
                // The application's own registration fields, labelled by
                // their names (an app wanting other labels overrides the
                // page).
                f.extend(
                    self.security()
                        .register_field_names()
                        .map(|name| field(name, "text", &label_of(name), "")),
                );
                ("register_user.html", "Register", f, "Register")
            }
            Endpoint::SendLogin => (
                "send_login.html",
                "Login",
                vec![email(true)],
                "Send Login Link",
            ),
            Endpoint::Confirm => (
                "send_confirmation.html",
                "Resend confirmation instructions",
                vec![email(true)],
                "Resend Confirmation Instructions",
            ),
            Endpoint::Reset => (
                "forgot_password.html",
                "Send password reset instructions",
                vec![email(true)],
                "Recover Password",
            ),
            Endpoint::ResetToken => (
                "reset_password.html",
                "Reset password",
                vec![
                    pw("password", "Password", "new-password"),
                    pw("password_confirm", "Retype Password", "new-password"),
                ],
                "Reset Password",
            ),
            Endpoint::Change => (
                "change_password.html",
                "Change Password",
                vec![
                    pw("password", "Password", "current-password"),
                    pw("new_password", "New Password", "new-password"),
                    pw("new_password_confirm", "Retype Password", "new-password"),
                ],
                "Change Password",
            ),
            Endpoint::ChangeEmail => (
                "change_email.html",
                "Change Email",
                vec![email(true)],
                "Change Email",
            ),
            Endpoint::ChangeUsername => (
                "change_username.html",
                "Change Username",
                vec![required(
                    field("username", "text", "New Username", "username"),
                    true,
                )],
                "Change Username",
            ),
            Endpoint::RecoverUsername => (
                "recover_username.html",
                "Username Recovery",
                vec![email(true)],
                "Recover Username",
            ),
            Endpoint::Verify => (
                "verify.html",
                "Reauthenticate",
                vec![pw("password", "Password", "current-password")],
                "Reauthenticate",
            ),
            Endpoint::TfSetup => (
                "two_factor_setup.html",
                "Two-Factor Setup",
                {
                    let mut methods = c.two_factor_enabled_methods.clone();
                    methods.push("disable".into());
                    let mut f = vec![radio("setup", "Available Methods", &methods, "")];
                    if c.two_factor_enabled_methods.iter().any(|m| m == "sms") {
                        f.push(field("phone", "tel", "Phone Number", "tel"));
                    }
                    f
                },
                "Submit",
            ),
            Endpoint::TfValidate => (
                "two_factor_verify_code.html",
                "Two-Factor Authentication",
                vec![field(
                    "code",
                    "text",
                    "Authentication Code",
                    "one-time-code",
                )],
                "Submit Code",
            ),
            Endpoint::TfSelect => (
                "two_factor_select.html",
                "Select Two-Factor Method",
                vec![field(
                    "which",
                    "text",
                    "Available Second Factor Methods",
                    "off",
                )],
                "Select",
            ),
            Endpoint::TfRescue => (
                "two_factor_verify_code.html",
                "Trouble accessing your account?",
                vec![field(
                    "help_setup",
                    "text",
                    "help, email or recovery_code",
                    "off",
                )],
                "Submit",
            ),
            Endpoint::MfRecovery => (
                "mf_recovery.html",
                "Enter Recovery Code",
                vec![field("code", "text", "Recovery Code", "off")],
                "Submit Code",
            ),
            Endpoint::MfRecoveryCodes => (
                "mf_recovery_codes.html",
                "Recovery Codes",
                vec![],
                "Generate New Recovery Codes",
            ),
            Endpoint::UsSignin | Endpoint::UsSigninSendCode => (
                "us_signin.html",
                "Sign In",
                // The passcode is optional (the same form sends a code), so
                // a browser lets "Send Code" submit it empty.
                vec![
                    required(field("identity", "text", "Identity", "username"), true),
                    field("passcode", "password", "Code or Password", "off"),
                    remember.clone(),
                ],
                "Sign In",
            ),
            Endpoint::UsVerify | Endpoint::UsVerifySendCode => (
                "us_verify.html",
                "Reauthenticate",
                vec![field("passcode", "password", "Code or Password", "off")],
                "Sign In",
            ),
            Endpoint::UsSetup => (
                "us_setup.html",
                "Setup Unified Sign In",
                {
                    let methods: Vec<String> = c
                        .us_enabled_methods
                        .iter()
                        .filter(|m| *m != "password")
                        .cloned()
                        .collect();
                    let mut f = vec![radio(
                        "chosen_method",
                        "Setup additional sign in option",
                        &methods,
                        "No methods have been enabled - nothing to setup",
                    )];
                    if methods.iter().any(|m| m == "sms") {
                        f.push(field("phone", "tel", "Phone Number", "tel"));
                    }
                    f
                },
                "Submit",
            ),
            Endpoint::UserSessions => (
                "user_sessions.html",
                "Your sessions",
                vec![json!({"name": "end", "type": "hidden", "value": "others", "label": ""})],
                "End all other sessions",
            ),
            Endpoint::WanRegister => (
                "wan_register.html",
                "Setup a New Passkey",
                {
                    let mut f = vec![field("name", "text", "Nickname", "off")];
                    if c.wan_allow_as_first_factor {
                        f.push(json!({"name": "usage", "type": "select", "label": "Usage", "options": [
                            {"value": "secondary", "label": "Use as a secondary authentication factor"},
                            {"value": "first", "label": "Use as a first authentication factor"},
                        ]}));
                    }
                    f
                },
                "Start",
            ),
            Endpoint::WanSignin => (
                "wan_signin.html",
                "Sign In With a Passkey",
                vec![
                    field("identity", "text", "Email Address", "username webauthn"),
                    remember.clone(),
                ],
                "Start",
            ),
            Endpoint::WanVerify => (
                "wan_verify.html",
                "Reauthenticate Using a Passkey",
                vec![],
                "Start",
            ),
            _ => return None,
        })
    }

    fn render_page(
        &self,
        endpoint: Endpoint,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        form: &FormData,
        errors: Option<&Value>,
        messages: Vec<String>,
    ) -> HttpResponse {
        self.render_page_with(endpoint, req, session, form, errors, messages, Map::new())
    }

    /// As `render_page`, with the authenticator's QR code (an SVG data URI).
    #[allow(clippy::too_many_arguments)]
    fn render_page_with(
        &self,
        endpoint: Endpoint,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        form: &FormData,
        errors: Option<&Value>,
        messages: Vec<String>,
        extra: Map<String, Value>,
    ) -> HttpResponse {
        let Some((page, title, fields, submit)) = self.page_of(endpoint) else {
            return HttpResponse::error(StatusCode::NOT_FOUND, "Not found");
        };
        let c = self.security().config();
        let mut values = Map::new();
        let mut ignored = portcullis_core::FormErrors::new();
        let app_fields: Vec<&str> = if endpoint == Endpoint::Register {
            self.security().register_field_names().collect()
        } else {
            Vec::new()
        };
        for name in ["email", "username", "identity", "chosen_method", "setup"]
            .into_iter()
            .chain(app_fields)
        {
            if let Some(v) = form.string(name, &mut ignored) {
                values.insert(name.into(), json!(v));
            }
        }
        let (mut by_field, mut form_errors) = (Map::new(), Vec::new());
        if let Some(e) = errors {
            if let Some(f) = e.get("field_errors").and_then(Value::as_object) {
                let shown = |k: &str| fields.iter().any(|f| f["name"] == k);
                for (k, v) in f {
                    // Errors of fields the page does not show (`next`) are
                    // the form's.
                    if k.is_empty() || !shown(k) {
                        form_errors.extend(v.as_array().into_iter().flatten().cloned());
                    } else {
                        by_field.insert(k.clone(), v.clone());
                    }
                }
            } else if let Some(list) = e.get("errors").and_then(Value::as_array) {
                form_errors.extend(list.iter().cloned());
            }
        }
        if matches!(
            endpoint,
            Endpoint::WanRegister | Endpoint::WanSignin | Endpoint::WanVerify
        ) && let Some(e) = req.query("error")
        {
            form_errors.push(json!(e));
        }
        let csrf = self
            .csrf()
            .token(session, self.security().now_secs())
            .unwrap_or_default();
        let mut links = vec![];
        if endpoint == Endpoint::Login {
            if c.registerable {
                links.push(json!({"href": self.view(&c.register_url), "text": "Register"}));
            }
            if c.recoverable {
                links.push(json!({"href": self.view(&c.reset_url), "text": "Forgot password?"}));
            }
            if c.confirmable {
                links.push(json!({"href": self.view(&c.confirm_url), "text": "Confirm account"}));
            }
            if c.unified_signin {
                links.push(json!({"href": self.view(&c.us_signin_url), "text": "Unified Sign In"}));
            }
        }
        let next = req
            .query("next")
            .or_else(|| form.raw("next").and_then(Value::as_str).map(str::to_owned));
        let (action, send_code) = self.send_code_of(endpoint, req);
        // Messages flashed by an earlier step, then this page's own notes.
        let mut flashes: Vec<Value> = session
            .take_flashes()
            .into_iter()
            .map(|(category, text)| json!([category, text]))
            .collect();
        flashes.extend(messages.iter().map(|m| json!(["info", m])));
        let messages: Vec<Value> = flashes.iter().map(|f| f[1].clone()).collect();
        let context = json!({
            "title": title, "action": action, "fields": fields, "submit": submit, "values": values,
            "errors": by_field, "form_errors": form_errors, "messages": messages, "csrf_token": csrf,
            "next": next, "links": links, "form_name": form_name(endpoint, page), "send_code": send_code,
            "flashes": flashes,
        });
        let mut context = context.as_object().cloned().unwrap_or_default();
        if let Some(oauth) = self.oauth_buttons(endpoint, next.as_deref()) {
            context.insert("oauth".into(), oauth);
        }
        context.extend(extra);
        let template = self.template_of(page).unwrap_or(page);
        let mut r = self.pages().render_named(template, page, &context);
        if let Some(name) = &c.csrf_cookie_name {
            r = r.with_cookie(name, &csrf, &c.csrf_cookie, false);
        }
        r
    }

    /// The provider buttons of the sign-in and re-authentication pages
    /// (Flask-Security's "Use Social Login to …" forms), posting to the
    /// start of an OAuth login or re-authentication with `next`.
    fn oauth_buttons(&self, endpoint: Endpoint, next: Option<&str>) -> Option<Value> {
        let s = self.security();
        let c = s.config();
        let (heading, start) = match endpoint {
            Endpoint::Login | Endpoint::UsSignin => {
                ("Use Social Login to Sign In", &c.oauth_start_url)
            }
            Endpoint::Verify | Endpoint::UsVerify if c.freshness.num_seconds() >= 0 => (
                "Use Social Login to Reauthenticate",
                &c.oauth_verify_start_url,
            ),
            _ => return None,
        };
        let names = s.oauth_provider_names();
        if names.is_empty() {
            return None;
        }
        let providers: Vec<Value> = names
            .iter()
            .map(|n| {
                let action = format!("{}/{n}", s.path(start));
                let action = match next {
                    Some(next) => crate::respond::with_query(&action, &[("next", next)]),
                    None => action,
                };
                json!({"name": n, "action": action})
            })
            .collect();
        Some(json!({"heading": heading, "providers": providers}))
    }

    /// The template `page` renders under (its `SECURITY_*_TEMPLATE`).
    fn template_of(&self, page: &str) -> Option<&str> {
        let c = self.security().config();
        Some(match page {
            "login_user.html" => &c.login_user_template,
            "logout_user.html" => &c.logout_user_template,
            "register_user.html" => &c.register_user_template,
            "send_confirmation.html" => &c.send_confirmation_template,
            "send_login.html" => &c.send_login_template,
            "forgot_password.html" => &c.forgot_password_template,
            "reset_password.html" => &c.reset_password_template,
            "change_password.html" => &c.change_password_template,
            "change_email.html" => &c.change_email_template,
            "change_username.html" => &c.change_username_template,
            "recover_username.html" => &c.username_recovery_template,
            "verify.html" => &c.verify_template,
            "two_factor_setup.html" => &c.two_factor_setup_template,
            "two_factor_verify_code.html" => &c.two_factor_verify_code_template,
            "two_factor_select.html" => &c.two_factor_select_template,
            "mf_recovery.html" => &c.multi_factor_recovery_template,
            "mf_recovery_codes.html" => &c.multi_factor_recovery_codes_template,
            "us_signin.html" => &c.us_signin_template,
            "us_verify.html" => &c.us_verify_template,
            "us_setup.html" => &c.us_setup_template,
            "wan_register.html" => &c.wan_register_template,
            "wan_signin.html" => &c.wan_signin_template,
            "wan_verify.html" => &c.wan_verify_template,
            _ => return None,
        })
    }

    /// Where a page's form posts, and for the unified sign-in pages the
    /// "send a code" choice (the methods that send one, and the
    /// `formaction` of its button) — Flask-Security's `code_methods`.
    fn send_code_of(&self, endpoint: Endpoint, req: &HttpRequest<'_>) -> (String, Value) {
        let c = self.security().config();
        let (page_url, send_url) = match endpoint {
            Endpoint::UsSignin | Endpoint::UsSigninSendCode => {
                (&c.us_signin_url, &c.us_signin_send_code_url)
            }
            Endpoint::UsVerify | Endpoint::UsVerifySendCode => {
                (&c.us_verify_url, &c.us_verify_send_code_url)
            }
            _ => return (req.uri.path().to_owned(), Value::Null),
        };
        let methods: Vec<&String> = c
            .us_enabled_methods
            .iter()
            .filter(|m| *m == "email" || *m == "sms")
            .collect();
        let send = if methods.is_empty() {
            Value::Null
        } else {
            json!({"action": self.view(send_url), "methods": methods})
        };
        (self.view(page_url), send)
    }

    /// After a second factor or sign-in method was chosen: the form that
    /// takes the code proving it (Flask-Security's
    /// `two_factor_verify_code_form` / `us_setup_validate_form`), posted to
    /// the state token's URL or, for a first two-factor setup during
    /// login, to `/tf-validate`.
    fn code_form_of(&self, endpoint: Endpoint, body: Option<&Value>) -> Value {
        let c = self.security().config();
        let get = |k: &str| body.and_then(|b| b.get(k)).and_then(Value::as_str);
        match endpoint {
            Endpoint::TfSetup if get("tf_state") == Some("validating_profile") => {
                let action = match get("tf_state_token") {
                    Some(t) => format!("{}/{t}", self.view(&c.two_factor_setup_url)),
                    None => self.view(&c.two_factor_token_validation_url),
                };
                json!({"action": action, "name": "code", "label": "Authentication Code",
                       "form_name": "two_factor_verify_code_form"})
            }
            Endpoint::UsSetup => match get("state") {
                Some(t) => json!({"action": format!("{}/{t}", self.view(&c.us_setup_url)),
                                  "name": "passcode", "label": "Passcode",
                                  "form_name": "us_setup_validate_form"}),
                None => Value::Null,
            },
            _ => Value::Null,
        }
    }

    /// The WebAuthn pages: the start forms, the page whose script runs the
    /// browser's ceremony and posts its answer, and where each answer
    /// leads (a refusal back to the start page with the message). `None`
    /// for other endpoints and the answers the general rules handle.
    fn wan_browser(
        &self,
        endpoint: Endpoint,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
        form: &FormData,
        resp: &HttpResponse,
        body: Option<&Value>,
    ) -> Option<HttpResponse> {
        let c = self.security().config();
        let s = self.security();
        let status = resp.status.as_u16();
        let start = match endpoint {
            Endpoint::WanRegister | Endpoint::WanRegisterToken | Endpoint::WanDelete => {
                Endpoint::WanRegister
            }
            Endpoint::WanSignin | Endpoint::WanSigninToken => Endpoint::WanSignin,
            Endpoint::WanVerify | Endpoint::WanVerifyToken => Endpoint::WanVerify,
            _ => return None,
        };
        let start_url = s.path(match start {
            Endpoint::WanRegister => &c.wan_register_url,
            Endpoint::WanSignin => &c.wan_signin_url,
            _ => &c.wan_verify_url,
        });
        let refused = |b: Option<&Value>| {
            let text = b
                .and_then(|b| b["errors"].as_array())
                .map(|e| {
                    e.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            HttpResponse::redirect(&with_query(&start_url, &[("error", &text)]))
        };
        let get = |k: &str| body.and_then(|b| b.get(k)).cloned();
        match (endpoint, status) {
            (_, 400) if endpoint != start => Some(refused(body)),
            (Endpoint::WanRegister, 200) if req.method != Method::POST => {
                let list = get("registered_credentials").unwrap_or_else(|| json!([]));
                let extra = Map::from_iter([
                    ("registered_credentials".to_owned(), list),
                    ("delete_action".to_owned(), json!(s.path(&c.wan_delete_url))),
                ]);
                Some(self.render_page_with(start, req, session, form, None, vec![], extra))
            }
            (Endpoint::WanRegister | Endpoint::WanSignin | Endpoint::WanVerify, 200)
                if req.method == Method::POST =>
            {
                let state = get("wan_state")?;
                let options = get("credential_options")?;
                let extra = Map::from_iter([
                    ("credential_options".to_owned(), json!(options.to_string())),
                    (
                        "wan_response_action".to_owned(),
                        json!(format!(
                            "{start_url}/{}",
                            state.as_str().unwrap_or_default()
                        )),
                    ),
                    (
                        "wan_ceremony".to_owned(),
                        json!(if start == Endpoint::WanRegister {
                            "create"
                        } else {
                            "get"
                        }),
                    ),
                    (
                        "remember".to_owned(),
                        get("remember").unwrap_or(json!(false)),
                    ),
                ]);
                Some(self.render_page_with(start, req, session, form, None, vec![], extra))
            }
            (Endpoint::WanRegisterToken, 200) => Some(HttpResponse::redirect(
                &self.view(&c.wan_post_register_view),
            )),
            (Endpoint::WanDelete, 200) => Some(HttpResponse::redirect(&start_url)),
            (Endpoint::WanSigninToken, 200) => Some(match self.tf_next_page(resp) {
                Some(page) => HttpResponse::redirect(&page),
                None => HttpResponse::redirect(&self.next_or(req, form, &c.post_login_view)),
            }),
            (Endpoint::WanVerifyToken, 200) => Some(HttpResponse::redirect(&self.next_or(
                req,
                form,
                c.post_verify_view.as_deref().unwrap_or(&c.post_login_view),
            ))),
            _ => None,
        }
    }

    /// A safe `next` (query or form), else `fallback`.
    fn next_or(&self, req: &HttpRequest<'_>, form: &FormData, fallback: &str) -> String {
        let next = req
            .query("next")
            .or_else(|| form.raw("next").and_then(Value::as_str).map(str::to_owned));
        match next {
            Some(n)
                if is_allowed_redirect(
                    &n,
                    self.request_host(req).as_deref(),
                    &RedirectRules::from_config(self.security().config()),
                ) =>
            {
                n
            }
            _ => self.view(fallback),
        }
    }

    /// Flask-Security's `do_flash`: `key`'s message shown by the next page
    /// (with `SECURITY_FLASH_MESSAGES`).
    pub(crate) fn flash(&self, session: &mut SessionState, key: MessageKey) {
        let messages = self.security().messages();
        if self.security().config().flash_messages {
            session.flash(messages.category(key), &messages.render(&key.into()));
        }
    }

    /// A redirect to `to`, with `key`'s message flashed for the page there.
    fn flash_to(&self, session: &mut SessionState, key: MessageKey, to: &str) -> HttpResponse {
        self.flash(session, key);
        HttpResponse::redirect(to)
    }

    fn note(&self, key: MessageKey, email: Option<&str>) -> Vec<String> {
        let mut m = Message::new(key);
        if let Some(e) = email {
            m = m.arg("email", e);
        }
        vec![self.security().messages().render(&m)]
    }

    /// Flask-Security's form semantics: GET renders the page, a good post
    /// redirects (or shows what was sent), a bad one re-renders with errors;
    /// protected pages send anonymous browsers to the login page.
    /// `SECURITY_REQUIRES_CONFIRMATION_ERROR_VIEW`, when `endpoint` (login,
    /// reset, username recovery) refused an unconfirmed user and the view
    /// is set (and responses are not generic).
    fn confirmation_required(&self, endpoint: Endpoint, body: Option<&Value>) -> Option<String> {
        let c = self.security().config();
        let view = c.requires_confirmation_error_view.as_ref()?;
        let open = matches!(
            endpoint,
            Endpoint::Login | Endpoint::Reset | Endpoint::RecoverUsername
        );
        if !open || c.return_generic_responses {
            return None;
        }
        let text = self
            .security()
            .messages()
            .render(&MessageKey::ConfirmationRequired.into());
        let errors = body?.get("field_errors")?.as_object()?;
        errors
            .values()
            .filter_map(Value::as_array)
            .flatten()
            .any(|m| m.as_str() == Some(text.as_str()))
            .then(|| view.clone())
    }

    /// Whether a two-factor step answered `TWO_FACTOR_PERMISSION_DENIED`
    /// (Flask-Security's `tf_illegal_state`, which sends a browser to
    /// `SECURITY_TWO_FACTOR_ERROR_VIEW`).
    fn tf_illegal_state(&self, endpoint: Endpoint, body: Option<&Value>) -> bool {
        let tf = matches!(
            endpoint,
            Endpoint::TfValidate
                | Endpoint::TfSelect
                | Endpoint::TfRescue
                | Endpoint::TfSetup
                | Endpoint::TfSetupToken
                | Endpoint::MfRecovery
        );
        let denied = self
            .security()
            .messages()
            .render(&MessageKey::TwoFactorPermissionDenied.into());
        tf && body
            .and_then(|b| b.get("errors"))
            .and_then(Value::as_array)
            .is_some_and(|e| e.iter().any(|m| m.as_str() == Some(denied.as_str())))
    }

    pub(crate) async fn browser(
        &self,
        endpoint: Endpoint,
        token: Option<&str>,
        req: &HttpRequest<'_>,
        session: &mut SessionState,
    ) -> portcullis_core::Result<HttpResponse> {
        let c = self.security().config().clone();
        let post = req.method == Method::POST;
        let form = if post {
            FormData::parse(req.body, req.is_json()).unwrap_or_default()
        } else if endpoint == Endpoint::Confirm {
            // Flask-Security's SendConfirmationForm takes its email from
            // the query on GET, where `_confirm_redirect` sends a browser.
            FormData::from_pairs(req.query("email").map(|e| ("email".to_owned(), e)))
        } else {
            FormData::default()
        };
        // Without SPA redirects, a reset link opens the reset form itself.
        if endpoint == Endpoint::ResetToken
            && !post
            && c.redirect_behavior != portcullis_core::config::RedirectBehavior::Spa
        {
            return Ok(
                match self
                    .security()
                    .reset_token_user(token.unwrap_or_default())
                    .await
                {
                    Ok(_) => self.render_page(endpoint, req, session, &form, None, vec![]),
                    // Flask-Security flashes INVALID/EXPIRED and sends the
                    // browser to the forgot-password page.
                    Err(portcullis_core::FlowError::Form(f)) => {
                        let text = f
                            .render(self.security().messages())
                            .into_iter()
                            .map(|(_, m)| m)
                            .collect::<Vec<_>>()
                            .join(" ");
                        if c.flash_messages {
                            session.flash("error", &text);
                        }
                        HttpResponse::redirect(&self.view(&c.reset_url))
                    }
                    Err(e) => return Err(portcullis_core::Error::internal(e.to_string())),
                },
            );
        }
        // A code posted to /tf-validate finishes a setup or a login.
        let tf_setting_up =
            session.get_str(crate::session::keys::TF_STATE) == Some("validating_profile");
        let resp = self.dispatch(endpoint, token, req, session).await?;
        let body = resp.json().map(|j| j["response"].clone());
        if let Some(page) = self.wan_browser(endpoint, req, session, &form, &resp, body.as_ref()) {
            return Ok(page);
        }
        // As the form's validator leaves it (Flask-Security's messages name
        // `form.email.data`, normalised): `joe@LP.COM` is `joe@lp.com`.
        let policy = &self.security().config().email_validator_args;
        let email = form
            .raw("email")
            .and_then(Value::as_str)
            .map(|e| policy.validate(e).unwrap_or_else(|_| e.to_owned()));
        let confirm_view = (resp.status == http::StatusCode::BAD_REQUEST)
            .then(|| self.confirmation_required(endpoint, body.as_ref()))
            .flatten();
        Ok(match resp.status.as_u16() {
            302 => resp,
            // Basic allowed: the challenge, for the browser to answer
            // (Flask-Security's default_unauthn_handler).
            401 if resp.headers.contains_key(http::header::WWW_AUTHENTICATE) => resp,
            401 => {
                let reauth = body
                    .as_ref()
                    .is_some_and(|b| b["reauth_required"] == json!(true));
                let (target, key) = if reauth {
                    (&c.verify_url, MessageKey::ReauthenticationRequired)
                } else {
                    (&c.login_url, MessageKey::Unauthenticated)
                };
                let to = crate::respond::with_next(&self.view(target), req.uri.path());
                self.flash_to(session, key, &to)
            }
            200 if endpoint == Endpoint::Logout => {
                HttpResponse::redirect(&self.next_or(req, &form, &c.post_logout_view))
            }
            200 if !post && endpoint == Endpoint::UserSessions => {
                let mut extra = Map::new();
                extra.insert(
                    "sessions".into(),
                    body.as_ref()
                        .and_then(|b| b.get("sessions"))
                        .cloned()
                        .unwrap_or_default(),
                );
                self.render_page_with(endpoint, req, session, &form, None, vec![], extra)
            }
            200 if !post && self.page_of(endpoint).is_some() => {
                self.render_page(endpoint, req, session, &form, None, vec![])
            }
            200 if !post => resp,
            200 => match endpoint {
                Endpoint::Login | Endpoint::UsSignin => match self.tf_next_page(&resp) {
                    Some(page) => HttpResponse::redirect(&page),
                    None => HttpResponse::redirect(&self.next_or(req, &form, &c.post_login_view)),
                },
                Endpoint::UserSessions if session.user_id().is_some() => {
                    HttpResponse::redirect(req.uri.path())
                }
                Endpoint::UserSessions => HttpResponse::redirect(&self.view(&c.login_url)),
                Endpoint::TfValidate if session.user_id().is_some() => {
                    let key = if tf_setting_up {
                        MessageKey::TwoFactorChangeMethodSuccessful
                    } else {
                        MessageKey::TwoFactorLoginSuccessful
                    };
                    let to = self.next_or(req, &form, &c.post_login_view);
                    self.flash_to(session, key, &to)
                }
                Endpoint::MfRecovery if session.user_id().is_some() => {
                    HttpResponse::redirect(&self.next_or(req, &form, &c.post_login_view))
                }
                // Second factor turned off: Flask-Security's TWO_FACTOR_DISABLED.
                Endpoint::TfSetup
                    if form.raw("setup").and_then(Value::as_str) == Some("disable") =>
                {
                    let to = self.view(&c.two_factor_post_setup_view);
                    self.flash_to(session, MessageKey::TwoFactorDisabled, &to)
                }
                Endpoint::TfSetup | Endpoint::UsSetup | Endpoint::MfRecoveryCodes => {
                    let get = |k: &str| {
                        body.as_ref()
                            .and_then(|b| b.get(k))
                            .filter(|v| !v.is_null())
                    };
                    let note = get("recovery_codes")
                        .or_else(|| get("tf_authr_key"))
                        .or_else(|| get("authr_key"))
                        .map(|v| match v {
                            Value::String(t) => vec![t.clone()],
                            Value::Array(items) => items
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_owned)
                                .collect(),
                            other => vec![other.to_string()],
                        })
                        .unwrap_or_default();
                    let qr = get("tf_authr_uri")
                        .or_else(|| get("authr_uri"))
                        .and_then(Value::as_str)
                        .and_then(|uri| portcullis_core::crypto::totp::qr_svg_data_uri(uri).ok());
                    self.render_page_with(
                        endpoint,
                        req,
                        session,
                        &FormData::default(),
                        None,
                        note,
                        Map::from_iter([
                            ("qr_image".to_owned(), json!(qr)),
                            (
                                "qr_alt".to_owned(),
                                json!(if endpoint == Endpoint::UsSetup {
                                    "Passwordless QRCode"
                                } else {
                                    "Two-Factor authentication code"
                                }),
                            ),
                            (
                                "code_form".to_owned(),
                                self.code_form_of(endpoint, body.as_ref()),
                            ),
                        ]),
                    )
                }
                Endpoint::Register if session.user_id().is_some() => HttpResponse::redirect(
                    &self.next_or(
                        req,
                        &form,
                        c.post_register_view
                            .as_deref()
                            .unwrap_or(&c.post_login_view),
                    ),
                ),
                // A second factor due first (TWO_FACTOR_REQUIRED): its
                // setup page, as after a login.
                Endpoint::Register => match self.tf_next_page(&resp) {
                    Some(page) => HttpResponse::redirect(&page),
                    None => {
                        let m = if c.confirmable {
                            self.note(MessageKey::ConfirmRegistration, email.as_deref())
                        } else {
                            vec![]
                        };
                        self.render_page(endpoint, req, session, &FormData::default(), None, m)
                    }
                },
                Endpoint::Change => {
                    let to = self.view(c.post_change_view.as_deref().unwrap_or(&c.post_login_view));
                    self.flash_to(session, MessageKey::PasswordChange, &to)
                }
                Endpoint::ResetToken => {
                    let key = if session.user_id().is_some() {
                        MessageKey::PasswordReset
                    } else {
                        MessageKey::PasswordResetNoLogin
                    };
                    let to = self.view(c.post_reset_view.as_deref().unwrap_or(&c.login_url));
                    self.flash_to(session, key, &to)
                }
                Endpoint::Verify => {
                    let to = self.next_or(
                        req,
                        &form,
                        c.post_verify_view.as_deref().unwrap_or(&c.post_login_view),
                    );
                    self.flash_to(session, MessageKey::ReauthenticationSuccessful, &to)
                }
                Endpoint::Confirm => self.render_page(
                    endpoint,
                    req,
                    session,
                    &form,
                    None,
                    self.note(MessageKey::ConfirmationRequest, email.as_deref()),
                ),
                Endpoint::SendLogin => self.render_page(
                    endpoint,
                    req,
                    session,
                    &form,
                    None,
                    self.note(MessageKey::LoginEmailSent, email.as_deref()),
                ),
                Endpoint::Reset => self.render_page(
                    endpoint,
                    req,
                    session,
                    &form,
                    None,
                    self.note(MessageKey::PasswordResetRequest, email.as_deref()),
                ),
                Endpoint::RecoverUsername => self.render_page(
                    endpoint,
                    req,
                    session,
                    &form,
                    None,
                    self.note(MessageKey::UsernameRecoveryRequest, None),
                ),
                Endpoint::ChangeEmail => self.render_page(
                    endpoint,
                    req,
                    session,
                    &FormData::default(),
                    None,
                    self.note(MessageKey::ChangeEmailSent, email.as_deref()),
                ),
                // Flask-Security renders the sign-in page again, with
                // the identity kept and "Code has been sent."
                Endpoint::UsSigninSendCode | Endpoint::UsVerifySendCode => self.render_page(
                    endpoint,
                    req,
                    session,
                    &form,
                    None,
                    self.note(MessageKey::CodeHasBeenSent, None),
                ),
                Endpoint::ChangeUsername => {
                    let to = self.view(
                        c.post_change_username_view
                            .as_deref()
                            .unwrap_or(&c.post_login_view),
                    );
                    self.flash_to(session, MessageKey::UsernameChange, &to)
                }
                // A new second factor or sign-in method validated.
                Endpoint::TfSetupToken => {
                    let to = self.view(&c.two_factor_post_setup_view);
                    self.flash_to(session, MessageKey::TwoFactorChangeMethodSuccessful, &to)
                }
                Endpoint::UsSetupToken => {
                    let to = self.view(&c.us_post_setup_view);
                    self.flash_to(session, MessageKey::UsSetupSuccessful, &to)
                }
                _ => resp,
            },
            // `_confirm_redirect`: an unconfirmed user, with
            // `SECURITY_REQUIRES_CONFIRMATION_ERROR_VIEW`.
            400 if confirm_view.is_some() => HttpResponse::redirect(&with_query(
                &self.view(confirm_view.as_deref().unwrap_or_default()),
                &[("email", email.as_deref().unwrap_or_default())],
            )),
            // `tf_illegal_state`: no two-factor login in progress here.
            400 if self.tf_illegal_state(endpoint, body.as_ref()) => {
                HttpResponse::redirect(&self.view(&c.two_factor_error_view))
            }
            400 if self.page_of(endpoint).is_some() => {
                self.render_page(endpoint, req, session, &form, body.as_ref(), vec![])
            }
            // Over an attempt limit: the page with the message, still a 429.
            429 if self.page_of(endpoint).is_some() => {
                let mut page =
                    self.render_page(endpoint, req, session, &form, body.as_ref(), vec![]);
                page.status = resp.status;
                if let Some(v) = resp.headers.get(http::header::RETRY_AFTER) {
                    page.headers.insert(http::header::RETRY_AFTER, v.clone());
                }
                page
            }
            _ => resp,
        })
    }
}

/// The `name` Flask-Security's template gives the page's form, which its
/// scripts and end-to-end tests select by.
fn form_name(endpoint: Endpoint, page: &str) -> String {
    match endpoint {
        Endpoint::RecoverUsername => "username_recovery_form".into(),
        Endpoint::TfSelect => "tf_select".into(),
        Endpoint::TfRescue => "two_factor_rescue_form".into(),
        Endpoint::Logout => "logout_form".into(),
        _ => format!("{}_form", page.trim_end_matches(".html")),
    }
}

/// `first_name` → `First Name`.
fn label_of(name: &str) -> String {
    name.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}
