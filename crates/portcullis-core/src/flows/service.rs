//! The [`Security`] service and its shared helpers.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use portcullis_crypto::{
    AuthTokenIssuer, PasswordHasher, TokenKind, TotpFactory, UrlSafeTimedSerializer, Verified,
};
use serde_json::{Map, Value, json};

use super::cpu::{CpuPool, InlineCpu, run_on};
use super::limits::AccountLockHook;
use super::register::RegisterField;
use super::tokens::LinkKind;
use crate::config::{BreachedCheck, IdentityMapper, Unread};
use crate::events::{Event, EventHooks, NoHooks};
use crate::mail::{Email, MailKind, Mailer, SmsSender};
use crate::messages::{Message, MessageKey, Messages};
use crate::models::User;
use crate::oauth::OAuthProvider;
use crate::store::{AttemptStore, Datastore, MemoryAttempts};
use crate::validation::{
    BreachChecker, Deliverability, MailDns, PasswordPolicy, UsernamePolicy, deliverability,
};
use crate::{Clock, Error, ErrorKind, Result, SecurityConfig, SystemClock};

/// Everything the flows need. Cheap to clone (one `Arc`).
#[derive(Debug, Clone)]
pub struct Security {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: SecurityConfig,
    store: Arc<dyn Datastore>,
    mailer: Arc<dyn Mailer>,
    sms: Option<Arc<dyn SmsSender>>,
    hooks: Arc<dyn EventHooks>,
    clock: Arc<dyn Clock>,
    cpu: Arc<dyn CpuPool>,
    breach: Option<Arc<dyn BreachChecker>>,
    mail_dns: Option<Arc<dyn MailDns>>,
    attempts: Arc<dyn AttemptStore>,
    lock_hook: Option<Arc<dyn AccountLockHook>>,
    mappers: Mappers,
    payload: PayloadHook,
    register_fields: RegisterFields,
    unlock: UrlSafeTimedSerializer,
    hasher: PasswordHasher,
    totp: Option<TotpFactory>,
    recovery_cipher: Option<portcullis_crypto::recovery::CodeCipher>,
    /// The refresh-token serializer and tracker store, when refresh tokens are on.
    refresh: Option<(
        UrlSafeTimedSerializer,
        Arc<dyn crate::store::RefreshTrackerStore>,
    )>,
    tf_setup: UrlSafeTimedSerializer,
    tf_validity: UrlSafeTimedSerializer,
    us_setup: UrlSafeTimedSerializer,
    wan: UrlSafeTimedSerializer,
    password_policy: PasswordPolicy,
    username_policy: UsernamePolicy,
    confirm: UrlSafeTimedSerializer,
    reset: UrlSafeTimedSerializer,
    login: UrlSafeTimedSerializer,
    change_email: UrlSafeTimedSerializer,
    auth_tokens: AuthTokenIssuer,
    base_url: String,
    translations: crate::i18n::Translations,
    oauth: Vec<Arc<dyn OAuthProvider>>,
}

/// Builds a [`Security`].
#[derive(Debug)]
pub struct SecurityBuilder {
    config: SecurityConfig,
    store: Option<Arc<dyn Datastore>>,
    mailer: Option<Arc<dyn Mailer>>,
    sms: Option<Arc<dyn SmsSender>>,
    hooks: Arc<dyn EventHooks>,
    clock: Arc<dyn Clock>,
    cpu: Arc<dyn CpuPool>,
    breach: Option<Arc<dyn BreachChecker>>,
    mail_dns: Option<Arc<dyn MailDns>>,
    attempts: Option<Arc<dyn AttemptStore>>,
    lock_hook: Option<Arc<dyn AccountLockHook>>,
    mappers: Mappers,
    payload: PayloadHook,
    register_fields: RegisterFields,
    base_url: String,
    oauth: Vec<Arc<dyn OAuthProvider>>,
}

/// The application's registration fields, in the order declared.
pub(crate) type RegisterFields = Vec<(&'static str, RegisterField)>;

/// Names the registration form has already: not the application's to declare.
const FORM_NAMES: [&str; 6] = [
    "email",
    "password",
    "password_confirm",
    "username",
    "csrf_token",
    "next",
];

/// Flask-Security's `get_security_payload`: what `response.user` holds
/// for a user (besides `authentication_token` when one is asked for).
pub type SecurityPayload = Arc<dyn Fn(&User) -> serde_json::Map<String, Value> + Send + Sync>;

#[derive(Clone, Default)]
pub(crate) struct PayloadHook(Option<SecurityPayload>);

impl std::fmt::Debug for PayloadHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "PayloadHook(app)"
        } else {
            "PayloadHook(none)"
        })
    }
}

/// An application's identity mapper: the stored form of a typed identity
/// for its attribute, or `None` when the identity is not one.
pub type MapIdentity = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The application's identity mappers, by the name the settings use.
#[derive(Clone, Default)]
pub(crate) struct Mappers(std::collections::BTreeMap<String, MapIdentity>);

impl std::fmt::Debug for Mappers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Mappers {
    pub(crate) fn map(&self, name: &str, identity: &str) -> Option<String> {
        self.0.get(name).and_then(|m| m(identity))
    }
}

impl SecurityBuilder {
    /// The user's payload in JSON answers (Flask-Security's
    /// `UserMixin.get_security_payload`, `{}` by default), e.g.
    /// `|u| serde_json::json!({"email": u.email}).as_object().cloned().unwrap_or_default()`.
    /// Keep secrets out of it: it is sent to the browser.
    pub fn security_payload(
        mut self,
        payload: impl Fn(&User) -> serde_json::Map<String, Value> + Send + Sync + 'static,
    ) -> Self {
        self.payload = PayloadHook(Some(Arc::new(payload)));
        self
    }

    /// Registers the application's identity mapper `name`: the `mapper`
    /// an entry of `SECURITY_USER_IDENTITY_ATTRIBUTES` names (where a
    /// Flask-Security app gives its Python function, e.g.
    /// `"myapp.mappers.employee_id"`). Flask-Security's own
    /// (`uia_email_mapper`, `uia_username_mapper`, `uia_phone_mapper`)
    /// are built in.
    pub fn identity_mapper(
        mut self,
        name: impl Into<String>,
        map: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.mappers.0.insert(name.into(), Arc::new(map));
        self
    }

    /// Adds one of the application's own registration fields (a
    /// Flask-Security app's extra `RegisterForm` field, e.g.
    /// `first_name`): `/register` reads `name`, checks it with `field`, and
    /// stores it in the user's application field `name` (a column the
    /// application added to `user`, or a document key). [`build`](Self::build)
    /// refuses a name the datastore has no field for.
    pub fn register_field(mut self, name: &str, field: RegisterField) -> Self {
        self.register_fields.retain(|(n, _)| *n != name);
        // Leaked once per declared field at start-up: form errors name
        // their field with a `&'static str`.
        let name: &'static str = Box::leak(name.to_owned().into_boxed_str());
        self.register_fields.push((name, field));
        self
    }

    /// The datastore (required).
    pub fn store(mut self, store: Arc<dyn Datastore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The mailer (required).
    pub fn mailer(mut self, mailer: Arc<dyn Mailer>) -> Self {
        self.mailer = Some(mailer);
        self
    }

    /// The SMS sender (needed when `"sms"` is among
    /// `SECURITY_TWO_FACTOR_ENABLED_METHODS` or `SECURITY_US_ENABLED_METHODS`
    /// with the feature on).
    pub fn sms_sender(mut self, sms: Arc<dyn SmsSender>) -> Self {
        self.sms = Some(sms);
        self
    }

    /// Event hooks (default: none).
    pub fn hooks(mut self, hooks: Arc<dyn EventHooks>) -> Self {
        self.hooks = hooks;
        self
    }

    /// The clock (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where password hashing runs (default: inline; web adapters pass a
    /// bounded blocking pool).
    pub fn cpu_pool(mut self, cpu: Arc<dyn CpuPool>) -> Self {
        self.cpu = cpu;
        self
    }

    /// The breached-password service (needed when
    /// `SECURITY_PASSWORD_CHECK_BREACHED` is on).
    pub fn breach_checker(mut self, breach: Arc<dyn BreachChecker>) -> Self {
        self.breach = Some(breach);
        self
    }

    /// The DNS the deliverability check of new addresses asks
    /// (`check_deliverability` in `SECURITY_EMAIL_VALIDATOR_ARGS`, on by
    /// default as in `email_validator`): portcullis-mail's `DnsResolver`
    /// (feature `dns`). Without one, addresses are checked for syntax only.
    pub fn mail_dns(mut self, dns: Arc<dyn MailDns>) -> Self {
        self.mail_dns = Some(dns);
        self
    }

    /// Where attempt counters, account locks and single-use code markers
    /// live (default: in this process's memory, [`MemoryAttempts`]).
    /// Instances behind one load balancer must share one: a datastore's
    /// (`SqliteStore`, `SeaOrmStore`, `MongoStore`) or Redis.
    pub fn attempt_store(mut self, attempts: Arc<dyn AttemptStore>) -> Self {
        self.attempts = Some(attempts);
        self
    }

    /// The application's own lock check (Flask-Security's `is_locked`).
    pub fn lock_hook(mut self, hook: Arc<dyn AccountLockHook>) -> Self {
        self.lock_hook = Some(hook);
        self
    }

    /// An OAuth / OpenID Connect provider to sign in with (used when
    /// `SECURITY_OAUTH_ENABLE` is on); a provider registered again under
    /// the same name replaces the first. Offered in registration order.
    pub fn oauth_provider(mut self, provider: Arc<dyn OAuthProvider>) -> Self {
        self.oauth.retain(|p| p.name() != provider.name());
        self.oauth.push(provider);
        self
    }

    /// The external base URL links in mail start with, e.g.
    /// `https://app.example.com` (default `http://localhost`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Checks the settings and builds the service.
    pub fn build(self) -> Result<Security> {
        let config = self.config;
        config.validate()?;
        warn_unread(&config);
        for a in &config.user_identity_attributes {
            if let IdentityMapper::Custom(name) = &a.mapper
                && !self.mappers.0.contains_key(name)
            {
                return Err(Error::new(
                    ErrorKind::Config,
                    format!(
                        "SECURITY_USER_IDENTITY_ATTRIBUTES names the mapper {name:?} for {}: register it with SecurityBuilder::identity_mapper (Flask-Security's own are uia_email_mapper, uia_username_mapper and uia_phone_mapper)",
                        a.attr.name()
                    ),
                ));
            }
        }
        let store = self
            .store
            .ok_or_else(|| Error::new(ErrorKind::Config, "Security needs a datastore"))?;
        check_register_fields(&self.register_fields, store.as_ref())?;
        let mailer = self
            .mailer
            .ok_or_else(|| Error::new(ErrorKind::Config, "Security needs a mailer"))?;
        let sms_wanted = (config.two_factor
            && config.two_factor_enabled_methods.iter().any(|m| m == "sms"))
            || (config.unified_signin && config.us_enabled_methods.iter().any(|m| m == "sms"));
        if sms_wanted && self.sms.is_none() {
            return Err(Error::new(
                ErrorKind::Config,
                "\"sms\" is an enabled two-factor or unified sign-in method: give SecurityBuilder::sms_sender a sender",
            ));
        }
        if config.password_check_breached != BreachedCheck::Off && self.breach.is_none() {
            return Err(Error::new(
                ErrorKind::Config,
                "SECURITY_PASSWORD_CHECK_BREACHED is on but no breached-password checker is configured: give SecurityBuilder::breach_checker one (portcullis-mail's HibpChecker, behind its `hibp` feature), or set SECURITY_PASSWORD_CHECK_BREACHED = false",
            ));
        }
        if config.wants_mail_dns() && self.mail_dns.is_none() {
            tracing::warn!(
                "SECURITY_EMAIL_VALIDATOR_ARGS asks for a deliverability check (check_deliverability, on by default) but no DNS is configured: new addresses are checked for syntax only. Give SecurityBuilder::mail_dns one (portcullis-mail's DnsResolver, feature `dns`), or set check_deliverability to false"
            );
        }
        let totp =
            if config.two_factor || config.unified_signin || config.multi_factor_recovery_codes {
                Some(config.totp_factory()?)
            } else {
                None
            };
        let translations =
            crate::i18n::Translations::load(&config.i18n_dirname, &config.i18n_domain)
                .map_err(|e| Error::new(ErrorKind::Config, e))?;
        Ok(Security {
            inner: Arc::new(Inner {
                hasher: config.password_hasher()?,
                password_policy: PasswordPolicy::from_config(&config)?,
                username_policy: UsernamePolicy::from_config(&config)?,
                confirm: config.serializer(TokenKind::Confirm)?,
                reset: config.serializer(TokenKind::Reset)?,
                login: config.serializer(TokenKind::Login)?,
                change_email: config.serializer(TokenKind::ChangeEmail)?,
                auth_tokens: config.auth_token_issuer()?,
                tf_setup: config.serializer(TokenKind::TfSetup)?,
                tf_validity: config.serializer(TokenKind::TfValidity)?,
                us_setup: config.serializer(TokenKind::UsSetup)?,
                wan: config.serializer(TokenKind::Wan)?,
                unlock: UrlSafeTimedSerializer::new(&config.secret_keys(), &config.unlock_salt)
                    .map_err(|_| Error::new(ErrorKind::Config, "SECRET_KEY is needed"))?,
                attempts: self
                    .attempts
                    .unwrap_or_else(|| Arc::new(MemoryAttempts::new())),
                lock_hook: self.lock_hook,
                mappers: self.mappers,
                payload: self.payload,
                register_fields: self.register_fields,
                totp,
                recovery_cipher: config.recovery_code_cipher()?,
                refresh: refresh_parts(&config, &store)?,
                config,
                store,
                mailer,
                sms: self.sms,
                hooks: self.hooks,
                clock: self.clock,
                cpu: self.cpu,
                breach: self.breach,
                mail_dns: self.mail_dns,
                base_url: self.base_url,
                translations,
                oauth: self.oauth,
            }),
        })
    }
}

/// Every registration field names an application field the store has,
/// of a type its values fit.
fn check_register_fields(fields: &RegisterFields, store: &dyn Datastore) -> Result<()> {
    let have = store.application_fields();
    for (name, field) in fields {
        let refuse = |why: String| Err(Error::new(ErrorKind::Config, why));
        if FORM_NAMES.contains(name) {
            return refuse(format!(
                "register_field({name:?}): the registration form has {name} already"
            ));
        }
        if let Err(e) = crate::store::fields::check_name(name) {
            return refuse(format!("register_field({name:?}): {e}"));
        }
        if !have.has(name) {
            return refuse(format!(
                "register_field({name:?}): the datastore ({}) has no application field {name}: add the column to the user table (see docs/application-fields.md)",
                store.backend_name()
            ));
        }
        if let Some(col) = have.columns().iter().find(|c| c.name == *name)
            && field.is_text()
            && col.ty != crate::store::FieldType::Text
        {
            return refuse(format!(
                "register_field({name:?}): the column is {:?}, not text: declare it with RegisterField::custom, converting the submitted value",
                col.ty
            ));
        }
    }
    Ok(())
}

/// One warning naming every Flask-Security setting that was set but has
/// no effect here.
fn warn_unread(config: &SecurityConfig) {
    if config.unread.is_empty() {
        return;
    }
    let list = config
        .unread
        .iter()
        .map(|(key, why)| match why {
            Unread::NotYet(what) => format!("{key} (not in Portcullis yet: {what})"),
            Unread::Flask(what) | Unread::Refused(what) => {
                format!("{key} (no meaning here: {what})")
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    tracing::warn!(
        "these Flask-Security settings are set but have no effect in Portcullis: {list}"
    );
}

impl Security {
    /// A builder around `config`.
    pub fn builder(config: SecurityConfig) -> SecurityBuilder {
        SecurityBuilder {
            config,
            store: None,
            mailer: None,
            sms: None,
            hooks: Arc::new(NoHooks),
            clock: Arc::new(SystemClock),
            cpu: Arc::new(InlineCpu),
            breach: None,
            mail_dns: None,
            attempts: None,
            lock_hook: None,
            mappers: Mappers::default(),
            payload: PayloadHook::default(),
            register_fields: Vec::new(),
            base_url: "http://localhost".into(),
            oauth: Vec::new(),
        }
    }

    /// The OAuth providers offered (none unless `SECURITY_OAUTH_ENABLE`),
    /// in registration order.
    pub fn oauth_providers(&self) -> &[Arc<dyn OAuthProvider>] {
        if self.inner.config.oauth_enable {
            &self.inner.oauth
        } else {
            &[]
        }
    }

    /// The settings.
    pub fn config(&self) -> &SecurityConfig {
        &self.inner.config
    }

    /// The catalogues found in `SECURITY_I18N_DIRNAME` (see [`crate::i18n`]).
    pub fn translations(&self) -> &crate::i18n::Translations {
        &self.inner.translations
    }

    /// The datastore.
    pub fn store(&self) -> &Arc<dyn Datastore> {
        &self.inner.store
    }

    /// The message catalogue.
    pub fn messages(&self) -> &Messages {
        &self.inner.config.messages
    }

    /// The password pipeline.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    pub(crate) fn password_policy(&self) -> &PasswordPolicy {
        &self.inner.password_policy
    }

    pub(crate) fn username_policy(&self) -> &UsernamePolicy {
        &self.inner.username_policy
    }

    /// How email addresses are checked (`SECURITY_EMAIL_VALIDATOR_ARGS`).
    pub(crate) fn email_policy(&self) -> &crate::validation::EmailPolicy {
        &self.config().email_validator_args
    }

    /// An address someone gives to be mailed at (registration, change of
    /// email): valid as the policy says and, when the policy checks
    /// deliverability and a DNS is configured, at a domain that takes
    /// mail. Flask-Security's `MailUtil.validate`; lookups use
    /// [`email_policy`](Self::email_policy) alone (its `normalize`).
    pub(crate) async fn new_address(&self, raw: &str) -> std::result::Result<String, Message> {
        let policy = self.email_policy();
        let email = policy.validate(raw)?;
        let dns = self.inner.mail_dns.as_deref();
        if let Some(dns) = dns.filter(|_| policy.checks_deliverability()) {
            let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
            if deliverability(dns, domain).await == Deliverability::Undeliverable {
                return Err(Message::new(MessageKey::InvalidEmailAddress));
            }
        }
        Ok(email)
    }

    pub(crate) fn breach(&self) -> Option<&dyn BreachChecker> {
        self.inner.breach.as_deref()
    }

    /// The attempt store (counters, locks, single-use markers).
    pub fn attempts(&self) -> &dyn AttemptStore {
        self.inner.attempts.as_ref()
    }

    /// The user's payload for `response.user` (see
    /// [`SecurityBuilder::security_payload`]).
    pub fn security_payload(&self, user: &User) -> serde_json::Map<String, Value> {
        self.inner
            .payload
            .0
            .as_ref()
            .map(|p| p(user))
            .unwrap_or_default()
    }

    /// The names of the application's registration fields, in order.
    pub fn register_field_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.inner.register_fields.iter().map(|(n, _)| *n)
    }

    pub(crate) fn register_field_list(&self) -> &RegisterFields {
        &self.inner.register_fields
    }

    pub(crate) fn mappers(&self) -> &Mappers {
        &self.inner.mappers
    }

    pub(crate) fn lock_hook(&self) -> Option<&dyn AccountLockHook> {
        self.inner.lock_hook.as_deref()
    }

    pub(crate) fn inner_refresh(
        &self,
    ) -> Option<&(
        UrlSafeTimedSerializer,
        Arc<dyn crate::store::RefreshTrackerStore>,
    )> {
        self.inner.refresh.as_ref()
    }

    pub(crate) fn unlock_serializer(&self) -> &UrlSafeTimedSerializer {
        &self.inner.unlock
    }

    pub(crate) fn serializer(&self, kind: LinkKind) -> &UrlSafeTimedSerializer {
        match kind {
            LinkKind::Confirm => &self.inner.confirm,
            LinkKind::Reset => &self.inner.reset,
            LinkKind::ChangeEmail => &self.inner.change_email,
            LinkKind::Login => &self.inner.login,
        }
    }

    pub(crate) fn recovery_cipher(&self) -> Option<&portcullis_crypto::recovery::CodeCipher> {
        self.inner.recovery_cipher.as_ref()
    }

    pub(crate) fn auth_tokens(&self) -> &AuthTokenIssuer {
        &self.inner.auth_tokens
    }

    /// The TOTP factory (present when two-factor, unified sign-in or
    /// recovery codes are on).
    pub(crate) fn totp(&self) -> Result<&TotpFactory> {
        self.inner.totp.as_ref().ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                "two-factor / unified sign-in is not enabled (no TOTP factory)",
            )
        })
    }

    pub(crate) fn tf_setup_serializer(&self) -> &UrlSafeTimedSerializer {
        &self.inner.tf_setup
    }

    pub(crate) fn tf_validity_serializer(&self) -> &UrlSafeTimedSerializer {
        &self.inner.tf_validity
    }

    pub(crate) fn us_setup_serializer(&self) -> &UrlSafeTimedSerializer {
        &self.inner.us_setup
    }

    pub(crate) fn wan_serializer(&self) -> &UrlSafeTimedSerializer {
        &self.inner.wan
    }

    pub(crate) fn sms(&self) -> Option<&dyn SmsSender> {
        self.inner.sms.as_deref()
    }

    /// Runs a CPU-bound job (a TOTP secret's PBKDF2 unwrap) on the CPU pool.
    pub(crate) async fn on_cpu<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        run_on(self.inner.cpu.as_ref(), f).await
    }

    /// Now, at microsecond precision.
    pub fn now(&self) -> DateTime<Utc> {
        crate::store::now_utc(self.inner.clock.as_ref())
    }

    /// Now, in Unix seconds.
    pub fn now_secs(&self) -> i64 {
        self.inner.clock.unix_secs()
    }

    /// An absolute URL for a Portcullis path (with `SECURITY_URL_PREFIX`).
    pub fn url(&self, path: &str) -> String {
        let prefix = self
            .inner
            .config
            .url_prefix
            .as_deref()
            .unwrap_or("")
            .trim_end_matches('/');
        format!("{}{prefix}{path}", self.inner.base_url)
    }

    /// Hashes `password` with the configured pipeline, on the CPU pool.
    pub async fn hash_password(&self, password: &str) -> Result<String> {
        let hasher = self.inner.hasher.clone();
        let pw = password.to_owned();
        run_on(self.inner.cpu.as_ref(), move || hasher.hash_password(&pw))
            .await?
            .map_err(Error::from)
    }

    /// Checks a password against a stored hash, on the CPU pool. A stored
    /// hash that cannot be read does not match (and is logged).
    pub(crate) async fn verify_password(&self, password: &str, stored: &str) -> Result<Verified> {
        let hasher = self.inner.hasher.clone();
        let (pw, stored) = (password.to_owned(), stored.to_owned());
        let result = run_on(self.inner.cpu.as_ref(), move || {
            hasher.verify_password(&pw, &stored)
        })
        .await?;
        Ok(result.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "a stored password hash could not be used");
            Verified {
                matches: false,
                needs_update: false,
            }
        }))
    }

    /// Spends a password check's time (unknown users, generic responses).
    pub(crate) async fn burn_hash(&self, password: &str) -> Result<()> {
        let hasher = self.inner.hasher.clone();
        let pw = password.to_owned();
        run_on(self.inner.cpu.as_ref(), move || hasher.dummy_verify(&pw)).await
    }

    /// Flask-Security's `hash_data` (sha256_crypt), on the CPU pool.
    pub(crate) async fn hash_data(&self, data: &str) -> Result<String> {
        let d = data.to_owned();
        run_on(self.inner.cpu.as_ref(), move || {
            portcullis_crypto::hash_data::hash_data(&d)
        })
        .await?
        .map_err(Error::from)
    }

    /// Flask-Security's `verify_hash`, on the CPU pool.
    pub(crate) async fn verify_hash_data(&self, hashed: &str, data: &str) -> Result<bool> {
        let (h, d) = (hashed.to_owned(), data.to_owned());
        run_on(self.inner.cpu.as_ref(), move || {
            portcullis_crypto::hash_data::verify_hash(&h, &d)
        })
        .await
    }

    /// Delivers an event to the hooks.
    pub(crate) async fn emit(&self, event: Event) {
        self.inner.hooks.on_event(&event).await;
    }

    /// The non-secret view of a user that mail templates get.
    pub(crate) fn user_context(user: &User) -> Value {
        json!({"id": user.id, "email": user.email, "username": user.username})
    }

    /// A security notice (a factor added or removed, the address changed):
    /// sent when `SECURITY_SEND_SECURITY_NOTICE_EMAIL` is on; a failure is
    /// logged and does not undo the change.
    pub(crate) async fn send_notice(&self, kind: MailKind, to: &str, user: &User, method: &str) {
        let c = self.config();
        if !c.send_security_notice_email {
            return;
        }
        let subject = match kind {
            MailKind::FactorAddedNotice => &c.email_subject_factor_added,
            MailKind::FactorRemovedNotice => &c.email_subject_factor_removed,
            _ => &c.email_subject_email_changed,
        };
        let mut ctx = Map::new();
        ctx.insert("method".into(), json!(method));
        if let Err(e) = self.send_mail(kind, to, subject, Some(user), ctx).await {
            tracing::error!(error = %e, user = user.id, "could not send a security notice");
        }
    }

    /// Sends one mail, with `user`, `security` and `security_urls` in its context.
    pub(crate) async fn send_mail(
        &self,
        kind: MailKind,
        to: &str,
        subject: &str,
        user: Option<&User>,
        mut context: Map<String, Value>,
    ) -> Result<()> {
        let c = &self.inner.config;
        if let Some(u) = user {
            context.insert("user".into(), Self::user_context(u));
        }
        context.insert(
            "security".into(),
            json!({
                "confirmable": c.confirmable, "recoverable": c.recoverable, "registerable": c.registerable,
                "changeable": c.changeable, "change_email": c.change_email, "username_enable": c.username_enable,
                "email_plaintext": c.email_plaintext, "email_html": c.email_html,
            }),
        );
        context.insert(
            "security_urls".into(),
            json!({
                "login": self.url(&c.login_url), "forgot_password": self.url(&c.reset_url),
                "register": self.url(&c.register_url), "confirm_email": self.url(&c.confirm_url),
                "change_password": self.url(&c.change_url), "recover_username": self.url(&c.username_recovery_url),
                "unlock": self.url(&c.unlock_url),
            }),
        );
        let email = Email {
            kind,
            to: to.to_owned(),
            from: c.email_sender.clone(),
            // Flask-Security translates the configured subject.
            subject: crate::i18n::gettext(subject).into_owned(),
            template: c.mail_template(kind).into_owned(),
            context,
        };
        self.inner.mailer.send(&email).await
    }
}

/// The refresh-token parts when `SECURITY_REFRESH_TOKEN` is on: its
/// serializer and the datastore's tracker store (a store without one is a
/// configuration error).
fn refresh_parts(
    config: &SecurityConfig,
    store: &Arc<dyn Datastore>,
) -> Result<
    Option<(
        UrlSafeTimedSerializer,
        Arc<dyn crate::store::RefreshTrackerStore>,
    )>,
> {
    if !config.refresh_token {
        return Ok(None);
    }
    let trackers = store.clone().refresh_store().ok_or_else(|| {
        Error::new(
            ErrorKind::Config,
            format!(
                "SECURITY_REFRESH_TOKEN is on but the {} datastore keeps no refresh trackers (Datastore::refresh_store)",
                store.backend_name()
            ),
        )
    })?;
    Ok(Some((
        config.serializer(TokenKind::RefreshToken)?,
        trackers,
    )))
}
