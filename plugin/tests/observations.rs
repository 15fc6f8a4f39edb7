//! The live queue state end to end: the real binary under the Telegraf execd
//! stand-in, the simulator's clock and the plugin's moved together through a
//! simulated day, an org of 125 queues (more than one observations query may name).
//! At every instant, the `genesys_queue` points written must equal the simulator's
//! ground truth at that instant; with 30 % of requests faulted, every point written
//! must still be right, every poll whose observations failed is counted, and the
//! conversations are collected whole; and the request budget holds with both
//! collections on, from the simulator's request log (over a window of seconds set
//! through the test build's hook, so that the budget bites without waiting minutes).

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use genesys_aht::{NOW_FILE_VAR, RATE_WINDOW_VAR};
use genesys_aht_contract::names::internal;
use genesys_aht_contract::queue::{self, Breakdown, Reading};
use genesys_aht_contract::{Dimension, MEASUREMENT};
use genesys_aht_tests::telegraf::{Execd, ExecdConfig, Recorded, Signal, Store, Value};
use genesys_sim::{Clock, Endpoint, FaultKind, ManualClock, RandomFaults, Sim, SimConfig};
use jiff::{SignedDuration, Timestamp};

const LIMIT: Duration = Duration::from_secs(120);
const EXTRA_QUEUES: u32 = 120;
const GROUP_BY: [Dimension; 2] = [Dimension::QueueId, Dimension::MediaType];
const METRICS: [&str; 2] = ["tHandle", "nOffered"];

/// A point's tags → its integer fields.
type Points = BTreeMap<BTreeMap<String, String>, BTreeMap<String, i64>>;

use common::{TestConfig, own_points, set_clocks};

/// The points the plugin must write for the simulator's state at its "now".
fn truth(sim: &Sim) -> Points {
    let now = sim.now();
    let names: BTreeMap<String, String> =
        sim.queues().into_iter().map(|q| (q.id, q.name)).collect();
    let metrics: Vec<&str> = queue::METRICS.iter().map(|m| m.metric).collect();
    let mut points = Points::new();
    for o in sim.observations(&[], &metrics) {
        let contract = queue::metric_named(o.metric).unwrap();
        let mut tags = BTreeMap::from([
            ("queue".to_owned(), names[&o.queue_id].clone()),
            ("queue_id".to_owned(), o.queue_id.clone()),
        ]);
        match contract.breakdown {
            Breakdown::MediaType => {
                tags.insert("media_type".into(), o.media_type.clone().unwrap());
            }
            Breakdown::Queue => {}
            Breakdown::RoutingStatus => {
                tags.insert("routing_status".into(), o.qualifier.unwrap().into());
            }
            Breakdown::Presence => {
                tags.insert("presence".into(), o.qualifier.unwrap().into());
            }
        }
        let value = match contract.reading {
            Reading::Count => o.count,
            Reading::AgeMs => now.as_millisecond() - o.observed[0].0,
        };
        points
            .entry(tags)
            .or_default()
            .insert(contract.field.to_owned(), value);
    }
    points
}

/// The `genesys_queue` points recorded with timestamp `at`.
fn written_at(recorded: &Recorded, at: Timestamp) -> Points {
    let ns = at.as_nanosecond() as i64;
    let mut points = Points::new();
    for (_, m) in &recorded.metrics {
        if m.measurement != queue::MEASUREMENT || m.timestamp != Some(ns) {
            continue;
        }
        let fields = m
            .fields
            .iter()
            .map(|(name, value)| match value {
                Value::Integer(i) => (name.clone(), *i),
                other => panic!("{name} is not an integer: {other:?}"),
            })
            .collect();
        assert!(
            points.insert(m.tags.clone(), fields).is_none(),
            "written twice"
        );
    }
    points
}

/// The last value of the plugin's own counter `field`.
fn last_counter(recorded: &Recorded, field: &str) -> i64 {
    recorded
        .metrics
        .iter()
        .rev()
        .find(|(_, m)| m.measurement == internal::MEASUREMENT)
        .and_then(|(_, m)| m.int(field))
        .unwrap()
}

/// A day driven instant by instant.
struct Day {
    sim: Sim,
    clock: ManualClock,
    now_file: std::path::PathBuf,
    telegraf: Execd,
    _dir: tempfile::TempDir,
}

impl Day {
    async fn start(start: Timestamp, tune: fn(TestConfig) -> TestConfig) -> Day {
        Day::start_with_window(start, tune, None).await
    }

    /// As [`Day::start`], the plugin's request budget counted over `rate_window`
    /// instead of a minute when given.
    async fn start_with_window(
        start: Timestamp,
        tune: fn(TestConfig) -> TestConfig,
        rate_window: Option<Duration>,
    ) -> Day {
        let clock = ManualClock::new(start);
        let sim = Sim::start(SimConfig {
            clock: Clock::Manual(clock.clone()),
            history: Duration::from_secs(3 * 86_400),
            check_contract: true,
            extra_queues: EXTRA_QUEUES,
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let now_file = dir.path().join("now");
        let state_file = dir.path().join("state.json");
        let config = tune(
            TestConfig::new(&sim.base_url())
                .collect("granularity", "15m")
                .collect("lookback", "30m")
                .collect("group_by", vec!["queueId", "mediaType"])
                .collect("metrics", vec!["tHandle", "nOffered"])
                .collect("state_file", state_file.to_str().unwrap())
                .execd("poll_timeout", "100s")
                .observations("enabled", true),
        )
        .write(&dir);
        let mut execd = ExecdConfig::new(common::BIN);
        execd.args = vec!["--config".into(), config.to_str().unwrap().into()];
        execd.env = vec![(NOW_FILE_VAR.into(), now_file.to_str().unwrap().into())];
        if let Some(window) = rate_window {
            execd
                .env
                .push((RATE_WINDOW_VAR.into(), window.as_millis().to_string()));
        }
        execd.signal = Signal::Stdin;
        set_clocks(&clock, &now_file, start);
        let telegraf = Execd::start(execd).await.unwrap();
        Day {
            sim,
            clock,
            now_file,
            telegraf,
            _dir: dir,
        }
    }

    /// Moves both clocks to `now`, gathers once and waits for the poll's own metrics;
    /// returns the truth at `now` and what was written for it.
    async fn gather_at(&self, now: Timestamp) -> (Points, Points) {
        set_clocks(&self.clock, &self.now_file, now);
        let want = truth(&self.sim);
        let before = self.telegraf.inspect(own_points);
        self.telegraf.gather().await.unwrap();
        let polled = self
            .telegraf
            .wait_until(LIMIT, |r| own_points(r) > before)
            .await;
        let recorded = self.telegraf.recorded();
        assert!(polled, "no poll at {now}: {:?}", recorded.logs);
        (want, written_at(&recorded, now))
    }
}

/// Instants through a day, at uneven seconds so that conversations are mid-way.
fn instants(start: Timestamp, count: i64) -> Vec<Timestamp> {
    (1..=count)
        .map(|i| start + SignedDuration::from_secs(i * 3_517 + i * i * 7))
        .collect()
}

#[tokio::test]
async fn at_every_instant_the_points_equal_the_ground_truth() {
    let start: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
    let day = Day::start(start, |c| c).await;
    let mut queues_seen = 0;
    for now in instants(start, 24) {
        let (want, got) = day.gather_at(now).await;
        assert_eq!(got, want, "at {now}");
        queues_seen = queues_seen.max(
            got.keys()
                .map(|tags| &tags["queue_id"])
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
        );
    }
    assert_eq!(queues_seen, 125, "every active queue, over two queries");
    let (_, recorded) = day.telegraf.stop().await;
    assert!(
        recorded.parse_errors.is_empty(),
        "{:?}",
        recorded.parse_errors
    );
    assert_eq!(last_counter(&recorded, internal::OBSERVATIONS_FAILED), 0);
    let per_query: Vec<_> = day
        .sim
        .request_log()
        .into_iter()
        .filter(|r| r.path.ends_with("/observations/query"))
        .collect();
    assert_eq!(per_query.len(), 48, "two queries a poll for 125 queues");
    assert!(day.sim.contract_violations().is_empty());
}

#[tokio::test]
async fn with_30_percent_faults_every_point_is_right_and_every_failure_counted() {
    let start: Timestamp = "2026-03-09T06:00:00Z".parse().unwrap();
    let day = Day::start(start, |c| {
        c.genesys("request_timeout", "1s")
            .genesys("max_retries", 1)
            .genesys("backoff_initial", "10ms")
            .genesys("backoff_max", "20ms")
    })
    .await;
    day.sim.set_random_faults(Some(RandomFaults {
        seed: 5,
        probability: 0.3,
        kinds: FaultKind::every(1, Duration::from_secs(2)),
        endpoint: Endpoint::Any,
    }));
    let (mut written, mut failed) = (0, 0);
    let times = instants(start, 20);
    for now in &times {
        let (want, got) = day.gather_at(*now).await;
        if got.is_empty() {
            failed += 1;
        } else {
            assert_eq!(got, want, "at {now}");
            written += 1;
        }
    }
    assert!(
        written > 0 && failed > 0,
        "{written} written, {failed} failed"
    );
    // Without faults, two more polls catch the conversations up (lookback, backfill).
    day.sim.clear_faults();
    let last = *times.last().unwrap();
    let end = last + SignedDuration::from_mins(40);
    for now in [last + SignedDuration::from_mins(20), end] {
        let (want, got) = day.gather_at(now).await;
        assert_eq!(got, want, "at {now}");
    }
    let (_, recorded) = day.telegraf.stop().await;
    assert_eq!(
        last_counter(&recorded, internal::OBSERVATIONS_FAILED),
        failed,
        "every poll whose observations failed is counted"
    );
    assert!(last_counter(&recorded, internal::POLLS_FAILED) >= failed);
    // The conversations: every closed bucket since the first poll, as the truth says.
    let store = Store::from_metrics(recorded.metrics.iter().map(|(_, m)| m));
    let mut got = BTreeMap::new();
    for ((measurement, tags, timestamp), fields) in store.points {
        if measurement != MEASUREMENT {
            continue;
        }
        let group: BTreeMap<String, String> =
            [("queueId", "queue_id"), ("mediaType", "media_type")]
                .into_iter()
                .filter_map(|(dim, tag)| {
                    let v = tags.get(tag)?;
                    (v != "(none)").then(|| (dim.to_owned(), v.clone()))
                })
                .collect();
        got.insert((timestamp.unwrap(), group), common::integers(fields));
    }
    let first_bucket = start + SignedDuration::from_mins(30);
    let closed_end = Timestamp::from_second(end.as_second() / 900 * 900).unwrap();
    let want = common::truth_fields(
        &day.sim,
        (first_bucket, closed_end),
        Duration::from_secs(900),
        &GROUP_BY,
        &METRICS,
    );
    assert!(want.len() > 100, "{} points", want.len());
    for (key, fields) in &want {
        assert_eq!(got.get(key), Some(fields), "{key:?}");
    }
}

#[tokio::test]
async fn both_collections_stay_within_the_request_budget() {
    const BUDGET: usize = 8;
    // The binary counts its budget over this window instead of a minute: the pacing is
    // the same, the waits are seconds.
    const WINDOW: Duration = Duration::from_secs(10);
    let start: Timestamp = "2026-03-09T12:00:00Z".parse().unwrap();
    let day = Day::start_with_window(
        start,
        |c| c.genesys("requests_per_minute", BUDGET as i64),
        Some(WINDOW),
    )
    .await;
    for now in instants(start, 4) {
        let (want, got) = day.gather_at(now).await;
        assert_eq!(got, want, "at {now}");
    }
    let log = day.sim.request_log();
    assert!(
        log.len() > BUDGET,
        "{} requests: the budget had to bite",
        log.len()
    );
    assert!(log.iter().any(|r| r.path.ends_with("/observations/query")));
    let window = SignedDuration::try_from(WINDOW).unwrap();
    let mut most = 0;
    for (i, request) in log.iter().enumerate() {
        let window_start = request.at - window;
        let in_window = log[..=i].iter().filter(|r| r.at > window_start).count();
        most = most.max(in_window);
    }
    assert_eq!(
        most, BUDGET,
        "the most requests in any {WINDOW:?}: the budget is reached, never passed"
    );
}
