//! The Flux backend against the stand-in for InfluxDB 2.x, compared with the
//! InfluxQL backend against the real InfluxDB 1.6 on the same points.

use std::collections::BTreeMap;
use std::time::Duration;

use genesys_aht_sidecar::Running;

use crate::cases::{check_cases, check_hostile, check_skills};
use crate::influxql::{influxql_sidecar, loaded_influxdb};
use crate::live::{LIVE_CONFIG, check_hostile_queues, check_newest, now_ns, poll, polls, stored};
use crate::standin::{ORG, StandIn, TOKEN};
use crate::support::*;

/// A stand-in holding the same buckets as `loaded_influxdb`.
pub(crate) async fn standin() -> StandIn {
    StandIn::start(BTreeMap::from([
        ("genesys".to_string(), points()),
        ("genesys_1h".to_string(), hourly_bucket()),
        ("genesys_1d".to_string(), daily_bucket()),
    ]))
    .await
}

pub(crate) async fn flux_sidecar(standin: &StandIn, extra: &str) -> Running {
    sidecar(&format!(
        "[influx]\nbackend = \"flux\"\nurl = \"{}\"\ntoken = \"{TOKEN}\"\norg = \"{ORG}\"\n\
         bucket = \"genesys\"\nbucket_1h = \"genesys_1h\"\nbucket_1d = \"genesys_1d\"\n{extra}",
        standin.url
    ))
    .await
}

/// Checks every script the tests sent with the Flux language server, and keeps
/// them, one file each, for a look by hand.
fn check_and_record_scripts(test: &str, scripts: &[String]) {
    assert!(!scripts.is_empty());
    let names: Vec<String> = (0..scripts.len())
        .map(|i| format!("{test}/{i:03}.flux"))
        .collect();
    let named: Vec<(&str, &str)> = names
        .iter()
        .map(String::as_str)
        .zip(scripts.iter().map(String::as_str))
        .collect();
    if let Err(error) = genesys_aht_tests::flux::check_texts(&named) {
        panic!("the Flux language server refused a script the sidecar sent: {error}");
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("flux-sent")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (i, script) in scripts.iter().enumerate() {
        std::fs::write(dir.join(format!("{i:03}.flux")), script).unwrap();
    }
}

#[tokio::test]
async fn flux_answers_match_the_points_and_the_influxql_backend() {
    let standin = standin().await;
    let flux = flux_sidecar(&standin, "").await;
    let flux_bodies = check_cases(&flux).await;
    check_skills(&flux).await;

    let influx = loaded_influxdb().await;
    let influxql = influxql_sidecar(&influx).await;
    let influxql_bodies = check_cases(&influxql).await;
    assert_eq!(flux_bodies, influxql_bodies);

    check_and_record_scripts("answers", &standin.scripts());
    flux.stop().await;
    influxql.stop().await;
}

#[tokio::test]
async fn flux_hostile_values_never_give_other_data_or_a_5xx() {
    let standin = standin().await;
    let flux = flux_sidecar(&standin, "").await;
    check_hostile(&flux).await;
    let scripts = standin.scripts();
    assert!(
        scripts
            .iter()
            .any(|s| s.contains(r#"r["skill"] == "\x24{skill}""#)),
        "no escaped ${{ in the scripts"
    );
    check_and_record_scripts("hostile", &scripts);
    flux.stop().await;
}

#[tokio::test]
async fn flux_live_state_is_each_queues_newest_poll() {
    let now = now_ns();
    let points = polls(now);
    let standin =
        StandIn::start_stored(BTreeMap::from([("genesys".to_string(), stored(&points))])).await;
    let flux = flux_sidecar(&standin, LIVE_CONFIG).await;
    check_newest(&flux, &points, now).await;
    check_and_record_scripts("live", &standin.scripts());
    flux.stop().await;
}

#[tokio::test]
async fn flux_hostile_queue_values_never_give_other_data_or_a_5xx() {
    let points = poll(now_ns(), "Support", "q-1", 1);
    let standin =
        StandIn::start_stored(BTreeMap::from([("genesys".to_string(), stored(&points))])).await;
    let flux = flux_sidecar(&standin, LIVE_CONFIG).await;
    check_hostile_queues(&flux).await;
    let scripts = standin.scripts();
    assert!(
        scripts
            .iter()
            .any(|s| s.contains(r#"r["queue"] == "\x24{queue}""#)),
        "no escaped ${{ in the scripts"
    );
    check_and_record_scripts("live-hostile", &scripts);
    flux.stop().await;
}

fn aht_path() -> String {
    let (s, e) = (rfc3339(T0_NS), rfc3339(T0_NS + 6 * HOUR_NS));
    format!(
        "/metrics/aht?{}",
        query(&[("start_date", &s), ("end_date", &e), ("interval", "15m")])
    )
}

#[tokio::test]
async fn an_error_table_mid_stream_is_a_502_and_not_cached() {
    let standin = standin().await;
    *standin.shared.fail_mid_stream.lock().unwrap() = true;
    let flux = flux_sidecar(&standin, "").await;
    let (status, body) = get(&flux, &aht_path()).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], "upstream_error");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("index out of range"),
        "{body}"
    );
    *standin.shared.fail_mid_stream.lock().unwrap() = false;
    let (status, body) = get(&flux, &aht_path()).await;
    assert_eq!(status, 200, "{body}");
    // The first request failed at its first query (the name index), the second
    // asked again: nothing of the failure was cached.
    assert_eq!((standin.name_queries(), standin.requests()), (2, 1));
    flux.stop().await;
}

#[tokio::test]
async fn a_missing_bucket_is_a_502_naming_it() {
    let standin = standin().await;
    let flux = sidecar(&format!(
        "[influx]\nbackend = \"flux\"\nurl = \"{}\"\ntoken = \"{TOKEN}\"\norg = \"{ORG}\"\nbucket = \"nosuch\"\n",
        standin.url
    ))
    .await;
    assert_missing_bucket_502(&flux, "could not find bucket").await;
    flux.stop().await;
}

#[tokio::test]
async fn a_hundred_identical_requests_on_a_cold_cache_make_one_upstream_query() {
    let standin = standin().await;
    *standin.shared.delay.lock().unwrap() = Duration::from_millis(300);
    // One client: without its per-client limits off, most of the hundred would be
    // refused or queued by them, and this is about coalescing.
    let no_client_limits =
        "[limits]\nclient_misses_per_second = 0\nclient_concurrent_queries = 0\n";
    let flux = flux_sidecar(&standin, no_client_limits).await;
    let url = format!("http://{}{}", flux.addr, aht_path());
    let client = reqwest::Client::new();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let request = client.get(&url).send();
        calls.spawn(async move {
            let response = request.await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        });
    }
    let answers = calls.join_all().await;
    assert!(answers.iter().all(|(status, _)| *status == 200));
    assert!(answers.windows(2).all(|w| w[0].1 == w[1].1));
    assert_eq!(standin.requests(), 1);
    let metrics = flux.state.metrics.render();
    assert!(
        metrics.contains("sidecar_cache_misses_total 1\n"),
        "{metrics}"
    );
    // Every other request either waited for that query or found its answer cached.
    let count = |name: &str| -> u64 {
        let line = metrics.lines().find(|l| l.starts_with(name)).unwrap();
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    assert_eq!(
        count("sidecar_cache_coalesced_total") + count("sidecar_cache_hits_total"),
        99
    );
    assert!(count("sidecar_cache_coalesced_total") > 0, "{metrics}");
    flux.stop().await;
}

#[tokio::test]
async fn a_slow_influxdb_is_a_504_and_a_gone_one_a_503() {
    let standin = standin().await;
    *standin.shared.delay.lock().unwrap() = Duration::from_secs(3);
    let flux = flux_sidecar(&standin, "timeout = \"300ms\"\n").await;
    let (status, body) = get(&flux, &aht_path()).await;
    assert_eq!(status, 504, "{body}");
    assert_eq!(body["error"], "upstream_timeout");
    standin.stop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (status, body) = get(&flux, &aht_path()).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], "upstream_unavailable");
    flux.stop().await;
}

#[tokio::test]
async fn an_org_of_sixteen_hex_digits_is_sent_as_an_org_id() {
    let standin = standin().await;
    for (org, sent) in [
        ("0a1b2c3d4e5f6789", "orgID=0a1b2c3d4e5f6789"),
        (ORG, "org=test-org"),
        ("0a1b2c3d4e5f678", "org=0a1b2c3d4e5f678"),
    ] {
        let flux = sidecar(&format!(
            "[influx]\nbackend = \"flux\"\nurl = \"{}\"\ntoken = \"{TOKEN}\"\norg = \"{org}\"\nbucket = \"genesys\"\n",
            standin.url
        ))
        .await;
        let (status, body) = get(&flux, &aht_path()).await;
        assert_eq!(status, 200, "{body}");
        // Two queries: the name index, then the data.
        let orgs: Vec<String> = standin.shared.orgs.lock().unwrap().drain(..).collect();
        assert_eq!(orgs, [sent, sent]);
        flux.stop().await;
    }
    assert!(
        standin.shared.orgs.lock().unwrap().is_empty(),
        "one parameter per request"
    );
}
