//! The SQL backend (`backend = "sql"`, InfluxDB 3's `/api/v3/query_sql`) against a
//! **stand-in**: `influxdb3_standin.py`, which executes the SQL the sidecar sends
//! with Apache DataFusion (PyPI `datafusion`, in the repository's `.venv`) over the
//! same points the InfluxQL tests write to the real InfluxDB 1.6, typed as InfluxDB 3
//! types them. The same cases must give the same answers; hostile values a 400 or an
//! empty answer. No InfluxDB 3 runs here.

use genesys_aht_sidecar::Running;
use serde_json::{Value, json};

use crate::cases::{check_cases, check_hostile, check_skills};
use crate::live::{
    LIVE_CONFIG, check_hostile_queues, check_newest, now_ns, poll, polls, sql_points,
};
use crate::support::*;

/// The stand-in process (killed when dropped), its base URL and its data file.
struct StandIn {
    _child: tokio::process::Child,
    url: String,
    dir: tempfile::TempDir,
}

impl StandIn {
    /// Every request body the stand-in received.
    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.path().join("requests.jsonl"))
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }
}

/// A point as the stand-in reads it.
fn point(p: &TestPoint) -> Value {
    let contract = contract_point(p);
    let tags: serde_json::Map<String, Value> = contract
        .tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(v.as_str())))
        .collect();
    let fields: serde_json::Map<String, Value> = contract
        .fields
        .iter()
        .map(|(k, v)| {
            let value = match v {
                genesys_aht_contract::FieldValue::Integer(n) => json!(n),
                genesys_aht_contract::FieldValue::Float(x) => json!(x),
            };
            (k.clone(), value)
        })
        .collect();
    json!({"time": p.ts_ns, "tags": tags, "fields": fields})
}

async fn stand_in() -> StandIn {
    stand_in_with(Vec::new()).await
}

/// A stand-in whose `test` database also holds `live` (points of the live state).
async fn stand_in_with(live: Vec<Value>) -> StandIn {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("points.json");
    let mut test: Vec<Value> = points().iter().map(point).collect();
    test.extend(live);
    let databases = json!({
        "test": test,
        "test_1h": hourly_bucket().iter().map(point).collect::<Vec<_>>(),
        "test_1d": daily_bucket().iter().map(point).collect::<Vec<_>>(),
    });
    std::fs::write(&data, databases.to_string()).unwrap();
    let log = dir.path().join("requests.jsonl");
    let (child, url) = genesys_aht_tests::workspace::start_influxdb3_stand_in(&data, &log).await;
    StandIn {
        _child: child,
        url,
        dir,
    }
}

async fn sql_sidecar(standin: &StandIn) -> Running {
    tiered_sidecar("sql", &standin.url).await
}

#[tokio::test]
async fn answers_match_the_points_written() {
    let standin = stand_in().await;
    let sidecar = sql_sidecar(&standin).await;
    check_cases(&sidecar).await;
    check_skills(&sidecar).await;
    sidecar.stop().await;
}

#[tokio::test]
async fn hostile_values_never_give_other_data_or_a_5xx() {
    let standin = stand_in().await;
    let sidecar = sql_sidecar(&standin).await;
    check_hostile(&sidecar).await;
    sidecar.stop().await;
    assert_bound(
        &standin.requests(),
        &[
            "' OR '1'='1",
            "Tech Support' OR skill =~ /.*/ --",
            "${skill}",
        ],
    );
}

/// The values reached InfluxDB as bound parameters, never as SQL text.
fn assert_bound(requests: &[Value], values: &[&str]) {
    let bound: Vec<&str> = requests
        .iter()
        .filter_map(|r| r["params"].as_object())
        .flat_map(|params| params.values().filter_map(Value::as_str))
        .collect();
    for value in values {
        assert!(bound.contains(value), "{value:?} was not bound");
        for request in requests {
            let q = request["q"].as_str().unwrap();
            assert!(!q.contains(value), "{value:?} in {q}");
        }
    }
}

/// A SQL sidecar over the stand-in's `test` databases, with the live window of
/// the live tests.
async fn live_sidecar(standin: &StandIn) -> Running {
    sidecar(&format!(
        "[influx]\nbackend = \"sql\"\nurl = \"{}\"\nbucket = \"test\"\n\
         bucket_1h = \"test_1h\"\nbucket_1d = \"test_1d\"\n{LIVE_CONFIG}",
        standin.url
    ))
    .await
}

#[tokio::test]
async fn live_state_is_each_queues_newest_poll() {
    let now = now_ns();
    let points = polls(now);
    let standin = stand_in_with(sql_points(&points)).await;
    let sidecar = live_sidecar(&standin).await;
    check_newest(&sidecar, &points, now).await;
    // The conversations' table, in the same database, answers as before.
    check_cases(&sidecar).await;
    sidecar.stop().await;
}

#[tokio::test]
async fn hostile_queue_values_never_give_other_data_or_a_5xx() {
    let standin = stand_in_with(sql_points(&poll(now_ns(), "Support", "q-1", 1))).await;
    let sidecar = live_sidecar(&standin).await;
    check_hostile_queues(&sidecar).await;
    sidecar.stop().await;
    assert_bound(&standin.requests(), &["' OR '1'='1", "${queue}", "/.*/"]);
}

#[tokio::test]
async fn a_database_that_does_not_exist_is_a_502_with_its_reason() {
    let standin = stand_in().await;
    let sidecar = sidecar(&format!(
        "[influx]\nbackend = \"sql\"\nurl = \"{}\"\nbucket = \"nosuch\"\n",
        standin.url
    ))
    .await;
    assert_missing_bucket_502(&sidecar, "database not found").await;
    sidecar.stop().await;
}

#[tokio::test]
async fn readiness_follows_the_server() {
    let standin = stand_in().await;
    let sidecar = sql_sidecar(&standin).await;
    let (status, body) = get(&sidecar, "/readyz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    drop(standin);
    let (status, body) = get(&sidecar, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "upstream_unavailable");
    sidecar.stop().await;
}
