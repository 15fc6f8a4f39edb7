//! Instants as integer milliseconds, and the ISO-8601 texts Genesys uses for them:
//! datetimes (`2025-03-10T08:00:00.000Z`), intervals (`start/end`) and durations (`PT15M`).

use serde::{Serialize, Serializer};

/// Milliseconds in a minute, hour and day.
pub(crate) const MINUTE_MS: i64 = 60_000;
pub(crate) const HOUR_MS: i64 = 60 * MINUTE_MS;
pub(crate) const DAY_MS: i64 = 24 * HOUR_MS;

/// An instant in milliseconds since the Unix epoch, serialised as Genesys does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Millis(pub(crate) i64);

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format_ms(self.0))
    }
}

/// `ms` as `yyyy-MM-ddTHH:mm:ss.mmmZ` (UTC, always three fraction digits).
pub(crate) fn format_ms(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// A `jiff` timestamp in milliseconds (sub-millisecond digits dropped).
pub(crate) fn to_ms(ts: jiff::Timestamp) -> i64 {
    ts.as_millisecond()
}

/// A millisecond instant as a `jiff` timestamp (clamped to jiff's range).
pub(crate) fn from_ms(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    })
}

/// Parses an ISO-8601 interval `start/end` into `[start, end)` milliseconds.
pub(crate) fn parse_interval(text: &str) -> Result<(i64, i64), String> {
    let (start, end) = text
        .split_once('/')
        .ok_or_else(|| format!("interval {text:?} is not of the form start/end"))?;
    let start = parse_instant(start)?;
    let end = parse_instant(end)?;
    if end <= start {
        return Err(format!("interval {text:?} ends before it starts"));
    }
    Ok((start, end))
}

fn parse_instant(text: &str) -> Result<i64, String> {
    text.parse::<jiff::Timestamp>()
        .map(to_ms)
        .map_err(|_| format!("{text:?} is not an ISO-8601 datetime with a zone offset"))
}

/// Parses an ISO-8601 duration made of weeks, days, hours, minutes and seconds
/// (`P1D`, `PT15M`, `P1DT12H`, `PT0.5S`). Years and months have no fixed length and are refused.
pub(crate) fn parse_duration(text: &str) -> Result<i64, String> {
    let bad =
        || format!("granularity {text:?} is not an ISO-8601 duration such as PT15M, PT1H or P1D");
    let rest = text.strip_prefix('P').ok_or_else(bad)?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return Err(bad()),
        None => (rest, None),
    };
    let mut total = sum_units(date, &[('W', 7 * DAY_MS), ('D', DAY_MS)]).ok_or_else(|| {
        if date.contains(['Y', 'M']) {
            format!("granularity {text:?}: years and months are not supported by the simulator")
        } else {
            bad()
        }
    })?;
    if let Some(time) = time {
        total +=
            sum_units(time, &[('H', HOUR_MS), ('M', MINUTE_MS), ('S', 1000)]).ok_or_else(bad)?;
    }
    if total <= 0 {
        return Err(bad());
    }
    Ok(total)
}

/// Sums `<number><unit>` parts in the given unit order; `None` on anything else.
fn sum_units(text: &str, units: &[(char, i64)]) -> Option<i64> {
    let mut total = 0i64;
    let mut rest = text;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let (number, tail) = rest.split_at(end);
        let unit = tail.chars().next()?;
        let position = units[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
        let scale = units[position].1;
        let value: f64 = number.parse().ok()?;
        total = total.checked_add((value * scale as f64).round() as i64)?;
        next_unit = position + 1;
        rest = &tail[unit.len_utf8()..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_milliseconds_in_utc() {
        assert_eq!(format_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_ms(1_741_594_323_117), "2025-03-10T08:12:03.117Z");
    }

    #[test]
    fn parses_intervals_with_offsets() {
        let (start, end) =
            parse_interval("2025-03-10T08:00:00.000Z/2025-03-10T10:00:00+01:00").unwrap();
        assert_eq!(end - start, HOUR_MS);
        assert!(parse_interval("2025-03-10T08:00:00Z").is_err());
        assert!(parse_interval("2025-03-10T09:00:00Z/2025-03-10T08:00:00Z").is_err());
        assert!(parse_interval("yesterday/today").is_err());
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("PT15M"), Ok(15 * MINUTE_MS));
        assert_eq!(parse_duration("PT1H"), Ok(HOUR_MS));
        assert_eq!(parse_duration("P1D"), Ok(DAY_MS));
        assert_eq!(parse_duration("P1DT12H"), Ok(DAY_MS + 12 * HOUR_MS));
        assert_eq!(parse_duration("P1W"), Ok(7 * DAY_MS));
        assert_eq!(parse_duration("PT0.5S"), Ok(500));
        for bad in ["15m", "PT", "P", "PT15X", "PM", "PT0S", "PT1M1H"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("P1M").unwrap_err().contains("not supported"));
    }
}
