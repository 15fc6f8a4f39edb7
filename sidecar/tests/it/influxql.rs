//! The InfluxQL backend against the real InfluxDB 1.6 (Debian's `influxd`).

use genesys_aht_sidecar::Running;
use genesys_aht_tests::influxdb::InfluxDb;

use crate::cases::{check_cases, check_hostile, check_skills};
use crate::support::*;

/// A real InfluxDB holding the test points in `test` and the roll-ups in `test_1h`
/// and `test_1d`.
pub(crate) async fn loaded_influxdb() -> InfluxDb {
    let influx = InfluxDb::start().await.unwrap();
    let raw = points();
    influx.write(&line_protocol(&raw)).await.unwrap();
    for (db, points) in [("test_1h", hourly_bucket()), ("test_1d", daily_bucket())] {
        influx
            .query_post(&format!("CREATE DATABASE {db}"))
            .await
            .unwrap();
        let response = reqwest::Client::new()
            .post(format!("{}/write?db={db}&precision=ns", influx.url))
            .body(line_protocol(&points))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status().as_u16(),
            204,
            "{}",
            response.text().await.unwrap()
        );
    }
    influx
}

pub(crate) async fn influxql_sidecar(influx: &InfluxDb) -> Running {
    tiered_sidecar("influxql", &influx.url).await
}

#[tokio::test]
async fn answers_match_the_points_written() {
    let influx = loaded_influxdb().await;
    let sidecar = influxql_sidecar(&influx).await;
    check_cases(&sidecar).await;
    check_skills(&sidecar).await;
    sidecar.stop().await;
}

#[tokio::test]
async fn hostile_values_never_give_other_data_or_a_5xx() {
    let influx = loaded_influxdb().await;
    let sidecar = influxql_sidecar(&influx).await;
    check_hostile(&sidecar).await;
    sidecar.stop().await;
}

#[tokio::test]
async fn a_statement_error_inside_a_200_is_a_502_with_its_reason() {
    let influx = loaded_influxdb().await;
    let sidecar = sidecar(&format!(
        "[influx]\nbackend = \"influxql\"\nurl = \"{}\"\nbucket = \"nosuch\"\n",
        influx.url
    ))
    .await;
    let q = assert_missing_bucket_502(&sidecar, "database not found").await;
    // Errors are not cached: the same request asks again.
    let (status, _) = get(&sidecar, &q).await;
    assert_eq!(status, 502);
    let metrics = sidecar.state.metrics.render();
    assert!(
        metrics.contains("sidecar_cache_misses_total 2\n"),
        "{metrics}"
    );
    sidecar.stop().await;
}

#[tokio::test]
async fn readiness_follows_influxdb() {
    let influx = loaded_influxdb().await;
    let sidecar = influxql_sidecar(&influx).await;
    let (status, body) = get(&sidecar, "/readyz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));
    drop(influx);
    let (status, body) = get(&sidecar, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "upstream_unavailable");
    sidecar.stop().await;
}
