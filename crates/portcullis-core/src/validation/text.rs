//! Flask-Security's `input_svn`: sanitise, validate categories, normalise.

use portcullis_crypto::password::NormalizeForm;
use unicode_general_category::{GeneralCategory, get_general_category};

/// Why free text was refused, or the cleaned text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputVerdict {
    /// Cleaned and normalised.
    Ok(String),
    /// It contained markup (what Flask-Security's nh3 pass would alter).
    Illegal,
    /// A character outside the allowed Unicode categories.
    Unallowed,
}

/// Trims `value`, refuses markup, checks every character's Unicode general
/// category against `allowed` (prefix match: `"L"` allows every letter,
/// `"Pd"` dashes), then normalises.
pub fn sanitize_input(
    value: &str,
    allowed: &[String],
    form: Option<NormalizeForm>,
) -> InputVerdict {
    let trimmed = value.trim();
    // nh3.clean(..., tags=set()) escapes these, which Flask-Security treats as illegal input.
    if trimmed.contains(['<', '>', '&', '\u{a0}']) || trimmed.chars().any(|c| c.is_control()) {
        return InputVerdict::Illegal;
    }
    if !allowed.is_empty()
        && !trimmed.chars().all(|c| {
            allowed
                .iter()
                .any(|a| category_code(c).starts_with(a.as_str()))
        })
    {
        return InputVerdict::Unallowed;
    }
    InputVerdict::Ok(match form {
        Some(f) => f.apply(trimmed).into_owned(),
        None => trimmed.to_owned(),
    })
}

/// The two-letter Unicode general category of `c` (`Lu`, `Nd`, `Pd`, …).
pub(crate) fn category_code(c: char) -> &'static str {
    use GeneralCategory as G;
    match get_general_category(c) {
        G::UppercaseLetter => "Lu",
        G::LowercaseLetter => "Ll",
        G::TitlecaseLetter => "Lt",
        G::ModifierLetter => "Lm",
        G::OtherLetter => "Lo",
        G::NonspacingMark => "Mn",
        G::SpacingMark => "Mc",
        G::EnclosingMark => "Me",
        G::DecimalNumber => "Nd",
        G::LetterNumber => "Nl",
        G::OtherNumber => "No",
        G::ConnectorPunctuation => "Pc",
        G::DashPunctuation => "Pd",
        G::OpenPunctuation => "Ps",
        G::ClosePunctuation => "Pe",
        G::InitialPunctuation => "Pi",
        G::FinalPunctuation => "Pf",
        G::OtherPunctuation => "Po",
        G::MathSymbol => "Sm",
        G::CurrencySymbol => "Sc",
        G::ModifierSymbol => "Sk",
        G::OtherSymbol => "So",
        G::SpaceSeparator => "Zs",
        G::LineSeparator => "Zl",
        G::ParagraphSeparator => "Zp",
        G::Control => "Cc",
        G::Format => "Cf",
        G::Surrogate => "Cs",
        G::PrivateUse => "Co",
        _ => "Cn",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ln() -> Vec<String> {
        vec!["L".into(), "N".into()]
    }

    #[test]
    fn categories_and_markup() {
        assert_eq!(
            sanitize_input("  bob42 ", &ln(), None),
            InputVerdict::Ok("bob42".into())
        );
        assert_eq!(
            sanitize_input("zoë", &ln(), None),
            InputVerdict::Ok("zoë".into())
        );
        assert_eq!(
            sanitize_input("bob-42", &ln(), None),
            InputVerdict::Unallowed
        );
        assert_eq!(
            sanitize_input("<b>bob</b>", &ln(), None),
            InputVerdict::Illegal
        );
        let with_dash = vec!["L".into(), "N".into(), "Pd".into(), "Zs".into()];
        assert_eq!(
            sanitize_input("my key-1", &with_dash, None),
            InputVerdict::Ok("my key-1".into())
        );
    }

    #[test]
    fn normalises_after_checking() {
        // Checked as precomposed (a letter), stored decomposed as Flask-Security does.
        match sanitize_input("é", &ln(), Some(NormalizeForm::Nfkd)) {
            InputVerdict::Ok(s) => assert_eq!(s, "e\u{301}"),
            other => panic!("{other:?}"),
        }
    }
}
