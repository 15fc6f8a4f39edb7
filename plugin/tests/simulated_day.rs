//! Two simulated days, run in seconds: the real binary under the Telegraf execd
//! harness, the simulator's clock and the plugin's (`GENESYS_AHT_NOW_FILE`) moved
//! forward together half an hour per gather, faults in about 30 % of requests (every
//! kind), and the plugin killed with SIGKILL at a dozen random moments, each followed
//! by hours of downtime. What the harness stored, last write winning as in InfluxDB,
//! must equal the simulator's ground truth for every bucket and group: no gap, no
//! double count.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use genesys_aht::clock::NOW_FILE_VAR;
use genesys_aht_contract::names::internal;
use genesys_aht_contract::{Dimension, MEASUREMENT};
use genesys_aht_tests::telegraf::{
    Execd, ExecdConfig, Recorded, Signal as ExecdSignal, Store, Value,
};
use genesys_sim::{
    Clock, Endpoint, FaultKind, ManualClock, RandomFaults, Sim, SimConfig, TruthQuery,
};
use jiff::{SignedDuration, Timestamp};
use nix::sys::signal::Signal;
use rand::{Rng, SeedableRng};

const GRANULARITY: Duration = Duration::from_secs(900);
const STEP: SignedDuration = SignedDuration::from_mins(30);
const GROUP_BY: [Dimension; 2] = [Dimension::RequestedRoutingSkillId, Dimension::MediaType];
const METRICS: [&str; 3] = ["tHandle", "tTalk", "nOffered"];
const KILLS: usize = 12;
const LIMIT: Duration = Duration::from_secs(60);

/// (bucket start in ns, group in Genesys terms) → integer fields.
type Points = BTreeMap<(i64, BTreeMap<String, String>), BTreeMap<String, i64>>;

fn every_fault_kind() -> Vec<FaultKind> {
    FaultKind::every(1, Duration::from_secs(2))
}

/// Moves both clocks to `now`.
fn set_clocks(clock: &ManualClock, now_file: &std::path::Path, now: Timestamp) {
    let temporary = now_file.with_extension("tmp");
    std::fs::write(&temporary, now.to_string()).unwrap();
    std::fs::rename(&temporary, now_file).unwrap();
    clock.set(now);
}

fn own_points(recorded: &Recorded) -> usize {
    recorded
        .metrics
        .iter()
        .filter(|(_, m)| m.measurement == internal::MEASUREMENT)
        .count()
}

/// The harness's store, conversation points only, keyed like the ground truth.
fn stored(recorded: &Recorded) -> Points {
    let metrics: Vec<_> = recorded.metrics.iter().map(|(_, m)| m).collect();
    let store = Store::from_metrics(metrics);
    let mut points = Points::new();
    for ((measurement, tags, timestamp), fields) in store.points {
        if measurement != MEASUREMENT {
            continue;
        }
        let group = GROUP_BY
            .iter()
            .filter_map(|d| {
                let value = tags.get(d.id_tag().unwrap_or(d.value_tag())).unwrap();
                (value != "(none)").then(|| (d.genesys_name().to_owned(), value.clone()))
            })
            .collect();
        let integers = fields
            .into_iter()
            .filter_map(|(name, value)| match value {
                Value::Integer(i) => Some((name, i)),
                _ => None,
            })
            .collect();
        points.insert((timestamp.unwrap(), group), integers);
    }
    points
}

fn truth(sim: &Sim, start: Timestamp, end: Timestamp) -> Points {
    let truth = sim.ground_truth(&TruthQuery {
        start,
        end,
        granularity: GRANULARITY,
        group_by: GROUP_BY
            .iter()
            .map(|d| d.genesys_name().to_owned())
            .collect(),
        metrics: METRICS.map(String::from).into(),
        flatten: false,
    });
    truth
        .into_iter()
        .map(|((bucket, group), metrics)| {
            let key = (bucket.as_nanosecond() as i64, group);
            (key, common::integer_fields(&metrics))
        })
        .collect()
}

#[tokio::test]
async fn two_days_of_faults_and_crashes_end_at_the_ground_truth() {
    let start: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
    let clock = ManualClock::new(start);
    let sim = Sim::start(SimConfig {
        clock: Clock::Manual(clock.clone()),
        history: Duration::from_secs(5 * 86_400),
        check_contract: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.set_random_faults(Some(RandomFaults {
        seed: 7,
        probability: 0.3,
        kinds: every_fault_kind(),
        endpoint: Endpoint::Any,
    }));

    let dir = tempfile::tempdir().unwrap();
    let now_file = dir.path().join("now");
    let state_file = dir.path().join("state.json");
    let config = dir.path().join("plugin.toml");
    let group_by: Vec<_> = GROUP_BY
        .iter()
        .map(|d| format!("{:?}", d.genesys_name()))
        .collect();
    let metrics: Vec<_> = METRICS.iter().map(|m| format!("{m:?}")).collect();
    std::fs::write(
        &config,
        format!(
            "[genesys]\napi_url = \"{}\"\n{}\nrequest_timeout = \"1s\"\nmax_retries = 30\n\
             backoff_initial = \"10ms\"\nbackoff_max = \"50ms\"\n\
             [collect]\ngranularity = \"15m\"\nlookback = \"30m\"\ngroup_by = [{}]\n\
             metrics = [{}]\nstate_file = \"{}\"\nmax_backfill = \"2d\"\n\
             [execd]\npoll_timeout = \"60s\"\n",
            sim.base_url(),
            common::DEFAULT_CLIENT,
            group_by.join(", "),
            metrics.join(", "),
            state_file.display()
        ),
    )
    .unwrap();

    let mut execd = ExecdConfig::new(common::BIN);
    execd.args = vec!["--config".into(), config.to_str().unwrap().into()];
    execd.env = vec![(NOW_FILE_VAR.into(), now_file.to_str().unwrap().into())];
    execd.signal = ExecdSignal::Stdin;
    let mut now = start + STEP;
    set_clocks(&clock, &now_file, now);
    let telegraf = Execd::start(execd).await.unwrap();

    let end = start + SignedDuration::from_hours(48);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    // Kills among the first steps, so that downtime never skips past the last one.
    let kill_steps: BTreeSet<usize> = rand::seq::index::sample(&mut rng, 20, KILLS)
        .into_iter()
        .collect();
    let mut kills = 0;
    for step in 0.. {
        let before = own_points(&telegraf.recorded());
        telegraf.gather().await.unwrap();
        let advance = if kill_steps.contains(&step) {
            // Anywhere: logging in, mid-request, mid-backoff, mid-write, between polls.
            let moment = Duration::from_millis(rng.random_range(0..800));
            tokio::time::sleep(moment).await;
            let starts = telegraf.recorded().starts;
            telegraf.signal_child(Signal::SIGKILL).unwrap();
            kills += 1;
            let restarted = telegraf
                .wait_until(LIMIT, |r| r.starts > starts && telegraf.pid().is_some())
                .await;
            assert!(restarted, "restart after kill {kills}");
            // Downtime: between one and four hours pass before the next gather.
            SignedDuration::from_hours(rng.random_range(1..=4))
        } else {
            let polled = telegraf.wait_until(LIMIT, |r| own_points(r) > before).await;
            assert!(
                polled,
                "step {step} at {now}: {:?}",
                telegraf.recorded().logs
            );
            STEP
        };
        if now >= end {
            break;
        }
        now = (now + advance).min(end);
        set_clocks(&clock, &now_file, now);
    }
    let (_, recorded) = telegraf.stop().await;

    assert_eq!(kills, KILLS);
    assert!(
        recorded.parse_errors.is_empty(),
        "{:?}",
        recorded.parse_errors
    );
    let got = stored(&recorded);
    let want = truth(&sim, start, end);
    assert!(want.len() > 500, "a busy day: {} points", want.len());
    let missing: Vec<_> = want.keys().filter(|k| !got.contains_key(*k)).collect();
    let missing_at: BTreeSet<_> = missing
        .iter()
        .map(|(t, _)| Timestamp::from_nanosecond(i128::from(*t)).unwrap())
        .collect();
    assert!(
        missing.is_empty(),
        "{} points missing, at {missing_at:?}; logs: {:?}",
        missing.len(),
        recorded
            .logs
            .iter()
            .filter(|l| !l.text.contains("retry"))
            .collect::<Vec<_>>()
    );
    let extra: Vec<_> = got.keys().filter(|k| !want.contains_key(*k)).collect();
    assert!(
        extra.is_empty(),
        "{} unexpected points, first {:?}",
        extra.len(),
        extra.first()
    );
    for (key, fields) in &want {
        assert_eq!(&got[key], fields, "{key:?}");
    }

    assert_eq!(kills, KILLS);
    // The faults really were there, every kind of them. A slow answer never reaches
    // the log (the client hangs up first, and the simulator logs what it sends): the
    // plugin's own request counters show its timeouts instead.
    let log = sim.request_log();
    let faulted: Vec<_> = log.iter().filter_map(|r| r.fault.clone()).collect();
    let share = faulted.len() as f64 / log.len() as f64;
    assert!(
        share >= 0.2,
        "{} of {} requests faulted",
        faulted.len(),
        log.len()
    );
    for kind in every_fault_kind() {
        if !matches!(kind, FaultKind::Slow(_)) {
            assert!(faulted.contains(&kind), "{kind:?} never happened");
        }
    }
    let timeouts = recorded.metrics.iter().any(|(_, m)| {
        m.measurement == internal::REQUESTS_MEASUREMENT
            && m.tags.get(internal::STATUS).map(String::as_str) == Some("timeout")
    });
    assert!(timeouts, "no request timed out");
}
