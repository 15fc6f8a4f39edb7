//! Durations in configuration: humantime (`"15m"`, `"1h"`, `"7d"`) everywhere, and
//! ISO-8601 (`"PT15M"`, `"P1D"`) too for the granularity, as Genesys spells it.

use std::time::Duration;

use serde::{Deserialize, Deserializer, de::Error as _};

/// A humantime duration (`lookback`, `max_backfill`, `details_lookbehind`).
pub(super) fn plain_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_human(&text).ok_or_else(|| {
        D::Error::custom(format!(
            "expected a duration such as \"90s\", \"15m\", \"1h\" or \"7d\", not {text:?}"
        ))
    })
}

/// A humantime duration above zero (timeouts, intervals, chunks).
pub(super) fn nonzero_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let value = plain_duration(d)?;
    if value.is_zero() {
        return Err(D::Error::custom("expected a duration greater than zero"));
    }
    Ok(value)
}

/// `collect.granularity`: whole minutes, humantime or ISO-8601.
pub(super) fn granularity<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_human_or_iso(&text)
        .filter(|d| d.as_secs() >= 60 && d.subsec_nanos() == 0)
        .ok_or_else(|| {
            D::Error::custom(format!(
                "expected a whole number of minutes such as \"15m\" or \"PT15M\", not {text:?}"
            ))
        })
}

/// Parses a humantime duration (`"90s"`, `"15m"`, `"1h 30m"`, `"7d"`).
pub(super) fn parse_human(text: &str) -> Option<Duration> {
    humantime::parse_duration(text.trim()).ok()
}

/// Parses a humantime or an ISO-8601 duration of days, hours, minutes and seconds.
pub(super) fn parse_human_or_iso(text: &str) -> Option<Duration> {
    parse_human(text).or_else(|| parse_iso(text.trim()))
}

fn parse_iso(text: &str) -> Option<Duration> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = match rest.split_once('T') {
        Some((_, "")) => return None,
        Some((date, time)) => (date, time),
        None => (rest, ""),
    };
    let secs = sum_units(date, &[('W', 7 * 86_400), ('D', 86_400)])?
        + sum_units(time, &[('H', 3600), ('M', 60), ('S', 1)])?;
    (secs > 0).then(|| Duration::from_secs(secs))
}

/// Sums `<n><unit>` pairs whose units appear in `units`, in that order.
fn sum_units(mut text: &str, units: &[(char, u64)]) -> Option<u64> {
    let mut total = 0u64;
    let mut allowed = units.iter();
    while !text.is_empty() {
        let digits = text.find(|c: char| !c.is_ascii_digit())?;
        let value: u64 = text[..digits].parse().ok()?;
        let unit = text[digits..].chars().next()?;
        let (_, scale) = allowed.by_ref().find(|(u, _)| *u == unit)?;
        total = total.checked_add(value.checked_mul(*scale)?)?;
        text = &text[digits + unit.len_utf8()..];
    }
    Some(total)
}

/// The ISO-8601 form Genesys expects for a granularity: `PT15M`, `PT1H`, `P1D`, `PT90S`.
pub fn to_iso(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        s if s % 86_400 == 0 => format!("P{}D", s / 86_400),
        s if s % 3600 == 0 => format!("PT{}H", s / 3600),
        s if s % 60 == 0 => format!("PT{}M", s / 60),
        s => format!("PT{s}S"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spellings_parse() {
        let quarter = Some(Duration::from_secs(900));
        assert_eq!(parse_human_or_iso("15m"), quarter);
        assert_eq!(parse_human_or_iso("PT15M"), quarter);
        assert_eq!(
            parse_human_or_iso("P1DT1H"),
            Some(Duration::from_secs(90_000))
        );
        assert_eq!(
            parse_human_or_iso("P1W"),
            Some(Duration::from_secs(604_800))
        );
        assert_eq!(parse_human("7d"), Some(Duration::from_secs(604_800)));
    }

    #[test]
    fn nonsense_is_refused() {
        for bad in [
            "",
            "P",
            "PT",
            "PT0M",
            "P1M",
            "PT15",
            "15 minutes please",
            "PT1M1H",
        ] {
            assert_eq!(parse_human_or_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_output_uses_the_largest_whole_unit() {
        assert_eq!(to_iso(Duration::from_secs(900)), "PT15M");
        assert_eq!(to_iso(Duration::from_secs(3600)), "PT1H");
        assert_eq!(to_iso(Duration::from_secs(86_400)), "P1D");
        assert_eq!(to_iso(Duration::from_secs(90)), "PT90S");
    }
}
