//! The InfluxDB 1.x continuous queries, `influxql/genesys_aht_cq.influxql`, created
//! as the file ships on the real InfluxDB 1.x and run by the server itself (the test
//! server checks for due CQs every 100ms): the hourly and daily databases must hold
//! exactly the roll-ups that `genesys_aht_tests::rollup` computes from the raw
//! points, after late data too; the backfill file fills what the CQs never see.
//!
//! CQs work on the server's clock, so the recent points are placed in the whole
//! hours before now: generated ones, and what the `genesys-aht` binary prints from
//! the simulator (built by `cargo test --workspace`, or `cargo build -p genesys-aht`). The test waits for a run by polling the roll-ups (bounded),
//! never by timing.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use genesys_aht_contract::names::tags;
use genesys_aht_contract::{FieldValue, MEASUREMENT, Point};
use genesys_aht_tests::influxdb::{InfluxDb, statement_errors};
use genesys_aht_tests::raw_points::{self, re_emitted};
use genesys_aht_tests::rollup::{self, DAY_NS, HOUR_NS, Row, window_start};
use genesys_sim::{Clock, Sim, SimConfig};
use serde_json::json;

/// How long to wait for the server to run its CQs before giving up.
const PATIENCE: Duration = Duration::from_secs(60);

fn file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../influxql")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn now_ns() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(since_epoch.as_nanos()).expect("nanoseconds fit i64")
}

/// RFC 3339 of a whole UTC day, for the backfill's parameters.
fn day_string(time_ns: i64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(time_ns))
        .expect("timestamp")
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// The hourly and daily roll-ups of `points` (daily from hourly, as the CQs do).
fn expected(points: &[Point]) -> (Vec<Row>, Vec<Row>) {
    let rows: Vec<Row> = points.iter().map(Row::from).collect();
    let hourly = rollup::roll_up(&rows, HOUR_NS);
    let daily = rollup::roll_up(&hourly, DAY_NS);
    (hourly, daily)
}

async fn stored(influx: &InfluxDb) -> (Vec<Row>, Vec<Row>) {
    let hourly = influx.rows("genesys_1h", MEASUREMENT).await.expect("1h");
    let daily = influx.rows("genesys_1d", MEASUREMENT).await.expect("1d");
    (hourly, daily)
}

/// Polls the roll-ups until they equal `want`; fails with the difference after
/// [`PATIENCE`].
async fn wait_for(influx: &InfluxDb, want: &(Vec<Row>, Vec<Row>), what: &str) {
    let give_up = tokio::time::Instant::now() + PATIENCE;
    loop {
        let got = stored(influx).await;
        if got == *want {
            return;
        }
        if tokio::time::Instant::now() > give_up {
            assert_eq!(got.0, want.0, "{what}: hourly");
            assert_eq!(got.1, want.1, "{what}: daily");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A group whose hour counts no handled conversation: its roll-up has no average
/// (InfluxQL would divide 0 by 0 as 0).
fn no_handled_conversation(time_ns: i64) -> Point {
    Point {
        timestamp_ns: time_ns,
        tags: vec![(tags::SKILL, "Quiet".to_owned())],
        fields: vec![
            ("handle_count".to_owned(), FieldValue::Integer(0)),
            ("handle_sum_ms".to_owned(), FieldValue::Integer(0)),
            ("offered".to_owned(), FieldValue::Integer(3)),
        ],
    }
}

#[tokio::test]
async fn continuous_queries_roll_up_fold_in_late_data_and_the_backfill_fills_history() {
    // Recent points: the four whole hours before the current one, which the CQs'
    // horizons (6 hours; yesterday and today) cover even if an hour passes meanwhile.
    let this_hour = window_start(now_ns(), HOUR_NS);
    let mut recent = raw_points::raw_points(this_hour - 4 * HOUR_NS, this_hour);
    recent.push(no_handled_conversation(this_hour - 2 * HOUR_NS));
    // History: three whole days ten days ago, which no CQ run reaches.
    let history_start = window_start(this_hour, DAY_NS) - 10 * DAY_NS;
    let history_stop = history_start + 3 * DAY_NS;
    let history = raw_points::raw_points(history_start, history_stop);

    let mut influx = InfluxDb::start().await.expect("start influxd");
    influx
        .query_post("CREATE DATABASE genesys")
        .await
        .expect("raw database");
    write_raw(&influx, &recent).await;
    write_raw(&influx, &history).await;

    let created = influx
        .execute(&file("genesys_aht_cq.influxql"), &json!({}))
        .await
        .expect("create the CQs");
    assert_eq!(statement_errors(&created), [], "{created}");
    let first = expected(&recent);
    assert!(first.0.len() >= 4 * 3, "most groups in most hours");
    wait_for(&influx, &first, "the first CQ runs").await;

    // A late re-emission of the raw points of one earlier hour: once the CQs run
    // again, that hour and its day hold the new sums, the others are unchanged.
    let late_hour = this_hour - 3 * HOUR_NS;
    let late: Vec<Point> = recent
        .iter()
        .filter(|p| window_start(p.timestamp_ns, HOUR_NS) == late_hour)
        .map(re_emitted)
        .collect();
    assert!(!late.is_empty());
    write_raw(&influx, &late).await;
    recent.extend(late);
    let second = expected(&recent);
    let changed = |old: &[Row], new: &[Row]| -> Vec<i64> {
        let mut times: Vec<i64> = new
            .iter()
            .filter(|row| !old.contains(row))
            .map(|row| row.time_ns)
            .collect();
        times.dedup();
        times
    };
    assert_eq!(changed(&first.0, &second.0), [late_hour]);
    assert_eq!(
        changed(&first.1, &second.1),
        [window_start(late_hour, DAY_NS)]
    );
    influx.restart().await.expect("restart influxd");
    wait_for(&influx, &second, "the CQ runs after late data").await;

    // The backfill, over the history's days, fills what the CQs never saw.
    let params = json!({
        "start": day_string(history_start),
        "stop": day_string(history_stop),
    });
    let backfilled = influx
        .execute(&file("genesys_aht_backfill.influxql"), &params)
        .await
        .expect("run the backfill");
    assert_eq!(statement_errors(&backfilled), [], "{backfilled}");
    let all: Vec<Point> = history.iter().chain(&recent).cloned().collect();
    let (hourly, daily) = expected(&all);
    let (stored_hourly, stored_daily) = stored(&influx).await;
    assert_eq!(stored_hourly, hourly);
    assert_eq!(stored_daily, daily);
    assert!(daily.len() > first.1.len() + 3 * 3, "the history's days");
}

/// The conversation lines of the plugin's `--once` output, over the simulator's
/// org at the current time: the closed quarter hours of the last 4 hours.
async fn plugin_lines(sim: &Sim, dir: &Path) -> Vec<String> {
    let config = genesys_aht_tests::plugin_config::PluginConfig::new(&sim.base_url())
        .collect("granularity", "15m")
        .collect("lookback", "4h")
        .collect("group_by", vec!["requestedRoutingSkillId", "mediaType"])
        .write_to(&dir.join("plugin.toml"));
    let output = tokio::process::Command::new(genesys_aht_tests::workspace::binary("genesys-aht"))
        .arg("--config")
        .arg(&config)
        .arg("--once")
        .output()
        .await
        .expect("run genesys-aht --once");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "genesys-aht --once: {stderr}");
    String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .filter(|line| line.starts_with(&format!("{MEASUREMENT},")))
        .map(str::to_owned)
        .collect()
}

/// The line's timestamp: its last token (the plugin writes no string fields).
fn line_time(line: &str) -> i64 {
    line.rsplit_once(' ')
        .and_then(|(_, time)| time.parse().ok())
        .unwrap_or_else(|| panic!("no timestamp: {line}"))
}

#[tokio::test]
async fn continuous_queries_roll_up_what_the_plugin_writes_from_the_simulator() {
    let sim = Sim::start(SimConfig {
        clock: Clock::Fixed(jiff::Timestamp::now()),
        check_contract: true,
        ..SimConfig::default()
    })
    .await
    .expect("start the simulator");
    let dir = tempfile::tempdir().expect("temporary directory");
    let lines = plugin_lines(&sim, dir.path()).await;
    // Whole hours only: the hourly CQs roll up hours that have ended.
    let this_hour = window_start(now_ns(), HOUR_NS);
    let whole_hours: Vec<&str> = lines
        .iter()
        .filter(|line| line_time(line) < this_hour)
        .map(String::as_str)
        .collect();
    assert!(whole_hours.len() > 12, "{} lines", whole_hours.len());

    let influx = InfluxDb::start().await.expect("start influxd");
    influx
        .query_post("CREATE DATABASE genesys")
        .await
        .expect("raw database");
    influx
        .write_in("genesys", &whole_hours.join("\n"))
        .await
        .expect("InfluxDB accepts every line");
    let raw = influx.rows("genesys", MEASUREMENT).await.expect("raw rows");
    let hourly = rollup::roll_up(&raw, HOUR_NS);
    let daily = rollup::roll_up(&hourly, DAY_NS);
    assert!(hourly.len() >= 3, "{hourly:?}");

    let created = influx
        .execute(&file("genesys_aht_cq.influxql"), &json!({}))
        .await
        .expect("create the CQs");
    assert_eq!(statement_errors(&created), [], "{created}");
    wait_for(&influx, &(hourly, daily), "the CQ runs").await;
}

async fn write_raw(influx: &InfluxDb, points: &[Point]) {
    influx
        .write_points("genesys", points)
        .await
        .expect("write raw points");
}
