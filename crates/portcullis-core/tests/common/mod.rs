//! Shared set-up for the flow tests: the memory store, a fake clock, the
//! in-memory outbox, recording hooks, and cheap argon2 parameters.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use portcullis_core::crypto::totp::{PasslibTotpSecrets, Totp, TotpFactory};
use portcullis_core::events::RecordingHooks;
use portcullis_core::flows::{CpuPool, Job};
use portcullis_core::{
    ConfigLoader, Email, FakeClock, Mailer, NewUser, SecretString, Security, SmsSender, User,
    UserStore,
};
use portcullis_mail::MemoryOutbox;
use portcullis_memory::MemoryStore;

pub const T0: f64 = 1_800_000_000.0;
pub const PASSWORD: &str = "Correct-Horse-Battery-9";

/// Counts CPU jobs (password hashes), running them inline.
#[derive(Debug, Default)]
pub struct CountingCpu(pub AtomicUsize);

impl CpuPool for CountingCpu {
    fn run(
        &self,
        job: Job,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = portcullis_core::Result<()>> + Send + '_>>
    {
        self.0.fetch_add(1, Ordering::SeqCst);
        job();
        Box::pin(async { Ok(()) })
    }
}

pub struct Env {
    pub security: Security,
    pub store: Arc<MemoryStore>,
    pub outbox: Arc<MemoryOutbox>,
    pub clock: Arc<FakeClock>,
    pub hooks: Arc<RecordingHooks>,
    pub cpu: Arc<CountingCpu>,
}

pub fn env(vars: &[(&str, &str)]) -> Env {
    env_with(vars, |b| b)
}

/// As [`env`], with `customize` applied to the builder (registration
/// fields, a payload hook, …).
pub fn env_with(
    vars: &[(&str, &str)],
    customize: impl FnOnce(
        portcullis_core::flows::SecurityBuilder,
    ) -> portcullis_core::flows::SecurityBuilder,
) -> Env {
    let mut all = vec![
        ("SECRET_KEY", "test-secret-key-0123456789abcdef"),
        ("SECURITY_PASSWORD_SALT", "test-password-salt"),
        // Fast argon2 for tests; the format and pipeline are unchanged.
        (
            "SECURITY_PASSWORD_HASH_PASSLIB_OPTIONS",
            r#"{"argon2__memory_cost": 1024, "argon2__time_cost": 1, "argon2__parallelism": 1}"#,
        ),
    ];
    all.extend_from_slice(vars);
    let (config, _) = ConfigLoader::new().vars(all).build().unwrap();
    let clock = Arc::new(FakeClock::new(T0));
    let store = Arc::new(MemoryStore::with_clock(clock.clone()));
    let outbox = Arc::new(MemoryOutbox::new());
    let hooks = Arc::new(RecordingHooks::default());
    let cpu = Arc::new(CountingCpu::default());
    let security = customize(
        Security::builder(config)
            .store(store.clone())
            .mailer(outbox.clone())
            .hooks(hooks.clone())
            .clock(clock.clone())
            .cpu_pool(cpu.clone())
            .base_url("https://app.example.com"),
    )
    .build()
    .unwrap();
    Env {
        security,
        store,
        outbox,
        clock,
        hooks,
        cpu,
    }
}

pub fn secret(s: &str) -> Option<SecretString> {
    Some(SecretString::new(s))
}

impl Env {
    /// A confirmed, active user with `PASSWORD`.
    pub async fn user(&self, email: &str) -> User {
        let hash = self.security.hash_password(PASSWORD).await.unwrap();
        self.store
            .create_user(NewUser {
                confirmed_at: Some(self.security.now()),
                ..NewUser::new(email, secret(&hash))
            })
            .await
            .unwrap()
    }

    /// Marks user `id` inactive.
    pub async fn deactivate(&self, id: i64) {
        let patch = portcullis_core::UserPatch {
            active: Some(false),
            ..Default::default()
        };
        self.store.update_user(id, patch).await.unwrap();
    }

    /// The token at the end of the last link to `to` containing `path`.
    pub fn token_from_mail(&self, to: &str, path: &str) -> String {
        let link = self.outbox.link_to(to, path).unwrap_or_else(|| {
            panic!(
                "no {path} link mailed to {to}: {:?}",
                self.outbox.messages()
            )
        });
        assert!(
            link.starts_with("https://app.example.com/"),
            "links are absolute: {link}"
        );
        link.rsplit('/').next().unwrap().to_owned()
    }
}

/// The message keys of a form error, by field.
pub fn errors(e: portcullis_core::FlowError) -> Vec<(&'static str, portcullis_core::MessageKey)> {
    match e {
        portcullis_core::FlowError::Form(f) => f
            .entries()
            .iter()
            .map(|(field, m)| (*field, m.key))
            .collect(),
        other => panic!("expected form errors, got {other:?}"),
    }
}

/// The TOTP secrets of the second-factor tests' settings.
pub const TOTP_SECRETS: &str = r#"{"1": "flows-test-totp-secret"}"#;

/// A stored (encrypted) TOTP secret as its key, read with [`TOTP_SECRETS`].
pub fn totp_of(stored: &str) -> Totp {
    let secrets =
        PasslibTotpSecrets::new([("1".to_owned(), SecretString::new("flows-test-totp-secret"))])
            .unwrap();
    TotpFactory::new("flows", secrets).load(stored).unwrap()
}

/// A six-digit code that is not `code`.
pub fn other_than(code: &str) -> String {
    let last = code.chars().last().unwrap().to_digit(10).unwrap();
    format!("{}{}", &code[..5], (last + 1) % 10)
}

/// The first six-digit number in `text`.
pub fn code_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

/// A mailer and an SMS sender that are down.
#[derive(Debug)]
pub struct Down;

#[async_trait::async_trait]
impl Mailer for Down {
    async fn send(&self, _: &Email) -> portcullis_core::Result<()> {
        Err(portcullis_core::Error::internal("mail is down"))
    }
}

#[async_trait::async_trait]
impl SmsSender for Down {
    async fn send_sms(&self, _: &str, _: &str) -> portcullis_core::Result<()> {
        Err(portcullis_core::Error::internal("texts are down"))
    }
}
