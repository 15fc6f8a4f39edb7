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

/// An aggregation granularity: calendar days (which follow the query's time zone) and a
/// fixed number of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Granularity {
    pub(crate) days: i64,
    pub(crate) millis: i64,
}

impl Granularity {
    /// The length in milliseconds when every day has 24 hours.
    pub(crate) fn nominal_ms(self) -> i64 {
        self.days.saturating_mul(DAY_MS).saturating_add(self.millis)
    }
}

/// Parses an ISO-8601 duration made of weeks, days, hours, minutes and seconds
/// (`P1D`, `PT15M`, `P1DT12H`, `PT0.5S`). Years and months have no fixed length and are refused.
pub(crate) fn parse_duration(text: &str) -> Result<Granularity, String> {
    let bad =
        || format!("granularity {text:?} is not an ISO-8601 duration such as PT15M, PT1H or P1D");
    let rest = text.strip_prefix('P').ok_or_else(bad)?;
    let (date, time) = match rest.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return Err(bad()),
        None => (rest, None),
    };
    let days = sum_units(date, &[('W', 7), ('D', 1)]).ok_or_else(|| {
        if date.contains(['Y', 'M']) {
            format!("granularity {text:?}: years and months are not supported by the simulator")
        } else {
            bad()
        }
    })?;
    let millis = match time {
        Some(time) => {
            sum_units(time, &[('H', HOUR_MS), ('M', MINUTE_MS), ('S', 1000)]).ok_or_else(bad)?
        }
        None => 0,
    };
    let granularity = Granularity { days, millis };
    if granularity.nominal_ms() <= 0 {
        return Err(bad());
    }
    Ok(granularity)
}

/// The bucket boundaries of `[start, end)` cut every `granularity` from `start`, days
/// counted in `zone`: the bucket starts followed by `end`. Refuses an interval that is
/// not a whole number of buckets, or more than `max_buckets` buckets.
pub(crate) fn bucket_boundaries(
    (start, end): (i64, i64),
    granularity: Granularity,
    zone: &jiff::tz::TimeZone,
    max_buckets: usize,
) -> Result<Vec<i64>, String> {
    let estimate = (end - start) / granularity.nominal_ms().max(1);
    if usize::try_from(estimate).unwrap_or(usize::MAX) > max_buckets.saturating_add(1) {
        return Err(format!(
            "the query asks for more than {max_buckets} buckets"
        ));
    }
    let step = jiff::Span::new()
        .try_days(granularity.days)
        .and_then(|s| s.try_milliseconds(granularity.millis))
        .map_err(|e| format!("granularity is too large: {e}"))?;
    let origin = from_ms(start).to_zoned(zone.clone());
    let mut boundaries = vec![start];
    for k in 1_i64.. {
        let next = step
            .checked_mul(k)
            .and_then(|span| origin.checked_add(span))
            .map(|zoned| to_ms(zoned.timestamp()))
            .map_err(|e| format!("granularity is too large: {e}"))?;
        if next > end {
            return Err("the interval is not a whole number of granularity buckets".to_owned());
        }
        boundaries.push(next);
        if boundaries.len() > max_buckets + 1 {
            return Err(format!(
                "the query asks for more than {max_buckets} buckets"
            ));
        }
        if next == end {
            break;
        }
    }
    Ok(boundaries)
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
        let ms = |text| parse_duration(text).map(Granularity::nominal_ms);
        assert_eq!(ms("PT15M"), Ok(15 * MINUTE_MS));
        assert_eq!(ms("PT1H"), Ok(HOUR_MS));
        assert_eq!(ms("P1D"), Ok(DAY_MS));
        assert_eq!(
            parse_duration("P1DT12H"),
            Ok(Granularity {
                days: 1,
                millis: 12 * HOUR_MS
            })
        );
        assert_eq!(ms("P1W"), Ok(7 * DAY_MS));
        assert_eq!(ms("PT0.5S"), Ok(500));
        for bad in ["15m", "PT", "P", "PT15X", "PM", "PT0S", "PT1M1H"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("P1M").unwrap_err().contains("not supported"));
    }

    #[test]
    fn days_follow_the_time_zone_across_daylight_saving() {
        let paris = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
        let (start, end) =
            parse_interval("2026-03-28T00:00:00+01:00/2026-03-30T00:00:00+02:00").unwrap();
        let day = parse_duration("P1D").unwrap();
        let boundaries = bucket_boundaries((start, end), day, &paris, 10).unwrap();
        let hours: Vec<i64> = boundaries
            .windows(2)
            .map(|w| (w[1] - w[0]) / HOUR_MS)
            .collect();
        assert_eq!(
            hours,
            [24, 23],
            "the night of 29 March 2026 lasts an hour less in Paris"
        );
        let utc = jiff::tz::TimeZone::UTC;
        assert!(
            bucket_boundaries((start, end), day, &utc, 10)
                .unwrap_err()
                .contains("whole number")
        );
        let quarter = parse_duration("PT15M").unwrap();
        assert_eq!(
            bucket_boundaries((0, HOUR_MS), quarter, &utc, 4)
                .unwrap()
                .len(),
            5
        );
        assert!(
            bucket_boundaries((0, HOUR_MS), quarter, &utc, 3)
                .unwrap_err()
                .contains("more than 3")
        );
    }
}
