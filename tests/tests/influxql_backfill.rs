//! The InfluxDB 1.x backfill, `influxql/genesys_aht_backfill.influxql`, run as it
//! ships on the real InfluxDB 1.x over generated raw points: the hourly and daily
//! databases must hold exactly the roll-ups that `genesys_aht_tests::rollup`
//! computes from the raw points alone, with the contract's field types.

use std::path::Path;

use genesys_aht_contract::names::{self, AVG_HANDLE_TIME};
use genesys_aht_contract::{MEASUREMENT, Point};
use genesys_aht_tests::influxdb::{InfluxDb, statement_errors};
use genesys_aht_tests::raw_points::{self, default_metrics};
use genesys_aht_tests::rollup::{self, DAY_NS, HOUR_NS, Row};
use serde_json::json;

/// 2026-03-01T00:00:00Z.
const MARCH_1: i64 = 1_772_323_200_000_000_000;
/// The range backfilled: three whole UTC days.
const START: (&str, i64) = ("2026-03-01T00:00:00Z", MARCH_1);
const STOP: (&str, i64) = ("2026-03-04T00:00:00Z", MARCH_1 + 3 * DAY_NS);

fn backfill_file() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../influxql/genesys_aht_backfill.influxql");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Raw points from a day before the range to a day after it.
fn raw_points() -> Vec<Point> {
    raw_points::raw_points(START.1 - DAY_NS, STOP.1 + DAY_NS)
}

async fn server_with(points: &[Point]) -> InfluxDb {
    let influx = InfluxDb::start().await.expect("start influxd");
    influx
        .create_rollup_databases()
        .await
        .expect("create the databases");
    write_raw(&influx, points).await;
    influx
}

async fn run_backfill(influx: &InfluxDb) {
    let params = json!({"start": START.0, "stop": STOP.0});
    let answer = influx
        .execute(&backfill_file(), &params)
        .await
        .expect("run the backfill");
    assert_eq!(statement_errors(&answer), [], "{answer}");
    assert_eq!(
        answer["results"].as_array().map(Vec::len),
        Some(4),
        "{answer}"
    );
}

/// The roll-ups expected from the raw points in the range: hourly, and daily from
/// the hourly ones, as the backfill computes them.
fn expected(points: &[Point]) -> (Vec<Row>, Vec<Row>) {
    let in_range: Vec<Row> = points
        .iter()
        .filter(|p| (START.1..STOP.1).contains(&p.timestamp_ns))
        .map(Row::from)
        .collect();
    let hourly = rollup::roll_up(&in_range, HOUR_NS);
    let daily = rollup::roll_up(&hourly, DAY_NS);
    (hourly, daily)
}

async fn assert_roll_ups(influx: &InfluxDb, points: &[Point]) {
    let (hourly, daily) = expected(points);
    assert_eq!(daily.len(), 4 * 3, "every group on every day");
    assert!(
        hourly.len() > 4 * 60,
        "most groups in most hours: {}",
        hourly.len()
    );
    for (database, expected) in [("genesys_1h", &hourly), ("genesys_1d", &daily)] {
        let stored = influx
            .rows(database, MEASUREMENT)
            .await
            .expect("read roll-up");
        assert_eq!(stored.len(), expected.len(), "{database}: number of points");
        for (stored, expected) in stored.iter().zip(expected.iter()) {
            assert_eq!(stored, expected, "{database}");
        }
    }
}

#[tokio::test]
async fn the_backfill_writes_the_hourly_and_daily_roll_ups_of_the_raw_points() {
    let points = raw_points();
    let influx = server_with(&points).await;
    run_backfill(&influx).await;
    assert_roll_ups(&influx, &points).await;

    // Field types, as the server records them: integers stay integers.
    for database in ["genesys_1h", "genesys_1d"] {
        let answer = influx
            .query_in(
                database,
                &format!("SHOW FIELD KEYS FROM \"{MEASUREMENT}\""),
                &json!({}),
            )
            .await
            .expect("field keys");
        for pair in answer["results"][0]["series"][0]["values"]
            .as_array()
            .expect("fields")
        {
            let want = if pair[0] == AVG_HANDLE_TIME {
                "float"
            } else {
                "integer"
            };
            assert_eq!(pair[1], want, "{database}: {pair}");
        }
    }
}

/// After late data (a later write of the same raw points with new values), running
/// the backfill again gives the roll-ups of the new raw points: nothing is counted
/// twice, and points outside the range stay out.
#[tokio::test]
async fn running_the_backfill_again_after_late_data_rewrites_the_roll_ups() {
    let mut points = raw_points();
    let influx = server_with(&points).await;
    run_backfill(&influx).await;

    let late: Vec<Point> = points
        .iter()
        .step_by(7)
        .map(raw_points::re_emitted)
        .collect();
    write_raw(&influx, &late).await;
    points.extend(late);
    run_backfill(&influx).await;
    assert_roll_ups(&influx, &points).await;
}

/// The file sums exactly the fields of the plugin's default metrics, and no float.
#[test]
fn the_backfill_sums_every_field_of_the_default_metrics() {
    let file = backfill_file();
    let mut summed: Vec<String> = file
        .match_indices("sum(\"")
        .filter_map(|(at, _)| file[at + 5..].split('"').next().map(str::to_owned))
        .collect();
    let mut fields: Vec<String> = default_metrics()
        .iter()
        .flat_map(|m| names::fields_of(m))
        .collect();
    // Six timers (two fields each) and nOffered, and the KPIs' nOverSla, tShortAbandon,
    // tFlowOut, nTransferred.
    assert_eq!(fields.len(), 19, "{fields:?}");
    fields.sort();
    fields.dedup();
    // Once for the hourly roll-up, once for the daily one.
    let mut twice: Vec<String> = fields.iter().chain(fields.iter()).cloned().collect();
    twice.sort();
    summed.sort();
    assert_eq!(summed, twice);
    for field in fields {
        assert!(
            file.contains(&format!("sum(\"{field}\") AS \"{field}\"")),
            "{field} keeps its name"
        );
    }
    assert!(!file.contains(&format!("sum(\"{AVG_HANDLE_TIME}\")")));
}

async fn write_raw(influx: &InfluxDb, points: &[Point]) {
    influx
        .write_points("genesys", points)
        .await
        .expect("write raw points");
}
