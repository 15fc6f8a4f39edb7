//! Every bucket and group the real binary prints equals the simulator's ground truth,
//! to the millisecond, for three groupings.
// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Line, TestConfig, integer_fields, parse, run, sim};
use genesys_aht_contract::Dimension;
use genesys_sim::{GroundTruth, SimConfig, TruthQuery};

/// The plugin's default metrics, the KPI ones included.
const METRICS: [&str; 11] = [
    "tHandle",
    "tTalk",
    "tHeld",
    "tAcw",
    "tAnswered",
    "tAbandon",
    "nOffered",
    "nOverSla",
    "tShortAbandon",
    "tFlowOut",
    "nTransferred",
];
const GRANULARITY: Duration = Duration::from_secs(900);
const LOOKBACK_BUCKETS: i64 = 8;

/// The window `--once` reads: the closed buckets of the last `lookback` (2h).
fn window(now: jiff::Timestamp) -> (jiff::Timestamp, jiff::Timestamp) {
    let g = GRANULARITY.as_secs() as i64;
    let end = now.as_second().div_euclid(g) * g;
    let at = |s| jiff::Timestamp::from_second(s).unwrap();
    (at(end - g * LOOKBACK_BUCKETS), at(end))
}

/// The group of a printed line, back in Genesys terms: `(none)` means the dimension
/// did not apply.
fn group_of(line: &Line, group_by: &[Dimension]) -> BTreeMap<String, String> {
    group_by
        .iter()
        .filter_map(|d| {
            let tag = d.id_tag().unwrap_or(d.value_tag());
            let value = line
                .tags
                .get(tag)
                .unwrap_or_else(|| panic!("tag {tag} missing: {line:?}"));
            (value != "(none)").then(|| (d.genesys_name().to_owned(), value.clone()))
        })
        .collect()
}

async fn check(group_by: &[Dimension], flatten: bool) {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .collect("granularity", "PT15M")
        .collect("lookback", "2h")
        .group_by(group_by)
        .collect("flatten_multivalued_dimensions", flatten)
        .write(&dir);
    // The binary picks its window from the wall clock: run again in the rare case a
    // bucket boundary passed while it ran.
    let (lines, (start, end)) = loop {
        let before = window(jiff::Timestamp::now());
        let output = run(&["--config", config.to_str().unwrap(), "--once"]).await;
        assert!(
            output.status.success(),
            "stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if window(jiff::Timestamp::now()) == before {
            break (parse(&output.stdout), before);
        }
    };
    let truth: GroundTruth = sim.ground_truth(&TruthQuery {
        start,
        end,
        granularity: GRANULARITY,
        group_by: group_by
            .iter()
            .map(|d| d.genesys_name().to_owned())
            .collect(),
        metrics: METRICS.map(String::from).into(),
        flatten,
    });
    assert!(
        truth.len() > 20,
        "the simulated org has traffic: {}",
        truth.len()
    );
    let truth = if flatten {
        one_order_per_skill_set(truth)
    } else {
        truth
    };
    assert_eq!(lines.len(), truth.len(), "one line per (bucket, group)");

    for line in &lines {
        assert_eq!(line.measurement, genesys_aht_contract::MEASUREMENT);
        let at = jiff::Timestamp::from_nanosecond(i128::from(line.timestamp)).unwrap();
        let key = (at, group_of(line, group_by));
        let metrics = truth
            .get(&key)
            .unwrap_or_else(|| panic!("no truth for {key:?}: {line:?}"));
        assert_eq!(line.integers, integer_fields(metrics), "{key:?}");
        match metrics.get("tHandle").filter(|s| s.count > 0) {
            Some(h) => {
                let aht = line.floats["avg_handle_time"];
                assert!(
                    (aht - h.sum as f64 / h.count as f64 / 1000.0).abs() < 1e-9,
                    "{line:?}"
                );
            }
            None => assert!(!line.floats.contains_key("avg_handle_time"), "{line:?}"),
        }
    }
}

/// The simulator joins a flattened skill set in the order the conversation requested
/// the skills (Genesys documents no order), so one set can be two groups of the truth;
/// the plugin writes each set once, its IDs in ascending order, with the sums of both.
fn one_order_per_skill_set(truth: GroundTruth) -> GroundTruth {
    let mut unsorted = 0;
    let mut merged = GroundTruth::new();
    for ((bucket, mut group), metrics) in truth {
        for value in group.values_mut() {
            let mut ids: Vec<&str> = value.split(',').collect();
            ids.sort_unstable();
            let sorted = ids.join(",");
            unsorted += usize::from(sorted != *value);
            *value = sorted;
        }
        let cell = merged.entry((bucket, group)).or_default();
        for (metric, stats) in metrics {
            let total = cell.entry(metric).or_insert(genesys_sim::Stats {
                count: 0,
                sum: 0,
                min: i64::MAX,
                max: i64::MIN,
            });
            total.count += stats.count;
            total.sum += stats.sum;
        }
    }
    assert!(unsorted > 0, "the simulator sends some sets out of order");
    merged
}

#[tokio::test]
async fn skill_only_matches_ground_truth() {
    check(&[Dimension::RequestedRoutingSkillId], false).await;
}

#[tokio::test]
async fn flattened_skill_sets_match_ground_truth() {
    check(&[Dimension::RequestedRoutingSkillId], true).await;
}

#[tokio::test]
async fn skill_by_media_type_matches_ground_truth() {
    check(
        &[Dimension::RequestedRoutingSkillId, Dimension::MediaType],
        false,
    )
    .await;
}

#[tokio::test]
async fn queue_by_skill_matches_ground_truth() {
    check(
        &[Dimension::QueueId, Dimension::RequestedRoutingSkillId],
        false,
    )
    .await;
}
