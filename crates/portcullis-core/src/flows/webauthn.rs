//! WebAuthn as Flask-Security has it (`/wan-*`): security keys as a second
//! factor, passkeys as a first, either for re-authentication.
//!
//! The ceremonies are `webauthn-rs-core`'s; what is stored is
//! Flask-Security's `web_authn` row (the raw credential id, the COSE public
//! key as the authenticator sent it, the counter, transports, the client's
//! extension results), so a key registered under either signs in under the
//! other. The state between the two halves of a ceremony is a signed token
//! (`wan_state`, `SECURITY_WAN_SALT`) holding the challenge, which is
//! accepted once. See `docs/decisions/0011-webauthn-with-webauthn-rs-core.md`.

use std::time::Duration;

use serde_json::{Value, json};
use webauthn_rs_core::WebauthnCore;
use webauthn_rs_core::proto::{
    AttestationConveyancePreference, AttestationFormat, AuthenticationState,
    AuthenticatorAttachment, AuthenticatorTransport, COSEAlgorithm, COSEKey, Credential,
    ParsedAttestation, PublicKeyCredential, RegisterPublicKeyCredential, RegisteredExtensions,
    RegistrationState, RequestRegistrationExtensions, UserVerificationPolicy,
};

use super::errors::{FlowError, FormErrors};
use super::login::ClientInfo;
use super::login_step::LoginStep;
use super::service::Security;
use crate::events::{AuthnVia, Event};
use crate::i18n::format_duration;
use crate::messages::{Message, MessageKey};
use crate::models::{User, WebAuthnCredential};
use crate::store::{NewWebAuthn, UserPatch, WebAuthnUse, new_uniquifier};
use crate::validation::{InputVerdict, sanitize_input};

/// A credential usable as a first factor (a passkey).
pub const USAGE_FIRST: &str = "first";
/// A credential usable as a second factor (a security key).
pub const USAGE_SECONDARY: &str = "secondary";

/// The relying party of one request: its id (the host without its port)
/// and the origin browsers report (scheme, host and port) — what
/// Flask-Security takes from `request.host` and `request.host_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP id (`example.com`, `localhost`).
    pub id: String,
    /// The origin (`https://example.com`, `http://localhost:8000`).
    pub origin: String,
}

impl RelyingParty {
    /// From the request's `Host` header and whether it came over HTTPS;
    /// `None` for a missing or malformed host.
    pub fn from_host(host: &str, https: bool) -> Option<Self> {
        let scheme = if https { "https" } else { "http" };
        let origin = url::Url::parse(&format!("{scheme}://{host}")).ok()?;
        let id = origin.host_str()?.to_owned();
        if id.is_empty() || origin.path() != "/" || origin.query().is_some() {
            return None;
        }
        Some(Self {
            id,
            origin: origin.origin().ascii_serialization(),
        })
    }
}

/// The first half of a ceremony: what the browser gets.
#[derive(Debug, Clone)]
pub struct WanOptions {
    /// `PublicKeyCredentialCreationOptions` / `RequestOptions` as JSON
    /// (`credential_options`).
    pub credential_options: Value,
    /// The signed state to post back with the browser's answer.
    pub state: String,
}

/// Which ceremony an assertion finishes.
#[derive(Debug, Clone, Copy)]
pub enum WanPurpose<'a> {
    /// A passkey sign-in (usage `first`).
    First,
    /// The second factor of the half-login of this user (usage
    /// `secondary`).
    Secondary(&'a User),
    /// Re-authentication of this, the current, user (usages
    /// `SECURITY_WAN_ALLOW_AS_VERIFY`).
    Verify(&'a User),
}

/// A verified assertion.
#[derive(Debug, Clone)]
pub struct WanAsserted {
    /// The credential's owner.
    pub user: User,
    /// The credential, as updated.
    pub credential: WebAuthnCredential,
    /// The authenticator verified the user (PIN, biometrics): with
    /// `SECURITY_WAN_ALLOW_AS_MULTI_FACTOR`, a passkey sign-in needs no
    /// second factor (Flask-Security's `mf_check`).
    pub user_verified: bool,
}

impl Security {
    fn wan_core(&self, rp: &RelyingParty, timeout_ms: u32) -> Result<WebauthnCore, FlowError> {
        let origin = url::Url::parse(&rp.origin)
            .map_err(|_| FlowError::Form(FormErrors::form(MessageKey::ApiError)))?;
        Ok(WebauthnCore::new_unsafe_experts_only(
            &self.config().wan_rp_name,
            &rp.id,
            vec![origin],
            Duration::from_millis(u64::from(timeout_ms)),
            Some(false),
            Some(false),
        ))
    }

    /// A user's credentials.
    pub async fn wan_credentials(&self, user: &User) -> crate::Result<Vec<WebAuthnCredential>> {
        self.store().list_webauthn(user.id).await
    }

    /// Whether `user` has a credential with one of `usages`
    /// (`has_webauthn`); never with WebAuthn off.
    pub async fn wan_has(&self, user: &User, usages: &[&str]) -> crate::Result<bool> {
        if !self.config().webauthn {
            return Ok(false);
        }
        Ok(self
            .wan_credentials(user)
            .await?
            .iter()
            .any(|c| usages.contains(&c.usage.as_str())))
    }

    /// `registered_credentials` of `GET /wan-register`.
    pub fn wan_credential_json(cred: &WebAuthnCredential) -> Value {
        let discoverable = cred
            .extensions
            .as_deref()
            .and_then(|e| serde_json::from_str::<Value>(e).ok())
            .and_then(|e| e.get("credProps").and_then(|p| p.get("rk")).cloned())
            .unwrap_or_else(|| json!("Unknown"));
        json!({
            "name": cred.name,
            "credential_id": portcullis_crypto::encoding::urlsafe_encode(&cred.credential_id),
            "transports": cred.transports,
            "lastuse": cred.lastuse_datetime.naive_utc().format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
            "usage": cred.usage,
            "backup_state": cred.backup_state,
            "device_type": cred.device_type,
            "discoverable": discoverable,
        })
    }

    /// `WebauthnUtil.name_svn`: the cleaned name, or why it is refused.
    fn wan_clean_name(&self, name: Option<&str>) -> Result<String, Message> {
        let c = self.config();
        let name = name.filter(|n| !n.trim().is_empty());
        let Some(name) = name else {
            return Err(MessageKey::WebauthnNameRequired.into());
        };
        let form = c.input_normalize().ok().flatten();
        match sanitize_input(name, &c.wan_name_allowed_chars, form) {
            InputVerdict::Ok(clean) if clean.chars().count() <= c.wan_name_max_length => Ok(clean),
            InputVerdict::Ok(_) => Err(Message::new(MessageKey::InvalidInputLength)
                .arg("length", c.wan_name_max_length.to_string())),
            InputVerdict::Unallowed => Err(MessageKey::WebauthnNameDisallowedCharacters.into()),
            InputVerdict::Illegal => Err(MessageKey::InvalidInput.into()),
        }
    }

    /// The user's WebAuthn handle, created now when they have none (users
    /// from before the column).
    async fn wan_user_handle(&self, user: &User) -> crate::Result<String> {
        if let Some(h) = user
            .fs_webauthn_user_handle
            .as_ref()
            .filter(|h| !h.is_empty())
        {
            return Ok(h.clone());
        }
        let handle = new_uniquifier();
        let patch = UserPatch {
            fs_webauthn_user_handle: Some(Some(handle.clone())),
            ..UserPatch::default()
        };
        self.store().update_user(user.id, patch).await?;
        Ok(handle)
    }

    /// `POST /wan-register`: checks the name and usage and starts a
    /// registration for `user`.
    pub async fn wan_start_register(
        &self,
        user: &User,
        name: Option<&str>,
        usage: Option<&str>,
        rp: &RelyingParty,
    ) -> Result<WanOptions, FlowError> {
        let c = self.config();
        let existing = self.wan_credentials(user).await?;
        let name = self
            .wan_clean_name(name)
            .map_err(|m| FormErrors::field("name", m))?;
        if existing.iter().any(|e| e.name == name) {
            let m = Message::new(MessageKey::WebauthnNameInuse).arg("name", name.clone());
            return Err(FormErrors::field("name", m).into());
        }
        let usage = match usage.filter(|u| !u.is_empty()) {
            None | Some(USAGE_SECONDARY) => USAGE_SECONDARY,
            Some(USAGE_FIRST) => USAGE_FIRST,
            Some(_) => {
                return Err(FormErrors::field("usage", MessageKey::NotAValidChoice).into());
            }
        };
        let usage = if c.wan_allow_as_first_factor {
            usage
        } else {
            USAGE_SECONDARY
        };
        let handle = self.wan_user_handle(user).await?;
        let core = self.wan_core(rp, c.wan_register_timeout)?;
        let username = self.calc_username(user);
        let first = usage == USAGE_FIRST;
        let builder = core
            .new_challenge_register_builder(handle.as_bytes(), &username, &username)
            .map_err(|e| crate::Error::internal(e.to_string()))?
            .attestation(AttestationConveyancePreference::None)
            .user_verification_policy(if first {
                UserVerificationPolicy::Preferred
            } else {
                UserVerificationPolicy::Discouraged_DO_NOT_USE
            })
            .exclude_credentials(Some(
                existing
                    .iter()
                    .map(|e| e.credential_id.clone().into())
                    .collect(),
            ))
            .extensions(Some(RequestRegistrationExtensions {
                cred_props: Some(true),
                uvm: None,
                ..RequestRegistrationExtensions::default()
            }))
            .credential_algorithms(COSEAlgorithm::all_possible_algs())
            .authenticator_attachment(first.then_some(AuthenticatorAttachment::CrossPlatform));
        let (challenge, state) = core
            .generate_challenge_register(builder)
            .map_err(|e| crate::Error::internal(e.to_string()))?;
        let mut options = serde_json::to_value(&challenge.public_key)
            .map_err(|e| crate::Error::internal(e.to_string()))?;
        // Flask-Security asks for a discoverable credential where it can
        // ("preferred"), and insists when identity hints are off.
        if let Some(sel) = options
            .get_mut("authenticatorSelection")
            .and_then(Value::as_object_mut)
        {
            let required = !c.wan_allow_user_hints;
            sel.insert(
                "residentKey".into(),
                json!(if required { "required" } else { "preferred" }),
            );
            sel.insert("requireResidentKey".into(), json!(required));
        }
        // As Flask-Security: only `credProps` (whether the key is discoverable).
        options["extensions"] = json!({"credProps": true});
        strip_nulls(&mut options);
        let token = self.wan_serializer().dumps(
            &json!({
                "challenge": options["challenge"],
                "name": name,
                "usage": usage,
                "user_verification": false,
                "user": user.fs_uniquifier,
                "ceremony": state,
            }),
            self.now_secs(),
        );
        Ok(WanOptions {
            credential_options: options,
            state: token,
        })
    }

    /// Reads a `wan_state`: `API_ERROR` when it is not one,
    /// `WEBAUTHN_EXPIRED` when older than `within`.
    fn wan_read_state(&self, token: &str, within: chrono::TimeDelta) -> Result<Value, FlowError> {
        use portcullis_crypto::TokenError;
        match self
            .wan_serializer()
            .loads(token, Some(within.num_seconds()), self.now_secs())
        {
            Ok(loaded) => Ok(loaded.payload),
            Err(TokenError::Expired { .. }) => Err(FormErrors::form(
                Message::new(MessageKey::WebauthnExpired).arg("within", format_duration(within)),
            )
            .into()),
            Err(_) => Err(FormErrors::form(MessageKey::ApiError).into()),
        }
    }

    /// Accepts a ceremony's challenge once (a replayed state or answer is
    /// refused), for as long as its state could be read.
    async fn wan_claim(&self, challenge: &str, within: chrono::TimeDelta) -> Result<(), FlowError> {
        let now = self.now();
        let key = super::limits::attempt_keys::wan_challenge(challenge);
        let fresh = self
            .attempts()
            .raise(&key, 1, now + within + chrono::TimeDelta::seconds(5), now)
            .await?;
        if fresh {
            Ok(())
        } else {
            Err(FormErrors::form(MessageKey::ApiError).into())
        }
    }

    /// `POST /wan-register/<state>`: verifies the browser's `credential`
    /// (the JSON string of `navigator.credentials.create()`'s result) and
    /// stores the key; emits `wan-registered`.
    pub async fn wan_finish_register(
        &self,
        user: &User,
        token: &str,
        credential: Option<&str>,
        rp: &RelyingParty,
    ) -> Result<WebAuthnCredential, FlowError> {
        let c = self.config();
        let within = c.wan_register_within;
        let state = self.wan_read_state(token, within)?;
        let (Some(name), Some(usage), Some(challenge)) = (
            state["name"].as_str(),
            state["usage"].as_str(),
            state["challenge"].as_str(),
        ) else {
            return Err(FormErrors::form(MessageKey::ApiError).into());
        };
        let ceremony: RegistrationState = serde_json::from_value(state["ceremony"].clone())
            .map_err(|_| FormErrors::form(MessageKey::ApiError))?;
        if state["user"].as_str() != Some(user.fs_uniquifier.as_str()) {
            return Err(FormErrors::form(MessageKey::ApiError).into());
        }
        let api_error = || FlowError::from(FormErrors::field("credential", MessageKey::ApiError));
        let raw = credential
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(api_error)?;
        if self
            .wan_credentials(user)
            .await?
            .iter()
            .any(|e| e.name == name)
        {
            let m = Message::new(MessageKey::WebauthnNameInuse).arg("name", name);
            return Err(FormErrors::field("credential", m).into());
        }
        let parsed = BrowserCredential::parse(raw).ok_or_else(api_error)?;
        let reg: RegisterPublicKeyCredential =
            serde_json::from_value(parsed.json).map_err(|_| api_error())?;
        let core = self.wan_core(rp, c.wan_register_timeout)?;
        let verified = core
            .register_credential(&reg, &ceremony, None)
            .map_err(|e| no_verify(&e.to_string()))?;
        self.wan_claim(challenge, within).await?;
        let public_key = cose_key_bytes(reg.response.attestation_object.as_ref())
            .ok_or_else(|| no_verify("no credential public key"))?;
        let credential_id: Vec<u8> = verified.cred_id.as_ref().to_vec();
        if self.store().find_webauthn(&credential_id).await?.is_some() {
            let m = FormErrors::field("credential", MessageKey::WebauthnCredentialIdInuse);
            return Err(m.into());
        }
        let new = NewWebAuthn {
            credential_id,
            public_key,
            name: name.to_owned(),
            sign_count: i64::from(verified.counter),
            usage: usage.to_owned(),
            device_type: device_type(verified.backup_eligible).into(),
            backup_state: verified.backup_state,
            transports: parsed.transports,
            extensions: parsed.extensions,
        };
        let stored = match self.store().create_webauthn(user.id, new).await {
            Ok(s) => s,
            Err(e) if e.kind() == crate::ErrorKind::AlreadyExists => {
                let m = FormErrors::field("credential", MessageKey::WebauthnCredentialIdInuse);
                return Err(m.into());
            }
            Err(e) => return Err(e.into()),
        };
        self.emit(Event::WanRegistered {
            user: Box::new(user.clone()),
            name: name.to_owned(),
        })
        .await;
        Ok(stored)
    }

    /// `POST /wan-signin` and `/wan-verify`: the request options for
    /// `user`'s credentials with one of `usages` (no user: any
    /// discoverable credential).
    pub async fn wan_start_signin(
        &self,
        user: Option<&User>,
        usages: &[&str],
        rp: &RelyingParty,
    ) -> Result<WanOptions, FlowError> {
        let c = self.config();
        let creds = match user {
            Some(u) => self
                .wan_credentials(u)
                .await?
                .iter()
                .filter(|e| usages.contains(&e.usage.as_str()))
                .filter_map(to_credential)
                .collect(),
            None => Vec::new(),
        };
        let policy = if usages.contains(&USAGE_SECONDARY) {
            UserVerificationPolicy::Discouraged_DO_NOT_USE
        } else {
            UserVerificationPolicy::Preferred
        };
        let core = self.wan_core(rp, c.wan_signin_timeout)?;
        let builder = core
            .new_challenge_authenticate_builder(creds, Some(policy))
            .map_err(|e| crate::Error::internal(e.to_string()))?
            .allow_backup_eligible_upgrade(true);
        let (request, mut state) = core
            .generate_challenge_authenticate(builder)
            .map_err(|e| crate::Error::internal(e.to_string()))?;
        // The credentials are looked up again when the answer comes.
        state.set_allowed_credentials(Vec::new());
        let mut options = serde_json::to_value(&request.public_key)
            .map_err(|e| crate::Error::internal(e.to_string()))?;
        strip_nulls(&mut options);
        let token = self.wan_serializer().dumps(
            &json!({
                "challenge": options["challenge"],
                "user_verification": false,
                "ceremony": state,
            }),
            self.now_secs(),
        );
        Ok(WanOptions {
            credential_options: options,
            state: token,
        })
    }

    /// `POST /wan-signin/<state>` and `/wan-verify/<state>`: verifies an
    /// assertion for `purpose` and records the credential's use. A wrong
    /// assertion counts as a failed sign-in of its owner.
    pub async fn wan_finish_signin(
        &self,
        token: &str,
        credential: Option<&str>,
        purpose: WanPurpose<'_>,
        rp: &RelyingParty,
        client: &ClientInfo,
    ) -> Result<WanAsserted, FlowError> {
        let c = self.config();
        let within = c.wan_signin_within;
        let state = self.wan_read_state(token, within)?;
        let Some(challenge) = state["challenge"].as_str().map(str::to_owned) else {
            return Err(FormErrors::form(MessageKey::ApiError).into());
        };
        let mut ceremony: AuthenticationState =
            serde_json::from_value(state["ceremony"].clone())
                .map_err(|_| FormErrors::form(MessageKey::ApiError))?;
        self.guard_address(client).await?;
        let api_error = || FlowError::from(FormErrors::field("credential", MessageKey::ApiError));
        let raw = credential
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(api_error)?;
        let parsed = BrowserCredential::parse(raw).ok_or_else(api_error)?;
        let rsp: PublicKeyCredential =
            serde_json::from_value(parsed.json).map_err(|_| api_error())?;
        let refuse = |k: MessageKey| FlowError::from(FormErrors::field("credential", k));
        let Some(stored) = self.store().find_webauthn(rsp.raw_id.as_ref()).await? else {
            return Err(refuse(MessageKey::WebauthnUnknownCredentialId));
        };
        let Some(user) = self.store().find_user_by_id(stored.user_id).await? else {
            return Err(refuse(MessageKey::WebauthnOrphanCredentialId));
        };
        let handle = user.fs_webauthn_user_handle.as_deref().unwrap_or_default();
        if rsp
            .response
            .user_handle
            .as_ref()
            .is_some_and(|h| h.as_ref() != handle.as_bytes())
        {
            return Err(refuse(MessageKey::WebauthnMismatchUserHandle));
        }
        let (usable, expected): (Vec<&str>, Option<&User>) = match purpose {
            WanPurpose::First => (vec![USAGE_FIRST], None),
            WanPurpose::Secondary(u) => (vec![USAGE_SECONDARY], Some(u)),
            WanPurpose::Verify(u) => (
                c.wan_allow_as_verify.iter().map(String::as_str).collect(),
                Some(u),
            ),
        };
        if !usable.contains(&stored.usage.as_str()) {
            return Err(refuse(MessageKey::WebauthnCredentialWrongUsage));
        }
        // The asserting user must be the one signing in or re-authenticating
        // (Flask-Security's GHSA-f66q-9rf6-8795 for `/wan-verify`).
        if expected.is_some_and(|u| u.id != user.id) {
            return Err(refuse(MessageKey::WebauthnMismatchUserHandle));
        }
        if !user.active {
            return Err(refuse(MessageKey::DisabledAccount));
        }
        self.guard_identity(Some(&user), "", client).await?;
        let Some(cred) = to_credential(&stored) else {
            return Err(no_verify("the stored public key cannot be read"));
        };
        ceremony.set_allowed_credentials(vec![cred]);
        let core = self.wan_core(rp, c.wan_signin_timeout)?;
        let result = match core.authenticate_credential(&rsp, &ceremony) {
            Ok(r) => r,
            Err(e) => {
                self.attempt_failed(Some(&user), "", client).await?;
                self.emit(Event::UserFailedAuthn {
                    user: Some(Box::new(user.clone())),
                    auth_type: "passkey",
                    tfa: matches!(purpose, WanPurpose::Secondary(_)),
                })
                .await;
                return Err(no_verify(&e.to_string()));
            }
        };
        self.wan_claim(&challenge, within).await?;
        let used = WebAuthnUse {
            sign_count: i64::from(result.counter()),
            backup_state: result.backup_state(),
            device_type: device_type(result.backup_eligible()).into(),
            at: self.now(),
        };
        self.store().record_webauthn_use(stored.id, &used).await?;
        let credential = WebAuthnCredential {
            sign_count: used.sign_count,
            backup_state: used.backup_state,
            device_type: used.device_type,
            lastuse_datetime: used.at,
            ..stored
        };
        Ok(WanAsserted {
            user,
            credential,
            user_verified: result.user_verified(),
        })
    }

    /// A passkey sign-in after its assertion: logged in at once when the
    /// key verified the user and `SECURITY_WAN_ALLOW_AS_MULTI_FACTOR` is on
    /// (a passkey is two factors), otherwise through the login step, which
    /// asks for a second factor when one is due.
    pub async fn passkey_login(
        &self,
        asserted: WanAsserted,
        remember: bool,
        validity: Option<&str>,
        client: &ClientInfo,
    ) -> Result<LoginStep, FlowError> {
        if asserted.user_verified && self.config().wan_allow_as_multi_factor {
            let done = self
                .complete_login(asserted.user, vec![AuthnVia::Webauthn], remember, client)
                .await?;
            return Ok(LoginStep::Done(done));
        }
        self.start_login(
            asserted.user,
            AuthnVia::Webauthn,
            remember,
            validity,
            client,
        )
        .await
    }

    /// `POST /wan-verify/<state>`: re-authenticates `current` by one of
    /// their keys; returns the new `fs_paa`.
    pub async fn wan_reauthenticate(
        &self,
        token: &str,
        credential: Option<&str>,
        current: &User,
        rp: &RelyingParty,
        client: &ClientInfo,
    ) -> Result<f64, FlowError> {
        let purpose = WanPurpose::Verify(current);
        self.wan_finish_signin(token, credential, purpose, rp, client)
            .await?;
        self.attempt_passed(current, client).await?;
        Ok(self.clock().unix_time())
    }

    /// `POST /wan-delete`: removes `user`'s credential called `name`;
    /// emits `wan-deleted`. Returns the cleaned name.
    pub async fn wan_delete(&self, user: &User, name: Option<&str>) -> Result<String, FlowError> {
        let clean = self
            .wan_clean_name(name)
            .map_err(|m| FormErrors::field("name", m))?;
        let creds = self.wan_credentials(user).await?;
        let Some(cred) = creds.iter().find(|e| e.name == clean) else {
            let m = Message::new(MessageKey::WebauthnNameNotFound)
                .arg("name", name.unwrap_or_default().to_owned());
            return Err(FormErrors::field("name", m).into());
        };
        self.emit(Event::WanDeleted {
            user: Box::new(user.clone()),
            name: cred.name.clone(),
        })
        .await;
        self.store().delete_webauthn(cred.id).await?;
        Ok(clean)
    }
}

fn no_verify(cause: &str) -> FlowError {
    let m = Message::new(MessageKey::WebauthnNoVerify).arg("cause", cause.to_owned());
    FormErrors::field("credential", m).into()
}

/// py_webauthn's names for backup eligibility.
fn device_type(backup_eligible: bool) -> &'static str {
    if backup_eligible {
        "multi_device"
    } else {
        "single_device"
    }
}

/// Drops `null` members, as py_webauthn's `options_to_json` leaves out
/// what is unset.
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// The browser's JSON, with what `webauthn-rs` would refuse but
/// Flask-Security accepts taken out: `extensions` as a JSON *string*
/// (Flask-Security's script sends it so) and transports it does not know.
struct BrowserCredential {
    json: Value,
    transports: Vec<String>,
    extensions: Option<String>,
}

impl BrowserCredential {
    fn parse(raw: &str) -> Option<Self> {
        let mut json: Value = serde_json::from_str(raw).ok()?;
        let obj = json.as_object_mut()?;
        let extensions = match obj
            .remove("extensions")
            .or_else(|| obj.remove("clientExtensionResults"))
        {
            Some(Value::String(s))
                if serde_json::from_str::<Value>(&s).is_ok_and(|v| v.is_object()) =>
            {
                Some(s)
            }
            Some(v @ Value::Object(_)) => Some(v.to_string()),
            _ => None,
        };
        let response = obj.get_mut("response")?.as_object_mut()?;
        let transports = match response.remove("transports") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .filter(|t| !t.is_empty() && t.len() <= 32)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        Some(Self {
            json,
            transports,
            extensions,
        })
    }
}

/// A stored credential as `webauthn-rs` wants it; `None` when its public
/// key is not a COSE key it can use.
fn to_credential(stored: &WebAuthnCredential) -> Option<Credential> {
    let value: serde_cbor_2::Value = serde_cbor_2::from_slice(&stored.public_key).ok()?;
    let cred = COSEKey::try_from(&value).ok()?;
    let transports: Vec<AuthenticatorTransport> = stored
        .transports
        .iter()
        .filter_map(|t| serde_json::from_value(json!(t)).ok())
        .collect();
    Some(Credential {
        cred_id: stored.credential_id.clone().into(),
        cred,
        counter: u32::try_from(stored.sign_count).unwrap_or(u32::MAX),
        transports: (!transports.is_empty()).then_some(transports),
        // What was asked at registration is not stored (nor by
        // Flask-Security): user verification is judged per assertion.
        user_verified: false,
        backup_eligible: stored.device_type == "multi_device",
        backup_state: stored.backup_state,
        registration_policy: UserVerificationPolicy::Discouraged_DO_NOT_USE,
        extensions: RegisteredExtensions::default(),
        attestation: ParsedAttestation::default(),
        attestation_format: AttestationFormat::None,
    })
}

/// The credential public key exactly as the authenticator encoded it, out
/// of an attestation object's authenticator data (what py_webauthn stores
/// as `credential_public_key`).
pub(crate) fn cose_key_bytes(attestation_object: &[u8]) -> Option<Vec<u8>> {
    let obj: serde_cbor_2::Value = serde_cbor_2::from_slice(attestation_object).ok()?;
    let serde_cbor_2::Value::Map(map) = obj else {
        return None;
    };
    let auth_data = map.iter().find_map(|(k, v)| match (k, v) {
        (serde_cbor_2::Value::Text(t), serde_cbor_2::Value::Bytes(b)) if t == "authData" => Some(b),
        _ => None,
    })?;
    // rpIdHash (32), flags (1), signCount (4), aaguid (16), idLen (2), id.
    let flags = *auth_data.get(32)?;
    if flags & 0x40 == 0 {
        return None;
    }
    let len_at = 32 + 1 + 4 + 16;
    let id_len = usize::from(u16::from_be_bytes([
        *auth_data.get(len_at)?,
        *auth_data.get(len_at + 1)?,
    ]));
    let key_at = len_at + 2 + id_len;
    let rest = auth_data.get(key_at..)?;
    let mut de = serde_cbor_2::Deserializer::from_slice(rest);
    let _: serde_cbor_2::Value = serde::Deserialize::deserialize(&mut de).ok()?;
    Some(rest.get(..de.byte_offset())?.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relying_party_from_host() {
        let rp = RelyingParty::from_host("localhost:8000", false).unwrap();
        assert_eq!(rp.id, "localhost");
        assert_eq!(rp.origin, "http://localhost:8000");
        let rp = RelyingParty::from_host("Example.COM", true).unwrap();
        assert_eq!(
            (rp.id.as_str(), rp.origin.as_str()),
            ("example.com", "https://example.com")
        );
        assert!(RelyingParty::from_host("", false).is_none());
        assert!(RelyingParty::from_host("a/b", false).is_none());
        assert!(RelyingParty::from_host("a b", false).is_none());
    }

    #[test]
    fn browser_credential_takes_extensions_as_a_string_or_an_object() {
        let raw = r#"{"id":"x","rawId":"x","type":"public-key","response":{"transports":["usb","smart-card",""]},"extensions":"{\"credProps\":{\"rk\":true}}"}"#;
        let p = BrowserCredential::parse(raw).unwrap();
        assert_eq!(p.transports, ["usb", "smart-card"]);
        assert_eq!(
            p.extensions.as_deref(),
            Some(r#"{"credProps":{"rk":true}}"#)
        );
        assert!(p.json.get("extensions").is_none());
        let raw = r#"{"response":{},"clientExtensionResults":{"credProps":{"rk":false}}}"#;
        let p = BrowserCredential::parse(raw).unwrap();
        assert_eq!(
            p.extensions.as_deref(),
            Some(r#"{"credProps":{"rk":false}}"#)
        );
        assert!(BrowserCredential::parse("[1]").is_none());
        assert!(BrowserCredential::parse(r#"{"response":3}"#).is_none());
        assert!(BrowserCredential::parse("not json").is_none());
    }

    #[test]
    fn cose_key_bytes_refuses_what_is_not_an_attestation() {
        assert!(cose_key_bytes(b"").is_none());
        assert!(cose_key_bytes(&[0xa0]).is_none());
    }
}
