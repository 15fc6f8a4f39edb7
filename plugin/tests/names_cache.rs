//! Skill and queue names: fetched once, refreshed at most once per poll for unknown
//! IDs, and not fetched again while cached (deleted IDs included).

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestConfig, sim};
use genesys_sim::{Sim, SimConfig};

fn routing_requests(sim: &Sim) -> Vec<String> {
    sim.request_log()
        .into_iter()
        .filter(|r| r.path.starts_with("/api/v2/routing/"))
        .map(|r| r.path)
        .collect()
}

#[tokio::test]
async fn names_are_cached_and_refreshed_at_most_once_per_poll() {
    let sim = sim(SimConfig::default()).await;
    let config = TestConfig::new(&sim.base_url())
        .collect("lookback", "1d")
        .collect("group_by", vec!["queueId", "requestedRoutingSkillId"]);
    let collector = common::collector(&config);

    let points = collector.collect(sim.now()).await.unwrap();
    let first = routing_requests(&sim);
    // Per kind: the listing, and at most one refresh (listing + lookup by ID).
    for path in ["/api/v2/routing/skills", "/api/v2/routing/queues"] {
        let n = first.iter().filter(|p| *p == path).count();
        assert!((1..=3).contains(&n), "{path}: {n} requests in {first:?}");
    }
    let tag = |p: &genesys_aht_contract::Point, key: &str| {
        p.tags
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    // The deleted skill is resolved through `GET /routing/skills/{id}`; the deleted
    // queue, which the routing API no longer knows, keeps its ID as its name.
    let deleted_skill = sim.skills().into_iter().find(|s| !s.active).unwrap();
    let deleted_queue = sim.queues().into_iter().find(|q| !q.active).unwrap();
    let by_id = format!("/api/v2/routing/skills/{}", deleted_skill.id);
    assert_eq!(
        first.iter().filter(|p| **p == by_id).count(),
        1,
        "{first:?}"
    );
    assert!(
        points
            .iter()
            .any(|p| tag(p, "skill_id") == deleted_skill.id),
        "history has the deleted skill"
    );
    assert!(
        points
            .iter()
            .any(|p| tag(p, "queue_id") == deleted_queue.id),
        "history has the deleted queue"
    );
    for point in &points {
        if tag(point, "skill_id") == deleted_skill.id {
            assert_eq!(tag(point, "skill"), deleted_skill.name);
        }
        if tag(point, "queue_id") == deleted_queue.id {
            assert_eq!(tag(point, "queue"), deleted_queue.id);
        }
    }

    let again = collector.collect(sim.now()).await.unwrap();
    assert_eq!(again, points);
    assert_eq!(
        routing_requests(&sim).len(),
        first.len(),
        "the second poll used the cache"
    );
}
