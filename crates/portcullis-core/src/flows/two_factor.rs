//! Two-factor authentication as Flask-Security's code plugin does it
//! (authenticator app, emailed code, SMS code), the "remember this device"
//! validity token, and the rescue options.
//!
//! The half-logged-in state between the password and the code
//! (`tf_user_id`, `tf_state`, …) belongs to the web layer's server-side
//! session; these methods are the checks and the writes around it.

use std::fmt;

use portcullis_crypto::Totp;
use portcullis_crypto::secret::ct_eq;
use serde_json::{Map, Value, json};

use super::errors::{FlowError, FormErrors};
use super::login::ClientInfo;
use super::service::Security;
use crate::events::Event;
use crate::i18n::format_duration;
use crate::mail::MailKind;
use crate::messages::{Message, MessageKey};
use crate::models::User;
use crate::store::UserPatch;
use crate::validation::canonical_phone;
use crate::{Result, SecretString};

/// What an authenticator app needs to add a new key: Flask-Security's
/// `tf_authr_*` (two-factor) and `authr_*` (unified sign-in) values.
#[derive(Clone)]
pub struct AuthenticatorSetup {
    /// The key in passlib's "pretty" form (`ABCD-EFGH-…`).
    pub key: String,
    /// The key in base32.
    pub b32key: String,
    /// The account name in the URI (`calc_username`).
    pub username: String,
    /// `SECURITY_TOTP_ISSUER`.
    pub issuer: String,
    /// The `otpauth://` provisioning URI.
    pub uri: String,
    /// The URI as an SVG QR code, `data:image/svg+xml;base64,…`.
    pub qr_svg: String,
}

impl fmt::Debug for AuthenticatorSetup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthenticatorSetup")
            .field("username", &self.username)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

/// A second factor being set up, not yet stored: its method, its new TOTP
/// secret (passlib's encrypted JSON) and, for SMS, the phone number.
#[derive(Clone, PartialEq, Eq)]
pub struct PendingFactor {
    /// `email`, `authenticator` or `sms`.
    pub method: String,
    /// The encrypted secret, as it will be stored.
    pub totp_secret: SecretString,
    /// The phone number (E.164), for SMS.
    pub phone: Option<String>,
}

impl fmt::Debug for PendingFactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingFactor")
            .field("method", &self.method)
            .field("phone", &self.phone)
            .finish_non_exhaustive()
    }
}

/// What `/tf-setup` did.
#[derive(Debug, Clone)]
pub enum TfSetupStarted {
    /// `setup = "disable"`: two-factor is off for the user.
    Disabled(Box<User>),
    /// A new factor waits for its code; email and SMS codes have been sent.
    Pending {
        /// The factor.
        factor: PendingFactor,
        /// For `authenticator`: the key, URI and QR code to show.
        authenticator: Option<Box<AuthenticatorSetup>>,
    },
}

/// What `/tf-rescue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TfRescue {
    /// A code was mailed to the user (`email`).
    CodeMailed,
    /// The administrators were mailed (`help`).
    HelpRequested,
    /// The user wants to use a recovery code (`recovery_code`): send them
    /// to `/mf-recovery`.
    UseRecoveryCode,
}

/// The methods Flask-Security's two-factor code plugin knows.
pub const TF_METHODS: [&str; 3] = ["email", "authenticator", "sms"];

/// The second-factor method of Flask-Security's WebAuthn plugin.
pub const TF_WEBAUTHN: &str = "webauthn";

impl Security {
    /// Flask-Security's `calc_username`: the username when usernames are on
    /// and set, else the email.
    pub fn calc_username(&self, user: &User) -> String {
        match &user.username {
            Some(u) if self.config().username_enable && !u.is_empty() => u.clone(),
            _ => user.email.clone(),
        }
    }

    /// The second factors `user` has set up, from every plugin: the code
    /// plugin's (with two-factor on, the primary method when a secret is
    /// stored), then WebAuthn's (`webauthn` when WebAuthn is on and the user
    /// has a key with usage `secondary`).
    pub async fn tf_setup_methods(&self, user: &User) -> crate::Result<Vec<String>> {
        let mut methods = Vec::new();
        if self.config().two_factor
            && let (Some(m), Some(s)) = (&user.tf_primary_method, &user.tf_totp_secret)
            && !m.is_empty()
            && !s.expose().is_empty()
        {
            methods.push(m.clone());
        }
        if self
            .wan_has(user, &[super::webauthn::USAGE_SECONDARY])
            .await?
        {
            methods.push(TF_WEBAUTHN.to_owned());
        }
        Ok(methods)
    }

    /// `check_tf_required`: with two-factor or WebAuthn on, a user who has
    /// a second factor (or everyone, with `SECURITY_TWO_FACTOR_REQUIRED`)
    /// must give it, unless `validity` is their valid "remember this
    /// device" token and `SECURITY_TWO_FACTOR_ALWAYS_VALIDATE` is off.
    pub async fn tf_required(&self, user: &User, validity: Option<&str>) -> crate::Result<bool> {
        let methods = self.tf_setup_methods(user).await?;
        Ok(self.tf_due(user, &methods, validity))
    }

    /// [`tf_required`](Self::tf_required) for a user whose set-up methods
    /// are already known.
    pub(crate) fn tf_due(&self, user: &User, methods: &[String], validity: Option<&str>) -> bool {
        let c = self.config();
        if !(c.two_factor || c.webauthn) {
            return false;
        }
        let required = c.two_factor && c.two_factor_required;
        (required || !methods.is_empty())
            && (c.two_factor_always_validate || !self.tf_validity_ok(user, validity))
    }

    /// The choices `/tf-setup` offers: the enabled methods, and `disable`
    /// first when two-factor is not required and the user has a method.
    pub fn tf_available_methods(&self, user: &User) -> Vec<String> {
        let c = self.config();
        let mut choices = c.two_factor_enabled_methods.clone();
        if !c.two_factor_required && user.tf_primary_method.is_some() {
            choices.insert(0, "disable".into());
        }
        choices
    }

    /// The "remember this device" token for the `tf_validity` cookie.
    pub fn tf_validity_token(&self, user: &User) -> String {
        self.tf_validity_serializer()
            .dumps(&user.fs_uniquifier, self.now_secs())
    }

    /// Whether `token` is `user`'s unexpired validity token.
    pub fn tf_validity_ok(&self, user: &User, token: Option<&str>) -> bool {
        let Some(token) = token else { return false };
        let max_age = self.config().two_factor_login_validity.num_seconds();
        match self
            .tf_validity_serializer()
            .loads(token, Some(max_age), self.now_secs())
        {
            Ok(loaded) => loaded
                .payload
                .as_str()
                .is_some_and(|u| ct_eq(u.as_bytes(), user.fs_uniquifier.as_bytes())),
            Err(_) => false,
        }
    }

    /// How long a code for `method` stays valid (seconds either side).
    fn tf_window(&self, method: &str) -> Option<i64> {
        let c = self.config();
        match method {
            "authenticator" | "google_authenticator" => Some(c.two_factor_authenticator_validity),
            "email" | "mail" => Some(c.two_factor_mail_validity),
            "sms" => Some(c.two_factor_sms_validity),
            _ => None,
        }
    }

    /// Reads a stored TOTP secret, on the CPU pool (its PBKDF2 unwrap
    /// takes milliseconds). An unreadable secret is `None` (and logged).
    pub(crate) async fn load_totp(&self, stored: &str) -> Result<Option<Totp>> {
        let factory = self.totp()?.clone();
        let stored = stored.to_owned();
        let loaded = self.on_cpu(move || factory.load(&stored)).await?;
        Ok(match loaded {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::warn!(error = %e, "a stored TOTP secret could not be read");
                None
            }
        })
    }

    /// The time step `code` matches for the stored secret within `window`
    /// seconds, if any.
    pub(crate) async fn totp_step(
        &self,
        stored: &str,
        code: &str,
        window: i64,
    ) -> Result<Option<i64>> {
        let now = self.now_secs();
        Ok(self
            .load_totp(stored)
            .await?
            .and_then(|t| t.verify(code, now, window)))
    }

    /// Whether `code` is a current code of `stored` for `user`'s `scope`
    /// that was not used before (and, when `needs_sent`, was sent): the
    /// accepted step is claimed, so the same code, or an older one, is
    /// refused next time.
    pub(crate) async fn accept_code(
        &self,
        user: &User,
        scope: &str,
        stored: &str,
        code: &str,
        window: i64,
        needs_sent: bool,
    ) -> Result<bool> {
        let Some(step) = self.totp_step(stored, code, window).await? else {
            return Ok(false);
        };
        if needs_sent && !self.code_was_sent(user, scope).await? {
            return Ok(false);
        }
        self.claim_code(user, scope, step).await
    }

    /// A new TOTP secret: the key and its encrypted JSON.
    pub(crate) async fn new_totp(&self) -> Result<(Totp, SecretString)> {
        let factory = self.totp()?.clone();
        let (totp, stored) = self.on_cpu(move || factory.generate()).await??;
        Ok((totp, SecretString::new(stored)))
    }

    /// The provisioning values and QR code for `totp`.
    pub(crate) fn authenticator_setup(
        &self,
        totp: &Totp,
        user: &User,
    ) -> Result<AuthenticatorSetup> {
        let factory = self.totp()?;
        let username = self.calc_username(user);
        let uri = factory.provisioning_uri(totp, &username);
        Ok(AuthenticatorSetup {
            key: totp.pretty_key(),
            b32key: totp.base32_key(),
            qr_svg: portcullis_crypto::totp::qr_svg_data_uri(&uri)?,
            username,
            issuer: factory.issuer().to_owned(),
            uri,
        })
    }

    /// Flask-Security's `tf_send_security_token`: mails or texts the
    /// current code of `secret` (nothing for the authenticator method).
    pub async fn tf_send_code(
        &self,
        user: &User,
        method: &str,
        secret: &str,
        phone: Option<&str>,
    ) -> Result<()> {
        let scope = tf_scope(method);
        self.tf_send_code_as(user, method, secret, phone, scope)
            .await
    }

    /// [`tf_send_code`](Self::tf_send_code) of a code that will be checked
    /// as `scope`'s (a rescue mail carries the primary method's code).
    async fn tf_send_code_as(
        &self,
        user: &User,
        method: &str,
        secret: &str,
        phone: Option<&str>,
        scope: &str,
    ) -> Result<()> {
        let Some(totp) = self.load_totp(secret).await? else {
            return Err(crate::Error::internal("the TOTP secret cannot be read"));
        };
        let window = match method {
            "sms" => self.config().two_factor_sms_validity,
            _ => self.config().two_factor_mail_validity,
        };
        let step = self.step_to_send(user, scope).await?;
        let code = totp.code_at(step * portcullis_crypto::totp::PERIOD);
        match method {
            "email" | "mail" => {
                let mut ctx = Map::new();
                ctx.insert("token".into(), json!(code));
                ctx.insert("username".into(), json!(self.calc_username(user)));
                let within = chrono::TimeDelta::seconds(self.config().two_factor_mail_validity);
                ctx.insert("within".into(), json!(format_duration(within)));
                let subject = self.config().email_subject_two_factor.clone();
                self.send_mail(
                    MailKind::TwoFactorInstructions,
                    &user.email,
                    &subject,
                    Some(user),
                    ctx,
                )
                .await?;
            }
            "sms" => self.send_code_sms(phone, &code).await?,
            _ => return Ok(()),
        }
        self.note_code_sent(user, scope, step, window).await?;
        self.emit(Event::TfSecurityTokenSent {
            user: Box::new(user.clone()),
            method: method.to_owned(),
        })
        .await;
        Ok(())
    }

    /// Texts `SECURITY_MSG_USE_CODE` with `code` to `phone`.
    pub(crate) async fn send_code_sms(&self, phone: Option<&str>, code: &str) -> Result<()> {
        let phone = phone.ok_or_else(|| crate::Error::invalid_input("no phone number for SMS"))?;
        let sms = self
            .sms()
            .ok_or_else(|| crate::Error::new(crate::ErrorKind::Config, "no SMS sender"))?;
        let text = self
            .messages()
            .render(&Message::new(MessageKey::UseCode).arg("code", code));
        sms.send_sms(phone, &text).await
    }

    /// `/tf-setup` POST: checks the choice (`setup`, and `phone` for SMS),
    /// then either disables two-factor or starts a new factor: a new secret,
    /// its code sent by email or SMS, or the authenticator values to show.
    /// Nothing is stored until the code is verified
    /// ([`tf_finish_setup`](Self::tf_finish_setup)).
    pub async fn tf_start_setup(
        &self,
        user: &User,
        setup: Option<&str>,
        phone: Option<&str>,
    ) -> Result<TfSetupStarted, FlowError> {
        let c = self.config();
        let setup = setup.unwrap_or("");
        let mut choices: Vec<&str> = c
            .two_factor_enabled_methods
            .iter()
            .map(String::as_str)
            .collect();
        if choices.contains(&"email") {
            choices.push("mail");
        }
        if !c.two_factor_required {
            choices.push("disable");
        }
        if !choices.contains(&setup) {
            return Err(FormErrors::field("setup", MessageKey::TwoFactorMethodNotAvailable).into());
        }
        if setup == "disable" {
            return Ok(TfSetupStarted::Disabled(Box::new(
                self.tf_disable(user).await?,
            )));
        }
        let method = if setup == "mail" { "email" } else { setup };
        let phone = if method == "sms" {
            match phone
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| canonical_phone(p, &c.phone_region_default))
            {
                Some(Some(p)) => Some(p),
                _ => return Err(FormErrors::field("phone", MessageKey::PhoneInvalid).into()),
            }
        } else {
            None
        };
        let (totp, secret) = self.new_totp().await?;
        let factor = PendingFactor {
            method: method.to_owned(),
            totp_secret: secret,
            phone,
        };
        let mut authenticator = None;
        if method == "authenticator" {
            authenticator = Some(Box::new(self.authenticator_setup(&totp, user)?));
        } else if let Err(e) = self
            .tf_send_code(
                user,
                method,
                factor.totp_secret.expose(),
                factor.phone.as_deref(),
            )
            .await
        {
            tracing::error!(error = %e, method, "could not send a two-factor code");
            return Err(FlowError::SendFailed(FormErrors::field(
                "setup",
                MessageKey::FailedToSendCode,
            )));
        }
        Ok(TfSetupStarted::Pending {
            factor,
            authenticator,
        })
    }

    /// The signed, timed `tf_state_token` carrying a pending factor
    /// (`SECURITY_TWO_FACTOR_SETUP_SALT`), as Flask-Security writes it.
    pub fn tf_setup_token(&self, factor: &PendingFactor) -> String {
        self.write_state_token(self.tf_setup_serializer(), &TF_STATE_KEYS, factor)
    }

    /// Reads a `tf_state_token`: `API_ERROR` when it is not one,
    /// `TWO_FACTOR_SETUP_EXPIRED` after `SECURITY_TWO_FACTOR_SETUP_WITHIN`.
    pub fn tf_read_setup_token(&self, token: &str) -> Result<PendingFactor, FormErrors> {
        self.read_state_token(
            self.tf_setup_serializer(),
            &TF_STATE_KEYS,
            token,
            self.config().two_factor_setup_within,
            MessageKey::TwoFactorSetupExpired,
        )
    }

    /// Writes a pending factor as a signed, timed setup state token, under
    /// Flask-Security's key names for that flow.
    pub(crate) fn write_state_token(
        &self,
        serializer: &portcullis_crypto::UrlSafeTimedSerializer,
        keys: &StateKeys,
        factor: &PendingFactor,
    ) -> String {
        let mut state = serde_json::Map::new();
        state.insert("totp_secret".into(), json!(factor.totp_secret.expose()));
        state.insert(keys.method.into(), json!(factor.method));
        state.insert(keys.phone.into(), json!(factor.phone));
        serializer.dumps(&Value::Object(state), self.now_secs())
    }

    /// Reads a setup state token: `API_ERROR` when it is not one (or not a
    /// pending factor), `expired` (with `within`) when it is too old.
    pub(crate) fn read_state_token(
        &self,
        serializer: &portcullis_crypto::UrlSafeTimedSerializer,
        keys: &StateKeys,
        token: &str,
        within: chrono::TimeDelta,
        expired: MessageKey,
    ) -> Result<PendingFactor, FormErrors> {
        use portcullis_crypto::TokenError;
        let state = match serializer.loads(token, Some(within.num_seconds()), self.now_secs()) {
            Ok(loaded) => loaded.payload,
            Err(TokenError::Expired { .. }) => {
                return Err(FormErrors::form(
                    Message::new(expired).arg("within", format_duration(within)),
                ));
            }
            Err(_) => return Err(FormErrors::form(MessageKey::ApiError)),
        };
        let secret = state.get("totp_secret").and_then(Value::as_str);
        let method = state.get(keys.method).and_then(Value::as_str);
        match (secret, method) {
            (Some(s), Some(m)) if TF_METHODS.contains(&m) => Ok(PendingFactor {
                method: m.to_owned(),
                totp_secret: SecretString::new(s.to_owned()),
                phone: state
                    .get(keys.phone)
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            }),
            _ => Err(FormErrors::form(MessageKey::ApiError)),
        }
    }

    /// Checks `code` for a pending factor and, when it matches, stores the
    /// factor (`tf_set`) and emits `tf-profile-changed` — or, when the
    /// factor was set up during a login (`at_login`), `tf-code-confirmed`.
    /// A missing code is `This field is required.`, a wrong one
    /// `TWO_FACTOR_INVALID_TOKEN`, on `code`.
    pub async fn tf_finish_setup(
        &self,
        user: &User,
        factor: &PendingFactor,
        code: Option<&str>,
        at_login: bool,
    ) -> Result<User, FlowError> {
        self.tf_check_code(
            user,
            &factor.method,
            factor.totp_secret.expose(),
            code,
            true,
        )
        .await?;
        let updated = self.tf_set(user, factor).await?;
        self.send_notice(
            MailKind::FactorAddedNotice,
            &updated.email,
            &updated,
            &factor.method,
        )
        .await;
        let (user, method) = (Box::new(updated.clone()), factor.method.clone());
        self.emit(if at_login {
            Event::TfCodeConfirmed { user, method }
        } else {
            Event::TfProfileChanged { user, method }
        })
        .await;
        Ok(updated)
    }

    /// Stores a verified factor (`tf_set`).
    pub(crate) async fn tf_set(&self, user: &User, factor: &PendingFactor) -> Result<User> {
        let mut patch = UserPatch {
            tf_primary_method: Some(Some(factor.method.clone())),
            tf_totp_secret: Some(Some(factor.totp_secret.clone())),
            ..UserPatch::default()
        };
        if factor.phone.is_some() {
            patch.tf_phone_number = Some(factor.phone.clone());
        }
        self.store().update_user(user.id, patch).await
    }

    /// The second step of a login: checks `code` against the user's own
    /// factor, once (a code accepted before is refused). A wrong code
    /// counts as a failed authentication (`tfa`) and against the account's
    /// attempt budget; a locked account is refused.
    pub async fn tf_check_login_code(
        &self,
        user: &User,
        code: Option<&str>,
    ) -> Result<(), FlowError> {
        let (Some(method), Some(secret)) = (&user.tf_primary_method, &user.tf_totp_secret) else {
            return Err(FormErrors::field("code", MessageKey::TwoFactorInvalidToken).into());
        };
        if code.map(str::trim).is_some_and(|c| !c.is_empty()) {
            self.guard_lock(user).await?;
        }
        let result = self
            .tf_check_code(user, method, secret.expose(), code, false)
            .await;
        if matches!(&result, Err(FlowError::Form(f)) if f.has("code", MessageKey::TwoFactorInvalidToken))
        {
            self.second_factor_failed(user).await?;
        }
        result
    }

    async fn tf_check_code(
        &self,
        user: &User,
        method: &str,
        secret: &str,
        code: Option<&str>,
        is_setup: bool,
    ) -> Result<(), FlowError> {
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            return Err(FormErrors::field("code", MessageKey::FieldRequired).into());
        };
        let Some(window) = self.tf_window(method) else {
            return Err(FormErrors::field("code", MessageKey::TwoFactorInvalidToken).into());
        };
        let sent = !matches!(method, "authenticator" | "google_authenticator");
        let scope = tf_scope(method);
        if self
            .accept_code(user, scope, secret, code, window, sent)
            .await?
        {
            return Ok(());
        }
        if !is_setup {
            self.emit(Event::UserFailedAuthn {
                user: Some(Box::new(user.clone())),
                auth_type: "code",
                tfa: true,
            })
            .await;
        }
        Err(FormErrors::field("code", MessageKey::TwoFactorInvalidToken).into())
    }

    /// Emits `tf-code-confirmed` after a second factor was given at login.
    pub async fn tf_code_confirmed(&self, user: &User, method: &str) {
        self.emit(Event::TfCodeConfirmed {
            user: Box::new(user.clone()),
            method: method.to_owned(),
        })
        .await;
    }

    /// `tf_disable`: clears the user's two-factor method, secret and phone;
    /// emits `tf-disabled`.
    pub async fn tf_disable(&self, user: &User) -> Result<User> {
        let patch = UserPatch {
            tf_primary_method: Some(None),
            tf_totp_secret: Some(None),
            tf_phone_number: Some(None),
            ..UserPatch::default()
        };
        let updated = self.store().update_user(user.id, patch).await?;
        let method = user.tf_primary_method.as_deref().unwrap_or("two-factor");
        self.send_notice(
            MailKind::FactorRemovedNotice,
            &updated.email,
            &updated,
            method,
        )
        .await;
        self.emit(Event::TfDisabled {
            user: Box::new(updated.clone()),
        })
        .await;
        Ok(updated)
    }

    /// The rescue options `/tf-validate` and `/tf-rescue` offer, as
    /// `(option, path)`: `help` always, `email` with
    /// `SECURITY_TWO_FACTOR_RESCUE_EMAIL`, `recovery_code` when the user has
    /// recovery codes.
    pub fn tf_rescue_options(&self, user: &User) -> Vec<(&'static str, String)> {
        let c = self.config();
        let mut out = vec![("help", self.path(&c.two_factor_rescue_url))];
        if c.two_factor_rescue_email {
            out.push(("email", self.path(&c.two_factor_rescue_url)));
        }
        if c.multi_factor_recovery_codes && !self.mf_recovery_codes(user).is_empty() {
            out.push(("recovery_code", self.path(&c.multi_factor_recovery_url)));
        }
        out
    }

    /// `/tf-rescue` POST: `help_setup` is one of
    /// [`tf_rescue_options`](Self::tf_rescue_options).
    pub async fn tf_rescue(
        &self,
        user: &User,
        help_setup: Option<&str>,
        client: &ClientInfo,
    ) -> Result<TfRescue, FlowError> {
        let options = self.tf_rescue_options(user);
        let chosen = help_setup.unwrap_or("");
        if !options.iter().any(|(o, _)| *o == chosen) {
            return Err(FormErrors::field("help_setup", MessageKey::NotAValidChoice).into());
        }
        if chosen != "recovery_code" {
            self.guard_send(Some(&user.email), client).await?;
        }
        match chosen {
            "email" => {
                let secret = user
                    .tf_totp_secret
                    .as_ref()
                    .map(|s| s.expose().to_owned())
                    .unwrap_or_default();
                let primary = user.tf_primary_method.as_deref().unwrap_or("email");
                let sent = self
                    .tf_send_code_as(user, "email", &secret, None, tf_scope(primary))
                    .await;
                if let Err(e) = sent {
                    tracing::error!(error = %e, "could not mail a rescue code");
                    return Err(FlowError::SendFailed(FormErrors::field(
                        "help_setup",
                        MessageKey::FailedToSendCode,
                    )));
                }
                Ok(TfRescue::CodeMailed)
            }
            "recovery_code" => Ok(TfRescue::UseRecoveryCode),
            _ => {
                let c = self.config();
                let (to, subject) = (
                    c.two_factor_rescue_mail.clone(),
                    c.email_subject_two_factor_rescue.clone(),
                );
                self.send_mail(
                    MailKind::TwoFactorRescue,
                    &to,
                    &subject,
                    Some(user),
                    Map::new(),
                )
                .await?;
                Ok(TfRescue::HelpRequested)
            }
        }
    }

    /// A Portcullis path with `SECURITY_URL_PREFIX` (no host).
    pub fn path(&self, path: &str) -> String {
        let prefix = self
            .config()
            .url_prefix
            .as_deref()
            .unwrap_or("")
            .trim_end_matches('/');
        format!("{prefix}{path}")
    }
}

/// The field names a setup state token uses for the method and the phone.
pub(crate) struct StateKeys {
    pub(crate) method: &'static str,
    pub(crate) phone: &'static str,
}

/// `/tf-setup`'s `tf_state_token`: `{"totp_secret", "method", "phone"}`.
pub(crate) const TF_STATE_KEYS: StateKeys = StateKeys {
    method: "method",
    phone: "phone",
};

/// `/us-setup`'s `state`: `{"totp_secret", "chosen_method", "phone_number"}`.
pub(crate) const US_STATE_KEYS: StateKeys = StateKeys {
    method: "chosen_method",
    phone: "phone_number",
};

/// The single-use scope of a two-factor method's codes.
fn tf_scope(method: &str) -> &'static str {
    match method {
        "sms" => "tf:sms",
        "authenticator" | "google_authenticator" => "tf:authenticator",
        _ => "tf:email",
    }
}
