#![doc = include_str!("../README.md")]

pub mod auth_token;
pub mod clock;
pub mod encoding;
mod error;
pub mod hash_data;
pub mod password;
pub mod random;
pub mod recovery;
pub mod remember_cookie;
pub mod secret;
pub mod serializer;
pub mod totp;

pub use auth_token::{AuthToken, AuthTokenError, AuthTokenIssuer};
pub use clock::{Clock, FakeClock, SystemClock};
pub use error::{Error, Result};
pub use password::{CryptContext, PasswordHasher, Scheme, Verified};
pub use secret::SecretString;
pub use serializer::{TokenError, TokenKind, UrlSafeTimedSerializer};
pub use totp::{PasslibTotpSecrets, Totp, TotpFactory};
