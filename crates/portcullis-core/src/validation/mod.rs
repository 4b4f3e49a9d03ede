//! Input validation and normalisation as Flask-Security does it: email
//! addresses (and whether their domain takes mail), passwords (length,
//! breach check, zxcvbn), usernames, and general free-text sanitising. Failures are [`Message`]s, ready for a
//! field error.

mod breach;
mod deliverability;
mod email;
mod password;
mod phone;
mod text;
mod username;

pub use self::breach::{BreachChecker, MemoryBreachChecker, parse_range_response, sha1_hex_upper};
pub use self::deliverability::{Deliverability, DnsAnswer, MailDns, deliverability};
pub use self::email::{EmailPolicy, normalize_email};
pub use self::password::{MAX_LENGTH as PASSWORD_MAX_LENGTH, PasswordPolicy};
pub use self::phone::canonical_phone;
pub use self::text::{InputVerdict, sanitize_input};
pub use self::username::UsernamePolicy;

use crate::messages::Message;

/// The outcome of a validation: the normalised value, or why it failed.
pub type Validated<T> = Result<T, Message>;
