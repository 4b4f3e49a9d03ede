//! The text encodings Flask-Security's formats use: base64 variants
//! (standard, URL-safe, passlib's "adapted" ab64), RFC 4648 base32 as passlib
//! reads and writes it, and hex.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);
const URL_SAFE_LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);

/// Standard base64 with `=` padding (Python's `base64.standard_b64encode`).
pub fn b64_encode(data: &[u8]) -> String {
    STANDARD.encode(data)
}

/// Standard base64 without padding (PHC strings: argon2 salts and digests).
pub fn b64_encode_nopad(data: &[u8]) -> String {
    STANDARD_NO_PAD.encode(data)
}

/// Decodes standard base64, with or without padding.
pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    STANDARD_LENIENT.decode(s).ok()
}

/// URL-safe base64 without padding (itsdangerous).
pub fn urlsafe_encode(data: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(data)
}

/// Decodes URL-safe base64, with or without padding.
pub fn urlsafe_decode(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_LENIENT.decode(s).ok()
}

/// passlib's "adapted base64": standard alphabet with `.` for `+`, no padding.
pub fn ab64_encode(data: &[u8]) -> String {
    STANDARD_NO_PAD.encode(data).replace('+', ".")
}

/// Decodes passlib's adapted base64.
pub fn ab64_decode(s: &str) -> Option<Vec<u8>> {
    STANDARD_LENIENT.decode(s.replace('.', "+")).ok()
}

const B32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without `=` padding (passlib's `b32encode`).
pub fn b32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &byte in data {
        buffer = (buffer << 8) | u64::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32_ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32_ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Decodes base32 as passlib does: case-insensitive, `0` read as `O` and `8`
/// as `B`, padding optional, spaces and dashes ignored.
pub fn b32_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 5 / 8);
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for c in s.chars() {
        let c = match c.to_ascii_uppercase() {
            '0' => 'O',
            '8' => 'B',
            ' ' | '-' | '=' => continue,
            c => c,
        };
        let v = B32_ALPHABET.iter().position(|&a| a as char == c)? as u64;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    // Leftover bits must be padding zeros; 1, 3 or 6 leftover characters'
    // worth of bits cannot come from whole bytes.
    if bits >= 5 || (buffer & ((1 << bits) - 1)) != 0 {
        return None;
    }
    Some(out)
}

/// Lowercase hex.
pub fn hex_lower(data: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for &b in data {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trips_and_matches_rfc4648() {
        // RFC 4648 section 10 vectors, without padding.
        for (plain, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(b32_encode(plain.as_bytes()), enc);
            assert_eq!(b32_decode(enc).unwrap(), plain.as_bytes());
            assert_eq!(b32_decode(&enc.to_lowercase()).unwrap(), plain.as_bytes());
        }
        assert_eq!(b32_decode("MZXW6YQ=").unwrap(), b"foob");
        assert!(b32_decode("MZXW6!").is_none());
        // passlib maps 0 -> O and 8 -> B
        assert_eq!(b32_decode("0"), b32_decode("O"));
    }

    #[test]
    fn ab64_uses_dot_for_plus() {
        let data = [0xfb, 0xff, 0xbf];
        assert_eq!(b64_encode_nopad(&data), "+/+/");
        assert_eq!(ab64_encode(&data), "./.\u{2f}");
        assert_eq!(ab64_decode("./.\u{2f}").unwrap(), data);
    }

    #[test]
    fn urlsafe_is_lenient_about_padding() {
        assert_eq!(
            urlsafe_decode("ZVPxAA").unwrap(),
            vec![0x65, 0x53, 0xf1, 0x00]
        );
        assert_eq!(
            urlsafe_decode("ZVPxAA==").unwrap(),
            vec![0x65, 0x53, 0xf1, 0x00]
        );
        assert!(urlsafe_decode("***").is_none());
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex_lower(&[0, 0xab, 0xff]), "00abff");
    }
}
