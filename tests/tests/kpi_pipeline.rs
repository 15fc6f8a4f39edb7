//! The contact-centre KPIs end to end: the simulator → the real `genesys-aht` binary
//! under the execd harness (one gather by skill, queue and media type, a quarter of
//! the requests failing) → the real InfluxDB 1.x through `/write` → real
//! `genesys-aht-sidecar` processes. `GET /metrics/kpi` of every KPI, for every
//! 15-minute, hourly and daily window and every group, must equal (value, numerator
//! and denominator) what this test computes from the simulator's ground truth by
//! the README's definitions (`genesys_aht_tests::kpi`), `null` where the
//! denominator is 0:
//!
//! - over the raw points in InfluxDB 1.x;
//! - over the hourly and daily roll-ups the shipped InfluxQL backfill
//!   (`influxql/genesys_aht_backfill.influxql`) writes there;
//! - over the InfluxDB 3 stand-in (`sidecar/tests/it/influxdb3_standin.py`: Apache
//!   DataFusion executing the sidecar's SQL) holding the same raw points and their
//!   roll-ups as `genesys_aht_tests::rollup` defines them.
//!
//! Each backend is read by one sidecar per `[service_level]` setting (default,
//! abandons off, short abandons off, flow-outs on): the default one answers every
//! KPI, the others the service level, which is all a setting changes. One
//! collection run serves every assertion, and the backends are read at once.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

// This test uses the live stack of `common` only, not its AHT truth.
#[allow(dead_code)]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::stack::{self, Collected, Collection};
use genesys_aht_contract::sanitize_tag_value;
use genesys_aht_tests::influxdb::statement_errors;
use genesys_aht_tests::kpi::{self, Expected, KPIS, Metrics, ServiceLevel};
use genesys_aht_tests::rollup::{self, DAY_NS, HOUR_NS, Row};
use genesys_aht_tests::workspace;
use genesys_sim::TruthQuery;
use serde_json::{Value, json};

/// What the plugin groups by.
const DIMENSIONS: [&str; 3] = ["requestedRoutingSkillId", "queueId", "mediaType"];

/// The `interval` parameters asked for, with their length in seconds.
const INTERVALS: [(&str, i64); 3] = [("15m", 900), ("1h", 3600), ("1d", 86_400)];

/// The `[service_level]` settings each backend is read with; the first is the default.
const SETTINGS: [(&str, ServiceLevel); 4] = [
    ("default", ServiceLevel::DEFAULT),
    (
        "abandons off",
        ServiceLevel {
            include_abandons: false,
            ..ServiceLevel::DEFAULT
        },
    ),
    (
        "short abandons off",
        ServiceLevel {
            include_short_abandons: false,
            ..ServiceLevel::DEFAULT
        },
    ),
    (
        "flow-outs on",
        ServiceLevel {
            include_flow_outs: true,
            ..ServiceLevel::DEFAULT
        },
    ),
];

/// A group as the answer names it: skill, skill ID, queue, queue ID, media type.
type Group = [Option<String>; 5];

/// (window start in Unix seconds, group) → what the window holds.
type Windows<T> = BTreeMap<(i64, Group), T>;

/// A sidecar configuration's `[influx]` section, and the intervals to ask it for.
struct Backend {
    name: &'static str,
    influx: String,
    roll_ups: bool,
    intervals: &'static [&'static str],
}

fn at(second: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(second).unwrap()
}

fn floor(second: i64, window: i64) -> i64 {
    second.div_euclid(window) * window
}

fn ceil(second: i64, window: i64) -> i64 {
    floor(second + window - 1, window)
}

/// The 15-minute buckets the plugin wrote, [start, end) in Unix seconds: read from
/// the points, so that a quarter-hour turning between the simulator's start and
/// the gather cannot shift them.
fn written_range(points: &[genesys_aht_contract::Point]) -> (i64, i64) {
    let seconds = points
        .iter()
        .map(|p| p.timestamp_ns.div_euclid(1_000_000_000));
    let start = seconds.clone().min().unwrap();
    let end = seconds.max().unwrap() + 900;
    assert!(end - start <= 9 * 900, "[{start}, {end}) is one gather");
    (start, end)
}

/// The simulator's ground truth of [start, end) by the plugin's dimensions, named as
/// the plugin tags it (current names as InfluxDB stores them, an ID Genesys cannot
/// name standing for itself; a dimension a group lacks is `(none)`), folded into
/// windows of `window_s`.
fn truth(collected: &Collected, start: i64, end: i64, window_s: i64) -> Windows<Metrics> {
    let names = |entities: Vec<genesys_sim::Entity>| -> BTreeMap<String, String> {
        entities.into_iter().map(|e| (e.id, e.name)).collect()
    };
    // Genesys still names a deleted skill by its ID, never a deleted queue: that one
    // stands for itself.
    let skills = names(collected.sim.skills());
    let queues = names(
        collected
            .sim
            .queues()
            .into_iter()
            .filter(|q| q.active)
            .collect(),
    );
    let truth = collected.sim.ground_truth(&TruthQuery {
        start: at(start),
        end: at(end),
        granularity: Duration::from_secs(900),
        group_by: DIMENSIONS.iter().map(|d| (*d).to_owned()).collect(),
        metrics: kpi::METRICS.iter().map(|m| (*m).to_owned()).collect(),
        flatten: false,
    });
    let mut out = Windows::<Metrics>::new();
    for ((bucket, group), stats) in truth {
        let named = |dimension: &str, names: &BTreeMap<String, String>| match group.get(dimension) {
            Some(id) => {
                let name = names.get(id).unwrap_or(id);
                (sanitize_tag_value(name), Some(id.clone()))
            }
            None => (Some("(none)".to_owned()), Some("(none)".to_owned())),
        };
        let (skill, skill_id) = named(DIMENSIONS[0], &skills);
        let (queue, queue_id) = named(DIMENSIONS[1], &queues);
        let media = Some(group.get(DIMENSIONS[2]).cloned().unwrap_or("(none)".into()));
        let key = (
            floor(bucket.as_second(), window_s),
            [skill, skill_id, queue, queue_id, media],
        );
        let window = out.entry(key).or_default();
        for (metric, stats) in stats {
            let tally = window.entry(metric).or_default();
            tally.count += i64::try_from(stats.count).unwrap();
            tally.sum += stats.sum;
        }
    }
    out
}

/// The windows and groups of `kpi` the truth gives under `sl`.
fn expected(truth: &Windows<Metrics>, kpi: &str, sl: ServiceLevel) -> Windows<Expected> {
    truth
        .iter()
        .filter_map(|(key, metrics)| Some((key.clone(), kpi::expected(kpi, metrics, sl)?)))
        .collect()
}

/// The sidecar's answer for `kpi` by `interval` over whole windows around [start, end).
async fn answer(
    base: &str,
    kpi: &str,
    interval: &str,
    window_s: i64,
    start: i64,
    end: i64,
) -> Windows<Expected> {
    let start_date = at(floor(start, window_s)).to_string();
    let end_date = at(ceil(end, window_s)).to_string();
    let query = [
        ("kpi", kpi),
        ("start_date", &start_date),
        ("end_date", &end_date),
        ("interval", interval),
    ];
    let body = workspace::get_json(base, "/metrics/kpi", &query).await;
    assert_eq!(body["kpi"], kpi, "{body}");
    let text = |row: &Value, key: &str| row[key].as_str().map(str::to_owned);
    let mut out = Windows::new();
    for row in body["data"].as_array().unwrap() {
        let time: jiff::Timestamp = row["timestamp"].as_str().unwrap().parse().unwrap();
        let group = ["skill", "skill_id", "queue", "queue_id", "media_type"].map(|k| text(row, k));
        let value = &row["value"];
        assert!(value.is_null() || value.is_number(), "{row}");
        let window = Expected {
            numerator: row["numerator"].as_i64().unwrap(),
            denominator: row["denominator"].as_i64().unwrap(),
            value: value.as_f64(),
        };
        let repeated = out.insert((time.as_second(), group), window);
        assert!(repeated.is_none(), "one row per window and group: {row}");
    }
    out
}

/// `got` equals `want` window for window; a failure lists the first differences.
fn assert_same(got: &Windows<Expected>, want: &Windows<Expected>, what: &str) {
    assert!(!want.is_empty(), "{what}: the truth has windows");
    let keys: BTreeSet<_> = got.keys().chain(want.keys()).collect();
    let differences: Vec<String> = keys
        .into_iter()
        .filter(|k| got.get(k) != want.get(k))
        .map(|k| format!("{k:?}: got {:?}, want {:?}", got.get(k), want.get(k)))
        .collect();
    assert!(
        differences.is_empty(),
        "{what}: {} of {} windows differ, first:\n{}",
        differences.len(),
        want.len(),
        differences[..differences.len().min(8)].join("\n")
    );
}

/// The truth is not empty where emptiness would make the comparisons prove little:
/// every metric has data (without short abandons or flow-outs the service-level
/// settings could not differ), every KPI a numerator above 0 somewhere.
fn assert_not_vacuous(quarters: &Windows<Metrics>) {
    for metric in kpi::METRICS {
        assert!(
            quarters
                .values()
                .any(|m| m.get(metric).is_some_and(|t| t.count > 0)),
            "the truth has {metric}"
        );
    }
    for kpi in KPIS {
        let windows = expected(quarters, kpi, ServiceLevel::DEFAULT);
        assert!(
            windows.values().any(|w| w.numerator > 0),
            "{kpi} has a numerator above 0"
        );
    }
    // Some window of some KPI and setting has a denominator of 0: `null` is tested.
    let null = KPIS.iter().any(|kpi| {
        SETTINGS.iter().any(|(_, sl)| {
            expected(quarters, kpi, *sl)
                .values()
                .any(|w| w.value.is_none())
        })
    });
    assert!(null, "some window's denominator is 0");
}

/// The points in the InfluxDB 1.x database `genesys`, rolled up into `genesys_1h`
/// and `genesys_1d` by the shipped backfill over the whole days around them.
async fn influxdb1_with_roll_ups(collected: &Collected, start: i64, end: i64) {
    let influx = &collected.influx;
    influx.create_rollup_databases().await.unwrap();
    influx
        .write_points("genesys", &collected.points)
        .await
        .unwrap();
    let backfill = workspace::repository_file("influxql/genesys_aht_backfill.influxql");
    let range = json!({
        "start": at(floor(start, 86_400)).to_string(),
        "stop": at(ceil(end, 86_400)).to_string(),
    });
    let answer = influx.execute(&backfill, &range).await.unwrap();
    assert!(statement_errors(&answer).is_empty(), "{answer}");
}

/// The InfluxDB 3 stand-in over the points (`genesys`) and their roll-ups
/// (`genesys_1h`, `genesys_1d`); returns it and its URL.
async fn influxdb3_stand_in(collected: &Collected) -> (tokio::process::Child, String) {
    let raw: Vec<Row> = collected.points.iter().map(Row::from).collect();
    let hourly = rollup::roll_up(&raw, HOUR_NS);
    let daily = rollup::roll_up(&hourly, DAY_NS);
    let databases = json!({
        "genesys": workspace::stand_in_database(&raw),
        "genesys_1h": workspace::stand_in_database(&hourly),
        "genesys_1d": workspace::stand_in_database(&daily),
    });
    let dir = collected.dir.path();
    let data = dir.join("influxdb3.json");
    std::fs::write(&data, databases.to_string()).unwrap();
    workspace::start_influxdb3_stand_in(&data, &dir.join("influxdb3-requests.jsonl")).await
}

/// A sidecar over `backend` with the service-level setting `sl`.
async fn sidecar(
    collected: &Collected,
    backend: &Backend,
    sl: ServiceLevel,
) -> (tokio::process::Child, String) {
    let roll_ups = if backend.roll_ups {
        "bucket_1h = \"genesys_1h\"\nbucket_1d = \"genesys_1d\"\n"
    } else {
        ""
    };
    // One file per backend and setting: they start at once.
    let name = format!("{} {}", backend.name, sl.toml())
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    let config = collected.dir.path().join(format!("{name}.toml"));
    let text = format!(
        "listen = \"127.0.0.1:0\"\n[influx]\n{}bucket = \"genesys\"\n{roll_ups}{}",
        backend.influx,
        sl.toml()
    );
    std::fs::write(&config, text).unwrap();
    workspace::start_sidecar(&config).await
}

#[tokio::test]
async fn every_kpi_of_every_window_and_group_equals_the_simulators_truth_on_every_backend() {
    let collected = stack::collect(Collection {
        group_by: DIMENSIONS.to_vec(),
        faulted: true,
        ..Collection::default()
    })
    .await;
    let (start, end) = written_range(&collected.points);
    let truths: BTreeMap<&str, (i64, Windows<Metrics>)> = INTERVALS
        .iter()
        .map(|&(interval, window_s)| {
            (
                interval,
                (window_s, truth(&collected, start, end, window_s)),
            )
        })
        .collect();
    assert_not_vacuous(&truths["15m"].1);

    influxdb1_with_roll_ups(&collected, start, end).await;
    let (_stand_in, influxdb3) = influxdb3_stand_in(&collected).await;
    let influxql = format!(
        "backend = \"influxql\"\nurl = \"{}\"\n",
        collected.influx.url
    );
    let sql = format!("backend = \"sql\"\nurl = \"{influxdb3}\"\n");
    let backends = [
        Backend {
            name: "InfluxDB 1.x, raw points",
            influx: influxql.clone(),
            roll_ups: false,
            intervals: &["15m", "1h", "1d"],
        },
        Backend {
            name: "InfluxDB 1.x, InfluxQL backfill roll-ups",
            influx: influxql,
            roll_ups: true,
            intervals: &["1h", "1d"],
        },
        Backend {
            name: "InfluxDB 3 stand-in, raw points and roll-ups",
            influx: sql,
            roll_ups: true,
            intervals: &["15m", "1h", "1d"],
        },
    ];
    // The backends are read at once: the time is the sidecars' and InfluxDB's.
    let [a, b, c] = backends
        .each_ref()
        .map(|backend| check(&collected, &truths, backend, (start, end)));
    tokio::join!(a, b, c);
}

/// Every KPI and setting over `backend`, one sidecar per setting, equal to the truth.
async fn check(
    collected: &Collected,
    truths: &BTreeMap<&str, (i64, Windows<Metrics>)>,
    backend: &Backend,
    (start, end): (i64, i64),
) {
    for (setting, sl) in SETTINGS {
        let (_sidecar, base) = sidecar(collected, backend, sl).await;
        let kpis: &[&str] = if sl == ServiceLevel::DEFAULT {
            &KPIS
        } else {
            &["service_level"]
        };
        for kpi in kpis {
            for interval in backend.intervals {
                let (window_s, truth) = &truths[interval];
                let got = answer(&base, kpi, interval, *window_s, start, end).await;
                let want = expected(truth, kpi, sl);
                let what = format!("{} ({setting}): {kpi} by {interval}", backend.name);
                assert_same(&got, &want, &what);
            }
        }
    }
}
