//! Names change; conversations are never counted under two of them.
//!
//! The real binary polls every half hour of a simulated day (`--once` with the
//! plugin's clock file and the simulator's clock moved together, a state file kept
//! between runs). Every line is stored as InfluxDB stores it: last write wins per
//! measurement, tags and timestamp. Then, summing every stored series per bucket and
//! *ID* group, each bucket must equal the simulator's ground truth: a bucket written
//! again under a new name (or under an ID for a name) would count twice.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use genesys_aht_contract::Dimension;
use genesys_sim::{Clock, Endpoint, FaultKind, ManualClock, Rename, RoutingKind, Sim, SimConfig};
use jiff::{SignedDuration, Timestamp};

use common::{Line, TestConfig};

const GRANULARITY: Duration = Duration::from_secs(900);
const STEP: SignedDuration = SignedDuration::from_mins(30);
const GROUP_BY: [Dimension; 3] = [
    Dimension::RequestedRoutingSkillId,
    Dimension::QueueId,
    Dimension::MediaType,
];
const METRICS: [&str; 2] = ["tHandle", "nOffered"];

/// (measurement, tags, timestamp) → the last line written for it.
type Store = BTreeMap<(BTreeMap<String, String>, i64), BTreeMap<String, i64>>;
/// (bucket start in ns, group of IDs in Genesys terms) → integer fields.
type ById = BTreeMap<(i64, BTreeMap<String, String>), BTreeMap<String, i64>>;

struct Day {
    sim: Sim,
    clock: ManualClock,
    dir: tempfile::TempDir,
    config: std::path::PathBuf,
    store: Store,
}

impl Day {
    async fn start(
        start: Timestamp,
        renames: Vec<Rename>,
        tune: fn(TestConfig) -> TestConfig,
    ) -> Day {
        let clock = ManualClock::new(start);
        let sim = Sim::start(SimConfig {
            clock: Clock::Manual(clock.clone()),
            // Two days, and the long conversations (up to three days) emitting into them:
            // all still in the history when the truth is read at the end.
            history: Duration::from_secs(5 * 86_400),
            renames,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let config = TestConfig::new(&sim.base_url())
            .group_by(&GROUP_BY)
            .collect("metrics", METRICS.to_vec())
            .collect("state_file", state.to_str().unwrap())
            .collect("backfill_chunk", "2h");
        let config = tune(config).write(&dir);
        Day {
            sim,
            clock,
            dir,
            config,
            store: Store::new(),
        }
    }

    /// One `--once` at `now`; its lines go to the store. Whether it succeeded.
    async fn poll_at(&mut self, now: Timestamp) -> bool {
        self.clock.set(now);
        let output = common::run_once_at(&self.config, now, self.dir.path()).await;
        for line in common::parse(&output.stdout) {
            let Line {
                tags,
                timestamp,
                integers,
                ..
            } = line;
            self.store.insert((tags, timestamp), integers);
        }
        output.status.success()
    }

    /// Every stored series summed per bucket and ID group.
    fn by_id(&self) -> ById {
        let mut sums = ById::new();
        for ((tags, timestamp), fields) in &self.store {
            let group = GROUP_BY
                .iter()
                .filter_map(|d| {
                    let value = &tags[d.id_tag().unwrap_or(d.value_tag())];
                    (value != "(none)").then(|| (d.genesys_name().to_owned(), value.clone()))
                })
                .collect();
            let sum = sums.entry((*timestamp, group)).or_default();
            for (name, value) in fields {
                *sum.entry(name.clone()).or_default() += value;
            }
        }
        sums
    }

    fn truth(&self, start: Timestamp, end: Timestamp) -> ById {
        common::truth_fields(&self.sim, (start, end), GRANULARITY, &GROUP_BY, &METRICS)
    }

    /// The stored points between `start` and `end`, by ID, must be the truth.
    fn assert_truth(&self, start: Timestamp, end: Timestamp) {
        let range = |ns: i64| ns >= ns_of(start) && ns < ns_of(end);
        let stored: ById = self
            .by_id()
            .into_iter()
            .filter(|((ns, _), _)| range(*ns))
            .collect();
        let truth = self.truth(start, end);
        assert!(truth.len() > 100, "a day has data: {}", truth.len());
        let missing = truth.keys().filter(|k| !stored.contains_key(*k)).count();
        let wrong: Vec<_> = stored
            .iter()
            .filter(|(k, v)| truth.get(*k) != Some(*v))
            .take(3)
            .collect();
        assert_eq!(missing, 0, "buckets missing");
        assert!(wrong.is_empty(), "counted twice or wrong: {wrong:?}");
    }

    /// The names each ID was stored under, for `id_tag` / `name_tag`.
    fn names_of(&self, name_tag: &str, id_tag: &str) -> BTreeMap<String, BTreeSet<String>> {
        let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (tags, _) in self.store.keys() {
            names
                .entry(tags[id_tag].clone())
                .or_default()
                .insert(tags[name_tag].clone());
        }
        names
    }

    /// The last bucket each (ID, name) pair was stored for.
    fn last_bucket(&self, id_tag: &str, id: &str, name_tag: &str, name: &str) -> Option<i64> {
        self.store
            .keys()
            .filter(|(tags, _)| tags[id_tag] == id && tags[name_tag] == name)
            .map(|(_, ns)| *ns)
            .max()
    }
}

fn ns_of(t: Timestamp) -> i64 {
    t.as_nanosecond() as i64
}

fn id_named(entities: &[genesys_sim::Entity], name: &str) -> String {
    entities.iter().find(|e| e.name == name).unwrap().id.clone()
}

#[tokio::test]
async fn a_renamed_skill_and_queue_are_never_counted_twice() {
    let start: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
    let skill_at = start + SignedDuration::from_mins(5 * 60 + 10);
    let queue_at = start + SignedDuration::from_mins(7 * 60 + 40);
    let renames = vec![
        Rename::new(RoutingKind::Skill, "Sales", "Sales & Upsell", skill_at),
        Rename::new(RoutingKind::Queue, "Support FR", "Support France", queue_at),
    ];
    let mut day = Day::start(start, renames, |c| c).await;
    let end = start + SignedDuration::from_hours(12);
    let mut now = start + STEP;
    while now <= end {
        assert!(day.poll_at(now).await, "poll at {now}");
        now += STEP;
    }
    let first = start + SignedDuration::from_hours(1);
    day.assert_truth(first, end - SignedDuration::from_mins(15));

    // Each renamed entity appears under its old name, then its new one, never both
    // for one bucket (proved above), and the switch follows the rename.
    let skill = id_named(&day.sim.skills(), "Sales & Upsell");
    let skills = day.names_of("skill", "skill_id");
    assert_eq!(
        skills[&skill],
        BTreeSet::from(["Sales".to_owned(), "Sales & Upsell".to_owned()])
    );
    let old_until = day
        .last_bucket("skill_id", &skill, "skill", "Sales")
        .unwrap();
    assert!(old_until < ns_of(skill_at + SignedDuration::from_mins(30)));
    let queue = id_named(&day.sim.queues(), "Support France");
    let queues = day.names_of("queue", "queue_id");
    assert_eq!(
        queues[&queue],
        BTreeSet::from(["Support FR".to_owned(), "Support France".to_owned()])
    );
}

#[tokio::test]
async fn failed_name_lookups_leave_the_window_for_later_and_never_write_an_id() {
    let start: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
    let mut day = Day::start(start, Vec::new(), |c| {
        c.genesys("max_retries", 1)
            .genesys("backoff_initial", "10ms")
    })
    .await;
    let mut now = start + STEP;
    for _ in 0..4 {
        assert!(day.poll_at(now).await, "poll at {now}");
        now += STEP;
    }
    // The skills listing fails for five polls (2.5 h, longer than `lookback`), every
    // retry included.
    day.sim
        .push_fault(Endpoint::Skills, FaultKind::ServerError(503), 1_000);
    for _ in 0..5 {
        assert!(
            !day.poll_at(now).await,
            "a poll without names fails at {now}"
        );
        now += STEP;
    }
    day.sim.clear_faults();
    for _ in 0..6 {
        assert!(day.poll_at(now).await, "poll at {now}");
        now += STEP;
    }
    let end = now - STEP;
    day.assert_truth(
        start + SignedDuration::from_hours(1),
        end - SignedDuration::from_mins(15),
    );

    // Only what Genesys cannot name (a deleted queue) keeps its ID as its name.
    let nameable: BTreeSet<String> = day.sim.skills().into_iter().map(|s| s.id).collect();
    for (id, names) in day.names_of("skill", "skill_id") {
        assert!(
            !names.contains(&id) || !nameable.contains(&id),
            "skill {id} written under its ID: {names:?}"
        );
        assert_eq!(names.len(), 1, "skill {id}: {names:?}");
    }
}
