//! Attempt limits, account locks and single-use codes.
//!
//! Every flow that checks a secret (password, code, recovery code) or sends
//! one (mail, SMS) asks here first, and reports here after. The counters
//! live in the [`AttemptStore`](crate::store::AttemptStore) the service was
//! built with, so instances sharing one store share one budget. The policy
//! (documented in `docs/security.md`):
//!
//! - **Per client address**: failed sign-ins from one address, whatever the
//!   account (`SECURITY_LIMIT_FAILED_PER_ADDRESS`). Over it: 429.
//! - **Per identity and address**: failed sign-ins for one account (or one
//!   unknown identity) from one address
//!   (`SECURITY_LIMIT_FAILED_PER_IDENTITY_ADDRESS`). Over it: 429 for that
//!   pair only, so one attacker slows down long before the account locks.
//! - **Per account**: failed sign-ins from anywhere
//!   (`SECURITY_LIMIT_FAILED_PER_ACCOUNT`). Reaching it locks the account
//!   for `SECURITY_LOCKOUT_WITHIN` and mails the owner an unlock link, so
//!   wrong passwords alone cannot keep the owner out: the link (or the
//!   CLI's `users unlock`, or time) ends the lock.
//! - Counters of an account are reset when a login completes (both factors)
//!   or a re-authentication succeeds; a correct password with the second
//!   factor still to come resets nothing.
//! - **Sends**: mails and texts per account and per requesting address
//!   (`SECURITY_LIMIT_SEND_PER_*`); registrations and username recoveries
//!   per address (`SECURITY_LIMIT_REGISTER_PER_ADDRESS`). Every request
//!   counts.
//! - **Half-logins**: at most `SECURITY_TWO_FACTOR_MAX_CODE_ATTEMPTS` codes
//!   are checked per half-finished login; each attempt is counted before
//!   the check, so concurrent guesses cannot overshoot.
//! - **Single-use codes**: the last accepted TOTP step per user and method
//!   is raised atomically; a code at or before it is refused. Emailed and
//!   texted sign-in codes are accepted only after one was sent.

use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, json};
use sha1::{Digest, Sha1};

use super::errors::{FlowError, FormErrors, Limited};
use super::login::ClientInfo;
use super::service::Security;
use crate::i18n::format_duration;
use crate::mail::MailKind;
use crate::messages::{Message, MessageKey};
use crate::models::User;
use crate::{Result, config::Rate};

/// Flask-Security 5.8's `is_locked`: an application's own reason to refuse
/// a login. Checked after the credentials and the active flag, before
/// confirmation, in login, unified sign-in, password reset and username
/// recovery.
#[async_trait::async_trait]
pub trait AccountLockHook: Send + Sync + fmt::Debug {
    /// `Some(message)` refuses `user` with that message (a field error on
    /// the identity).
    async fn is_locked(&self, user: &User) -> Option<Message>;
}

/// The keys Portcullis' counters and markers are stored under, so that
/// tools (the CLI's `users unlock`) can reach them.
pub mod attempt_keys {
    use super::{Digest, Sha1};

    fn digest(parts: &[&str]) -> String {
        let mut h = Sha1::new();
        for p in parts {
            h.update(p.as_bytes());
            h.update([0u8]);
        }
        portcullis_crypto::encoding::hex_lower(&h.finalize())
    }

    /// Failed sign-ins of an account.
    pub fn account(user_id: i64) -> String {
        format!("pc:acct:{user_id}")
    }

    /// The lock of an account.
    pub fn account_lock(user_id: i64) -> String {
        format!("pc:lock:{user_id}")
    }

    /// Failed sign-ins of one identity (a user id, or an unknown
    /// identity as typed) from one address.
    pub fn identity_address(identity: &str, address: &str) -> String {
        format!("pc:ida:{}", digest(&[&identity.to_lowercase(), address]))
    }

    /// Failed sign-ins from one address.
    pub fn address(address: &str) -> String {
        format!("pc:ip:{}", digest(&[address]))
    }

    /// Mails and texts sent to one address or account (the email as typed,
    /// so known and unknown addresses are counted alike).
    pub fn send_target(target: &str) -> String {
        format!("pc:send:{}", digest(&[&target.trim().to_lowercase()]))
    }

    /// Mails and texts requested from one address.
    pub fn send_address(address: &str) -> String {
        format!("pc:sendip:{}", digest(&[address]))
    }

    /// Registrations and username recoveries from one address.
    pub fn register_address(address: &str) -> String {
        format!("pc:reg:{}", digest(&[address]))
    }

    /// Codes tried in one half-finished login.
    pub fn half_login(nonce: &str) -> String {
        format!("pc:half:{}", digest(&[nonce]))
    }

    /// The last accepted code step of a user's method (`tf:email`, …).
    pub fn code_used(user_id: i64, scope: &str) -> String {
        format!("pc:used:{user_id}:{scope}")
    }

    /// A WebAuthn ceremony's challenge, once accepted.
    pub fn wan_challenge(challenge: &str) -> String {
        format!("pc:wan:{}", digest(&[challenge]))
    }

    /// A Flask session cookie, once exchanged at cutover.
    pub fn flask_session(cookie: &str) -> String {
        format!("pc:flask-session:{}", digest(&[cookie]))
    }

    /// A passwordless login link, once used.
    pub fn login_link(token: &str) -> String {
        format!("pc:login-link:{}", digest(&[token]))
    }

    /// The step of the last code sent to a user by a method.
    pub fn code_sent(user_id: i64, scope: &str) -> String {
        format!("pc:sent:{user_id}:{scope}")
    }
}

use attempt_keys as keys;

fn address(client: &ClientInfo) -> &str {
    client.remote_addr.as_deref().unwrap_or("unknown")
}

/// The identity a counter is kept for: the user when known (whatever
/// identity attribute was typed), else the identity as typed.
fn identity_of(user: Option<&User>, typed: &str) -> String {
    user.map_or_else(|| format!("?{typed}"), |u| format!("u{}", u.id))
}

impl Security {
    fn limits_on(&self) -> bool {
        !self.config().danger_disable_attempt_limits
    }

    /// A 429 answer that ends at `until`.
    fn limited(&self, until: DateTime<Utc>, key: MessageKey) -> FlowError {
        let secs = (until - self.now()).num_seconds().max(1);
        let within = format_duration(TimeDelta::seconds(secs));
        FlowError::Limited(Limited {
            retry_after: secs,
            errors: FormErrors::form(Message::new(key).arg("within", within)),
        })
    }

    /// 429 when the counter `key` has reached `rate`.
    async fn over(&self, key: &str, rate: Rate) -> Result<(), FlowError> {
        match self.attempts().get(key, self.now()).await? {
            Some(m) if m.value >= i64::from(rate.count) => {
                Err(self.limited(m.expires_at, MessageKey::TooManyAttempts))
            }
            _ => Ok(()),
        }
    }

    /// Before a sign-in secret is looked at: the client address's budget.
    pub(crate) async fn guard_address(&self, client: &ClientInfo) -> Result<(), FlowError> {
        if !self.limits_on() {
            return Ok(());
        }
        let rate = self.config().limit_failed_per_address;
        self.over(&keys::address(address(client)), rate).await
    }

    /// Before a secret is checked for `user` (or the unknown identity
    /// `typed`): the identity + address budget, then the account's lock
    /// (which refuses even the right secret).
    pub(crate) async fn guard_identity(
        &self,
        user: Option<&User>,
        typed: &str,
        client: &ClientInfo,
    ) -> Result<(), FlowError> {
        if !self.limits_on() {
            return Ok(());
        }
        let key = keys::identity_address(&identity_of(user, typed), address(client));
        self.over(&key, self.config().limit_failed_per_identity_address)
            .await?;
        match user {
            Some(u) => self.guard_lock(u).await,
            None => Ok(()),
        }
    }

    /// 429 while `user`'s account is locked (even for the right secret).
    pub(crate) async fn guard_lock(&self, user: &User) -> Result<(), FlowError> {
        if !self.limits_on() {
            return Ok(());
        }
        match self.account_locked_until(user).await? {
            Some(until) => Err(self.limited(until, MessageKey::AccountLocked)),
            None => Ok(()),
        }
    }

    /// Both guards, for flows where the user is already known.
    pub(crate) async fn guard_user(
        &self,
        user: &User,
        client: &ClientInfo,
    ) -> Result<(), FlowError> {
        self.guard_address(client).await?;
        self.guard_identity(Some(user), "", client).await
    }

    /// When `user`'s account is locked until, if it is.
    pub async fn account_locked_until(&self, user: &User) -> Result<Option<DateTime<Utc>>> {
        let lock = self
            .attempts()
            .get(&keys::account_lock(user.id), self.now())
            .await?;
        Ok(lock.map(|m| m.expires_at))
    }

    /// After a wrong secret: counts it for the address, the identity +
    /// address and the account; locks the account when its budget is
    /// spent (and mails the unlock link, once per lock).
    pub(crate) async fn attempt_failed(
        &self,
        user: Option<&User>,
        typed: &str,
        client: &ClientInfo,
    ) -> Result<()> {
        if !self.limits_on() {
            return Ok(());
        }
        let (c, now, store) = (self.config(), self.now(), self.attempts());
        let addr = address(client);
        store
            .hit(&keys::address(addr), c.limit_failed_per_address.per, now)
            .await?;
        let ida = keys::identity_address(&identity_of(user, typed), addr);
        store
            .hit(&ida, c.limit_failed_per_identity_address.per, now)
            .await?;
        match user {
            Some(u) => self.account_failed(u).await,
            None => Ok(()),
        }
    }

    /// After a wrong second factor (code, recovery code): counts for the
    /// account only, whose lock ends the attacker's tries; the half-login
    /// budget bounds each password entry.
    pub(crate) async fn second_factor_failed(&self, user: &User) -> Result<()> {
        if !self.limits_on() {
            return Ok(());
        }
        self.account_failed(user).await
    }

    /// Counts a failure for the account; locks it when its budget is spent.
    async fn account_failed(&self, user: &User) -> Result<()> {
        let (c, now, store) = (self.config(), self.now(), self.attempts());
        let rate = c.limit_failed_per_account;
        let hit = store.hit(&keys::account(user.id), rate.per, now).await?;
        if hit.count < i64::from(rate.count) {
            return Ok(());
        }
        let locked = store
            .raise(&keys::account_lock(user.id), 1, now + c.lockout_within, now)
            .await?;
        if locked {
            tracing::warn!(
                user = user.id,
                failures = hit.count,
                "an account was locked after too many failed sign-ins"
            );
            if c.send_unlock_email
                && let Err(e) = self.send_unlock_mail(user).await
            {
                tracing::error!(error = %e, user = user.id, "could not mail an unlock link");
            }
        }
        Ok(())
    }

    /// After a completed login or re-authentication: the account's
    /// counters start again.
    pub(crate) async fn attempt_passed(&self, user: &User, client: &ClientInfo) -> Result<()> {
        if !self.limits_on() {
            return Ok(());
        }
        let (store, now) = (self.attempts(), self.now());
        let ida = keys::identity_address(&identity_of(Some(user), ""), address(client));
        // Most logins have no failures to forget: a read, not a write.
        for key in [keys::account(user.id), ida] {
            if store.get(&key, now).await?.is_some() {
                store.clear(&key).await?;
            }
        }
        Ok(())
    }

    /// Before a mail or text is sent at a client's request: counts it for
    /// the requesting address and for `target` (the email or identity it
    /// goes to, known or not); 429 over either budget.
    pub async fn guard_send(
        &self,
        target: Option<&str>,
        client: &ClientInfo,
    ) -> Result<(), FlowError> {
        if !self.limits_on() {
            return Ok(());
        }
        let (c, now, store) = (self.config(), self.now(), self.attempts());
        let mut budgets = vec![(
            keys::send_address(address(client)),
            c.limit_send_per_address,
        )];
        if let Some(t) = target.filter(|t| !t.trim().is_empty()) {
            budgets.push((keys::send_target(t), c.limit_send_per_account));
        }
        for (key, rate) in budgets {
            let hit = store.hit(&key, rate.per, now).await?;
            if hit.count > i64::from(rate.count) {
                return Err(self.limited(hit.resets_at, MessageKey::TooManyAttempts));
            }
        }
        Ok(())
    }

    /// Before a registration or username recovery: the address's budget.
    pub(crate) async fn guard_register(&self, client: &ClientInfo) -> Result<(), FlowError> {
        if !self.limits_on() {
            return Ok(());
        }
        let rate = self.config().limit_register_per_address;
        let key = keys::register_address(address(client));
        let hit = self.attempts().hit(&key, rate.per, self.now()).await?;
        if hit.count > i64::from(rate.count) {
            return Err(self.limited(hit.resets_at, MessageKey::TooManyAttempts));
        }
        Ok(())
    }

    /// Counts one code attempt in the half-finished login `nonce` (before
    /// the code is checked) against `SECURITY_TWO_FACTOR_MAX_CODE_ATTEMPTS`.
    /// The caller refuses without checking when the budget is
    /// [`Spent`](HalfLoginBudget::Spent), and ends the half-login when the
    /// [`Last`](HalfLoginBudget::Last) attempt fails.
    pub async fn half_login_attempt(&self, nonce: &str) -> Result<HalfLoginBudget> {
        let max = i64::from(self.config().two_factor_max_code_attempts.max(1));
        let window = TimeDelta::hours(1);
        let hit = self
            .attempts()
            .hit(&keys::half_login(nonce), window, self.now())
            .await?;
        Ok(if hit.count > max {
            HalfLoginBudget::Spent
        } else if hit.count == max {
            HalfLoginBudget::Last
        } else {
            HalfLoginBudget::Left
        })
    }

    /// The Flask-Security-style `is_locked` hook's verdict for `user`.
    pub(crate) async fn app_lock(&self, user: &User) -> Option<Message> {
        match self.lock_hook() {
            Some(h) => h.is_locked(user).await,
            None => None,
        }
    }

    /// Ends `user`'s lock and resets their failure count (the unlock link,
    /// the CLI).
    pub async fn unlock_account(&self, user: &User) -> Result<()> {
        let store = self.attempts();
        store.clear(&keys::account_lock(user.id)).await?;
        store.clear(&keys::account(user.id)).await
    }

    /// The signed unlock link's token for `user` (`SECURITY_UNLOCK_SALT`).
    pub fn unlock_token(&self, user: &User) -> String {
        self.unlock_serializer()
            .dumps(&user.fs_uniquifier, self.now_secs())
    }

    /// `GET /unlock/<token>`: the user whose lock the link ends; the link
    /// lasts `SECURITY_LOCKOUT_WITHIN` and dies with `fs_uniquifier`.
    pub async fn unlock_with_token(&self, token: &str) -> Result<User, FlowError> {
        let max_age = self.config().lockout_within.num_seconds();
        let invalid = || FlowError::Form(FormErrors::form(MessageKey::InvalidUnlockToken));
        let loaded = self
            .unlock_serializer()
            .loads(token, Some(max_age), self.now_secs())
            .map_err(|_| invalid())?;
        let Some(uid) = loaded.payload.as_str() else {
            return Err(invalid());
        };
        let Some(user) = self.store().find_user_by_uniquifier(uid).await? else {
            return Err(invalid());
        };
        self.unlock_account(&user).await?;
        Ok(user)
    }

    async fn send_unlock_mail(&self, user: &User) -> Result<()> {
        let c = self.config();
        let link = format!("{}/{}", self.url(&c.unlock_url), self.unlock_token(user));
        let mut ctx = Map::new();
        ctx.insert("unlock_link".into(), json!(link));
        ctx.insert("within".into(), json!(format_duration(c.lockout_within)));
        let subject = c.email_subject_unlock.clone();
        self.send_mail(
            MailKind::UnlockInstructions,
            &user.email,
            &subject,
            Some(user),
            ctx,
        )
        .await
    }

    /// Accepts the code step `step` of `user`'s `scope` (`tf:email`,
    /// `us:authenticator`, …) once: `false` when it, or a later one, was
    /// accepted before. Markers outlive every code window.
    pub(crate) async fn claim_code(&self, user: &User, scope: &str, step: i64) -> Result<bool> {
        let now = self.now();
        let expires = now + TimeDelta::days(1);
        self.attempts()
            .raise(&keys::code_used(user.id, scope), step, expires, now)
            .await
    }

    /// The step whose code to send for `scope` now: the current one, or,
    /// when that (or a later one) was already accepted, the one after it,
    /// so a mailed code is never one that is already spent (codes are
    /// deterministic per step, and each method's window spans several).
    pub(crate) async fn step_to_send(&self, user: &User, scope: &str) -> Result<i64> {
        let now = self.now_secs().div_euclid(portcullis_crypto::totp::PERIOD);
        let used = self
            .attempts()
            .get(&keys::code_used(user.id, scope), self.now())
            .await?;
        Ok(match used {
            Some(m) if m.value >= now => m.value + 1,
            _ => now,
        })
    }

    /// Records that the code of step `step` was sent to `user` by `scope`,
    /// valid for `window` seconds.
    pub(crate) async fn note_code_sent(
        &self,
        user: &User,
        scope: &str,
        step: i64,
        window: i64,
    ) -> Result<()> {
        let now = self.now();
        let expires = now + TimeDelta::seconds(window.max(30) * 2 + 30);
        self.attempts()
            .raise(&keys::code_sent(user.id, scope), step, expires, now)
            .await
            .map(|_| ())
    }

    /// Whether a code was sent to `user` by `scope` recently enough.
    pub(crate) async fn code_was_sent(&self, user: &User, scope: &str) -> Result<bool> {
        let key = keys::code_sent(user.id, scope);
        Ok(self.attempts().get(&key, self.now()).await?.is_some())
    }
}

/// What is left of a half-finished login's code budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HalfLoginBudget {
    /// More attempts follow this one.
    Left,
    /// This is the last attempt: if it fails, the half-login ends.
    Last,
    /// Nothing is left: refuse without checking.
    Spent,
}
