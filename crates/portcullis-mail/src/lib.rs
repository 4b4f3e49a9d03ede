#![doc = include_str!("../README.md")]

mod configured;
mod console;
#[cfg(feature = "dns")]
mod dns;
#[cfg(feature = "hibp")]
mod hibp;
mod memory;
mod sms;
mod smtp;
mod templates;
#[cfg(any(feature = "twilio", feature = "hibp"))]
mod tls;
#[cfg(feature = "twilio")]
mod twilio;

pub use self::configured::{configured_mailer, configured_sms};
pub use self::console::ConsoleMailer;
#[cfg(feature = "dns")]
pub use self::dns::{DnsResolver, configured_dns};
#[cfg(feature = "hibp")]
pub use self::hibp::HibpChecker;
pub use self::memory::MemoryOutbox;
pub use self::sms::{ConsoleSms, MemorySms, Sms};
pub use self::smtp::{SmtpConfig, SmtpMailer, SmtpTls};
pub use self::templates::{Rendered, Templates};
#[cfg(feature = "twilio")]
pub use self::twilio::TwilioSms;
