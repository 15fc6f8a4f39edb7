//! The InfluxDB 3 Processing Engine plugin, `influxdb3/genesys_aht_rollup/`, held to
//! the roll-ups `genesys_aht_tests::rollup` computes. No InfluxDB 3 runs here: the
//! plugin runs under pytest with stand-ins (`query()` executes its SQL with Apache
//! DataFusion over the stored points; see the test file's docstring). This test
//! writes the scenario (raw points to write, call times, trigger arguments) and the
//! roll-ups expected after each run to a JSON file and runs pytest on it.
//!
//! pytest, datafusion and pyarrow live in the repository's `.venv`, which
//! `scripts/test` creates when missing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use genesys_aht_contract::{FieldValue, MEASUREMENT, Point};
use genesys_aht_tests::raw_points::{self, re_emitted};
use genesys_aht_tests::rollup::{self, DAY_NS, HOUR_NS, Row, window_start};
use serde_json::{Value, json};

/// 2026-03-01T00:00:00Z.
const MARCH_1: i64 = 1_772_323_200_000_000_000;
const SECOND_NS: i64 = 1_000_000_000;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn row_json(row: &Row) -> Value {
    let fields: serde_json::Map<String, Value> = row
        .fields
        .iter()
        .map(|(name, value)| {
            let typed = match value {
                FieldValue::Integer(n) => json!({ "integer": n }),
                FieldValue::Float(x) => json!({ "float": x }),
            };
            (name.clone(), typed)
        })
        .collect();
    json!({ "time_ns": row.time_ns, "tags": row.tags, "fields": fields })
}

fn rows_json(rows: &[Row]) -> Vec<Value> {
    rows.iter().map(row_json).collect()
}

/// What InfluxDB holds after `newer` is written over `older`: a point with the same
/// tags and time replaces the older one.
fn overwrite(older: &[Row], newer: &[Row]) -> Vec<Row> {
    let mut by_key: BTreeMap<(BTreeMap<String, String>, i64), Row> = older
        .iter()
        .map(|row| ((row.tags.clone(), row.time_ns), row.clone()))
        .collect();
    for row in newer {
        by_key.insert((row.tags.clone(), row.time_ns), row.clone());
    }
    by_key.into_values().collect()
}

/// The roll-up of the raw points in `[start, stop)`.
fn roll_up_range(raw: &[Point], start: i64, stop: i64, window_ns: i64) -> Vec<Row> {
    let rows: Vec<Row> = raw
        .iter()
        .filter(|p| (start..stop).contains(&p.timestamp_ns))
        .map(Row::from)
        .collect();
    rollup::roll_up(&rows, window_ns)
}

/// The roll-up databases as they stand after the runs so far.
#[derive(Default)]
struct Stored {
    hourly: Vec<Row>,
    daily: Vec<Row>,
}

/// One scheduled call: the plugin's documented ranges are the whole hours of the
/// horizon before the call, and the days from yesterday (or the horizon's first day)
/// to the last whole hour.
fn run(
    stored: &mut Stored,
    raw: &[Point],
    call_ns: i64,
    horizon_ns: i64,
    write_raw: &[Point],
    args: Value,
    what: &str,
) -> Value {
    let end = window_start(call_ns, HOUR_NS);
    let daily_start = window_start(end - horizon_ns.max(DAY_NS), DAY_NS);
    stored.hourly = overwrite(
        &stored.hourly,
        &roll_up_range(raw, end - horizon_ns, end, HOUR_NS),
    );
    stored.daily = overwrite(&stored.daily, &roll_up_range(raw, daily_start, end, DAY_NS));
    let written: Vec<Row> = write_raw.iter().map(Row::from).collect();
    json!({
        "what": what,
        "call_time_s": call_ns / SECOND_NS,
        "args": args,
        "write_raw": rows_json(&written),
        "expected": {
            "genesys_1h": rows_json(&stored.hourly),
            "genesys_1d": rows_json(&stored.daily),
        },
    })
}

/// Runs: the first call, the same call again (nothing changes), a call an hour
/// later after a late re-emission of an earlier hour, and a call with a two-day
/// horizon reaching back before every earlier range.
fn case() -> Value {
    let mut raw = raw_points::raw_points(MARCH_1 - 6 * HOUR_NS, MARCH_1 + DAY_NS + 8 * HOUR_NS);
    let first_call = MARCH_1 + DAY_NS + 6 * HOUR_NS + 30 * SECOND_NS;
    let second_call = first_call + HOUR_NS;
    let six_hours = HOUR_NS * 6;
    let late_hour = window_start(first_call, HOUR_NS) - 3 * HOUR_NS;
    let late: Vec<Point> = raw
        .iter()
        .filter(|p| window_start(p.timestamp_ns, HOUR_NS) == late_hour)
        .map(re_emitted)
        .collect();
    assert!(!late.is_empty());

    let mut stored = Stored::default();
    let mut runs = vec![run(
        &mut stored,
        &raw,
        first_call,
        six_hours,
        &raw,
        json!({}),
        "first call",
    )];
    assert!(stored.hourly.len() >= 6 * 3 && stored.daily.len() >= 2 * 3);
    let (first_hourly, first_daily) = (stored.hourly.clone(), stored.daily.clone());
    runs.push(run(
        &mut stored,
        &raw,
        first_call,
        six_hours,
        &[],
        json!({}),
        "the same call again",
    ));
    raw.extend(late.iter().cloned());
    runs.push(run(
        &mut stored,
        &raw,
        second_call,
        six_hours,
        &late,
        json!({"horizon": "6h", "hourly_database": "genesys_1h"}),
        "an hour later, after late data",
    ));
    let changed_hours: Vec<i64> = stored
        .hourly
        .iter()
        .filter(|row| row.time_ns == late_hour)
        .filter(|row| !first_hourly.contains(row))
        .map(|row| row.time_ns)
        .collect();
    assert!(!changed_hours.is_empty(), "the late data changes its hour");
    assert_ne!(stored.daily, first_daily, "and its day");
    runs.push(run(
        &mut stored,
        &raw,
        second_call,
        2 * DAY_NS,
        &[],
        json!({"horizon": "2d", "daily_database": "genesys_1d"}),
        "a two-day horizon",
    ));
    json!({ "measurement": MEASUREMENT, "runs": runs })
}

#[test]
fn the_influxdb3_plugin_writes_exactly_the_expected_roll_ups() {
    let file = tempfile::NamedTempFile::new().expect("case file");
    std::fs::write(file.path(), case().to_string()).expect("write the case");
    let python = repository().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: scripts/test creates .venv with pytest, datafusion and pyarrow",
        python.display()
    );
    let output = Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(repository().join("influxdb3/genesys_aht_rollup"))
        .env("GENESYS_AHT_ROLLUP_CASE", file.path())
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // The engine hands the plugin its call time in local time: not UTC here, so
        // that mistaking it for UTC shows.
        .env("TZ", "EST+5")
        .output()
        .expect("run pytest");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "pytest failed:\n{report}");
    assert!(report.contains(" passed"), "{report}");
    assert!(!report.contains("skipped"), "{report}");
}
