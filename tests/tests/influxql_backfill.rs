//! The InfluxDB 1.x backfill, `influxql/genesys_aht_backfill.influxql`, run as it
//! ships on the real InfluxDB 1.x over generated raw points: the hourly and daily
//! databases must hold exactly the roll-ups that `genesys_aht_tests::rollup`
//! computes from the raw points alone, with the contract's field types.

use std::path::Path;

use genesys_aht_contract::names::{self, AVG_HANDLE_TIME, tags};
use genesys_aht_contract::{FieldValue, MEASUREMENT, Point, encode_batch};
use genesys_aht_tests::influxdb::{InfluxDb, statement_errors};
use genesys_aht_tests::rollup::{self, DAY_NS, HOUR_NS, Row};
use serde_json::json;

/// 2026-03-01T00:00:00Z.
const MARCH_1: i64 = 1_772_323_200_000_000_000;
const QUARTER_NS: i64 = 15 * 60 * 1_000_000_000;
/// The range backfilled: three whole UTC days.
const START: (&str, i64) = ("2026-03-01T00:00:00Z", MARCH_1);
const STOP: (&str, i64) = ("2026-03-04T00:00:00Z", MARCH_1 + 3 * DAY_NS);

fn backfill_file() -> String {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../influxql/genesys_aht_backfill.influxql");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The plugin's default metrics, as the README's configuration reference lists them.
fn default_metrics() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README");
    let line = readme
        .lines()
        .find_map(|l| l.trim().strip_prefix("# metrics = ["))
        .expect("README shows the default metrics");
    line.trim_end_matches(']')
        .split(',')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .collect()
}

/// A small deterministic generator (xorshift), so that failures reproduce.
struct Numbers(u64);

impl Numbers {
    fn below(&mut self, n: u64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n) as i64
    }
}

/// Raw points as the plugin writes them, every quarter hour from a day before the
/// range to a day after it, for groups that differ in tags and in fields: awkward
/// names, an extra tag (Telegraf's `host`), a group without handle metrics, empty
/// quarters, handle counts of 0.
fn raw_points() -> Vec<Point> {
    let groups: [Vec<(&'static str, &str)>; 4] = [
        vec![
            (tags::SKILL, "Billing, Tier 2"),
            (tags::MEDIA_TYPE, "voice"),
        ],
        vec![
            (tags::SKILL, "O'Brien \"VIP\""),
            (tags::MEDIA_TYPE, "voice"),
            ("host", "collector-1"),
        ],
        vec![
            (tags::SKILL, "Sales"),
            (tags::MEDIA_TYPE, "chat"),
            (tags::QUEUE, "Süßwaren ☎"),
        ],
        vec![
            (tags::SKILL, "no handle metrics"),
            (tags::MEDIA_TYPE, "email"),
        ],
    ];
    let metrics = default_metrics();
    let mut numbers = Numbers(0x9e37_79b9_7f4a_7c15);
    let mut points = Vec::new();
    let mut time = START.1 - DAY_NS;
    while time < STOP.1 + DAY_NS {
        for (g, group) in groups.iter().enumerate() {
            if numbers.below(5) == 0 {
                continue; // a quarter without conversations for this group
            }
            let mut fields = Vec::new();
            for metric in &metrics {
                if g == 3 && metric != "nOffered" {
                    continue;
                }
                let count = numbers.below(6);
                match names::fields_of(metric).as_slice() {
                    [count_field, sum_field] => {
                        fields.push((count_field.clone(), FieldValue::Integer(count)));
                        let sum = count * (1 + numbers.below(900_000));
                        fields.push((sum_field.clone(), FieldValue::Integer(sum)));
                    }
                    [field] => fields.push((field.clone(), FieldValue::Integer(count))),
                    _ => panic!("{metric} has no fields"),
                }
            }
            if let Some(average) = plugin_average(&fields) {
                fields.push((AVG_HANDLE_TIME.to_owned(), FieldValue::Float(average)));
            }
            let tags = group.iter().map(|(k, v)| (*k, v.to_string())).collect();
            points.push(Point {
                timestamp_ns: time,
                tags,
                fields,
            });
        }
        time += QUARTER_NS;
    }
    points
}

/// The raw point's own average, which a roll-up must never sum or average.
fn plugin_average(fields: &[(String, FieldValue)]) -> Option<f64> {
    let get = |name: &str| {
        fields.iter().find_map(|(f, v)| match v {
            FieldValue::Integer(n) if f == name => Some(*n),
            _ => None,
        })
    };
    let count = get("handle_count").filter(|c| *c > 0)?;
    Some(get("handle_sum_ms")? as f64 / count as f64 / 1000.0)
}

async fn server_with(points: &[Point]) -> InfluxDb {
    let influx = InfluxDb::start().await.expect("start influxd");
    for database in ["genesys", "genesys_1h", "genesys_1d"] {
        influx
            .query_post(&format!("CREATE DATABASE {database}"))
            .await
            .expect("create database");
    }
    write(&influx, points).await;
    influx
}

async fn write(influx: &InfluxDb, points: &[Point]) {
    let body = String::from_utf8(encode_batch(points).expect("encode")).expect("UTF-8");
    influx
        .write_in("genesys", &body)
        .await
        .expect("write raw points");
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

    let mut late: Vec<Point> = points.iter().step_by(7).cloned().collect();
    for point in &mut late {
        for (field, value) in &mut point.fields {
            if let FieldValue::Integer(n) = value
                && field.ends_with("_count")
            {
                *n += 2;
            }
        }
    }
    write(&influx, &late).await;
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
    assert_eq!(fields.len(), 13, "{fields:?}");
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
