//! The SQL backend (`backend = "sql"`, InfluxDB 3's `/api/v3/query_sql`) against a
//! **stand-in**: `influxdb3_standin.py`, which executes the SQL the sidecar sends
//! with Apache DataFusion (PyPI `datafusion`, in the repository's `.venv`) over the
//! same points the InfluxQL tests write to the real InfluxDB 1.6, typed as InfluxDB 3
//! types them. The same cases must give the same answers; hostile values a 400 or an
//! empty answer. No InfluxDB 3 runs here.

use genesys_aht_sidecar::Running;
use serde_json::{Value, json};

use crate::cases::{check_cases, check_hostile, check_skills};
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
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("points.json");
    let databases = json!({
        "test": points().iter().map(point).collect::<Vec<_>>(),
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
    // The values reached InfluxDB as bound parameters, never as SQL text.
    let requests = standin.requests();
    let bound: Vec<&str> = requests
        .iter()
        .filter_map(|r| r["params"].as_object())
        .flat_map(|params| params.values().filter_map(Value::as_str))
        .collect();
    for value in [
        "' OR '1'='1",
        "Tech Support' OR skill =~ /.*/ --",
        "${skill}",
    ] {
        assert!(bound.contains(&value), "{value:?} was not bound");
        for request in &requests {
            let q = request["q"].as_str().unwrap();
            assert!(!q.contains(value), "{value:?} in {q}");
        }
    }
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
