//! Retries against the simulator's faults, through the real binary: `Retry-After` is
//! waited out to the second (after a 429, and after a 502/503/504 that sends it), every transient fault kind is retried until the answer
//! is the one a fault-free run gives, and what cannot get better is not retried.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{TestConfig, parse, run, sim};
use genesys_sim::{Endpoint, FaultKind, Sim, SimConfig};

/// `--once` with fast retries; returns (conversation lines, stderr).
async fn once(sim: &Sim, tune: fn(TestConfig) -> TestConfig) -> (Vec<common::Line>, String) {
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .genesys("backoff_initial", "20ms")
        .genesys("backoff_max", "100ms")
        .collect("group_by", vec!["requestedRoutingSkillId", "queueId"]);
    let config = tune(config).write(&dir);
    let output = run(&["--config", config.to_str().unwrap(), "--once"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    (parse(&output.stdout), stderr)
}

#[tokio::test]
async fn retry_after_is_waited_out_to_the_second() {
    let sim = sim(SimConfig::default()).await;
    sim.push_fault(
        Endpoint::Aggregates,
        FaultKind::RateLimited {
            retry_after_secs: 2,
        },
        1,
    );
    let (lines, stderr) = once(&sim, |c| c).await;
    assert!(!lines.is_empty());
    assert!(
        stderr.contains("HTTP 429") && stderr.contains("retry 1/8 in 2000 ms"),
        "{stderr}"
    );
    let log = sim.request_log();
    let limited = log
        .iter()
        .position(|r| r.status == Some(429))
        .expect("the 429 is in the log");
    let after = &log[limited + 1..];
    assert!(!after.is_empty(), "the request was sent again");
    for request in after {
        let waited = request.at.duration_since(log[limited].at);
        assert!(
            waited >= jiff::SignedDuration::from_secs(2),
            "{} {} came {waited:?} after the 429",
            request.method,
            request.path
        );
    }
}

#[tokio::test]
async fn retry_after_on_a_gateway_error_is_waited_out_too() {
    let sim = sim(SimConfig::default()).await;
    sim.push_fault(
        Endpoint::Aggregates,
        FaultKind::ServerErrorRetryAfter {
            status: 503,
            retry_after_secs: 2,
        },
        1,
    );
    // The backoff alone would wait at most 100 ms.
    let (lines, stderr) = once(&sim, |c| c).await;
    assert!(!lines.is_empty());
    assert!(
        stderr.contains("HTTP 503") && stderr.contains("retry 1/8 in 2000 ms"),
        "{stderr}"
    );
    let log = sim.request_log();
    let failed = log
        .iter()
        .position(|r| r.status == Some(503))
        .expect("the 503 is in the log");
    let again = log[failed + 1..]
        .iter()
        .find(|r| r.path.ends_with("/aggregates/query"))
        .expect("the query was sent again");
    let waited = again.at.duration_since(log[failed].at);
    assert!(
        waited >= jiff::SignedDuration::from_secs(2),
        "sent again {waited:?} after the 503"
    );
}

#[tokio::test]
async fn every_transient_fault_is_retried_to_the_fault_free_answer() {
    let clean = sim(SimConfig::default()).await;
    let (want, _) = once(&clean, |c| c).await;
    let faults = [
        FaultKind::ServerError(500),
        FaultKind::ServerError(502),
        FaultKind::ServerError(503),
        FaultKind::ServerError(504),
        FaultKind::Truncated,
        FaultKind::Malformed,
        FaultKind::Dropped,
        FaultKind::Slow(Duration::from_secs(3)),
    ];
    for endpoint in [
        Endpoint::Token,
        Endpoint::Aggregates,
        Endpoint::Skills,
        Endpoint::Queues,
    ] {
        let sim = sim(SimConfig::default()).await;
        for fault in &faults {
            sim.push_fault(endpoint, fault.clone(), 1);
        }
        let (got, stderr) = once(&sim, |c| {
            c.genesys("request_timeout", "1s")
                .genesys("max_retries", 10)
        })
        .await;
        assert_eq!(got, want, "{endpoint:?}: {stderr}");
        // A slow answer is logged only when the simulator sends it, after the client
        // gave up: its timeout shows in stderr instead.
        let faulted = sim
            .request_log()
            .iter()
            .filter(|r| r.fault.is_some())
            .count();
        assert!(
            faulted >= faults.len() - 1,
            "{endpoint:?}: {faulted} faults served"
        );
        assert!(stderr.contains("timed out"), "{endpoint:?}: {stderr}");
    }
}

#[tokio::test]
async fn a_bad_request_is_not_retried() {
    // The simulator refuses more buckets than its cap with a 400.
    let sim = sim(SimConfig {
        aggregates_max_buckets: 2,
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .collect("lookback", "1h")
        .write(&dir);
    let output = run(&["--config", config.to_str().unwrap(), "--once"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("HTTP 400") && !stderr.contains("retry"),
        "{stderr}"
    );
    let aggregates = sim
        .request_log()
        .iter()
        .filter(|r| r.path.ends_with("/aggregates/query"))
        .count();
    assert_eq!(aggregates, 1, "{stderr}");
}
