//! Email syntax and normalisation, following the rules of Python's
//! `email_validator` as Flask-Security calls it (no deliverability check):
//! dot-atom local parts (Unicode allowed), no quoted local parts, no IP
//! literals, a domain with at least one dot and a non-numeric TLD, length
//! limits of 64 (local part) and 254 (whole address). Normalisation trims,
//! applies NFC and lower-cases the domain; the local part keeps its case
//! (lookups compare case-insensitively).

use unicode_normalization::UnicodeNormalization;

use super::Validated;
use crate::messages::{Message, MessageKey};

/// Email validation settings.
#[derive(Debug, Clone, Default)]
pub struct EmailPolicy;

fn invalid() -> Message {
    Message::new(MessageKey::InvalidEmailAddress)
}

const ATEXT_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

fn local_ok(local: &str) -> bool {
    !local.is_empty()
        && local.chars().count() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || ATEXT_SPECIALS.contains(c)
                || c == '.'
                || (!c.is_ascii() && !c.is_whitespace() && !c.is_control())
        })
}

fn domain_ok(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 || domain.len() > 253 {
        return false;
    }
    let tld_ok = labels
        .last()
        .is_some_and(|t| !t.chars().all(|c| c.is_ascii_digit()));
    tld_ok
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.chars().count() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// Characters `email_validator` refuses anywhere in an address: controls,
/// format characters (zero-width spaces and joiners, bidi overrides and
/// isolates, the BOM), surrogates, private-use and unassigned code points,
/// and line or paragraph separators. They make two addresses that read the
/// same, or one that reads backwards.
fn unsafe_char(c: char) -> bool {
    use unicode_general_category::{GeneralCategory as G, get_general_category};
    matches!(
        get_general_category(c),
        G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::LineSeparator
            | G::ParagraphSeparator
    ) || (c.is_whitespace() && c != ' ')
}

/// Validates and normalises an email address.
pub fn normalize_email(email: &str) -> Validated<String> {
    let email = email.trim();
    if email.is_empty() {
        return Err(Message::new(MessageKey::EmailNotProvided));
    }
    if email.chars().any(unsafe_char) {
        return Err(invalid());
    }
    let email: String = email.nfc().collect();
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    if !local_ok(local) || !domain_ok(domain) {
        return Err(invalid());
    }
    let normalized = format!("{local}@{}", domain.to_lowercase());
    if normalized.chars().count() > 254 {
        return Err(invalid());
    }
    Ok(normalized)
}

impl EmailPolicy {
    /// Validates and normalises (see [`normalize_email`]).
    pub fn validate(&self, email: &str) -> Validated<String> {
        normalize_email(email)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            normalize_email(" Alice@Example.COM ").unwrap(),
            "Alice@example.com"
        );
        assert_eq!(
            normalize_email("o'brien+tag@mail.example.org").unwrap(),
            "o'brien+tag@mail.example.org"
        );
        assert_eq!(normalize_email("jörg@bücher.de").unwrap(), "jörg@bücher.de");
        // NFC: a decomposed umlaut is composed.
        assert_eq!(
            normalize_email("jo\u{308}rg@example.com").unwrap(),
            "jörg@example.com"
        );
    }

    #[test]
    fn rejects() {
        for bad in [
            "plainaddress",
            "@example.com",
            "a@",
            "a@localhost",
            "a@@example.com",
            "a b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a..b@example.com",
            "a@-example.com",
            "a@example.123",
            "\"quoted\"@example.com",
            "a@[127.0.0.1]",
            "a@exa_mple.com",
            // Zero-width space, joiner, BOM; right-to-left override and
            // isolate; a control; a line separator; private use.
            "admin\u{200b}@example.com",
            "ad\u{200d}min@example.com",
            "\u{feff}admin@example.com",
            "admin\u{202e}moc.elpmaxe@example.com",
            "admin\u{2067}x@example.com",
            "ad\u{7}min@example.com",
            "admin@exam\u{2028}ple.com",
            "admin\u{e000}@example.com",
            "admin@example.com\u{200b}",
        ] {
            assert_eq!(normalize_email(bad), Err(invalid()), "{bad}");
        }
        assert_eq!(
            normalize_email("  "),
            Err(Message::new(MessageKey::EmailNotProvided))
        );
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(normalize_email(&long_local).is_err());
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert!(normalize_email(&long).is_err());
    }
}
