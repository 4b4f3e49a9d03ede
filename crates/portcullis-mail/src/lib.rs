#![doc = include_str!("../README.md")]

mod console;
mod memory;
mod sms;
mod smtp;
mod templates;
#[cfg(feature = "twilio")]
mod twilio;

pub use self::console::ConsoleMailer;
pub use self::memory::MemoryOutbox;
pub use self::sms::{ConsoleSms, MemorySms, Sms};
pub use self::smtp::{SmtpConfig, SmtpMailer, SmtpTls};
pub use self::templates::{Rendered, Templates};
#[cfg(feature = "twilio")]
pub use self::twilio::TwilioSms;
