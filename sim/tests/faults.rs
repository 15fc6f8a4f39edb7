//! Fault injection as a client sees it, the rate limit, and the request log.
// Test code: a panic is a failed assertion (helpers too, not only #[test] bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{AGGREGATES, Api, config, read, token};
use genesys_sim::{Endpoint, FaultKind, RandomFaults, SimConfig};
use serde_json::json;

const SKILLS: &str = "/api/v2/routing/skills";

fn query() -> serde_json::Value {
    json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "metrics": ["tHandle"]})
}

#[tokio::test]
async fn scripted_429_carries_retry_after_and_the_normalised_body() {
    let api = Api::start().await;
    api.sim.push_fault(
        Endpoint::Aggregates,
        FaultKind::RateLimited {
            retry_after_secs: 42,
        },
        2,
    );
    for _ in 0..2 {
        // A request to another endpoint does not consume the aggregates faults.
        assert_eq!(api.get(SKILLS).await.status, 200);
        let answer = api.post(AGGREGATES, &query()).await;
        assert_eq!(answer.header("retry-after"), Some("42"));
        let body = answer.assert_error(429, "too.many.requests.retry.after");
        assert_eq!(
            body["message"],
            "Rate limit exceeded the maximum. Retry the request in [42] seconds"
        );
        assert_eq!(body["details"], json!([]));
        assert_eq!(body["errors"], json!([]));
    }
    assert_eq!(api.post(AGGREGATES, &query()).await.status, 200);
}

#[tokio::test]
async fn server_errors_have_platform_bodies() {
    let api = Api::start().await;
    let cases = [
        (500, "internal.server.error"),
        (502, "bad.gateway"),
        (503, "service.unavailable"),
        (504, "request.timeout"),
    ];
    for (status, _) in cases {
        api.sim
            .push_fault(Endpoint::Any, FaultKind::ServerError(status), 1);
    }
    for (status, code) in cases {
        api.get(SKILLS).await.assert_error(status, code);
    }
    api.sim.push_fault(
        Endpoint::Any,
        FaultKind::ServerErrorRetryAfter {
            status: 503,
            retry_after_secs: 9,
        },
        1,
    );
    let answer = api.get(SKILLS).await;
    assert_eq!(answer.header("retry-after"), Some("9"));
    answer.assert_error(503, "service.unavailable");
}

#[tokio::test]
async fn a_revoked_token_is_refused_from_then_on_and_a_new_one_works() {
    let mut api = Api::start().await;
    // The skills request does not take the aggregates fault.
    api.sim
        .push_fault(Endpoint::Aggregates, FaultKind::RevokedToken, 1);
    assert_eq!(api.get(SKILLS).await.status, 200);
    api.post(AGGREGATES, &query())
        .await
        .assert_error(401, "bad.credentials");
    // Revoked, not only refused once: the same token fails on any endpoint.
    api.get(SKILLS).await.assert_error(401, "bad.credentials");
    let client = reqwest::Client::new();
    api.token = token(&client, &api.sim.base_url(), "sim-client", "sim-secret").await;
    assert_eq!(api.post(AGGREGATES, &query()).await.status, 200);
}

#[tokio::test]
async fn a_slow_response_passes_a_client_timeout() {
    let api = Api::start().await;
    api.sim.push_fault(
        Endpoint::Skills,
        FaultKind::Slow(Duration::from_millis(800)),
        2,
    );
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = impatient
        .get(api.url(SKILLS))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    // Without a timeout the slow answer is the normal one.
    assert_eq!(api.get(SKILLS).await.status, 200);
}

#[tokio::test]
async fn a_truncated_body_fails_to_read() {
    let api = Api::start().await;
    api.sim
        .push_fault(Endpoint::Aggregates, FaultKind::Truncated, 1);
    let response = api
        .client
        .post(api.url(AGGREGATES))
        .bearer_auth(&api.token)
        .json(&query())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let length: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(length > 2);
    assert!(
        response.bytes().await.is_err(),
        "the body ends before its Content-Length"
    );
    assert_eq!(
        api.post(AGGREGATES, &query()).await.status,
        200,
        "the next request is served"
    );
}

#[tokio::test]
async fn a_malformed_body_is_200_and_not_json() {
    let api = Api::start().await;
    api.sim
        .push_fault(Endpoint::Aggregates, FaultKind::Malformed, 1);
    let answer = api.post(AGGREGATES, &query()).await;
    assert_eq!(answer.status, 200);
    assert!(
        serde_json::from_str::<serde_json::Value>(&answer.text).is_err(),
        "{}",
        answer.text
    );
}

#[tokio::test]
async fn a_dropped_connection_has_no_response() {
    let api = Api::start().await;
    api.sim.push_fault(Endpoint::Token, FaultKind::Dropped, 1);
    let request = api
        .client
        .post(api.url("/oauth/token"))
        .basic_auth("sim-client", Some("sim-secret"));
    let error = request
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_timeout() && error.status().is_none(), "{error}");
    let log = api.sim.request_log();
    let dropped = log.last().unwrap();
    assert_eq!(
        (dropped.path.as_str(), dropped.status, dropped.fault.clone()),
        ("/oauth/token", None, Some(FaultKind::Dropped))
    );
    token(&api.client, &api.sim.base_url(), "sim-client", "sim-secret").await;
}

fn random(seed: u64) -> RandomFaults {
    RandomFaults {
        seed,
        probability: 0.25,
        kinds: vec![
            FaultKind::RateLimited {
                retry_after_secs: 1,
            },
            FaultKind::ServerError(503),
            FaultKind::Malformed,
        ],
        endpoint: Endpoint::Skills,
    }
}

async fn random_run(seed: u64) -> Vec<Option<FaultKind>> {
    let api = Api::start().await;
    api.sim.set_random_faults(Some(random(seed)));
    for _ in 0..200 {
        api.get(SKILLS).await;
    }
    assert_eq!(
        api.get("/api/v2/routing/queues").await.status,
        200,
        "other endpoints take no part"
    );
    api.sim.set_random_faults(None);
    api.sim
        .request_log()
        .into_iter()
        .filter(|r| r.path == SKILLS)
        .map(|r| r.fault)
        .collect()
}

#[tokio::test]
async fn random_faults_hit_the_chosen_share_reproducibly() {
    let (first, again, other) = (
        random_run(5).await,
        random_run(5).await,
        random_run(6).await,
    );
    let faulted = first.iter().filter(|f| f.is_some()).count();
    assert!(
        (30..=70).contains(&faulted),
        "{faulted} of 200 with p = 0.25"
    );
    assert_eq!(first, again, "the same seed gives the same faults");
    assert_ne!(first, other);
}

#[tokio::test]
async fn the_rate_limit_is_per_token() {
    let api = Api::with(SimConfig {
        requests_per_minute: 5,
        ..config()
    })
    .await;
    for _ in 0..5 {
        assert_eq!(api.get(SKILLS).await.status, 200);
    }
    let limited = api.get(SKILLS).await;
    let body = limited.assert_error(429, "too.many.requests.retry.after");
    let retry_after: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    assert_eq!(
        body["message"],
        format!("Rate limit exceeded the maximum. Retry the request in [{retry_after}] seconds")
    );
    let other = api.get_as(SKILLS, &api.second_token().await).await;
    assert_eq!(other.status, 200, "another token has its own budget");
}

#[tokio::test]
async fn the_request_log_records_every_request() {
    let api = Api::start().await;
    api.get(SKILLS).await;
    api.post(AGGREGATES, &query()).await;
    read(api.client.get(api.url(SKILLS)).send().await.unwrap()).await;
    let second = api.second_token().await;
    api.get_as(SKILLS, &second).await;
    let log = api.sim.request_log();
    let summary: Vec<_> = log
        .iter()
        .map(|r| {
            (
                r.method.as_str(),
                r.path.as_str(),
                r.status,
                r.client_id.as_deref(),
                r.token_id,
            )
        })
        .collect();
    let client = Some("sim-client");
    assert_eq!(
        summary,
        [
            ("POST", "/oauth/token", Some(200), client, Some(1)),
            ("GET", SKILLS, Some(200), client, Some(1)),
            ("POST", AGGREGATES, Some(200), client, Some(1)),
            ("GET", SKILLS, Some(401), None, None),
            ("POST", "/oauth/token", Some(200), client, Some(2)),
            ("GET", SKILLS, Some(200), client, Some(2)),
        ]
    );
    assert!(log.windows(2).all(|w| w[0].at <= w[1].at));
    assert!(log.iter().all(|r| r.fault.is_none()));
    let logged = format!("{log:?}");
    assert!(
        !logged.contains(&api.token) && !logged.contains(&second),
        "tokens are never recorded"
    );
}
