//! A 401 on an API call renews the token once and retries, and only once: the
//! simulator revokes the token of the aggregates query (its `RevokedToken` fault)
//! as an admin revoking the OAuth client's tokens would.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestConfig, sim};
use genesys_aht::genesys::GenesysError;
use genesys_sim::{Endpoint, FaultKind, Sim, SimConfig};

/// The statuses of the requests to `path`, in order.
fn statuses(sim: &Sim, path: &str) -> Vec<Option<u16>> {
    sim.request_log()
        .into_iter()
        .filter(|r| r.path == path)
        .map(|r| r.status)
        .collect()
}

const TOKEN: &str = "/oauth/token";
const AGGREGATES: &str = "/api/v2/analytics/conversations/aggregates/query";

#[tokio::test]
async fn a_revoked_token_is_renewed_once_and_the_call_retried() {
    let sim = sim(SimConfig::default()).await;
    sim.push_fault(Endpoint::Aggregates, FaultKind::RevokedToken, 1);
    let points = common::collector(&TestConfig::new(&sim.base_url()))
        .collect(sim.now())
        .await
        .unwrap();
    assert!(!points.is_empty());
    assert_eq!(statuses(&sim, TOKEN), [Some(200), Some(200)]);
    assert_eq!(statuses(&sim, AGGREGATES), [Some(401), Some(200)]);
}

#[tokio::test]
async fn a_second_401_is_an_error_not_a_loop() {
    let sim = sim(SimConfig::default()).await;
    sim.push_fault(Endpoint::Aggregates, FaultKind::RevokedToken, 2);
    let error = common::collector(&TestConfig::new(&sim.base_url()))
        .collect(sim.now())
        .await
        .unwrap_err();
    assert!(
        matches!(error, GenesysError::Unauthorized { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("bad.credentials"), "{error}");
    assert_eq!(statuses(&sim, TOKEN), [Some(200), Some(200)]);
    assert_eq!(statuses(&sim, AGGREGATES), [Some(401), Some(401)]);
}
