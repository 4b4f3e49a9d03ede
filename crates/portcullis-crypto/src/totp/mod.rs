//! TOTP as Flask-Security (through passlib) does it: SHA-1, 6 digits,
//! 30-second steps, 20-byte keys; a verification window in seconds;
//! `otpauth://` URIs; QR codes as SVG; and the encrypted JSON passlib stores.

mod passlib;

use std::fmt;

use qrcode::QrCode;
use qrcode::render::svg;

pub use self::passlib::PasslibTotpSecrets;
use crate::encoding::{b32_decode, b32_encode, b64_encode};
use crate::{Error, Result, random};

const DIGITS: usize = 6;
/// The TOTP time step, in seconds (RFC 6238 and passlib's default).
pub const PERIOD: i64 = 30;

/// One TOTP key. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Totp {
    key: Vec<u8>,
    inner: totp_rs::Totp,
}

impl fmt::Debug for Totp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Totp { key: [redacted] }")
    }
}

impl Totp {
    /// A fresh random 20-byte key (passlib's default size).
    pub fn generate() -> Result<Self> {
        Ok(Self::from_key(random::bytes::<20>()?.to_vec()))
    }

    /// A TOTP over `key`.
    pub fn from_key(key: Vec<u8>) -> Self {
        let inner = totp_rs::Builder::new()
            .with_secret(totp_rs::Secret::new(key.clone().into_boxed_slice()))
            .with_skew(0)
            .build_noncompliant();
        Self { key, inner }
    }

    /// A TOTP over a base32 key (as authenticator apps show it).
    pub fn from_base32(b32: &str) -> Result<Self> {
        let key = b32_decode(b32).ok_or(Error::InvalidTotpSecret("key is not base32"))?;
        if key.is_empty() {
            return Err(Error::InvalidTotpSecret("empty key"));
        }
        Ok(Self::from_key(key))
    }

    /// The raw key.
    pub fn key(&self) -> &[u8] {
        &self.key
    }

    /// The key in base32 without padding.
    pub fn base32_key(&self) -> String {
        b32_encode(&self.key)
    }

    /// passlib's "pretty" key: base32 in groups of four joined by `-`.
    pub fn pretty_key(&self) -> String {
        let b32 = self.base32_key();
        b32.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// The code for the 30-second step containing `unix_time`.
    pub fn code_at(&self, unix_time: i64) -> String {
        let t = u64::try_from(unix_time.max(0)).unwrap_or(0);
        self.inner.generate(t).to_string()
    }

    /// Checks `code` as passlib's `TOTP.verify(token, time, window)` does:
    /// any step whose counter lies in `[(now - window) / 30, (now + window)
    /// / 30]` is accepted. Returns the matching counter (store it to refuse
    /// replays) or `None`. Whitespace around the code is ignored; anything
    /// but six digits never matches.
    pub fn verify(&self, code: &str, now: i64, window: i64) -> Option<i64> {
        let code = code.trim();
        if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let window = window.clamp(0, 24 * 3600);
        let first = (now - window).div_euclid(PERIOD).max(0);
        let last = (now + window).div_euclid(PERIOD);
        // Compare every candidate so timing does not reveal the matching step.
        let mut found = None;
        for counter in first..=last {
            let candidate = self.code_at(counter * PERIOD);
            if crate::secret::ct_eq(candidate.as_bytes(), code.as_bytes()) && found.is_none() {
                found = Some(counter);
            }
        }
        found
    }

    /// passlib's provisioning URI:
    /// `otpauth://totp/<issuer>:<account>?secret=<B32>&issuer=<issuer>`.
    pub fn provisioning_uri(&self, issuer: &str, account: &str) -> String {
        fn quote(s: &str) -> String {
            let mut out = String::with_capacity(s.len());
            for b in s.bytes() {
                match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                        out.push(b as char);
                    }
                    _ => out.push_str(&format!("%{b:02X}")),
                }
            }
            out
        }
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}",
            quote(issuer),
            quote(account),
            self.base32_key(),
            quote(issuer)
        )
    }
}

/// Renders `data` (typically a provisioning URI) as an SVG QR code in a
/// `data:image/svg+xml;base64,…` URI, as Flask-Security's `/tf-setup` returns it.
pub fn qr_svg_data_uri(data: &str) -> Result<String> {
    let code = QrCode::new(data.as_bytes()).map_err(|e| Error::QrCode(e.to_string()))?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        b64_encode(svg.as_bytes())
    ))
}

/// Flask-Security's TOTP factory: the issuer for URIs and the secrets that
/// encrypt keys at rest (`SECURITY_TOTP_ISSUER`, `SECURITY_TOTP_SECRETS`).
#[derive(Debug, Clone)]
pub struct TotpFactory {
    issuer: String,
    secrets: PasslibTotpSecrets,
}

impl TotpFactory {
    /// A factory for `issuer` over `secrets`.
    pub fn new(issuer: impl Into<String>, secrets: PasslibTotpSecrets) -> Self {
        Self {
            issuer: issuer.into(),
            secrets,
        }
    }

    /// The issuer named in URIs.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// A new key, and the encrypted JSON to store for it.
    pub fn generate(&self) -> Result<(Totp, String)> {
        let totp = Totp::generate()?;
        let stored = self.secrets.encrypt(&totp)?;
        Ok((totp, stored))
    }

    /// Reads a stored secret (encrypted or not).
    pub fn load(&self, stored: &str) -> Result<Totp> {
        self.secrets.decrypt(stored)
    }

    /// Encrypts `totp` for storage.
    pub fn store(&self, totp: &Totp) -> Result<String> {
        self.secrets.encrypt(totp)
    }

    /// Checks `code` against a stored secret; `None` also when the stored
    /// secret cannot be read.
    pub fn verify(&self, stored: &str, code: &str, now: i64, window: i64) -> Option<i64> {
        self.load(stored).ok()?.verify(code, now, window)
    }

    /// The provisioning URI for `account` (Flask-Security's `calc_username`).
    pub fn provisioning_uri(&self, totp: &Totp, account: &str) -> String {
        totp.provisioning_uri(&self.issuer, account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        let t = Totp::from_key(b"12345678901234567890".to_vec());
        // RFC 6238 appendix B, last six digits.
        assert_eq!(t.code_at(59), "287082");
        assert_eq!(t.code_at(1_111_111_109), "081804");
        assert_eq!(t.code_at(2_000_000_000), "279037");
    }

    #[test]
    fn window_in_seconds_like_passlib() {
        let t = Totp::from_key(b"12345678901234567890".to_vec());
        let code = t.code_at(1_000_000_020); // counter 33333334
        assert_eq!(t.verify(&code, 1_000_000_020, 0), Some(33_333_334));
        assert_eq!(t.verify(&code, 1_000_000_050, 0), None);
        assert_eq!(t.verify(&code, 1_000_000_050, 30), Some(33_333_334));
        assert_eq!(
            t.verify(&format!(" {code} "), 1_000_000_020, 0),
            Some(33_333_334)
        );
        for bad in ["", "12345", "1234567", "abcdef", "12 456"] {
            assert_eq!(t.verify(bad, 1_000_000_020, 120), None, "{bad}");
        }
    }

    #[test]
    fn uri_and_pretty_key() {
        let t = Totp::from_base32("6B7O6XKLRHI7V7Z7446CORDI5XOXXTYZ").unwrap();
        assert_eq!(t.pretty_key(), "6B7O-6XKL-RHI7-V7Z7-446C-ORDI-5XOX-XTYZ");
        assert_eq!(
            t.provisioning_uri("MyApp", "a@b.com"),
            "otpauth://totp/MyApp:a@b.com?secret=6B7O6XKLRHI7V7Z7446CORDI5XOXXTYZ&issuer=MyApp"
        );
        assert!(
            t.provisioning_uri("My App", "x")
                .starts_with("otpauth://totp/My%20App:x?")
        );
        assert!(!format!("{t:?}").contains("6B7O"));
    }

    #[test]
    fn qr_code_is_an_svg_data_uri() {
        let uri = qr_svg_data_uri("otpauth://totp/x:y?secret=AAAA&issuer=x").unwrap();
        let b64 = uri.strip_prefix("data:image/svg+xml;base64,").unwrap();
        let svg = String::from_utf8(crate::encoding::b64_decode(b64).unwrap()).unwrap();
        assert!(svg.contains("<svg"));
    }
}
