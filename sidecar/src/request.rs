//! Query-string parameters → a validated, normalised request.
//!
//! Normalised means: skills sorted and deduplicated, the range widened outwards to
//! whole windows of the interval (aligned to the Unix epoch, as both InfluxQL's
//! `GROUP BY time()` and Flux's `aggregateWindow` align them), so that two requests
//! asking for the same data build the same query and share one cache entry.

use std::time::Duration;

use jiff::Timestamp;

use crate::config::LimitsConfig;

const NS_PER_S: i64 = 1_000_000_000;

/// A request the sidecar refuses, with the reason shown to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

fn invalid<T>(reason: impl Into<String>) -> Result<T, Invalid> {
    Err(Invalid(reason.into()))
}

/// A half-open time range `[start, end)` in nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Range {
    /// Inclusive start.
    pub start_ns: i64,
    /// Exclusive end.
    pub end_ns: i64,
}

/// Tag filters; an empty list or `None` does not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    /// Any of these skills (sorted, deduplicated).
    pub skills: Vec<String>,
    /// This queue only.
    pub queue: Option<String>,
    /// This media type only.
    pub media_type: Option<String>,
}

/// `GET /metrics/aht`, validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AhtRequest {
    /// Whole windows covering the asked range.
    pub range: Range,
    /// Window length in whole seconds.
    pub interval_s: u64,
    /// Tag filters.
    pub filters: Filters,
}

/// `GET /skills`, validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SkillsRequest {
    /// The asked range, as given.
    pub range: Range,
}

/// The `interval` used when a request gives none.
pub const DEFAULT_INTERVAL: &str = "1h";

/// Parameter names `GET /metrics/aht` accepts.
pub const AHT_PARAMS: [&str; 6] = [
    "start_date",
    "end_date",
    "interval",
    "skill",
    "queue",
    "media_type",
];

/// Parameter names `GET /skills` accepts.
pub const SKILLS_PARAMS: [&str; 2] = ["start_date", "end_date"];

/// The query string's pairs, checked against the parameters a route knows.
#[derive(Debug)]
struct Params<'a> {
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Params<'a> {
    fn new(pairs: Vec<(&'a str, &'a str)>, known: &[&str]) -> Result<Params<'a>, Invalid> {
        if let Some((name, _)) = pairs.iter().find(|(name, _)| !known.contains(name)) {
            return invalid(format!(
                "unknown parameter {name:?}; expected one of: {}",
                known.join(", ")
            ));
        }
        Ok(Params { pairs })
    }

    fn all(&self, name: &str) -> impl Iterator<Item = &'a str> + '_ {
        let name = name.to_owned();
        self.pairs
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| *v)
    }

    fn one(&self, name: &str) -> Result<Option<&'a str>, Invalid> {
        let mut values = self.all(name);
        let first = values.next();
        if values.next().is_some() {
            return invalid(format!("{name} given more than once"));
        }
        Ok(first)
    }

    fn required(&self, name: &str) -> Result<&'a str, Invalid> {
        self.one(name)?.map_or_else(
            || {
                invalid(format!(
                    "{name} is required (RFC 3339, e.g. 2026-03-10T00:00:00Z)"
                ))
            },
            Ok,
        )
    }
}

/// Parses `GET /metrics/aht` parameters.
pub fn parse_aht(pairs: Vec<(&str, &str)>, limits: &LimitsConfig) -> Result<AhtRequest, Invalid> {
    let params = Params::new(pairs, &AHT_PARAMS)?;
    let range = parse_range(&params, limits)?;
    let interval_s = parse_interval(params.one("interval")?.unwrap_or(DEFAULT_INTERVAL))?;
    let range = widen(range, interval_s);
    let windows = (range.end_ns - range.start_ns) / (interval_s as i64 * NS_PER_S);
    if windows as u64 > limits.max_points {
        return invalid(format!(
            "the range holds {windows} windows of the interval, more than the {} allowed: choose a larger interval or a shorter range",
            limits.max_points
        ));
    }
    let mut skills = Vec::new();
    for skill in params.all("skill") {
        skills.push(checked_value("skill", skill, limits)?);
    }
    skills.sort();
    skills.dedup();
    if skills.len() > limits.max_skills {
        return invalid(format!("more than {} skill values", limits.max_skills));
    }
    let optional = |name: &str| -> Result<Option<String>, Invalid> {
        params
            .one(name)?
            .map(|v| checked_value(name, v, limits))
            .transpose()
    };
    let filters = Filters {
        skills,
        queue: optional("queue")?,
        media_type: optional("media_type")?,
    };
    Ok(AhtRequest {
        range,
        interval_s,
        filters,
    })
}

/// Parses `GET /skills` parameters.
pub fn parse_skills(
    pairs: Vec<(&str, &str)>,
    limits: &LimitsConfig,
) -> Result<SkillsRequest, Invalid> {
    let params = Params::new(pairs, &SKILLS_PARAMS)?;
    Ok(SkillsRequest {
        range: parse_range(&params, limits)?,
    })
}

fn parse_range(params: &Params<'_>, limits: &LimitsConfig) -> Result<Range, Invalid> {
    let start = parse_time("start_date", params.required("start_date")?)?;
    let end = parse_time("end_date", params.required("end_date")?)?;
    if start >= end {
        return invalid("start_date must be before end_date");
    }
    let span = Duration::from_nanos((end - start) as u64);
    if span > limits.max_range {
        return invalid(format!(
            "the range is longer than the {} allowed",
            humantime::format_duration(limits.max_range)
        ));
    }
    Ok(Range {
        start_ns: start,
        end_ns: end,
    })
}

/// The earliest and latest dates accepted: inside what InfluxDB can store and
/// what `i64` nanoseconds can hold, with room to widen to whole windows.
const EARLIEST: &str = "1970-01-01T00:00:00Z";
const LATEST: &str = "2200-01-01T00:00:00Z";

fn parse_time(name: &str, value: &str) -> Result<i64, Invalid> {
    let Ok(ts) = value.parse::<Timestamp>() else {
        return invalid(format!(
            "{name} is not an RFC 3339 date-time with an offset (e.g. 2026-03-10T00:00:00Z)"
        ));
    };
    let (earliest, latest) = (bound(EARLIEST), bound(LATEST));
    if ts < earliest || ts > latest {
        return invalid(format!("{name} must lie between {EARLIEST} and {LATEST}"));
    }
    // In range, so it fits in i64 nanoseconds.
    Ok(ts.as_nanosecond() as i64)
}

fn bound(text: &str) -> Timestamp {
    text.parse().unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `15m`, `1h`, `1d`, `90s`...: a whole number of seconds, at least one.
fn parse_interval(value: &str) -> Result<u64, Invalid> {
    let expected = "interval must be a duration like 15m, 1h or 1d (whole seconds, at least 1s)";
    let Ok(d) = humantime::parse_duration(value) else {
        return invalid(expected);
    };
    if d.subsec_nanos() != 0 || d.as_secs() == 0 || d.as_secs() > 366 * 86_400 {
        return invalid(expected);
    }
    Ok(d.as_secs())
}

fn checked_value(name: &str, value: &str, limits: &LimitsConfig) -> Result<String, Invalid> {
    if value.is_empty() {
        return invalid(format!("{name} must not be empty"));
    }
    if value.chars().count() > limits.max_value_chars {
        return invalid(format!(
            "{name} is longer than {} characters",
            limits.max_value_chars
        ));
    }
    Ok(value.to_owned())
}

fn widen(range: Range, interval_s: u64) -> Range {
    let step = interval_s as i64 * NS_PER_S;
    let start_ns = range.start_ns.div_euclid(step) * step;
    let end_ns = (range.end_ns + step - 1).div_euclid(step) * step;
    Range { start_ns, end_ns }
}

/// RFC 3339 text of a nanosecond timestamp (UTC, `Z`).
pub fn rfc3339(ns: i64) -> String {
    Timestamp::from_nanosecond(i128::from(ns))
        .map(|t| t.to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aht(query: &[(&str, &str)]) -> Result<AhtRequest, Invalid> {
        parse_aht(query.to_vec(), &LimitsConfig::default())
    }

    const START: (&str, &str) = ("start_date", "2026-03-10T00:10:00Z");
    const END: (&str, &str) = ("end_date", "2026-03-10T05:00:00+01:00");

    #[test]
    fn a_request_is_widened_to_whole_windows_and_normalised() {
        let r = aht(&[START, END, ("skill", "b"), ("skill", "a"), ("skill", "b")]).unwrap();
        assert_eq!(rfc3339(r.range.start_ns), "2026-03-10T00:00:00Z");
        assert_eq!(rfc3339(r.range.end_ns), "2026-03-10T04:00:00Z");
        assert_eq!(r.interval_s, 3600);
        assert_eq!(r.filters.skills, ["a", "b"]);
        let daily = aht(&[START, END, ("interval", "1d")]).unwrap();
        assert_eq!(rfc3339(daily.range.end_ns), "2026-03-11T00:00:00Z");
    }

    #[test]
    fn mistakes_are_named() {
        let reason = |q: &[(&str, &str)]| aht(q).unwrap_err().0;
        assert!(reason(&[END]).contains("start_date is required"));
        assert!(reason(&[("start_date", "yesterday"), END]).contains("start_date is not"));
        assert!(reason(&[("start_date", "2026-03-10T05:00:00+01:00"), END]).contains("before"));
        assert!(reason(&[START, END, ("colour", "red")]).contains("unknown parameter \"colour\""));
        assert!(reason(&[START, END, ("interval", "soon")]).contains("interval"));
        assert!(reason(&[START, END, ("interval", "1500ms")]).contains("interval"));
        assert!(
            reason(&[START, END, ("interval", "1s"), ("interval", "1m")])
                .contains("more than once")
        );
        assert!(reason(&[START, END, ("skill", "")]).contains("empty"));
        assert!(reason(&[START, ("end_date", "2030-01-01T00:00:00Z")]).contains("longer"));
        assert!(reason(&[("start_date", "1900-01-01T00:00:00Z"), END]).contains("between"));
    }

    #[test]
    fn too_many_windows_is_refused() {
        let reason = aht(&[START, END, ("interval", "1s")]).unwrap_err().0;
        assert!(reason.contains("windows"), "{reason}");
        assert!(aht(&[START, END, ("interval", "15m")]).is_ok());
    }

    #[test]
    fn long_values_are_refused() {
        let long = "x".repeat(257);
        assert!(
            aht(&[START, END, ("queue", &long)])
                .unwrap_err()
                .0
                .contains("longer")
        );
        let ok = "é".repeat(256);
        assert!(aht(&[START, END, ("queue", &ok)]).is_ok());
    }
}
