//! Phone numbers for SMS codes and unified sign-in, in E.164.
//!
//! Flask-Security uses the `phonenumbers` library (libphonenumber's full
//! metadata). Portcullis keeps to what SMS delivery needs without that
//! metadata: an international number (`+` then 8–15 digits, the first not
//! 0), or a national number in the North American plan (`US`, `CA`: ten
//! digits, optionally after a leading `1`). Spaces, dots, dashes and
//! parentheses are ignored. The canonical form is `+<digits>`.

/// The E.164 form of `raw`, or `None` when it is not a number Portcullis
/// accepts. `region` is `SECURITY_PHONE_REGION_DEFAULT`.
pub fn canonical_phone(raw: &str, region: &str) -> Option<String> {
    let mut digits = String::with_capacity(raw.len());
    let mut plus = false;
    for (i, ch) in raw.trim().chars().enumerate() {
        match ch {
            '+' if i == 0 => plus = true,
            '0'..='9' => digits.push(ch),
            ' ' | '.' | '-' | '(' | ')' => {}
            _ => return None,
        }
    }
    if plus {
        return ((8..=15).contains(&digits.len()) && !digits.starts_with('0'))
            .then(|| format!("+{digits}"));
    }
    if !matches!(region.to_ascii_uppercase().as_str(), "US" | "CA") {
        return None;
    }
    let national = match digits.len() {
        10 => digits.as_str(),
        11 if digits.starts_with('1') => &digits[1..],
        _ => return None,
    };
    // NANP: area code and exchange do not start with 0 or 1.
    let b = national.as_bytes();
    (b[0] >= b'2' && b[3] >= b'2').then(|| format!("+1{national}"))
}

#[cfg(test)]
mod tests {
    use super::canonical_phone;

    #[test]
    fn e164_and_national_numbers() {
        assert_eq!(
            canonical_phone("+44 20 7946 0958", "US").as_deref(),
            Some("+442079460958")
        );
        assert_eq!(
            canonical_phone("(650) 555-1212", "US").as_deref(),
            Some("+16505551212")
        );
        assert_eq!(
            canonical_phone("1-650-555-1212", "US").as_deref(),
            Some("+16505551212")
        );
        assert_eq!(canonical_phone("650 555 1212", "GB"), None);
        assert_eq!(canonical_phone("555-1212", "US"), None);
        assert_eq!(canonical_phone("+0123456789", "US"), None);
        assert_eq!(canonical_phone("+1 650 CALL NOW", "US"), None);
        assert_eq!(canonical_phone("(150) 555-1212", "US"), None);
        assert_eq!(canonical_phone("", "US"), None);
    }
}
