//! The `within` durations of Flask-Security's messages and mails
//! ("You did not confirm your email within 5 days", "… expires in 1 hour
//! and 30 minutes"), written as its `utils._td_format` writes them.
//!
//! The duration is cut into years (365 days), months (30 days), days,
//! hours, minutes and seconds, each part that is not zero kept. Then:
//! - with translations loaded (Flask-Security: Flask-Babel initialised),
//!   each part in the request's locale with CLDR's long unit pattern and
//!   plural rules, the parts joined by the locale's "and" list pattern —
//!   Babel's `format_unit(…, length="long")` and `format_list`, here from
//!   ICU4X's compiled CLDR data, digits Latin as Babel writes them;
//! - otherwise, or when CLDR has no unit patterns for the locale (it would
//!   fall back to the root's `2 d`), Flask-Security's own English:
//!   "1 day and 2 hours", "1 day, 2 hours, 3 minutes".
//!
//! `tests/durations.rs` holds Flask-Security 5.9.2's answers (with Babel
//! 2.19) for every locale it ships, and checks each. One difference is
//! known: numbers of 1,000–9,999 (only a duration of over a thousand
//! years has one) are grouped as Babel groups them in every locale
//! except those whose CLDR data asks for two-digit minimum grouping
//! (es, it, pl, pt_PT, hu, hy), where ICU4X writes `1001`.

use chrono::TimeDelta;
use fixed_decimal::Decimal;
use icu_decimal::DecimalFormatter;
use icu_experimental::dimension::provider::units::categorized_display_names::{
    UnitsNamesDurationCoreV1, UnitsNamesDurationExtendedV1, UnitsNamesDurationOutlierV1,
};
use icu_experimental::provider::Baked;
use icu_list::ListFormatter;
use icu_list::options::{ListFormatterOptions, ListLength};
use icu_locale_core::Locale as LanguageTag;
use icu_plurals::PluralRules;
use icu_provider::prelude::*;
use writeable::Writeable;

/// Flask-Security's periods, largest first (a year is 365 days, a month 30).
const PERIODS: [(&str, i64); 6] = [
    ("year", 365 * 86_400),
    ("month", 30 * 86_400),
    ("day", 86_400),
    ("hour", 3_600),
    ("minute", 60),
    ("second", 1),
];

/// `d` as Flask-Security writes a `within` duration, in the current
/// request's locale when translations are loaded (see the module).
/// Negative durations count as zero.
pub fn format_duration(d: TimeDelta) -> String {
    let parts = parts(d);
    super::Locale::current()
        .and_then(|locale| in_locale(locale.name(), &parts))
        .unwrap_or_else(|| english(&parts))
}

/// The non-zero `(count, unit)` parts, largest first; `(0, "second")`
/// for nothing.
fn parts(d: TimeDelta) -> Vec<(i64, &'static str)> {
    let mut left = d.num_seconds().max(0);
    let mut out = Vec::new();
    for (unit, size) in PERIODS {
        if left >= size {
            out.push((left / size, unit));
            left %= size;
        }
    }
    if out.is_empty() {
        out.push((0, "second"));
    }
    out
}

/// Flask-Security's formatter when Flask-Babel is not in use.
fn english(parts: &[(i64, &str)]) -> String {
    let texts: Vec<String> = parts
        .iter()
        .map(|(n, unit)| format!("{n} {unit}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    if texts.len() == 2 {
        texts.join(" and ")
    } else {
        texts.join(", ")
    }
}

/// Babel's `format_list` of `format_unit`s in `name` (a catalogue
/// directory's name: `de_DE`, `zh_Hans_CN`); `None` when ICU4X does not
/// know the name or has no pattern for a unit.
fn in_locale(name: &str, parts: &[(i64, &str)]) -> Option<String> {
    let tag = name.split(['.', '@']).next()?.replace('_', "-");
    // Babel writes Latin digits unless asked otherwise (`ar_SA` included).
    let locale: LanguageTag = format!("{tag}-u-nu-latn").parse().ok()?;
    let decimals = DecimalFormatter::try_new((&locale).into(), Default::default()).ok()?;
    let plurals = PluralRules::try_new_cardinal((&locale).into()).ok()?;
    let data_locale = DataLocale::from(&locale);
    let texts = parts
        .iter()
        .map(|&(n, unit)| {
            let names = unit_names(&data_locale, unit)?;
            let value = Decimal::from(n);
            let pattern = names.get().patterns.get((&value).into(), &plurals);
            Some(
                pattern
                    .interpolate((decimals.format(&value),))
                    .write_to_string()
                    .into_owned(),
            )
        })
        .collect::<Option<Vec<String>>>()?;
    let list = ListFormatter::try_new_and(
        (&locale).into(),
        ListFormatterOptions::default().with_length(ListLength::Wide),
    )
    .ok()?;
    Some(list.format_to_string(texts.iter()))
}

/// The long display names of a duration unit: CLDR files the units of
/// time under three markers (days to seconds in the core one, months and
/// years among the outliers), so each is asked in turn, quietly. A locale
/// whose data falls back to the root locale (`cic_US`, or a name CLDR does
/// not know) has none: Flask-Security then writes its English rather than
/// the root's `2 d`.
fn unit_names(locale: &DataLocale, unit: &str) -> Option<DataPayload<UnitsNamesDurationCoreV1>> {
    let attribute = format!("long-{unit}");
    let attribute = DataMarkerAttributes::try_from_str(&attribute).ok()?;
    let mut request = DataRequest {
        id: DataIdentifierBorrowed::for_marker_attributes_and_locale(attribute, locale),
        ..Default::default()
    };
    request.metadata.silent = true;
    let found = DataProvider::<UnitsNamesDurationCoreV1>::load(&Baked, request)
        .or_else(|_| {
            DataProvider::<UnitsNamesDurationExtendedV1>::load(&Baked, request).map(|r| r.cast())
        })
        .or_else(|_| {
            DataProvider::<UnitsNamesDurationOutlierV1>::load(&Baked, request).map(|r| r.cast())
        })
        .ok()?;
    let from_root = found
        .metadata
        .locale
        .as_ref()
        .is_some_and(DataLocale::is_unknown);
    (!from_root).then_some(found.payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_follow_flask_securitys_periods() {
        assert_eq!(parts(TimeDelta::zero()), [(0, "second")]);
        assert_eq!(parts(TimeDelta::seconds(-5)), [(0, "second")]);
        assert_eq!(
            parts(TimeDelta::seconds(90)),
            [(1, "minute"), (30, "second")]
        );
        assert_eq!(parts(TimeDelta::days(30)), [(1, "month")]);
        assert_eq!(parts(TimeDelta::days(366)), [(1, "year"), (1, "day")]);
    }

    #[test]
    fn english_without_translations() {
        assert_eq!(english(&parts(TimeDelta::days(5))), "5 days");
        assert_eq!(english(&parts(TimeDelta::days(1))), "1 day");
        assert_eq!(
            english(&parts(TimeDelta::seconds(5400))),
            "1 hour and 30 minutes"
        );
        assert_eq!(
            english(&parts(TimeDelta::seconds(93_784))),
            "1 day, 2 hours, 3 minutes, 4 seconds"
        );
    }

    #[test]
    fn unknown_locale_names_fall_back() {
        assert_eq!(in_locale("not a locale!", &[(1, "day")]), None);
        // Known to the language tag parser, not to CLDR's unit data.
        assert_eq!(in_locale("cic_US", &[(1, "day")]), None);
        assert_eq!(in_locale("xx", &[(1, "day")]), None);
        assert_eq!(
            in_locale("de_DE.UTF-8", &[(2, "day")]).as_deref(),
            Some("2 Tage")
        );
    }
}
