//! Shared by the integration tests: the simulator on a fixed clock, config files, the
//! real `genesys-aht` binary, and its stdout parsed with `influxdb-line-protocol`.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::process::Output;

use genesys_sim::{Clock, Sim, SimConfig};
use influxdb_line_protocol::{FieldValue, parse_lines};

pub const BIN: &str = env!("CARGO_BIN_EXE_genesys-aht");

/// The simulator with its clock fixed at the current instant, so that its answers
/// and its ground truth cannot drift apart while a test runs.
pub async fn sim(config: SimConfig) -> Sim {
    let config = SimConfig {
        clock: Clock::Fixed(jiff::Timestamp::now()),
        ..config
    };
    Sim::start(config).await.expect("the simulator starts")
}

/// The plugin configuration of a test (see [`PluginConfig`]).
pub use genesys_aht_tests::plugin_config::PluginConfig as TestConfig;

/// The validated settings of `config` (no environment).
pub fn settings(config: &TestConfig) -> genesys_aht::config::Settings {
    let file =
        genesys_aht::config::FileConfig::parse(&config.toml(), std::path::Path::new("test.toml"))
            .expect("a test config parses");
    genesys_aht::config::Settings::from_file(file, &|_| None).expect("a test config is valid")
}

/// A collector of `config` (no request yet).
pub fn collector(config: &TestConfig) -> genesys_aht::collect::Collector {
    let settings = settings(config);
    genesys_aht::collect::Collector::new(
        &settings.genesys,
        settings.collect,
        settings.backfill.state_file.as_deref(),
    )
    .expect("the client builds")
}

/// Runs the binary with `args` and stdin closed.
pub async fn run(args: &[&str]) -> Output {
    tokio::process::Command::new(BIN)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .expect("the binary runs")
}

/// One parsed output line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub measurement: String,
    pub timestamp: i64,
    pub tags: BTreeMap<String, String>,
    pub integers: BTreeMap<String, i64>,
    pub floats: BTreeMap<String, f64>,
}

/// The conversation lines of stdout; panics on any line the parser refuses.
pub fn parse(stdout: &[u8]) -> Vec<Line> {
    parse_all(stdout)
        .into_iter()
        .filter(|line| line.measurement == genesys_aht_contract::MEASUREMENT)
        .collect()
}

/// Every line of `stdout`, the plugin's own metrics included.
pub fn parse_all(stdout: &[u8]) -> Vec<Line> {
    let text = std::str::from_utf8(stdout).expect("stdout is UTF-8");
    parse_lines(text)
        .map(|line| {
            let line = line.unwrap_or_else(|e| panic!("unparsable output: {e}\n{text}"));
            let mut parsed = Line {
                measurement: line.series.measurement.to_string(),
                timestamp: line.timestamp.expect("every line has a timestamp"),
                tags: BTreeMap::new(),
                integers: BTreeMap::new(),
                floats: BTreeMap::new(),
            };
            for (key, value) in line.series.tag_set.iter().flatten() {
                parsed.tags.insert(key.to_string(), value.to_string());
            }
            for (key, value) in &line.field_set {
                match value {
                    FieldValue::I64(i) => {
                        parsed.integers.insert(key.to_string(), *i);
                    }
                    FieldValue::F64(f) => {
                        parsed.floats.insert(key.to_string(), *f);
                    }
                    other => panic!("unexpected field type {other:?} in {text}"),
                }
            }
            parsed
        })
        .collect()
}

/// The integer fields the plugin writes for a group's ground-truth metrics: a timer's
/// `<name>_count` and `<name>_sum_ms`, a count's `<name>`.
pub fn integer_fields(metrics: &BTreeMap<String, genesys_sim::Stats>) -> BTreeMap<String, i64> {
    use genesys_aht_contract::{MetricKind, names};
    let mut fields = BTreeMap::new();
    for (metric, stats) in metrics {
        match MetricKind::of(metric).expect("a t* or n* metric") {
            MetricKind::Timer => {
                fields.insert(names::count_field(metric), stats.count as i64);
                fields.insert(names::sum_ms_field(metric), stats.sum);
            }
            MetricKind::Count => {
                fields.insert(names::field_stem(metric), stats.count as i64);
            }
        }
    }
    fields
}

/// (bucket start in ns, group in Genesys terms) → integer fields: how the tests
/// compare the plugin's points with the ground truth.
pub type Points = BTreeMap<(i64, BTreeMap<String, String>), BTreeMap<String, i64>>;

/// The ground-truth question for `metrics` in `[start, end)` by `group_by`, unflattened.
pub fn truth_query(
    (start, end): (jiff::Timestamp, jiff::Timestamp),
    granularity: std::time::Duration,
    group_by: &[genesys_aht_contract::Dimension],
    metrics: &[&str],
) -> genesys_sim::TruthQuery {
    genesys_sim::TruthQuery {
        start,
        end,
        granularity,
        group_by: group_by
            .iter()
            .map(|d| d.genesys_name().to_owned())
            .collect(),
        metrics: metrics.iter().map(|m| (*m).to_owned()).collect(),
        flatten: false,
    }
}

/// The ground truth as [`Points`]: the fields the plugin writes for each metric.
pub fn truth_points(truth: genesys_sim::GroundTruth) -> Points {
    truth
        .into_iter()
        .map(|((bucket, group), metrics)| {
            let key = (bucket.as_nanosecond() as i64, group);
            (key, integer_fields(&metrics))
        })
        .collect()
}

/// The simulator's ground truth for [`truth_query`], as [`Points`].
pub fn truth_fields(
    sim: &genesys_sim::Sim,
    range: (jiff::Timestamp, jiff::Timestamp),
    granularity: std::time::Duration,
    group_by: &[genesys_aht_contract::Dimension],
    metrics: &[&str],
) -> Points {
    truth_points(sim.ground_truth(&truth_query(range, granularity, group_by, metrics)))
}

/// The conversation points a Telegraf stand-in stored, keyed like the ground truth
/// grouped by `group_by` (a `(none)` tag is a dimension that does not apply).
pub fn stored_points(
    recorded: &genesys_aht_tests::telegraf::Recorded,
    group_by: &[genesys_aht_contract::Dimension],
) -> Points {
    let metrics: Vec<_> = recorded.metrics.iter().map(|(_, m)| m).collect();
    let store = genesys_aht_tests::telegraf::Store::from_metrics(metrics);
    let mut points = Points::new();
    for ((measurement, tags, timestamp), fields) in store.points {
        if measurement != genesys_aht_contract::MEASUREMENT {
            continue;
        }
        let group = group_by
            .iter()
            .filter_map(|d| {
                let value = tags.get(d.id_tag().unwrap_or(d.value_tag())).unwrap();
                (value != "(none)").then(|| (d.genesys_name().to_owned(), value.clone()))
            })
            .collect();
        points.insert((timestamp.unwrap(), group), integers(fields));
    }
    points
}

/// Runs `--once` with `config` as if it were `now` (through the plugin's clock file,
/// written in `dir`).
pub async fn run_once_at(
    config: &std::path::Path,
    now: jiff::Timestamp,
    dir: &std::path::Path,
) -> Output {
    let now_file = dir.join("now");
    std::fs::write(&now_file, now.to_string()).unwrap();
    tokio::process::Command::new(BIN)
        .args(["--config", config.to_str().unwrap(), "--once"])
        .env(genesys_aht::NOW_FILE_VAR, &now_file)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap()
}

/// [`run_once_at`], checked to succeed: its conversation lines and its stderr.
pub async fn once_at(
    config: &std::path::Path,
    now: jiff::Timestamp,
    dir: &std::path::Path,
) -> (Vec<Line>, String) {
    let output = run_once_at(config, now, dir).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    (parse(&output.stdout), stderr)
}

/// The integer fields of a stored point (the plugin writes only integers, but for
/// `avg_handle_time`).
pub fn integers(
    fields: BTreeMap<String, genesys_aht_tests::telegraf::Value>,
) -> BTreeMap<String, i64> {
    fields
        .into_iter()
        .filter_map(|(name, value)| match value {
            genesys_aht_tests::telegraf::Value::Integer(i) => Some((name, i)),
            _ => None,
        })
        .collect()
}

/// Moves the simulator's manual clock and the plugin's clock file to `now` together.
pub fn set_clocks(
    clock: &genesys_sim::ManualClock,
    now_file: &std::path::Path,
    now: jiff::Timestamp,
) {
    let temporary = now_file.with_extension("tmp");
    std::fs::write(&temporary, now.to_string()).unwrap();
    std::fs::rename(&temporary, now_file).unwrap();
    clock.set(now);
}

/// How many points of the plugin's own metrics (one a poll) Telegraf recorded.
pub fn own_points(recorded: &genesys_aht_tests::telegraf::Recorded) -> usize {
    recorded
        .metrics
        .iter()
        .filter(|(_, m)| m.measurement == genesys_aht_contract::names::internal::MEASUREMENT)
        .count()
}
