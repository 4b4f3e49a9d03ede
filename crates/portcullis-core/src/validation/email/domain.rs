//! The part after the `@`, as `email_validator` checks it: UTS-46 mapping
//! (case folding, NFC, full-width forms and ideographic full stops), IDNA
//! 2008's code point rules for internationalised labels, the Bidi rule,
//! hostname syntax and lengths on the ASCII (Punycode) form, and the
//! special-use names no mail can go to. The result keeps the Unicode form
//! when there is one, so `user@xn--bcher-kva.de` and `user@BÜCHER.de` are
//! the same address, `user@bücher.de`, as Flask-Security stores it.
//!
//! The `idna` crate does the UTS-46 processing (mapping, Punycode, Bidi,
//! hyphens, STD3 ASCII). UTS-46 lets through symbols IDNA 2008 forbids
//! (`☃.net`, `😀.com`), which Python's `idna` refuses; [`idna2008_ok`]
//! applies RFC 5892's derived property to the mapped labels to refuse them
//! too.

use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use unicode_general_category::{GeneralCategory as G, get_general_category};

use super::safe_chars;

/// The longest domain, in characters as typed and in bytes once ASCII.
const DOMAIN_MAX: usize = 253;
/// The longest label of the ASCII form.
const LABEL_MAX: usize = 63;

/// Names reserved for special use (RFC 6761 and others), refused with
/// their subdomains; `test` is allowed in a test environment.
const SPECIAL_USE: &[&str] = &["arpa", "invalid", "local", "localhost", "onion", "test"];

/// A valid domain: its ASCII form and the form the address keeps.
pub(super) struct Domain {
    /// The IDNA ASCII (Punycode) form.
    pub ascii: String,
    /// The normalised form: Unicode where a label is internationalised.
    pub normalized: String,
}

/// Validates and normalises a domain; `None` when it is not one mail can
/// be addressed to.
pub(super) fn validate(domain: &str, test_environment: bool, deliverable: bool) -> Option<Domain> {
    let raw_ok = domain.chars().count() <= DOMAIN_MAX
        && domain.chars().all(hostname_char)
        && safe_chars(domain)
        && domain.chars().all(uts46_valid_char);
    if !raw_ok {
        return None;
    }
    let uts46 = Uts46::new();
    let bytes = domain.as_bytes();
    let ascii = uts46
        .to_ascii(
            bytes,
            AsciiDenyList::STD3,
            Hyphens::Check,
            DnsLength::Ignore,
        )
        .ok()?
        .into_owned();
    // Without a Punycode label the ASCII form is the mapped domain itself;
    // only then is a second (decoding) pass needed.
    let unicode = if ascii.contains("xn--") {
        let (unicode, checked) = uts46.to_unicode(bytes, AsciiDenyList::STD3, Hyphens::Check);
        checked.ok()?;
        unicode
    } else {
        std::borrow::Cow::Borrowed(ascii.as_str())
    };
    let unicode_ok = unicode.chars().all(hostname_char)
        && safe_chars(&unicode)
        && unicode.split('.').all(label_ok);
    if !unicode_ok || !ascii_ok(&ascii, test_environment, deliverable) {
        return None;
    }
    let normalized = unicode.into_owned();
    Some(Domain { ascii, normalized })
}

/// Letters, digits, hyphen, dot and anything beyond ASCII (RFC 952 with
/// RFC 6531's internationalised addresses).
fn hostname_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '.' || !c.is_ascii()
}

/// `email_validator`'s pre-check of what UTS-46 mapping would refuse:
/// C1 controls, format, unassigned, private-use and space characters, and
/// characters that decompose to something with a full stop (`⒈`).
fn uts46_valid_char(c: char) -> bool {
    let n = u32::from(c);
    if (0x80..=0x9f).contains(&n) {
        return false;
    }
    let permitted = ((0x2010..=0x2060).contains(&n)
        && !(0x2024..=0x2026).contains(&n)
        && !(0x2028..=0x202e).contains(&n))
        || matches!(n, 0x00ad | 0x2064 | 0xff0e)
        || (0x200b..=0x200d).contains(&n)
        || (0x1bca0..=0x1bca3).contains(&n);
    if permitted {
        return true;
    }
    let refused_category = matches!(
        get_general_category(c),
        G::Format
            | G::Unassigned
            | G::PrivateUse
            | G::Surrogate
            | G::SpaceSeparator
            | G::LineSeparator
            | G::ParagraphSeparator
    );
    !refused_category && !decomposes_to_full_stop(c)
}

/// Characters whose compatibility decomposition holds a full stop
/// (`⒈` is `1.`, `‥` is `..`); UTS-46 would split a label on them.
fn decomposes_to_full_stop(c: char) -> bool {
    use unicode_normalization::UnicodeNormalization;
    c != '.' && std::iter::once(c).nfkd().any(|d| d == '.')
}

/// A label of the mapped, decoded domain: not empty, no hyphen at either
/// end, and, when internationalised, only code points IDNA 2008 allows.
fn label_ok(label: &str) -> bool {
    !label.is_empty()
        && !label.starts_with('-')
        && !label.ends_with('-')
        && (label.is_ascii() || idna2008_ok(label))
}

/// The ASCII form: hostname labels, lengths, a dot and a letter-ending
/// top-level domain (unless not globally deliverable), and no special-use
/// name.
fn ascii_ok(ascii: &str, test_environment: bool, deliverable: bool) -> bool {
    let labels_ok = ascii.split('.').all(|l| {
        !l.is_empty()
            && l.len() <= LABEL_MAX
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
            && !reserved_ldh(l)
    });
    if !labels_ok || ascii.len() > DOMAIN_MAX {
        return false;
    }
    let bare_test = ascii == "test" && test_environment;
    if deliverable
        && !bare_test
        && (!ascii.contains('.') || !ascii.ends_with(|c: char| c.is_ascii_alphabetic()))
    {
        return false;
    }
    !SPECIAL_USE.iter().any(|d| {
        !(*d == "test" && test_environment)
            && (ascii == *d || ascii.strip_suffix(d).is_some_and(|r| r.ends_with('.')))
    })
}

/// RFC 5890's reserved LDH labels: two characters then `--`, unless
/// Punycode's `xn--`.
fn reserved_ldh(label: &str) -> bool {
    label.get(2..4) == Some("--") && !label.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("xn"))
}

/// IDNA 2008's rule for an internationalised label (RFC 5892): every code
/// point PVALID, or CONTEXTO with its context satisfied.
fn idna2008_ok(label: &str) -> bool {
    let chars: Vec<char> = label.chars().collect();
    chars.iter().enumerate().all(|(i, &c)| match class(c) {
        Class::Pvalid => true,
        Class::ContextO => context_ok(&chars, i),
        Class::Disallowed => false,
    })
}

enum Class {
    Pvalid,
    ContextO,
    Disallowed,
}

/// RFC 5892's derived property for a code point already mapped by UTS-46
/// (so stable under case folding and normalisation): letters, marks and
/// decimal digits are valid, with the RFC's exceptions and old Hangul Jamo.
fn class(c: char) -> Class {
    match c {
        'a'..='z' | '0'..='9' | '-' => Class::Pvalid,
        '\u{00df}' | '\u{03c2}' | '\u{06fd}' | '\u{06fe}' | '\u{0f0b}' | '\u{3007}' => {
            Class::Pvalid
        }
        '\u{00b7}' | '\u{0375}' | '\u{05f3}' | '\u{05f4}' | '\u{30fb}' => Class::ContextO,
        '\u{0660}'..='\u{0669}' | '\u{06f0}'..='\u{06f9}' => Class::ContextO,
        '\u{0640}'
        | '\u{07fa}'
        | '\u{302e}'
        | '\u{302f}'
        | '\u{3031}'..='\u{3035}'
        | '\u{303b}' => Class::Disallowed,
        '\u{1100}'..='\u{11ff}' | '\u{a960}'..='\u{a97f}' | '\u{d7b0}'..='\u{d7ff}' => {
            Class::Disallowed
        }
        _ if matches!(
            get_general_category(c),
            G::LowercaseLetter
                | G::OtherLetter
                | G::ModifierLetter
                | G::NonspacingMark
                | G::SpacingMark
                | G::DecimalNumber
        ) =>
        {
            Class::Pvalid
        }
        _ => Class::Disallowed,
    }
}

/// RFC 5892 appendix A's CONTEXTO rules.
fn context_ok(chars: &[char], i: usize) -> bool {
    let before = i.checked_sub(1).and_then(|j| chars.get(j)).copied();
    let after = chars.get(i + 1).copied();
    match chars[i] {
        // MIDDLE DOT: between two l's (Catalan "l·l").
        '\u{00b7}' => before == Some('l') && after == Some('l'),
        // GREEK LOWER NUMERAL SIGN: followed by Greek.
        '\u{0375}' => after.is_some_and(greek),
        // HEBREW GERESH and GERSHAYIM: after Hebrew.
        '\u{05f3}' | '\u{05f4}' => before.is_some_and(hebrew),
        // KATAKANA MIDDLE DOT: in a label with Hiragana, Katakana or Han.
        '\u{30fb}' => chars.iter().any(|&c| c != '\u{30fb}' && japanese(c)),
        // Arabic-Indic digits and extended Arabic-Indic digits never mix.
        '\u{0660}'..='\u{0669}' => !chars.iter().any(|c| ('\u{06f0}'..='\u{06f9}').contains(c)),
        '\u{06f0}'..='\u{06f9}' => !chars.iter().any(|c| ('\u{0660}'..='\u{0669}').contains(c)),
        _ => false,
    }
}

fn greek(c: char) -> bool {
    matches!(c, '\u{0370}'..='\u{03ff}' | '\u{1f00}'..='\u{1fff}')
        && !matches!(c, '\u{03e2}'..='\u{03ef}')
}

fn hebrew(c: char) -> bool {
    matches!(c, '\u{0591}'..='\u{05f4}' | '\u{fb1d}'..='\u{fb4f}')
}

/// Hiragana, Katakana or Han (the scripts KATAKANA MIDDLE DOT needs).
fn japanese(c: char) -> bool {
    matches!(c,
        '\u{3041}'..='\u{309f}'
        | '\u{30a0}'..='\u{30ff}'
        | '\u{31f0}'..='\u{31ff}'
        | '\u{ff66}'..='\u{ff9d}'
        | '\u{1b000}'..='\u{1b16f}'
        | '\u{2e80}'..='\u{2fd5}'
        | '\u{3005}'
        | '\u{3007}'
        | '\u{3021}'..='\u{3029}'
        | '\u{3038}'..='\u{303b}'
        | '\u{3400}'..='\u{4dbf}'
        | '\u{4e00}'..='\u{9fff}'
        | '\u{f900}'..='\u{faff}'
        | '\u{20000}'..='\u{3134f}')
}
