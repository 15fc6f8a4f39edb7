//! Shared by the integration tests: the simulator on a fixed clock, config files, the
//! real `genesys-aht` binary, and its stdout parsed with `influxdb-line-protocol`.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
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

/// The plugin configuration of a test, built key by key: the one place that writes
/// the TOML. It starts at `api_url` with the simulator's default client; each
/// setter adds or replaces a key of its section, the value in TOML's types
/// (`"15m"`, `8`, `true`, `vec!["queueId"]`).
#[derive(Debug, Clone)]
pub struct TestConfig {
    sections: [(&'static str, Vec<(String, toml::Value)>); 3],
}

impl TestConfig {
    /// For `sim`, with its default client.
    pub fn new(sim: &Sim) -> TestConfig {
        TestConfig::at(&sim.base_url())
    }

    /// For the API at `api_url`, with the simulator's default client.
    pub fn at(api_url: &str) -> TestConfig {
        let config = TestConfig {
            sections: [
                ("genesys", Vec::new()),
                ("collect", Vec::new()),
                ("execd", Vec::new()),
            ],
        };
        config
            .genesys("api_url", api_url)
            .genesys("client_id", "sim-client")
            .genesys("client_secret", "sim-secret")
    }

    /// Sets `key` of `[genesys]`.
    pub fn genesys(self, key: &str, value: impl Into<toml::Value>) -> TestConfig {
        self.set(0, key, value.into())
    }

    /// Sets `key` of `[collect]`.
    pub fn collect(self, key: &str, value: impl Into<toml::Value>) -> TestConfig {
        self.set(1, key, value.into())
    }

    /// Sets `key` of `[execd]`.
    pub fn execd(self, key: &str, value: impl Into<toml::Value>) -> TestConfig {
        self.set(2, key, value.into())
    }

    /// `collect.group_by` as Genesys names the dimensions.
    pub fn group_by(self, dimensions: &[genesys_aht_contract::Dimension]) -> TestConfig {
        let names: Vec<&str> = dimensions.iter().map(|d| d.genesys_name()).collect();
        self.collect("group_by", names)
    }

    /// Leaves `key` of `[genesys]` out.
    pub fn without_genesys(mut self, key: &str) -> TestConfig {
        self.sections[0].1.retain(|(k, _)| k != key);
        self
    }

    fn set(mut self, section: usize, key: &str, value: toml::Value) -> TestConfig {
        let keys = &mut self.sections[section].1;
        keys.retain(|(k, _)| k != key);
        keys.push((key.to_owned(), value));
        self
    }

    /// The file's text.
    pub fn toml(&self) -> String {
        let mut text = String::new();
        for (name, keys) in &self.sections {
            text.push_str(&format!("[{name}]\n"));
            for (key, value) in keys {
                text.push_str(&format!("{key} = {value}\n"));
            }
        }
        text
    }

    /// Writes `plugin.toml` in `dir`; returns its path.
    pub fn write(&self, dir: &tempfile::TempDir) -> PathBuf {
        let path = dir.path().join("plugin.toml");
        std::fs::write(&path, self.toml()).expect("config written");
        path
    }

    /// The validated settings (no environment).
    pub fn settings(&self) -> genesys_aht::config::Settings {
        let file =
            genesys_aht::config::FileConfig::parse(&self.toml(), std::path::Path::new("test.toml"))
                .expect("a test config parses");
        genesys_aht::config::Settings::from_file(file, &|_| None).expect("a test config is valid")
    }

    /// A collector of these settings (no request yet).
    pub fn collector(&self) -> genesys_aht::collect::Collector {
        let settings = self.settings();
        genesys_aht::collect::Collector::new(&settings.genesys, settings.collect)
            .expect("the client builds")
    }
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

/// The simulator's ground truth of `start..end` as (bucket start in ns, group in
/// Genesys terms) → the integer fields the plugin writes for it.
pub fn truth_fields(
    sim: &genesys_sim::Sim,
    (start, end): (jiff::Timestamp, jiff::Timestamp),
    granularity: std::time::Duration,
    group_by: &[genesys_aht_contract::Dimension],
    metrics: &[&str],
) -> BTreeMap<(i64, BTreeMap<String, String>), BTreeMap<String, i64>> {
    let truth = sim.ground_truth(&genesys_sim::TruthQuery {
        start,
        end,
        granularity,
        group_by: group_by
            .iter()
            .map(|d| d.genesys_name().to_owned())
            .collect(),
        metrics: metrics.iter().map(|m| (*m).to_owned()).collect(),
        flatten: false,
    });
    truth
        .into_iter()
        .map(|((bucket, group), metrics)| {
            let key = (bucket.as_nanosecond() as i64, group);
            (key, integer_fields(&metrics))
        })
        .collect()
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
