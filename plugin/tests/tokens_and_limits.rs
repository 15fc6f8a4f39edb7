//! Token renewal, rate limiting and a missing queue permission, against the simulator.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{TestConfig, parse, run, sim};
use genesys_aht::collect::Collector;
use genesys_sim::{ClientConfig, Endpoint, FaultKind, Sim, SimConfig};

fn collector(sim: &Sim) -> Collector {
    common::collector(&TestConfig::new(&sim.base_url()))
}

fn token_requests(sim: &Sim) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| r.path == "/oauth/token")
        .count()
}

#[tokio::test]
async fn the_token_is_reused_then_renewed_before_it_expires() {
    let sim = sim(SimConfig {
        token_lifetime: Duration::from_secs(2),
        ..SimConfig::default()
    })
    .await;
    let collector = collector(&sim);
    collector.collect(sim.now()).await.unwrap();
    collector.collect(sim.now()).await.unwrap();
    assert_eq!(token_requests(&sim), 1, "a valid token is reused");
    tokio::time::sleep(Duration::from_millis(1900)).await;
    collector.collect(sim.now()).await.unwrap();
    assert_eq!(token_requests(&sim), 2, "renewed before expires_in ran out");
    let refused = sim
        .request_log()
        .iter()
        .filter(|r| r.status == Some(401))
        .count();
    assert_eq!(refused, 0, "no request went out with an expired token");
}

#[tokio::test]
async fn a_rate_limit_past_the_retries_is_reported_with_its_retry_after() {
    let sim = sim(SimConfig::default()).await;
    sim.push_fault(
        Endpoint::Aggregates,
        FaultKind::RateLimited {
            retry_after_secs: 7,
        },
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .genesys("max_retries", 0)
        .write(&dir);
    let output = run(&["--config", config.to_str().unwrap(), "--once"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.starts_with("E! ") && stderr.contains("429") && stderr.contains("7s"),
        "{stderr}"
    );
}

/// Queue IDs written in place of names would become a second series once the
/// permission is granted: without it, a collection grouped by queue writes nothing and
/// says which permission is missing.
#[tokio::test]
async fn without_queue_permission_the_collection_fails_naming_it() {
    let client = ClientConfig {
        id: "no-queues".into(),
        secret: "no-queues-secret".into(),
        permissions: vec!["analytics:conversationAggregate:view".into()],
    };
    let sim = sim(SimConfig {
        clients: vec![client],
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let base = TestConfig::new(&sim.base_url())
        .genesys("client_id", "no-queues")
        .genesys("client_secret", "no-queues-secret");
    let config = base
        .clone()
        .collect("group_by", vec!["queueId", "requestedRoutingSkillId"])
        .write(&dir);
    let output = run(&["--config", config.to_str().unwrap(), "--once"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("E! ") && l.contains("routing:queue:view")),
        "{stderr}"
    );
    assert!(parse(&output.stdout).is_empty(), "no conversation point");
    // Grouped by skill only, the same client needs no queue names and collects.
    let config = base
        .collect("group_by", vec!["requestedRoutingSkillId"])
        .write(&dir);
    let output = run(&["--config", config.to_str().unwrap(), "--once"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        parse(&output.stdout)
            .iter()
            .any(|l| l.tags["skill"] == "Tech Support"),
        "skill names resolve"
    );
}
