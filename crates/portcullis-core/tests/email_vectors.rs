//! Email addresses are valid, and normalised, exactly when Flask-Security
//! finds them so: `fixtures/email/vectors.json` holds the answers of
//! Python's `email_validator` 2.4.0 (what Flask-Security 5.9.2's `MailUtil`
//! calls) for 156 addresses under six `SECURITY_EMAIL_VALIDATOR_ARGS`,
//! made by `fixtures/email/generate.py`. Each argument table is loaded
//! through the setting, as an app's would be.

use portcullis_core::config::ConfigLoader;
use portcullis_core::validation::EmailPolicy;
use serde_json::Value;

fn policy(args: &Value) -> Result<EmailPolicy, String> {
    ConfigLoader::new()
        .set("SECRET_KEY", "k".repeat(32))
        .set("SECURITY_PASSWORD_SALT", "s".repeat(16))
        .set("SECURITY_EMAIL_VALIDATOR_ARGS", args.clone())
        .build()
        .map(|(config, _)| config.email_validator_args)
        .map_err(|e| e.to_string())
}

#[test]
fn every_address_answers_as_email_validator_does() {
    let vectors: Value = serde_json::from_str(include_str!("fixtures/email/vectors.json")).unwrap();
    let mut compared = 0;
    let mut differ = Vec::new();
    for case in vectors["cases"].as_array().unwrap() {
        let args = &case["args"];
        let Ok(policy) = policy(args) else {
            // Arguments Portcullis refuses (next test) have no answer here.
            continue;
        };
        let input = case["input"].as_str().unwrap();
        let want = case["normalized"].as_str();
        let got = policy.validate(input).ok();
        compared += 1;
        if got.as_deref() != want {
            differ.push(format!(
                "{args} {input:?}: email_validator {want:?}, Portcullis {got:?}"
            ));
        }
    }
    assert!(compared > 900, "only {compared} cases compared");
    assert!(
        differ.is_empty(),
        "{} differ:\n{}",
        differ.len(),
        differ.join("\n")
    );
}

/// A stored address looks itself up: normalising a normalised address
/// changes nothing (so `find_user_by_email(validate(typed))` finds what
/// registration stored, whichever spelling was typed).
#[test]
fn normalising_twice_is_normalising_once() {
    let vectors: Value = serde_json::from_str(include_str!("fixtures/email/vectors.json")).unwrap();
    let policy = EmailPolicy::default();
    let mut checked = 0;
    for case in vectors["cases"].as_array().unwrap() {
        if case["args"] != serde_json::json!({}) {
            continue;
        }
        if let Ok(once) = policy.validate(case["input"].as_str().unwrap()) {
            assert_eq!(policy.validate(&once).as_deref(), Ok(once.as_str()));
            checked += 1;
        }
    }
    assert!(checked > 60, "{checked}");
}

#[test]
fn arguments_that_would_let_in_unstorable_addresses_are_refused() {
    for arg in [
        "allow_quoted_local",
        "allow_domain_literal",
        "allow_display_name",
    ] {
        let err = policy(&serde_json::json!({ arg: true })).unwrap_err();
        assert!(err.contains(arg) && err.contains("not supported"), "{err}");
        // Off, as email_validator's default, is fine.
        assert_eq!(
            policy(&serde_json::json!({ arg: false })),
            Ok(EmailPolicy::default())
        );
    }
    let err = policy(&serde_json::json!({"alow_smtputf8": false})).unwrap_err();
    assert!(err.contains("alow_smtputf8"), "{err}");
    // The deliverability check's switch and timeout, from the JSON an
    // environment variable carries.
    let dns = policy(&Value::String(
        r#"{"check_deliverability": false, "timeout": 2.5}"#.into(),
    ))
    .unwrap();
    assert!(!dns.check_deliverability && EmailPolicy::default().check_deliverability);
    assert_eq!(dns.dns_timeout, std::time::Duration::from_millis(2500));
    assert!(policy(&serde_json::json!({"timeout": -1})).is_err());
    let test_env = policy(&serde_json::json!({"test_environment": true})).unwrap();
    assert_eq!(test_env.validate("a@test").as_deref(), Ok("a@test"));
    assert!(EmailPolicy::default().validate("a@test").is_err());
}

/// Never a panic, and still idempotent, on arbitrary mixes of the
/// characters the rules single out (CONTEXTO code points, joiners,
/// combining marks, full-width stops, Punycode prefixes, bidi, symbols):
/// 50,000 strings from a fixed xorshift sequence, alone and as a domain.
#[test]
fn arbitrary_input_never_panics_and_normalises_once() {
    let alphabet: Vec<char> = "aZ0-._@+\"<> \u{b7}\u{375}\u{5f3}\u{30fb}\u{661}\u{6f1}\u{200d}\u{200c}\u{300}ßς\u{3002}\u{ff0e}xn--ü例אب١☃😀İǅ\u{fffd}\u{e000}\u{2028}"
        .chars()
        .collect();
    let policy = EmailPolicy::default();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut accepted = 0;
    for _ in 0..50_000 {
        let len = usize::try_from(next() % 40).unwrap();
        let s: String = (0..len)
            .map(|_| alphabet[usize::try_from(next()).unwrap() % alphabet.len()])
            .collect();
        for input in [s.clone(), format!("a@{s}.com")] {
            if let Ok(once) = policy.validate(&input) {
                accepted += 1;
                assert_eq!(
                    policy.validate(&once).as_deref(),
                    Ok(once.as_str()),
                    "{input:?}"
                );
            }
        }
    }
    assert!(accepted > 100, "{accepted}");
}
