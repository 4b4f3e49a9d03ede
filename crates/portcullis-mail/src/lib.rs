#![doc = include_str!("../README.md")]

mod console;
mod memory;
mod smtp;
mod templates;

pub use self::console::ConsoleMailer;
pub use self::memory::MemoryOutbox;
pub use self::smtp::{SmtpConfig, SmtpMailer, SmtpTls};
pub use self::templates::{Rendered, Templates};
