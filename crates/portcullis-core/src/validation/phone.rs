//! Phone numbers for SMS codes and unified sign-in, in E.164, with
//! libphonenumber's rules (the `phonenumber` crate carries its metadata),
//! as Flask-Security's `PhoneUtil` does with Python's `phonenumbers`: a
//! number is parsed in `SECURITY_PHONE_REGION_DEFAULT` unless it starts
//! with `+`, must be a valid number of its region, and is stored as
//! `+<digits>`. Letters on a keypad are read as their digits, as there.

use phonenumber::{Mode, country};

/// The E.164 form of `raw`, or `None` when libphonenumber does not take it
/// for a valid number. `region` is `SECURITY_PHONE_REGION_DEFAULT`
/// (an ISO 3166 code such as `US`; an unknown one parses `+` numbers only).
pub fn canonical_phone(raw: &str, region: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 64 {
        return None;
    }
    // An international number is parsed without the default region: the
    // crate would otherwise strip that region's trunk prefix from the
    // national number (`+33 1 42 …` in `US` lost its `1`).
    let region = if raw.starts_with('+') {
        None
    } else {
        region.to_ascii_uppercase().parse::<country::Id>().ok()
    };
    let number = phonenumber::parse(region, raw).ok()?;
    phonenumber::is_valid(&number).then(|| number.format().mode(Mode::E164).to_string())
}

#[cfg(test)]
mod tests {
    use super::canonical_phone;

    /// Each expectation is what Flask-Security's `phonenumbers` 9.0.42
    /// answers (`is_valid_number`, `format_number(E164)`).
    #[test]
    fn as_libphonenumber_answers() {
        for (raw, region, want) in [
            ("+44 20 7946 0958", "US", Some("+442079460958")),
            ("(650) 555-1212", "US", Some("+16505551212")),
            ("1-650-555-1212", "US", Some("+16505551212")),
            ("+16505551212", "US", Some("+16505551212")),
            ("020 7946 0958", "GB", Some("+442079460958")),
            ("+33 6 12 34 56 78", "US", Some("+33612345678")),
            ("+33 1 42 68 53 00", "US", Some("+33142685300")),
            ("+33142685300", "US", Some("+33142685300")),
            ("01 42 68 53 00", "FR", Some("+33142685300")),
            ("+33 2 98 76 54 32", "US", Some("+33298765432")),
            ("+33 9 70 12 34 56", "US", Some("+33970123456")),
            ("+1 201 555 0123", "US", Some("+12015550123")),
            ("+49 30 123456", "US", Some("+4930123456")),
            ("+1 650 CALL NOW", "US", Some("+16502255669")),
            ("650 555 1212", "GB", None),
            ("555-1212", "US", None),
            ("+0123456789", "US", None),
            ("(150) 555-1212", "US", None),
            ("12345", "US", None),
            ("", "US", None),
            ("not a number", "US", None),
        ] {
            assert_eq!(
                canonical_phone(raw, region).as_deref(),
                want,
                "{raw} in {region}"
            );
        }
    }
}
