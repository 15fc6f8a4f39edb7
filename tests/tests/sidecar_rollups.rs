//! The sidecar over the InfluxDB 1.x roll-ups answers what it answers over the raw
//! points: raw points written to the real InfluxDB 1.x, rolled up by the shipped
//! InfluxQL backfill (the same statements as the continuous queries, over a range),
//! then two real `genesys-aht-sidecar` processes, one configured with
//! `bucket_1h`/`bucket_1d` (the roll-up databases), one with the raw database only.
//! Their `1h` and `1d` answers, unfiltered and filtered, must be equal field for
//! field, and must not be empty.
//!
//! The same for InfluxDB 3 and the sidecar's SQL backend, against a **stand-in**:
//! `sidecar/tests/it/influxdb3_standin.py` executes the SQL with Apache DataFusion
//! over the raw points and over their roll-ups as `genesys_aht_tests::rollup`
//! defines them (which `tests/tests/influxdb3_plugin.rs` holds the plugin's output to).

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use genesys_aht_tests::influxdb::{InfluxDb, statement_errors};
use genesys_aht_tests::raw_points;
use genesys_aht_tests::rollup::{self, DAY_NS, HOUR_NS, Row};
use genesys_aht_tests::workspace;
use serde_json::{Value, json};

/// 2026-03-01T00:00:00Z.
const MARCH_1: i64 = 1_772_323_200_000_000_000;
/// The range rolled up: three whole UTC days.
const START: &str = "2026-03-01T00:00:00Z";
const STOP: &str = "2026-03-04T00:00:00Z";

async fn sidecar(
    dir: &Path,
    name: &str,
    influx: &str,
    roll_ups: bool,
) -> (tokio::process::Child, String) {
    let buckets = if roll_ups {
        "bucket_1h = \"genesys_1h\"\nbucket_1d = \"genesys_1d\"\n"
    } else {
        ""
    };
    let config = dir.join(name);
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:0\"\n[influx]\n{influx}bucket = \"genesys\"\n{buckets}"),
    )
    .unwrap();
    workspace::start_sidecar(&config).await
}

async fn aht(base: &str, query: &[(&str, &str)]) -> Value {
    workspace::get_json(base, "/metrics/aht", query).await["data"].clone()
}

#[tokio::test]
async fn hourly_and_daily_answers_over_the_roll_ups_equal_those_over_the_raw_points() {
    let influx = InfluxDb::start().await.expect("start influxd");
    influx
        .create_rollup_databases()
        .await
        .expect("create the databases");
    // A day of raw points on either side of the range stays out of both answers.
    let points = raw_points::raw_points(MARCH_1 - DAY_NS, MARCH_1 + 4 * DAY_NS);
    influx.write_points("genesys", &points).await.unwrap();
    let backfill = workspace::repository_file("influxql/genesys_aht_backfill.influxql");
    let answer = influx
        .execute(&backfill, &json!({"start": START, "stop": STOP}))
        .await
        .unwrap();
    assert!(statement_errors(&answer).is_empty(), "{answer}");

    let dir = tempfile::tempdir().unwrap();
    let influx = format!("backend = \"influxql\"\nurl = \"{}\"\n", influx.url);
    let (_rolled, rolled) = sidecar(dir.path(), "rolled.toml", &influx, true).await;
    let (_raw, raw) = sidecar(dir.path(), "raw.toml", &influx, false).await;
    assert_same_answers(&rolled, &raw).await;
}

#[tokio::test]
async fn on_influxdb3_hourly_and_daily_answers_over_the_roll_ups_equal_those_over_the_raw_points() {
    let points = raw_points::raw_points(MARCH_1 - DAY_NS, MARCH_1 + 4 * DAY_NS);
    let raw: Vec<Row> = points.iter().map(Row::from).collect();
    let in_range: Vec<Row> = raw
        .iter()
        .filter(|r| (MARCH_1..MARCH_1 + 3 * DAY_NS).contains(&r.time_ns))
        .cloned()
        .collect();
    let hourly = rollup::roll_up(&in_range, HOUR_NS);
    let daily = rollup::roll_up(&hourly, DAY_NS);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("points.json");
    let databases = json!({
        "genesys": workspace::stand_in_database(&raw),
        "genesys_1h": workspace::stand_in_database(&hourly),
        "genesys_1d": workspace::stand_in_database(&daily),
    });
    std::fs::write(&data, databases.to_string()).unwrap();
    let (_standin, url) =
        workspace::start_influxdb3_stand_in(&data, &dir.path().join("requests.jsonl")).await;
    let influx = format!("backend = \"sql\"\nurl = \"{url}\"\n");
    let (_rolled, rolled) = sidecar(dir.path(), "rolled.toml", &influx, true).await;
    let (_raw, raw) = sidecar(dir.path(), "raw.toml", &influx, false).await;
    assert_same_answers(&rolled, &raw).await;
}

/// The sidecar reading the roll-ups (`rolled`) and the one reading raw points only
/// (`raw`) give the same `1h` and `1d` answers, none of them empty.
async fn assert_same_answers(rolled: &str, raw: &str) {
    let range = [("start_date", START), ("end_date", STOP)];
    let filters: [&[(&str, &str)]; 4] = [
        &[],
        &[("skill", "O'Brien \"VIP\"")],
        &[("skill", "Billing, Tier 2"), ("media_type", "voice")],
        &[("queue", "Süßwaren ☎")],
    ];
    for (interval, windows) in [("1h", 72), ("1d", 3)] {
        for filter in filters {
            let mut query = range.to_vec();
            query.push(("interval", interval));
            query.extend_from_slice(filter);
            let from_roll_ups = aht(rolled, &query).await;
            let from_raw = aht(raw, &query).await;
            let rows = from_raw.as_array().unwrap();
            // Every window of the range has data; one group alone may miss an hour.
            let mut starts: Vec<&str> = rows
                .iter()
                .map(|r| r["timestamp"].as_str().unwrap())
                .collect();
            starts.dedup();
            let least = if filter.is_empty() {
                windows
            } else {
                windows * 9 / 10
            };
            assert!(starts.len() >= least, "{interval} {filter:?}: {from_raw}");
            assert_eq!(starts.first(), Some(&START));
            assert_eq!(from_roll_ups, from_raw, "{interval} {filter:?}");
        }
    }
}
