//! The `within` durations against Flask-Security 5.9.2's own answers
//! (`fixtures/durations/vectors.json`, made by `generate.py` beside it
//! with the reference app's venv: `utils._td_format` without Flask-Babel,
//! and with Flask-Babel forced into each locale Flask-Security ships a
//! translation for, and English).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use chrono::TimeDelta;
use portcullis_core::i18n::{Locale, format_duration};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/durations/vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn cases(v: &Value) -> impl Iterator<Item = (TimeDelta, &str)> {
    v.as_object().unwrap().iter().map(|(secs, text)| {
        (
            TimeDelta::seconds(secs.parse().unwrap()),
            text.as_str().unwrap(),
        )
    })
}

#[test]
fn without_translations_durations_are_flask_securitys_english() {
    let v = vectors();
    let mut n = 0;
    for (d, want) in cases(&v["plain"]) {
        assert_eq!(format_duration(d), want, "{d:?}");
        n += 1;
    }
    assert!(n >= 30, "{n}");
}

#[test]
fn in_a_locale_durations_are_babels_in_every_language_flask_security_ships() {
    let v = vectors();
    let locales = v["locales"].as_object().unwrap();
    assert!(locales.len() >= 22, "{}", locales.len());
    let mut wrong = Vec::new();
    let mut n = 0;
    for (name, texts) in locales {
        for (d, want) in cases(texts) {
            let got = Locale::bare(name).sync_scope(|| format_duration(d));
            if got != want {
                wrong.push(format!("{name} {d:?}: want {want:?}, got {got:?}"));
            }
            n += 1;
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {n} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(n >= 22 * 30, "{n}");
}

#[test]
fn the_known_difference_numbers_under_ten_thousand_in_minimum_grouping_locales() {
    // Babel groups 1001 as "1.001" everywhere; ICU4X follows CLDR's
    // minimum grouping digits (2 in Spanish). Only a duration of over a
    // thousand years has such a number.
    let es = |d| Locale::bare("es_ES").sync_scope(|| format_duration(d));
    assert_eq!(es(TimeDelta::days(365 * 1001)), "1001 años");
    assert_eq!(es(TimeDelta::days(365 * 12_000)), "12.000 años");
    let de = Locale::bare("de_DE").sync_scope(|| format_duration(TimeDelta::days(365 * 1001)));
    assert_eq!(de, "1.001 Jahre");
}

#[test]
fn a_locale_cldr_does_not_know_falls_back_to_english() {
    let d = TimeDelta::seconds(5400);
    let got = Locale::bare("not a locale").sync_scope(|| format_duration(d));
    assert_eq!(got, "1 hour and 30 minutes");
}

/// Flask-Security 5.9.2's own `test_td_format*` (tests/test_misc.py),
/// case by case.
#[test]
fn flask_securitys_td_format_tests() {
    let plain = format_duration;
    assert_eq!(plain(TimeDelta::seconds(4)), "4 seconds");
    assert_eq!(plain(TimeDelta::seconds(1)), "1 second");
    assert_eq!(plain(TimeDelta::seconds(0)), "0 seconds");
    assert_eq!(plain(TimeDelta::milliseconds(500)), "0 seconds");
    assert_eq!(plain(TimeDelta::days(1)), "1 day");
    assert_eq!(
        plain(TimeDelta::days(1) + TimeDelta::minutes(30)),
        "1 day and 30 minutes"
    );
    assert_eq!(
        plain(TimeDelta::hours(26) + TimeDelta::seconds(40)),
        "1 day, 2 hours, 40 seconds"
    );
    // CLDR puts a no-break space between number and unit in some
    // locales; Flask-Security's test normalises it, so does this one.
    let babel = |locale: &str, d| {
        Locale::bare(locale)
            .sync_scope(|| format_duration(d))
            .replace('\u{a0}', " ")
    };
    assert_eq!(babel("fr_FR", TimeDelta::seconds(4)), "4 secondes");
    assert_eq!(babel("fr_FR", TimeDelta::days(1)), "1 jour");
    assert_eq!(
        babel("fr_FR", TimeDelta::days(1) + TimeDelta::minutes(30)),
        "1 jour et 30 minutes"
    );
    assert_eq!(
        babel("fr_FR", TimeDelta::hours(26) + TimeDelta::seconds(40)),
        "1 jour, 2 heures et 40 secondes"
    );
    assert_eq!(babel("fr_FR", TimeDelta::days(365 + 60)), "1 an et 2 mois");
    assert_eq!(babel("fr_FR", TimeDelta::seconds(0)), "0 seconde");
    assert_eq!(
        babel("en", TimeDelta::days(1) + TimeDelta::minutes(30)),
        "1 day and 30 minutes"
    );
    assert_eq!(
        babel("en", TimeDelta::hours(26) + TimeDelta::seconds(40)),
        "1 day, 2 hours, and 40 seconds"
    );
    assert_eq!(babel("es", TimeDelta::hours(26)), "1 día y 2 horas");
    // A locale without the unit patterns: English, never half-localised.
    assert_eq!(
        babel("cic_US", TimeDelta::hours(26) + TimeDelta::seconds(40)),
        "1 day, 2 hours, 40 seconds"
    );
}
