//! What a roll-up contains, defined once: every roll-up the project ships (the Flux
//! tasks and backfill scripts in `flux/`, the InfluxQL backfill and continuous
//! queries in `influxql/`, the InfluxDB 3 plugin in `influxdb3/`) is held to
//! [`roll_up`] by the tests, computed here from the raw points alone.
//!
//! The rules, from the data contract:
//!
//! - the input is what InfluxDB stores: points with the same tags and timestamp are
//!   one point, a later value of a field replacing an earlier one;
//! - one output point per series (tag set) and window that has at least one integer
//!   field, stamped at the window's start (windows are aligned on the Unix epoch, so
//!   hours and days are UTC hours and days);
//! - every integer field is summed under its own name and stays an integer; float
//!   fields (the input's `avg_handle_time`) are not carried over;
//! - `avg_handle_time` = `handle_sum_ms / handle_count / 1000` (seconds, float) from
//!   the window's sums, only when both exist and the count is above 0.
//!
//! ```
//! use genesys_aht_contract::{FieldValue, Point};
//! use genesys_aht_tests::rollup::{self, Row, HOUR_NS};
//!
//! let raw = Point {
//!     timestamp_ns: 15 * 60 * 1_000_000_000,
//!     tags: vec![("skill", "Sales".into())],
//!     fields: vec![
//!         ("handle_count".into(), FieldValue::Integer(2)),
//!         ("handle_sum_ms".into(), FieldValue::Integer(3_000)),
//!     ],
//! };
//! let hourly = rollup::roll_up(&[Row::from(&raw)], HOUR_NS);
//! assert_eq!(hourly[0].time_ns, 0);
//! assert_eq!(hourly[0].fields["avg_handle_time"], FieldValue::Float(1.5));
//! ```

use std::collections::BTreeMap;

use genesys_aht_contract::names::{AVG_HANDLE_TIME, HANDLE_METRIC, count_field, sum_ms_field};
use genesys_aht_contract::{FieldValue, Point, sanitize_tag_value};

/// One hour in nanoseconds: the hourly roll-up's window.
pub const HOUR_NS: i64 = 3_600_000_000_000;
/// One day in nanoseconds: the daily roll-up's window (a UTC day).
pub const DAY_NS: i64 = 24 * HOUR_NS;

/// A stored point: the form in which roll-ups are compared, whatever wrote them.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Timestamp in nanoseconds since the Unix epoch.
    pub time_ns: i64,
    /// Tag key → value, as stored.
    pub tags: BTreeMap<String, String>,
    /// Field name → value.
    pub fields: BTreeMap<String, FieldValue>,
}

impl From<&Point> for Row {
    /// The point as InfluxDB stores it: tag values made line-protocol safe the way
    /// the encoder does, empty ones left out.
    fn from(point: &Point) -> Row {
        Row {
            time_ns: point.timestamp_ns,
            tags: point
                .tags
                .iter()
                .filter_map(|(key, value)| Some((key.to_string(), sanitize_tag_value(value)?)))
                .collect(),
            fields: point.fields.iter().cloned().collect(),
        }
    }
}

/// The start of the `window_ns` window holding `time_ns`.
pub fn window_start(time_ns: i64, window_ns: i64) -> i64 {
    time_ns - time_ns.rem_euclid(window_ns)
}

/// The roll-up of `rows` into windows of `window_ns` (see the module docs), sorted
/// by tags, then time. Rolling up a roll-up gives the roll-up of the raw rows over
/// the longer window.
pub fn roll_up<'a>(rows: impl IntoIterator<Item = &'a Row>, window_ns: i64) -> Vec<Row> {
    let mut sums: BTreeMap<(BTreeMap<String, String>, i64), BTreeMap<String, i64>> =
        BTreeMap::new();
    for row in stored(rows).into_values() {
        let key = (row.tags, window_start(row.time_ns, window_ns));
        for (field, value) in row.fields {
            if let FieldValue::Integer(n) = value {
                *sums
                    .entry(key.clone())
                    .or_default()
                    .entry(field)
                    .or_default() += n;
            }
        }
    }
    sums.into_iter()
        .map(|((tags, time_ns), sums)| Row {
            time_ns,
            tags,
            fields: with_average(sums),
        })
        .collect()
}

/// Rows with the same tags and timestamp merged, later fields winning, as InfluxDB
/// keeps them.
fn stored<'a>(
    rows: impl IntoIterator<Item = &'a Row>,
) -> BTreeMap<(BTreeMap<String, String>, i64), Row> {
    let mut stored: BTreeMap<(BTreeMap<String, String>, i64), Row> = BTreeMap::new();
    for row in rows {
        let key = (row.tags.clone(), row.time_ns);
        match stored.get_mut(&key) {
            Some(kept) => kept.fields.extend(row.fields.clone()),
            None => {
                stored.insert(key, row.clone());
            }
        }
    }
    stored
}

/// The window's integer sums plus `avg_handle_time` from them when it is defined.
fn with_average(sums: BTreeMap<String, i64>) -> BTreeMap<String, FieldValue> {
    let sum_ms = sums.get(&sum_ms_field(HANDLE_METRIC)).copied();
    let count = sums.get(&count_field(HANDLE_METRIC)).copied();
    let mut fields: BTreeMap<String, FieldValue> = sums
        .into_iter()
        .map(|(field, sum)| (field, FieldValue::Integer(sum)))
        .collect();
    if let (Some(sum_ms), Some(count)) = (sum_ms, count)
        && count > 0
    {
        let seconds = sum_ms as f64 / count as f64 / 1000.0;
        fields.insert(AVG_HANDLE_TIME.to_owned(), FieldValue::Float(seconds));
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE_NS: i64 = 60_000_000_000;

    fn row(time_ns: i64, tags: &[(&str, &str)], fields: &[(&str, FieldValue)]) -> Row {
        Row {
            time_ns,
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            fields: fields.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        }
    }

    use FieldValue::{Float, Integer};

    #[test]
    fn sums_integers_per_series_and_window_and_recomputes_the_average() {
        let a = [("skill", "a")];
        let b = [("skill", "b")];
        let raw = [
            row(
                0,
                &a,
                &[
                    ("handle_count", Integer(2)),
                    ("handle_sum_ms", Integer(3_000)),
                    ("avg_handle_time", Float(1.5)),
                ],
            ),
            row(
                45 * MINUTE_NS,
                &a,
                &[
                    ("handle_count", Integer(1)),
                    ("handle_sum_ms", Integer(1_001)),
                    ("offered", Integer(4)),
                ],
            ),
            row(60 * MINUTE_NS, &a, &[("offered", Integer(7))]),
            row(
                15 * MINUTE_NS,
                &b,
                &[("handle_count", Integer(0)), ("handle_sum_ms", Integer(0))],
            ),
        ];
        let hourly = roll_up(&raw, HOUR_NS);
        assert_eq!(
            hourly,
            [
                row(
                    0,
                    &a,
                    &[
                        ("avg_handle_time", Float(4_001.0 / 3.0 / 1000.0)),
                        ("handle_count", Integer(3)),
                        ("handle_sum_ms", Integer(4_001)),
                        ("offered", Integer(4))
                    ]
                ),
                row(HOUR_NS, &a, &[("offered", Integer(7))]),
                row(
                    0,
                    &b,
                    &[("handle_count", Integer(0)), ("handle_sum_ms", Integer(0))]
                ),
            ]
        );
    }

    #[test]
    fn a_rewritten_point_counts_once_with_its_latest_values() {
        let t = [("skill", "a")];
        let raw = [
            row(
                0,
                &t,
                &[("handle_count", Integer(2)), ("offered", Integer(5))],
            ),
            row(0, &t, &[("handle_count", Integer(3))]),
        ];
        assert_eq!(
            roll_up(&raw, HOUR_NS),
            [row(
                0,
                &t,
                &[("handle_count", Integer(3)), ("offered", Integer(5))]
            )]
        );
    }

    #[test]
    fn windows_start_at_utc_boundaries_and_float_only_points_vanish() {
        let t = [("skill", "a")];
        let raw = [
            row(
                DAY_NS + 23 * HOUR_NS + 59 * MINUTE_NS,
                &t,
                &[("offered", Integer(1))],
            ),
            row(-MINUTE_NS, &t, &[("offered", Integer(2))]),
            row(5 * HOUR_NS, &t, &[("avg_handle_time", Float(9.0))]),
        ];
        let daily = roll_up(&raw, DAY_NS);
        let times: Vec<i64> = daily.iter().map(|r| r.time_ns).collect();
        assert_eq!(times, [-DAY_NS, DAY_NS]);
    }

    #[test]
    fn the_daily_roll_up_of_hours_is_the_daily_roll_up_of_the_raw_points() {
        let raw: Vec<Row> = (0..200)
            .map(|i: i64| {
                let skill = ["a", "b", "c"][(i % 3) as usize];
                row(
                    i * 17 * MINUTE_NS,
                    &[("skill", skill)],
                    &[
                        ("handle_count", Integer(i % 4)),
                        ("handle_sum_ms", Integer(i * 997 % 5_000)),
                    ],
                )
            })
            .collect();
        let via_hours = roll_up(&roll_up(&raw, HOUR_NS), DAY_NS);
        assert_eq!(via_hours, roll_up(&raw, DAY_NS));
        assert!(via_hours.len() > 3);
    }

    #[test]
    fn tags_are_stored_as_the_encoder_writes_them() {
        let point = Point {
            timestamp_ns: 0,
            tags: vec![("skill", "a\\b".into()), ("queue", String::new())],
            fields: vec![("offered".into(), Integer(1))],
        };
        let stored = Row::from(&point);
        assert_eq!(
            stored.tags.into_iter().collect::<Vec<_>>(),
            [("skill".to_owned(), "a/b".to_owned())]
        );
    }
}
