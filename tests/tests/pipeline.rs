//! The whole pipeline end to end: the simulator → the real `genesys-aht` binary run
//! as Telegraf's execd runs it (the harness) → every metric written to the real
//! InfluxDB 1.x through `/write` (what Telegraf's output does) → the real
//! `genesys-aht-sidecar` binary over InfluxQL → `GET /metrics/aht` equal to the
//! simulator's ground truth for every window and skill, with a quarter of the
//! requests to the simulator failing, and across a plugin crash (SIGKILL) and restart.
//!
//! The binaries are the workspace's own, found next to this test's executable:
//! `cargo test --workspace` builds them before running any test.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use genesys_aht_contract::names::tags;
use genesys_aht_contract::{FieldValue, Point};
use genesys_aht_tests::influxdb::InfluxDb;
use genesys_aht_tests::plugin_config::PluginConfig;
use genesys_aht_tests::telegraf::{
    Execd, ExecdConfig, Metric, Signal as ExecdSignal, StopStep, Value,
};
use genesys_aht_tests::workspace;
use genesys_sim::{Clock, Endpoint, FaultKind, RandomFaults, Sim, SimConfig};
use nix::sys::signal::Signal;
use serde_json::Value as Json;

const GRANULARITY_SECS: i64 = 900;
const LOOKBACK_BUCKETS: i64 = 8;
const LIMIT: Duration = Duration::from_secs(20);

/// The closed buckets `--once` or a gather reads at `now`: the last 2 h of 15 min.
fn window(now: jiff::Timestamp) -> (i64, i64) {
    let end = now.as_second().div_euclid(GRANULARITY_SECS) * GRANULARITY_SECS;
    (end - GRANULARITY_SECS * LOOKBACK_BUCKETS, end)
}

fn at(second: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(second).unwrap()
}

/// A harnessed metric back as a contract point, for InfluxDB's `/write`.
fn to_point(metric: &Metric) -> Point {
    Point {
        timestamp_ns: metric.timestamp.unwrap(),
        tags: metric
            .tags
            .iter()
            .map(|(k, v)| {
                let key = tags::ALL.into_iter().find(|t| t == k).unwrap();
                (key, v.clone())
            })
            .collect(),
        fields: metric
            .fields
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Value::Integer(i) => FieldValue::Integer(*i),
                    Value::Float(f) => FieldValue::Float(*f),
                    other => panic!("field {k} has an unexpected type: {other:?}"),
                };
                (k.clone(), value)
            })
            .collect(),
    }
}

/// Starts the sidecar on a free port over `influx`; returns it and its base URL.
async fn start_sidecar(
    influx: &InfluxDb,
    dir: &tempfile::TempDir,
) -> (tokio::process::Child, String) {
    let config = dir.path().join("sidecar.toml");
    let text = format!(
        "listen = \"127.0.0.1:0\"\n[influx]\nbackend = \"influxql\"\nurl = \"{}\"\nbucket = \"{}\"\n",
        influx.url, influx.database
    );
    std::fs::write(&config, text).unwrap();
    workspace::start_sidecar(&config).await
}

/// The sidecar's answer as (window start, skill) → (handle sum ms, count, avg seconds).
async fn answer(
    base: &str,
    start: i64,
    end: i64,
    interval: &str,
) -> BTreeMap<(i64, String), (i64, i64, Option<f64>)> {
    let url = format!("{base}/metrics/aht");
    let response = reqwest::Client::new()
        .get(url)
        .query(&[
            ("start_date", at(start).to_string()),
            ("end_date", at(end).to_string()),
            ("interval", interval.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Json = response.json().await.unwrap();
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let time: jiff::Timestamp = row["timestamp"].as_str().unwrap().parse().unwrap();
            let skill = row["skill"].as_str().unwrap().to_owned();
            let value = (
                row["handle_sum_ms"].as_i64().unwrap(),
                row["conversation_count"].as_i64().unwrap(),
                row["avg_handle_time"].as_f64(),
            );
            ((time.as_second(), skill), value)
        })
        .collect()
}

fn assert_matches(
    got: &BTreeMap<(i64, String), (i64, i64, Option<f64>)>,
    want: &BTreeMap<(i64, String), (i64, i64)>,
    what: &str,
) {
    let got_sums: BTreeMap<_, _> = got.iter().map(|(k, v)| (k.clone(), (v.0, v.1))).collect();
    let want: BTreeMap<_, _> = want
        .iter()
        .filter(|(_, v)| v.1 > 0)
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(
        got_sums, want,
        "{what}: sums and counts per window and skill"
    );
    for (key, (sum, count, avg)) in got {
        let weighted = *sum as f64 / *count as f64 / 1000.0;
        let avg = avg.unwrap_or_else(|| panic!("{what}: {key:?} has no average"));
        assert!(
            (avg - weighted).abs() < 1e-9,
            "{what}: {key:?} average {avg} != {weighted}"
        );
    }
}

#[tokio::test]
async fn simulator_to_plugin_to_influxdb_to_sidecar_is_exact_across_faults_and_a_crash() {
    let sim = Sim::start(SimConfig {
        clock: Clock::Fixed(jiff::Timestamp::now()),
        check_contract: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    // A quarter of all requests, the logins included, fail in every way the
    // simulator knows; the plugin's retries must hide all of it.
    sim.set_random_faults(Some(RandomFaults {
        seed: 3,
        probability: 0.25,
        kinds: FaultKind::every(1, Duration::from_secs(2)),
        endpoint: Endpoint::Any,
    }));
    // And, whatever the draws, one of each on the way to the first answer.
    sim.push_fault(Endpoint::Token, FaultKind::Dropped, 1);
    sim.push_fault(Endpoint::Aggregates, FaultKind::ServerError(503), 1);
    sim.push_fault(Endpoint::Aggregates, FaultKind::Truncated, 1);
    sim.push_fault(
        Endpoint::Skills,
        FaultKind::RateLimited {
            retry_after_secs: 1,
        },
        1,
    );
    let influx = InfluxDb::start().await.expect("start influxd");
    let dir = tempfile::tempdir().unwrap();
    let plugin_config = PluginConfig::new(&sim.base_url())
        .genesys("client_secret", "${SIM_SECRET}")
        .genesys("request_timeout", "1s")
        .genesys("backoff_initial", "20ms")
        .genesys("backoff_max", "100ms")
        .genesys("max_retries", 20)
        .collect("granularity", "15m")
        .collect("lookback", "2h")
        .collect("group_by", vec!["requestedRoutingSkillId"])
        .write(&dir);

    let mut execd = ExecdConfig::new(workspace::binary("genesys-aht"));
    execd.args = vec!["--config".into(), plugin_config.to_str().unwrap().into()];
    execd.env = vec![("SIM_SECRET".into(), "sim-secret".into())];
    execd.signal = ExecdSignal::Stdin;
    let first_window = window(jiff::Timestamp::now());
    let telegraf = Execd::start(execd).await.unwrap();
    telegraf.gather().await.unwrap();
    assert!(
        telegraf.wait_until(LIMIT, |r| !r.metrics.is_empty()).await,
        "{:?}",
        telegraf.recorded().logs
    );

    // A crash, as Telegraf would see one: the harness restarts the plugin.
    telegraf.signal_child(Signal::SIGKILL).unwrap();
    assert!(
        telegraf
            .wait_until(LIMIT, |r| r.starts == 2 && telegraf.pid().is_some())
            .await
    );
    let before = telegraf.recorded().metrics.len();
    telegraf.gather().await.unwrap();
    assert!(
        telegraf
            .wait_until(LIMIT, |r| r.metrics.len() > before)
            .await
    );
    // Let the batch finish arriving, then stop as Telegraf does.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let last_window = window(jiff::Timestamp::now());
    let (outcome, recorded) = telegraf.stop().await;
    assert_eq!(outcome.step, StopStep::StdinClosed, "{outcome:?}");
    assert!(
        recorded.parse_errors.is_empty(),
        "{:?}",
        recorded.parse_errors
    );
    assert!(
        recorded.metrics.iter().any(|(instance, _)| *instance == 1),
        "the restarted plugin wrote"
    );

    // The plugin's own metrics would go to InfluxDB too; the sidecar reads only the
    // conversation measurement, which is what this test follows.
    let points: Vec<Point> = recorded
        .metrics
        .iter()
        .filter(|(_, m)| m.measurement == genesys_aht_contract::MEASUREMENT)
        .map(|(_, m)| to_point(m))
        .collect();
    let body = genesys_aht_contract::encode_batch(&points).unwrap();
    influx
        .write(&String::from_utf8(body).unwrap())
        .await
        .expect("InfluxDB accepts every line");

    let faulted = sim
        .request_log()
        .iter()
        .filter(|r| r.fault.is_some())
        .count();
    assert!(faulted >= 4, "{faulted} faults served");

    let (_sidecar, base) = start_sidecar(&influx, &dir).await;
    let (start, end) = (first_window.0, last_window.1);
    let got = answer(&base, start, end, "15m").await;
    assert!(!got.is_empty(), "the sidecar found data");
    assert_matches(
        &got,
        &common::handle_by_skill(&sim, start, end, GRANULARITY_SECS),
        "15m",
    );
    // Whole hours only, so that every hourly window holds the same buckets on both sides.
    let hour_start = start.div_euclid(3600) * 3600 + if start % 3600 == 0 { 0 } else { 3600 };
    let hour_end = end.div_euclid(3600) * 3600;
    let got = answer(&base, hour_start, hour_end, "1h").await;
    assert!(!got.is_empty(), "the sidecar found hourly data");
    assert_matches(
        &got,
        &common::handle_by_skill(&sim, hour_start, hour_end, 3600),
        "1h",
    );
}
