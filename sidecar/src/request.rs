//! Query-string parameters → a validated, normalised request.
//!
//! Besides the plain forms (RFC 3339 dates, repeated `skill=`), the parameters accept
//! what a Grafana dashboard sends, so that its variables can be used unchanged (see
//! the README's Dashboards section):
//! - `var-skill=`, `var-queue=`, `var-media_type=`: Grafana's `${skill:queryparam}`
//!   format, one exact value per parameter (the unambiguous form for names holding
//!   commas or braces);
//! - `skill={a,b}`: Grafana's default `glob` format of a multi-value variable, split
//!   on commas (a `skill` value that starts with `{` and ends with `}` is always read
//!   as a glob, so such names must use the `var-skill` form);
//! - `$__all` (Grafana's "All" in the URL form) or an empty value: no filter;
//! - dates as epoch milliseconds (`${__from}`, `${__to}`) or `${__from:date:iso}`;
//! - any `$__interval` (`500ms`, `2s`, `1w`...), rounded up to whole minutes.
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

/// `GET /metrics/kpi`, validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KpiRequest {
    /// The KPI asked for.
    pub kpi: crate::kpi::Kpi,
    /// Range, interval and filters, as `GET /metrics/aht` takes them.
    pub window: AhtRequest,
}

/// `GET /skills`, validated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SkillsRequest {
    /// The asked range, as given.
    pub range: Range,
}

/// The `interval` used when a request gives none.
pub const DEFAULT_INTERVAL: &str = "1h";

/// The value Grafana puts in a URL for an "All" selection (`var-skill=$__all`), and
/// the custom all value the shipped dashboards give their variables.
pub const ALL_VALUE: &str = "$__all";

/// The prefix of Grafana's `queryparam` format: `${skill:queryparam}` → `var-skill=…`.
const GRAFANA_PREFIX: &str = "var-";

/// Windows are whole minutes: finer ones would split the data's buckets (15 min by
/// default) into windows that mostly hold nothing, and Grafana's `$__interval` can be
/// as fine as milliseconds.
pub const INTERVAL_STEP_S: u64 = 60;

/// Parameter names `GET /metrics/aht` accepts.
pub const AHT_PARAMS: [&str; 9] = [
    "start_date",
    "end_date",
    "interval",
    "skill",
    "queue",
    "media_type",
    "var-skill",
    "var-queue",
    "var-media_type",
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
                    "{name} is required (RFC 3339, e.g. 2026-03-10T00:00:00Z, or epoch milliseconds)"
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
    let filters = Filters {
        skills: parse_skills_filter(&params, limits)?,
        queue: single_filter(&params, "queue", limits)?,
        media_type: single_filter(&params, "media_type", limits)?,
    };
    Ok(AhtRequest {
        range,
        interval_s,
        filters,
    })
}

/// Parses `GET /metrics/kpi` parameters: `kpi` and those of `GET /metrics/aht`.
pub fn parse_kpi(pairs: Vec<(&str, &str)>, limits: &LimitsConfig) -> Result<KpiRequest, Invalid> {
    use crate::kpi::{Kpi, known_names};
    let (kpis, rest): (Vec<_>, Vec<_>) = pairs.into_iter().partition(|(name, _)| *name == "kpi");
    let name = match kpis.as_slice() {
        [] => return invalid(format!("kpi is required: one of {}", known_names())),
        [(_, name)] => *name,
        _ => return invalid("kpi given more than once".to_owned()),
    };
    let Some(kpi) = Kpi::parse(name) else {
        let mut shown: String = name.chars().take(limits.max_value_chars.min(64)).collect();
        if shown.len() < name.len() {
            shown.push('…');
        }
        return invalid(format!(
            "unknown kpi {shown:?}; expected one of: {}",
            known_names()
        ));
    };
    let known: Vec<&str> = AHT_PARAMS.iter().copied().chain(["kpi"]).collect();
    if let Some((name, _)) = rest.iter().find(|(name, _)| !known.contains(name)) {
        return invalid(format!(
            "unknown parameter {name:?}; expected one of: {}",
            known.join(", ")
        ));
    }
    Ok(KpiRequest {
        kpi,
        window: parse_aht(rest, limits)?,
    })
}

/// The skills asked for, from `skill` (exact, or a `{a,b}` glob) and `var-skill`
/// (always exact); empty when any value is "All".
fn parse_skills_filter(params: &Params<'_>, limits: &LimitsConfig) -> Result<Vec<String>, Invalid> {
    let values: Vec<(&str, bool)> = params
        .all("skill")
        .map(|v| (v, true))
        .chain(params.all("var-skill").map(|v| (v, false)))
        .collect();
    if values.iter().any(|(v, _)| means_all(v)) {
        return Ok(Vec::new());
    }
    let mut skills = Vec::new();
    for (value, may_glob) in values {
        let parts = if may_glob {
            split_glob(value)
        } else {
            vec![value]
        };
        for skill in parts {
            skills.push(checked_value("skill", skill, limits)?);
        }
    }
    skills.sort();
    skills.dedup();
    if skills.len() > limits.max_skills {
        return invalid(format!(
            "more than {} skill values: select fewer skills, or All (skill=$__all) for no filter",
            limits.max_skills
        ));
    }
    Ok(skills)
}

/// `{a,b}` (Grafana's glob of several values) → `a`, `b`; anything else as it is.
/// Grafana's glob does not escape commas, so a name holding one cannot be told apart
/// here: such names must come as `var-skill` or repeated `skill` parameters.
fn split_glob(value: &str) -> Vec<&str> {
    match value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
        Some(inner) => inner.split(',').collect(),
        None => vec![value],
    }
}

/// Grafana's "All" (`$__all`) and an empty value (a variable with nothing selected)
/// both mean: do not filter.
fn means_all(value: &str) -> bool {
    value.is_empty() || value == ALL_VALUE
}

/// A one-valued filter from `name` or Grafana's `var-name`, not both.
fn single_filter(
    params: &Params<'_>,
    name: &str,
    limits: &LimitsConfig,
) -> Result<Option<String>, Invalid> {
    let grafana = format!("{GRAFANA_PREFIX}{name}");
    let value = match (params.one(name)?, params.one(&grafana)?) {
        (Some(_), Some(_)) => {
            return invalid(format!("give {name} or {grafana}, not both"));
        }
        (value, None) | (None, value) => value,
    };
    match value {
        Some(v) if !means_all(v) => Ok(Some(checked_value(name, v, limits)?)),
        _ => Ok(None),
    }
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

/// Epoch milliseconds below this (2001-09-09) are taken for epoch seconds sent by
/// mistake (`${__from:date:seconds}`) and refused rather than read as 1970.
const EARLIEST_EPOCH_MS: i64 = 1_000_000_000_000;

fn parse_time(name: &str, value: &str) -> Result<i64, Invalid> {
    let ts = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        epoch_ms(name, value)?
    } else {
        value.parse::<Timestamp>().or_else(|_| {
            invalid(format!(
                "{name} is not an RFC 3339 date-time with an offset (e.g. 2026-03-10T00:00:00Z, Grafana's ${{__from:date:iso}}) nor epoch milliseconds (Grafana's ${{__from}})"
            ))
        })?
    };
    let (earliest, latest) = (bound(EARLIEST), bound(LATEST));
    if ts < earliest || ts > latest {
        return invalid(format!("{name} must lie between {EARLIEST} and {LATEST}"));
    }
    // In range, so it fits in i64 nanoseconds.
    Ok(ts.as_nanosecond() as i64)
}

/// Grafana's `${__from}` / `${__to}`: whole epoch milliseconds.
fn epoch_ms(name: &str, value: &str) -> Result<Timestamp, Invalid> {
    let ms = value.parse::<i64>().unwrap_or(i64::MAX);
    if ms < EARLIEST_EPOCH_MS {
        return invalid(format!(
            "{name} looks like epoch seconds; give epoch milliseconds (Grafana's ${{__from}}) or RFC 3339 (${{__from:date:iso}})"
        ));
    }
    Timestamp::from_millisecond(ms)
        .or_else(|_| invalid(format!("{name} must lie between {EARLIEST} and {LATEST}")))
}

fn bound(text: &str) -> Timestamp {
    text.parse().unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The longest window: a year and a day.
const MAX_INTERVAL_S: u64 = 366 * 86_400;

/// `15m`, `1h`, `1d`, and whatever Grafana's `$__interval` gives (`500ms`, `2s`,
/// `1w`, `1y`): rounded up to whole minutes ([`INTERVAL_STEP_S`]).
fn parse_interval(value: &str) -> Result<u64, Invalid> {
    let expected = "interval must be a duration like 15m, 1h, 1d or Grafana's $__interval (500ms, 2s, 1w...), more than 0 and at most 366d";
    let Ok(d) = humantime::parse_duration(value) else {
        return invalid(expected);
    };
    if d.is_zero() || d.as_secs() > MAX_INTERVAL_S {
        return invalid(expected);
    }
    let seconds = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    Ok(seconds.div_ceil(INTERVAL_STEP_S) * INTERVAL_STEP_S)
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
        assert!(reason(&[START, END, ("interval", "0s")]).contains("interval"));
        assert!(reason(&[START, END, ("interval", "367d")]).contains("interval"));
        assert!(
            reason(&[START, END, ("interval", "1s"), ("interval", "1m")])
                .contains("more than once")
        );
        assert!(reason(&[START, END, ("skill", "{a,,b}")]).contains("empty"));
        assert!(reason(&[START, END, ("queue", "q"), ("var-queue", "q")]).contains("not both"));
        assert!(reason(&[START, ("end_date", "2030-01-01T00:00:00Z")]).contains("longer"));
        assert!(reason(&[("start_date", "1900-01-01T00:00:00Z"), END]).contains("between"));
    }

    #[test]
    fn too_many_windows_is_refused() {
        let five_days = ("end_date", "2026-03-15T00:10:00Z");
        let reason = aht(&[START, five_days, ("interval", "1s")]).unwrap_err().0;
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

    fn skills(query: &[(&str, &str)]) -> Vec<String> {
        let mut q = vec![START, END];
        q.extend_from_slice(query);
        aht(&q).unwrap().filters.skills
    }

    // Grafana's glob format, from its tests: `formatVariableValue(['test', 'test2'],
    // 'glob')` → `{test,test2}` (grafana/grafana
    // public/app/features/templating/formatVariableValue.test.ts) and
    // `['AA', 'BB', 'C.*']` → `{AA,BB,C.*}`, one value → `foo` (grafana/scenes
    // packages/scenes/src/variables/interpolation/formatRegistry.test.ts).
    #[test]
    fn grafana_glob_values_are_split() {
        assert_eq!(skills(&[("skill", "{test,test2}")]), ["test", "test2"]);
        assert_eq!(skills(&[("skill", "{AA,BB,C.*}")]), ["AA", "BB", "C.*"]);
        assert_eq!(skills(&[("skill", "foo")]), ["foo"]);
        // Repeated plain parameters stay exact, whatever they hold.
        assert_eq!(
            skills(&[("skill", "Tech, Support"), ("skill", "b")]),
            ["Tech, Support", "b"]
        );
    }

    // Grafana's queryparam format: `${servers:queryparam}` with ["test1", "test2"] →
    // `var-servers=test1&var-servers=test2` (grafana/grafana
    // docs/sources/dashboards/variables/variable-syntax/index.md, "Query
    // parameters"); `helloAZ%=` → `var-server=helloAZ%25%3D` (scenes'
    // formatRegistry.test.ts). The pairs here are as the server decodes them.
    #[test]
    fn grafana_queryparam_values_are_exact() {
        assert_eq!(
            skills(&[("var-skill", "test1"), ("var-skill", "test2")]),
            ["test1", "test2"]
        );
        assert_eq!(skills(&[("var-skill", "helloAZ%=")]), ["helloAZ%="]);
        // No glob splitting: a name with braces and commas is one name.
        assert_eq!(skills(&[("var-skill", "{a,b}")]), ["{a,b}"]);
        let r = aht(&[
            START,
            END,
            ("var-queue", "Q, 1"),
            ("var-media_type", "voice"),
        ])
        .unwrap();
        assert_eq!(r.filters.queue.as_deref(), Some("Q, 1"));
        assert_eq!(r.filters.media_type.as_deref(), Some("voice"));
    }

    // "All" in Grafana's URL form is `$__all` (the `var-servers=$__all` of
    // grafana/grafana docs/sources/dashboards/variables/variable-syntax/index.md's
    // play.grafana.org example links); an empty value is a variable with nothing
    // selected. Either means no filter, never a skill so named.
    #[test]
    fn all_and_empty_mean_no_filter() {
        assert!(skills(&[("var-skill", "$__all")]).is_empty());
        assert!(skills(&[("skill", "$__all"), ("skill", "a")]).is_empty());
        assert!(skills(&[("skill", "")]).is_empty());
        let r = aht(&[START, END, ("var-queue", "$__all"), ("media_type", "")]).unwrap();
        assert_eq!((r.filters.queue, r.filters.media_type), (None, None));
    }

    #[test]
    fn too_many_skills_name_the_all_form() {
        let many: Vec<String> = (0..101).map(|i| format!("s{i}")).collect();
        let glob = format!("{{{}}}", many.join(","));
        let reason = aht(&[START, END, ("skill", &glob)]).unwrap_err().0;
        assert!(reason.contains("$__all"), "{reason}");
    }

    // Grafana's date formats: `${__from}` is epoch milliseconds and
    // `${__from:date:iso}` of 1594671549254 is `2020-07-13T20:19:09.254Z`;
    // `${__from:date:seconds}` is `1594671549` (scenes' formatRegistry.test.ts, and
    // the "Global variables" page of Grafana's documentation).
    #[test]
    fn grafana_dates_are_read() {
        let at = |start: &str| {
            let end = ("end_date", "2020-07-14T00:00:00Z");
            aht(&[("start_date", start), end, ("interval", "1m")]).map(|r| r.range.start_ns)
        };
        let iso = at("2020-07-13T20:19:09.254Z").unwrap();
        assert_eq!(at("1594671549254").unwrap(), iso);
        assert_eq!(rfc3339(iso), "2020-07-13T20:19:00Z");
        let reason = at("1594671549").unwrap_err().0;
        assert!(
            reason.contains("epoch seconds") && reason.contains("${__from}"),
            "{reason}"
        );
        assert!(
            at("99999999999999999999")
                .unwrap_err()
                .0
                .contains("between")
        );
    }

    // `$__interval` comes from Grafana's rangeutil.secondsToHms (grafana/grafana
    // packages/grafana-data/src/datetime/rangeutil.ts): `<n>y`, `d`, `h`, `m`, `s` or
    // `ms`; the reference values 500ms, 2s and 20s appear in Grafana's documentation
    // of $__interval. Each is rounded up to whole minutes.
    #[test]
    fn grafana_intervals_are_rounded_up_to_whole_minutes() {
        let interval = |i: &str| {
            let end = ("end_date", "2026-03-13T00:00:00Z");
            aht(&[START, end, ("interval", i)]).unwrap().interval_s
        };
        for (given, want) in [
            ("1ms", 60),
            ("500ms", 60),
            ("2s", 60),
            ("20s", 60),
            ("61s", 120),
            ("1m", 60),
            ("15m", 900),
            ("2h", 7200),
            ("1d", 86_400),
            ("1w", 7 * 86_400),
        ] {
            assert_eq!(interval(given), want, "{given}");
        }
        let year = aht(&[
            START,
            ("end_date", "2027-01-01T00:00:00Z"),
            ("interval", "1y"),
        ]);
        assert_eq!(year.unwrap().interval_s % 60, 0);
    }
}
