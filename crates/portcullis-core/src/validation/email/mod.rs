//! Email syntax and normalisation, as Flask-Security checks them: its
//! `MailUtil` calls Python's `email_validator` (2.x) with
//! `SECURITY_EMAIL_VALIDATOR_ARGS`, and an address that passes is stored
//! and looked up in `email_validator`'s normalised form. Portcullis gives
//! the same answer for the same input, checked against vectors made by
//! `email_validator` itself (`tests/fixtures/email/`):
//!
//! - the local part is a dot-atom (internationalised characters allowed
//!   unless `allow_smtputf8` is off), NFC-normalised, keeping its case
//!   except for the role mailboxes RFC 2142 makes case-insensitive
//!   (`Postmaster@` is `postmaster@`); no quoted local parts, no comments,
//!   no display names; longer than 64 characters only when not `strict`;
//! - the domain goes through UTS-46 and IDNA 2008 ([`domain`]): case
//!   folded, full-width forms and ideographic full stops mapped, Punycode
//!   decoded to the Unicode form, symbols refused, special-use names
//!   (`localhost`, `.local`, `.test`, …) refused, a dot and a top-level
//!   domain ending in a letter required while `globally_deliverable`;
//! - characters that make two addresses read the same or an address read
//!   backwards are refused anywhere (controls, format characters such as
//!   zero-width joiners and bidi overrides, private use, unassigned,
//!   separators other than the ASCII space, a leading combining mark);
//! - at most 254 bytes, as typed, normalised and in ASCII form.
//!
//! Surrounding whitespace is trimmed first, as Flask-Security's forms do.
//! [`EmailPolicy::validate`] makes no DNS lookup; registration and change
//! of email add the deliverability check ([`super::deliverability`]).

mod domain;

use unicode_general_category::{GeneralCategory as G, get_general_category};
use unicode_normalization::UnicodeNormalization;

use super::Validated;
use crate::messages::{Message, MessageKey};

/// The longest address, in bytes (RFC 3696 errata, RFC 5321).
const EMAIL_MAX: usize = 254;
/// The longest local part, in characters, when `strict`.
const LOCAL_MAX: usize = 64;

/// Mailbox names RFC 2142 makes case-insensitive; `email_validator`
/// lower-cases them.
const CASE_INSENSITIVE_MAILBOXES: &[&str] = &[
    "info",
    "marketing",
    "sales",
    "support",
    "abuse",
    "noc",
    "security",
    "postmaster",
    "hostmaster",
    "usenet",
    "news",
    "webmaster",
    "www",
    "uucp",
    "ftp",
];

/// How addresses are checked: `email_validator`'s arguments, from
/// `SECURITY_EMAIL_VALIDATOR_ARGS`. The default is `email_validator`'s.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EmailPolicy {
    /// Internationalised characters before the `@` (default on).
    pub allow_smtputf8: bool,
    /// An address with nothing before the `@` (default off).
    pub allow_empty_local: bool,
    /// At most 64 characters before the `@` (default off).
    pub strict: bool,
    /// `@test` and `*.test` domains allowed (default off).
    pub test_environment: bool,
    /// A domain needs a dot and a top-level domain ending in a letter
    /// (default on).
    pub globally_deliverable: bool,
    /// Registration and change of email ask DNS whether the domain takes
    /// mail (default on, as `email_validator`'s; needs a
    /// [`MailDns`](super::MailDns) given to the builder, and is skipped in
    /// a test environment). Lookups by address never ask.
    pub check_deliverability: bool,
    /// How long the deliverability check may wait for DNS (`timeout`,
    /// default 15 s), for the [`MailDns`](super::MailDns) an app builds.
    pub dns_timeout: std::time::Duration,
}

impl Default for EmailPolicy {
    fn default() -> Self {
        Self {
            allow_smtputf8: true,
            allow_empty_local: false,
            strict: false,
            test_environment: false,
            globally_deliverable: true,
            check_deliverability: true,
            dns_timeout: std::time::Duration::from_secs(15),
        }
    }
}

fn invalid() -> Message {
    Message::new(MessageKey::InvalidEmailAddress)
}

/// Validates and normalises an email address under the default policy
/// (see [`EmailPolicy::validate`]).
pub fn normalize_email(email: &str) -> Validated<String> {
    EmailPolicy::default().validate(email)
}

impl EmailPolicy {
    /// Validates and normalises an address: the form Flask-Security stores
    /// and looks users up by, or `EMAIL_NOT_PROVIDED` / `INVALID_EMAIL_ADDRESS`.
    pub fn validate(&self, email: &str) -> Validated<String> {
        let email = email.trim();
        if email.is_empty() {
            return Err(Message::new(MessageKey::EmailNotProvided));
        }
        let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
        let local = self.local_part(local).ok_or_else(invalid)?;
        let domain = domain::validate(domain, self.test_environment, self.globally_deliverable)
            .ok_or_else(invalid)?;
        let normalized = format!("{local}@{}", domain.normalized);
        let ascii_len = local.len() + 1 + domain.ascii.len();
        if [email.len(), normalized.len(), ascii_len]
            .iter()
            .any(|&n| n > EMAIL_MAX)
        {
            return Err(invalid());
        }
        Ok(normalized)
    }

    /// The normalised local part, or `None` when it is not allowed.
    fn local_part(&self, local: &str) -> Option<String> {
        if local.is_empty() {
            return self.allow_empty_local.then(String::new);
        }
        let nfc: String = local.nfc().collect();
        if !self.local_ok(local) || !self.local_ok(&nfc) {
            return None;
        }
        if nfc.is_ascii() && CASE_INSENSITIVE_MAILBOXES.contains(&nfc.to_ascii_lowercase().as_str())
        {
            return Some(nfc.to_ascii_lowercase());
        }
        Some(nfc)
    }

    /// Whether new addresses are checked for deliverability:
    /// `check_deliverability`, never in a test environment.
    pub fn checks_deliverability(&self) -> bool {
        self.check_deliverability && !self.test_environment
    }

    fn local_ok(&self, local: &str) -> bool {
        dot_atom(local)
            && (self.allow_smtputf8 || local.is_ascii())
            && (!self.strict || local.chars().count() <= LOCAL_MAX)
            && safe_chars(local)
    }
}

const ATEXT_SPECIALS: &str = "!#$%&'*+-/=?^_`{|}~";

/// RFC 5322's dot-atom with RFC 6531's internationalised characters.
fn dot_atom(local: &str) -> bool {
    !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric() || ATEXT_SPECIALS.contains(c) || c == '.' || !c.is_ascii()
        })
}

/// `email_validator`'s safe characters: letters, numbers, punctuation and
/// symbols; a combining mark anywhere but first. Refused: controls, format
/// characters (zero-width spaces and joiners, bidi overrides and isolates,
/// the BOM), surrogates, private use, unassigned, and every separator.
fn safe_chars(s: &str) -> bool {
    s.chars()
        .enumerate()
        .all(|(i, c)| match get_general_category(c) {
            G::NonspacingMark | G::SpacingMark | G::EnclosingMark => i > 0,
            G::Control
            | G::Format
            | G::Surrogate
            | G::PrivateUse
            | G::Unassigned
            | G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator => false,
            _ => true,
        })
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
        // Longer than 64 before the @ only when strict (email_validator's
        // default is not strict).
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(normalize_email(&long_local).is_ok());
        let strict = EmailPolicy {
            strict: true,
            ..EmailPolicy::default()
        };
        assert_eq!(strict.validate(&long_local), Err(invalid()));
        let long = format!("{}@{}.com", "a".repeat(60), "b".repeat(200));
        assert!(normalize_email(&long).is_err());
    }
}
