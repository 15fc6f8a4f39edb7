//! Backfill from the state file, through `--once` runs of the real binary: a gap longer
//! than `max_backfill` is cut at it with a warning, each run reads at most four chunks
//! after its regular window, the watermark advances only past what was written, and
//! the runs together print exactly the simulator's ground truth for the whole gap. A
//! damaged state file is reported and replaced, not fatal.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;

use common::{TestConfig, once_at, sim};
use genesys_aht::state::{self, State};
use genesys_sim::{SimConfig, TruthQuery};
use jiff::{SignedDuration, Timestamp};

const BUCKET_SECS: i64 = 900;

fn closed_end(now: Timestamp) -> Timestamp {
    Timestamp::from_second(now.as_second().div_euclid(BUCKET_SECS) * BUCKET_SECS).unwrap()
}

#[tokio::test]
async fn a_long_gap_is_backfilled_in_chunks_up_to_max_backfill() {
    let sim = sim(SimConfig::default()).await;
    let now = sim.now();
    let end = closed_end(now);
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    // Down for ten days, but only two may be caught up.
    let watermark = end - SignedDuration::from_hours(240);
    state::save(
        &state_file,
        &State {
            watermark,
            pins: Default::default(),
        },
    )
    .unwrap();
    let config = TestConfig::new(&sim.base_url())
        .collect("lookback", "30m")
        .collect("group_by", vec!["requestedRoutingSkillId"])
        .collect("metrics", vec!["tHandle", "nOffered"])
        .collect("state_file", state_file.to_str().unwrap())
        .collect("max_backfill", "2d")
        .collect("backfill_chunk", "6h")
        .write(&dir);
    let floor = end - SignedDuration::from_hours(48);

    let (first, stderr) = once_at(&config, now, dir.path()).await;
    assert!(
        stderr.contains(&format!("W! no data written from {watermark} to {floor}")),
        "{stderr}"
    );
    // The regular window, then four chunks of six hours from the floor.
    let saved = state::load(&state_file).unwrap().unwrap().watermark;
    assert_eq!(saved, floor + SignedDuration::from_hours(24));
    let regular_start = end - SignedDuration::from_mins(30);
    for line in &first {
        let at = Timestamp::from_nanosecond(i128::from(line.timestamp)).unwrap();
        assert!(
            (floor <= at && at < saved) || (regular_start <= at && at < end),
            "{at} is outside this run's windows"
        );
    }

    // Further runs catch up the rest, then stop backfilling.
    let mut lines = first;
    let mut runs = 1;
    while state::load(&state_file).unwrap().unwrap().watermark < end {
        let (more, _) = once_at(&config, now, dir.path()).await;
        lines.extend(more);
        runs += 1;
        assert!(
            runs <= 3,
            "two days in chunks of a day per run take two runs"
        );
    }
    let (last, stderr) = once_at(&config, now, dir.path()).await;
    assert!(!stderr.contains("backfilling"), "{stderr}");
    assert!(
        last.iter()
            .all(|l| l.timestamp >= regular_start.as_nanosecond() as i64),
        "no backfill once caught up"
    );

    // Together: exactly the ground truth of the two days, each bucket at least once.
    let truth = sim.ground_truth(&TruthQuery {
        start: floor,
        end,
        granularity: std::time::Duration::from_secs(BUCKET_SECS as u64),
        group_by: vec!["requestedRoutingSkillId".into()],
        metrics: vec!["tHandle".into(), "nOffered".into()],
        flatten: false,
    });
    let printed: BTreeSet<(i64, String, Option<i64>, Option<i64>)> = lines
        .iter()
        .map(|l| {
            (
                l.timestamp,
                l.tags["skill_id"].clone(),
                l.integers.get("handle_sum_ms").copied(),
                l.integers.get("offered").copied(),
            )
        })
        .collect();
    let expected: BTreeSet<(i64, String, Option<i64>, Option<i64>)> = truth
        .iter()
        .map(|((bucket, group), metrics)| {
            (
                bucket.as_nanosecond() as i64,
                group
                    .get("requestedRoutingSkillId")
                    .cloned()
                    .unwrap_or_else(|| "(none)".into()),
                metrics.get("tHandle").map(|s| s.sum),
                metrics.get("nOffered").map(|s| s.count as i64),
            )
        })
        .collect();
    assert!(expected.len() > 100, "{}", expected.len());
    assert_eq!(printed, expected);
}

#[tokio::test]
async fn a_damaged_state_file_is_reported_and_replaced() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let now = sim.now();
    let state_file = dir.path().join("state.json");
    std::fs::write(&state_file, "{\"watermark\": \"yesterday").unwrap();
    let config = TestConfig::new(&sim.base_url())
        .collect("state_file", state_file.to_str().unwrap())
        .write(&dir);
    let (lines, stderr) = once_at(&config, now, dir.path()).await;
    assert!(!lines.is_empty());
    assert!(
        stderr.contains("W! state file") && stderr.contains("starting without a watermark"),
        "{stderr}"
    );
    let saved = state::load(&state_file).unwrap().unwrap().watermark;
    assert_eq!(saved, closed_end(sim.now()));
}
