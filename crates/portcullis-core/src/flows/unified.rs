//! Unified sign-in (`SECURITY_UNIFIED_SIGNIN`): one identity field and one
//! passcode that is the password or a one-time code (emailed, texted, or
//! from an authenticator app), codes sent on request, the magic link, and
//! the setup of each code method with its own TOTP secret in
//! `us_totp_secrets`.

use std::collections::BTreeMap;

use serde_json::{Map, json};

use super::errors::{FlowError, FormErrors};
use super::login::ClientInfo;
use super::service::Security;
use super::two_factor::{AuthenticatorSetup, PendingFactor, US_STATE_KEYS};
use crate::events::Event;
use crate::i18n::format_duration;
use crate::mail::MailKind;
use crate::messages::{Message, MessageKey};
use crate::models::User;
use crate::store::UserPatch;
use crate::validation::canonical_phone;
use crate::{Result, SecretString};

/// A unified sign-in that passed: who, how, and whether to remember them.
#[derive(Debug, Clone)]
pub struct UsSignedIn {
    /// The user.
    pub user: User,
    /// The method whose passcode matched (`password`, `email`, …).
    pub method: String,
    /// Remember me.
    pub remember: bool,
}

/// What `/us-setup` POST did.
#[derive(Debug, Clone, Default)]
pub struct UsSetupStarted {
    /// The user after deletions (when any were asked for).
    pub user: Option<Box<User>>,
    /// A method waiting for its code.
    pub pending: Option<PendingFactor>,
    /// For `authenticator`: the key, URI and QR code to show.
    pub authenticator: Option<Box<AuthenticatorSetup>>,
}

/// Why a magic link was refused: the message for the error redirect.
#[derive(Debug, Clone)]
pub struct LinkRefused(pub Message);

impl Security {
    /// The user's unified sign-in secrets, method → encrypted secret.
    pub fn us_secrets(&self, user: &User) -> BTreeMap<String, String> {
        user.us_totp_secrets
            .as_ref()
            .and_then(|s| serde_json::from_str::<BTreeMap<String, String>>(s.expose()).ok())
            .unwrap_or_default()
    }

    /// Methods the user can sign in with: enabled ones they have a secret
    /// for, and `password` when they have one (in `SECURITY_US_ENABLED_METHODS` order).
    pub fn us_active_methods(&self, user: &User) -> Vec<String> {
        let secrets = self.us_secrets(user);
        self.config()
            .us_enabled_methods
            .iter()
            .filter(|m| {
                if *m == "password" {
                    user.password.is_some()
                } else {
                    secrets.contains_key(m.as_str())
                }
            })
            .cloned()
            .collect()
    }

    /// Enabled methods that send a code (not `password`, not `authenticator`).
    pub fn us_code_methods(&self) -> Vec<String> {
        self.config()
            .us_enabled_methods
            .iter()
            .filter(|m| !matches!(m.as_str(), "password" | "authenticator"))
            .cloned()
            .collect()
    }

    /// Enabled methods that need setting up (all but `password`).
    pub fn us_setup_methods(&self) -> Vec<String> {
        self.config()
            .us_enabled_methods
            .iter()
            .filter(|m| *m != "password")
            .cloned()
            .collect()
    }

    fn us_enabled(&self, method: &str) -> bool {
        self.config().us_enabled_methods.iter().any(|m| m == method)
    }

    /// Stores `us_totp_secrets` as Flask-Security's `json.dumps` writes it.
    fn us_secrets_patch(secrets: &BTreeMap<String, String>) -> Option<SecretString> {
        if secrets.is_empty() {
            return None;
        }
        let body: Vec<String> = secrets
            .iter()
            .map(|(k, v)| format!("{}: {}", json!(k), json!(v)))
            .collect();
        Some(SecretString::new(format!("{{{}}}", body.join(", "))))
    }

    /// At registration (Flask-Security's `us_setup_email`): with unified
    /// sign-in and its `email` method on, the new user gets an email secret.
    pub(crate) async fn us_setup_email(&self, user: User) -> Result<User> {
        if !self.config().unified_signin || !self.us_enabled("email") {
            return Ok(user);
        }
        let (_, secret) = self.new_totp().await?;
        let mut secrets = self.us_secrets(&user);
        secrets.insert("email".into(), secret.expose().to_owned());
        let patch = UserPatch {
            us_totp_secrets: Some(Self::us_secrets_patch(&secrets)),
            ..UserPatch::default()
        };
        self.store().update_user(user.id, patch).await
    }

    /// The identity step shared by sign-in and send-code.
    async fn us_identity(
        &self,
        identity: Option<&str>,
        errors: &mut FormErrors,
    ) -> Result<Option<User>> {
        let Some(identity) = identity.map(str::trim).filter(|i| !i.is_empty()) else {
            errors.add("identity", MessageKey::FieldRequired);
            return Ok(None);
        };
        match self.lookup_identity(identity).await? {
            None => {
                errors.add("identity", MessageKey::UsSpecifyIdentity);
                Ok(None)
            }
            Some(u) if !u.active => {
                errors.add("identity", MessageKey::DisabledAccount);
                Ok(None)
            }
            Some(u) => Ok(Some(u)),
        }
    }

    /// Which method `passcode` is for `user`: the password (when enabled and
    /// set) or a current code of one of their methods.
    /// Codes are accepted once, and emailed or texted ones only after a
    /// code was sent.
    async fn us_match_passcode(&self, user: &User, passcode: &str) -> Result<Option<String>> {
        let secrets = self.us_secrets(user);
        let window = self.config().us_token_validity;
        for method in &self.config().us_enabled_methods {
            if method == "password" {
                if user.password.is_some()
                    && self.check_password(user.clone(), passcode).await?.is_some()
                {
                    return Ok(Some(method.clone()));
                }
            } else if let Some(secret) = secrets.get(method) {
                let scope = us_scope(method);
                let sent = method != "authenticator";
                if self
                    .accept_code(user, &scope, secret, passcode, window, sent)
                    .await?
                {
                    return Ok(Some(method.clone()));
                }
            }
        }
        Ok(None)
    }

    /// `/us-signin` POST: the identity (any identity attribute), then the
    /// passcode against the password and each set-up code method, then
    /// confirmation. Does not log in: the web layer decides whether a
    /// second factor follows (`method` in `SECURITY_US_MFA_REQUIRED`) and
    /// calls [`complete_login`](Self::complete_login).
    pub async fn us_signin(
        &self,
        identity: Option<&str>,
        passcode: Option<&str>,
        remember: Option<bool>,
        client: &ClientInfo,
    ) -> Result<UsSignedIn, FlowError> {
        let mut errors = FormErrors::new();
        let passcode = passcode.filter(|p| !p.is_empty());
        let typed = identity.map(str::trim).unwrap_or_default();
        if passcode.is_some() {
            self.guard_address(client).await?;
        }
        let user = self.us_identity(identity, &mut errors).await?;
        if passcode.is_some() && !typed.is_empty() {
            self.guard_identity(user.as_ref(), typed, client).await?;
        }
        let result = match (user, passcode) {
            (None, pc) => {
                if let Some(pc) = pc {
                    self.burn_hash(pc).await?;
                    if !typed.is_empty() {
                        self.attempt_failed(None, typed, client).await?;
                    }
                }
                Err(errors)
            }
            (Some(_), None) => Err(FormErrors::field(
                "passcode",
                MessageKey::InvalidPasswordCode,
            )),
            (Some(user), Some(pc)) => match self.us_match_passcode(&user, pc).await? {
                None => {
                    self.attempt_failed(Some(&user), typed, client).await?;
                    if !self.us_enabled("password") || user.password.is_none() {
                        self.emit(Event::UserFailedAuthn {
                            user: Some(Box::new(user.clone())),
                            auth_type: "passcode",
                            tfa: false,
                        })
                        .await;
                    }
                    Err(FormErrors::field(
                        "passcode",
                        MessageKey::InvalidPasswordCode,
                    ))
                }
                Some(_) if self.requires_confirmation(&user) => Err(FormErrors::field(
                    "identity",
                    MessageKey::ConfirmationRequired,
                )),
                Some(method) => match self.app_lock(&user).await {
                    Some(m) => Err(FormErrors::field("identity", m)),
                    None => Ok(UsSignedIn {
                        user,
                        method,
                        remember: remember.unwrap_or(self.config().default_remember_me),
                    }),
                },
            },
        };
        result.map_err(|mut e| {
            if self.config().return_generic_responses {
                e.squash(&["identity", "passcode"], MessageKey::GenericAuthnFailed);
            }
            FlowError::Form(e)
        })
    }

    /// Checks `chosen_method` for sending a code to `user`.
    fn us_check_send_method(
        &self,
        user: &User,
        chosen: Option<&str>,
    ) -> Result<String, FormErrors> {
        let chosen = chosen.unwrap_or("");
        if !chosen.is_empty() && !matches!(chosen, "email" | "sms") {
            return Err(FormErrors::field(
                "chosen_method",
                MessageKey::NotAValidChoice,
            ));
        }
        if !self.us_enabled(chosen) || !self.us_secrets(user).contains_key(chosen) {
            return Err(FormErrors::field(
                "chosen_method",
                MessageKey::UsMethodNotAvailable,
            ));
        }
        if chosen == "sms" && user.us_phone_number.is_none() {
            return Err(FormErrors::field("chosen_method", MessageKey::PhoneInvalid));
        }
        Ok(chosen.to_owned())
    }

    /// `/us-signin/send-code`: sends a code (with the magic link, for email)
    /// to the user `identity` names, by `chosen_method`.
    pub async fn us_signin_send_code(
        &self,
        identity: Option<&str>,
        chosen: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), FlowError> {
        let mut errors = FormErrors::new();
        self.guard_send(identity.map(str::trim), client).await?;
        let result = match self.us_identity(identity, &mut errors).await? {
            None => Err(errors),
            Some(user) => match self.us_check_send_method(&user, chosen) {
                Err(e) => Err(e),
                Ok(_) if self.requires_confirmation(&user) => Err(FormErrors::field(
                    "identity",
                    MessageKey::ConfirmationRequired,
                )),
                Ok(method) => return self.us_send_or_500(&user, &method, true).await,
            },
        };
        result.map_err(|mut e| {
            if self.config().return_generic_responses {
                e.squash(
                    &["identity", "passcode", "chosen_method"],
                    MessageKey::GenericUsSignin,
                );
            }
            FlowError::Form(e)
        })
    }

    /// `/us-verify/send-code`: a code for re-authenticating `user`.
    pub async fn us_verify_send_code(
        &self,
        user: &User,
        chosen: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), FlowError> {
        let method = self.us_check_send_method(user, chosen)?;
        self.guard_send(Some(&user.email), client).await?;
        self.us_send_or_500(user, &method, false).await
    }

    async fn us_send_or_500(
        &self,
        user: &User,
        method: &str,
        magic_link: bool,
    ) -> Result<(), FlowError> {
        let secret = self.us_secrets(user).remove(method).unwrap_or_default();
        let phone = user.us_phone_number.clone();
        match self
            .us_send_code(user, method, &secret, phone.as_deref(), magic_link)
            .await
        {
            Ok(()) => Ok(()),
            Err(e) => {
                tracing::error!(error = %e, method, "could not send a sign-in code");
                Err(FlowError::SendFailed(FormErrors::field(
                    "chosen_method",
                    MessageKey::FailedToSendCode,
                )))
            }
        }
    }

    /// Flask-Security's `us_send_security_token`.
    async fn us_send_code(
        &self,
        user: &User,
        method: &str,
        secret: &str,
        phone: Option<&str>,
        magic_link: bool,
    ) -> Result<()> {
        let Some(totp) = self.load_totp(secret).await? else {
            return Err(crate::Error::internal("the TOTP secret cannot be read"));
        };
        let step = self.step_to_send(user, &us_scope(method)).await?;
        let code = totp.code_at(step * portcullis_crypto::totp::PERIOD);
        match method {
            "email" => {
                let c = self.config();
                let link = magic_link.then(|| {
                    format!(
                        "{}?id={}&code={code}",
                        self.url(&c.us_verify_link_url),
                        user.fs_uniquifier
                    )
                });
                let mut ctx = Map::new();
                ctx.insert("username".into(), json!(self.calc_username(user)));
                ctx.insert("token".into(), json!(code));
                ctx.insert("login_token".into(), json!(code));
                ctx.insert("login_link".into(), json!(link));
                ctx.insert(
                    "within".into(),
                    json!(format_duration(chrono::TimeDelta::seconds(
                        c.us_token_validity
                    ))),
                );
                let subject = c.us_email_subject.clone();
                self.send_mail(
                    MailKind::UsInstructions,
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
        let window = self.config().us_token_validity;
        self.note_code_sent(user, &us_scope(method), step, window)
            .await?;
        self.emit(Event::UsSecurityTokenSent {
            user: Box::new(user.clone()),
            method: method.to_owned(),
        })
        .await;
        Ok(())
    }

    /// `/us-verify` POST: re-authenticates `user` with their password or a
    /// code; returns the new `fs_paa`.
    pub async fn us_reauthenticate(
        &self,
        user: &User,
        passcode: Option<&str>,
        client: &ClientInfo,
    ) -> Result<f64, FlowError> {
        let Some(pc) = passcode.filter(|p| !p.is_empty()) else {
            return Err(FormErrors::field("passcode", MessageKey::InvalidPasswordCode).into());
        };
        self.guard_user(user, client).await?;
        match self.us_match_passcode(user, pc).await? {
            Some(_) => {
                self.attempt_passed(user, client).await?;
                Ok(self.clock().unix_time())
            }
            None => {
                self.attempt_failed(Some(user), "", client).await?;
                Err(FormErrors::field("passcode", MessageKey::InvalidPasswordCode).into())
            }
        }
    }

    /// `/us-setup` POST: deletes the methods in `delete` and/or starts
    /// `chosen` (a new secret, its code sent, or the authenticator values).
    pub async fn us_start_setup(
        &self,
        user: &User,
        chosen: Option<&str>,
        delete: &[String],
        phone: Option<&str>,
    ) -> Result<UsSetupStarted, FlowError> {
        let chosen = chosen.filter(|c| !c.is_empty());
        if chosen.is_none() && delete.is_empty() {
            return Err(FormErrors::form(MessageKey::ApiError).into());
        }
        let mut phone_number = None;
        if let Some(m) = chosen {
            if !self.us_setup_methods().iter().any(|s| s == m) {
                return Err(
                    FormErrors::field("chosen_method", MessageKey::UsMethodNotAvailable).into(),
                );
            }
            if m == "sms" {
                let Some(p) = phone
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .and_then(|p| canonical_phone(p, &self.config().phone_region_default))
                else {
                    return Err(FormErrors::field("phone", MessageKey::PhoneInvalid).into());
                };
                if self.store().find_user_by_phone(&p).await?.is_some() {
                    let msg = Message::new(MessageKey::IdentityAlreadyAssociated)
                        .arg("attr", "us_phone_number")
                        .arg("value", p.clone());
                    return Err(FormErrors::field("phone", msg).into());
                }
                phone_number = Some(p);
            }
        }
        let active = self.us_active_methods(user);
        if !delete.iter().all(|d| active.contains(d)) {
            return Err(
                FormErrors::field("delete_method", MessageKey::UsMethodNotAvailable).into(),
            );
        }
        let mut out = UsSetupStarted::default();
        let mut current = user.clone();
        if !delete.is_empty() {
            let mut secrets = self.us_secrets(user);
            let mut patch = UserPatch::default();
            for d in delete {
                secrets.remove(d);
                if d == "sms" {
                    patch.us_phone_number = Some(None);
                }
            }
            patch.us_totp_secrets = Some(Self::us_secrets_patch(&secrets));
            current = self.store().update_user(user.id, patch).await?;
            self.send_notice(
                MailKind::FactorRemovedNotice,
                &current.email,
                &current,
                &delete.join(", "),
            )
            .await;
            self.emit(Event::UsProfileChanged {
                user: Box::new(current.clone()),
                methods: delete.to_vec(),
                delete: true,
            })
            .await;
            out.user = Some(Box::new(current.clone()));
        }
        if let Some(m) = chosen {
            let (totp, secret) = self.new_totp().await?;
            let factor = PendingFactor {
                method: m.to_owned(),
                totp_secret: secret,
                phone: phone_number,
            };
            if m == "authenticator" {
                out.authenticator = Some(Box::new(self.authenticator_setup(&totp, &current)?));
            } else if let Err(e) = self
                .us_send_code(
                    &current,
                    m,
                    factor.totp_secret.expose(),
                    factor.phone.as_deref(),
                    false,
                )
                .await
            {
                tracing::error!(error = %e, method = m, "could not send a setup code");
                return Err(FlowError::SendFailed(FormErrors::field(
                    "chosen_method",
                    MessageKey::FailedToSendCode,
                )));
            }
            out.pending = Some(factor);
        }
        Ok(out)
    }

    /// The signed, timed `state` of `/us-setup` (`SECURITY_US_SETUP_SALT`).
    pub fn us_setup_token(&self, factor: &PendingFactor) -> String {
        self.write_state_token(self.us_setup_serializer(), &US_STATE_KEYS, factor)
    }

    /// Reads a `/us-setup/{state}` token.
    pub fn us_read_setup_token(&self, token: &str) -> Result<PendingFactor, FormErrors> {
        self.read_state_token(
            self.us_setup_serializer(),
            &US_STATE_KEYS,
            token,
            self.config().us_setup_within,
            MessageKey::UsSetupExpired,
        )
    }

    /// `/us-setup/{state}` POST: checks `passcode` for the pending method
    /// and stores it (`us_set`); emits `us-profile-changed`.
    pub async fn us_finish_setup(
        &self,
        user: &User,
        factor: &PendingFactor,
        passcode: Option<&str>,
    ) -> Result<User, FlowError> {
        let Some(pc) = passcode.map(str::trim).filter(|p| !p.is_empty()) else {
            return Err(FormErrors::field("passcode", MessageKey::FieldRequired).into());
        };
        let window = self.config().us_token_validity;
        let scope = us_scope(&factor.method);
        if !self
            .accept_code(user, &scope, factor.totp_secret.expose(), pc, window, false)
            .await?
        {
            return Err(FormErrors::field("passcode", MessageKey::InvalidPasswordCode).into());
        }
        let mut secrets = self.us_secrets(user);
        secrets.insert(
            factor.method.clone(),
            factor.totp_secret.expose().to_owned(),
        );
        let mut patch = UserPatch {
            us_totp_secrets: Some(Self::us_secrets_patch(&secrets)),
            ..UserPatch::default()
        };
        if factor.method == "sms" {
            patch.us_phone_number = Some(factor.phone.clone());
        }
        let updated = match self.store().update_user(user.id, patch).await {
            Ok(u) => u,
            Err(e) if e.kind() == crate::ErrorKind::AlreadyExists => {
                let msg = Message::new(MessageKey::IdentityAlreadyAssociated)
                    .arg("attr", "us_phone_number")
                    .arg("value", factor.phone.clone().unwrap_or_default());
                return Err(FormErrors::field("phone", msg).into());
            }
            Err(e) => return Err(e.into()),
        };
        self.send_notice(
            MailKind::FactorAddedNotice,
            &updated.email,
            &updated,
            &factor.method,
        )
        .await;
        self.emit(Event::UsProfileChanged {
            user: Box::new(updated.clone()),
            methods: vec![factor.method.clone()],
            delete: false,
        })
        .await;
        Ok(updated)
    }

    /// `/us-verify-link?id=&code=`: the user whose emailed code this is.
    /// The refusal carries the message for the error redirect.
    pub async fn us_verify_link(
        &self,
        id: Option<&str>,
        code: Option<&str>,
        client: &ClientInfo,
    ) -> Result<User, LinkRefused> {
        let generic = self.config().return_generic_responses;
        let pick = |specific: MessageKey| {
            LinkRefused(Message::new(if generic {
                MessageKey::GenericAuthnFailed
            } else {
                specific
            }))
        };
        let (Some(id), Some(code)) = (id.filter(|i| !i.is_empty()), code.filter(|c| !c.is_empty()))
        else {
            return Err(LinkRefused(MessageKey::ApiError.into()));
        };
        let user = match self.store().find_user_by_uniquifier(id).await {
            Ok(Some(u)) => u,
            Ok(None) => return Err(pick(MessageKey::UserDoesNotExist)),
            Err(e) => {
                tracing::error!(error = %e, "magic link lookup failed");
                return Err(LinkRefused(MessageKey::ApiError.into()));
            }
        };
        if !user.active {
            return Err(pick(MessageKey::DisabledAccount));
        }
        match self.guard_user(&user, client).await {
            Ok(()) => {}
            Err(FlowError::Limited(l)) => {
                let msg = l.errors.entries().first().map(|(_, m)| m.clone());
                return Err(LinkRefused(
                    msg.unwrap_or_else(|| MessageKey::TooManyAttempts.into()),
                ));
            }
            Err(_) => return Err(LinkRefused(MessageKey::ApiError.into())),
        }
        let secret = self.us_secrets(&user).remove("email");
        let window = self.config().us_token_validity;
        let ok = match secret {
            Some(s) => self
                .accept_code(&user, "us:email", &s, code, window, true)
                .await
                .unwrap_or(false),
            None => false,
        };
        if !ok {
            if let Err(e) = self.attempt_failed(Some(&user), "", client).await {
                tracing::error!(error = %e, "could not count a failed magic link");
            }
            self.emit(Event::UserFailedAuthn {
                user: Some(Box::new(user)),
                auth_type: "passcode",
                tfa: false,
            })
            .await;
            return Err(pick(MessageKey::InvalidCode));
        }
        Ok(user)
    }
}

/// The single-use scope of a unified sign-in method.
fn us_scope(method: &str) -> String {
    format!("us:{method}")
}
