//! Three simulated days, run in seconds: the real binary under the Telegraf execd
//! stand-in, as strict as Telegraf (pipes closed at exit, unread output lost), the
//! simulator's clock and the plugin's (`GENESYS_AHT_NOW_FILE`) moved forward together
//! half an hour per gather, faults in about 30 % of requests (every kind). The plugin
//! is killed with SIGKILL at a dozen random moments, half of them while Telegraf's
//! reader is stalled, each followed by gathers lost in the restart delay and hours of
//! downtime; and Telegraf is stopped four times mid-poll or mid-write with its reader
//! stalled, and started again hours later. What the stand-in stored, last write
//! winning as in InfluxDB, must equal the simulator's ground truth for every bucket
//! and group: no gap, no double count.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use genesys_aht::NOW_FILE_VAR;
use genesys_aht_contract::names::internal;
use genesys_aht_contract::{Dimension, MEASUREMENT};
use genesys_aht_tests::telegraf::{Execd, ExecdConfig, Recorded, Signal as ExecdSignal, StopStep};
use genesys_sim::{Clock, Endpoint, FaultKind, ManualClock, RandomFaults, Sim, SimConfig};
use jiff::{SignedDuration, Timestamp};
use nix::sys::signal::Signal;
use rand::{Rng, SeedableRng};

const GRANULARITY: Duration = Duration::from_secs(900);
const STEP: SignedDuration = SignedDuration::from_mins(30);
const GROUP_BY: [Dimension; 2] = [Dimension::RequestedRoutingSkillId, Dimension::MediaType];
const METRICS: [&str; 3] = ["tHandle", "tTalk", "nOffered"];
const KILLS: usize = 12;
const STOPS: usize = 4;
const LIMIT: Duration = Duration::from_secs(60);

fn every_fault_kind() -> Vec<FaultKind> {
    FaultKind::every(1, Duration::from_secs(2))
}

use common::{Points, own_points, set_clocks, stored_points};

/// What every Telegraf run (each [`Execd`]) recorded, in order.
#[derive(Default)]
struct Seen {
    recorded: Recorded,
}

impl Seen {
    fn absorb(&mut self, run: Recorded) {
        let all = &mut self.recorded;
        all.metrics.extend(run.metrics);
        all.parse_errors.extend(run.parse_errors);
        all.lost_at_exit.extend(run.lost_at_exit);
        all.failed_gathers.extend(run.failed_gathers);
        all.logs.extend(run.logs);
    }
}

/// SIGKILL; then, while the plugin is down (Telegraf's restart delay), `lost` gathers
/// at later and later times, each refused; then the restart.
async fn crash_and_lose_gathers(
    telegraf: &Execd,
    lost: usize,
    now: &mut Timestamp,
    clock: &ManualClock,
    now_file: &std::path::Path,
) {
    let starts = telegraf.recorded().starts;
    telegraf.signal_child(Signal::SIGKILL).unwrap();
    let down = telegraf
        .wait_until(LIMIT, |r| {
            r.exits.len() >= starts && telegraf.pid().is_none()
        })
        .await;
    assert!(down, "the crash is seen");
    telegraf.stall_stdout(false);
    for _ in 0..lost {
        *now += STEP;
        set_clocks(clock, now_file, *now);
        assert!(telegraf.gather().await.is_err(), "a gather while down");
    }
    let restarted = telegraf
        .wait_until(LIMIT, |r| r.starts > starts && telegraf.pid().is_some())
        .await;
    assert!(restarted, "restart after a crash");
}

fn truth(sim: &Sim, start: Timestamp, end: Timestamp) -> Points {
    common::truth_fields(sim, (start, end), GRANULARITY, &GROUP_BY, &METRICS)
}

// The simulator and the stand-in's readers run on the test's runtime: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_days_of_faults_crashes_and_stops_end_at_the_ground_truth() {
    let start: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
    let clock = ManualClock::new(start);
    let sim = Sim::start(SimConfig {
        clock: Clock::Manual(clock.clone()),
        // The three days, and the long conversations (up to three days) emitting into
        // the first of them: all still in the history when the truth is read at the end.
        history: Duration::from_secs(7 * 86_400),
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
    let config = common::TestConfig::new(&sim.base_url())
        .genesys("request_timeout", "1s")
        .genesys("max_retries", 30)
        .genesys("backoff_initial", "10ms")
        .genesys("backoff_max", "50ms")
        .collect("granularity", "15m")
        .collect("lookback", "30m")
        .group_by(&GROUP_BY)
        .collect("metrics", METRICS.to_vec())
        .collect("state_file", state_file.to_str().unwrap())
        .collect("max_backfill", "2d")
        .execd("poll_timeout", "60s")
        .write(&dir);

    let mut execd = ExecdConfig::new(common::BIN);
    execd.args = vec!["--config".into(), config.to_str().unwrap().into()];
    execd.env = vec![(NOW_FILE_VAR.into(), now_file.to_str().unwrap().into())];
    execd.signal = ExecdSignal::Stdin;
    // Long enough that the gathers sent right after a crash (at most three pipe
    // writes, refused at once) certainly fall into it; each crash waits it out.
    execd.restart_delay = Duration::from_millis(500);
    let mut now = start + STEP;
    set_clocks(&clock, &now_file, now);
    let mut telegraf = Execd::start(execd.clone()).await.unwrap();
    let mut seen = Seen::default();

    let end = start + SignedDuration::from_hours(72);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    // Crashes and stops among the first steps, so that downtime never skips past the
    // last one.
    let mut events: Vec<usize> = rand::seq::index::sample(&mut rng, 26, KILLS + STOPS).into_vec();
    let stop_steps: BTreeSet<usize> = events.split_off(KILLS).into_iter().collect();
    let kill_steps: BTreeSet<usize> = events.into_iter().collect();
    let mut kills = 0;
    for step in 0.. {
        let before = telegraf.inspect(own_points);
        let crash = kill_steps.contains(&step);
        let stop = stop_steps.contains(&step);
        // Telegraf's pipeline stalls before half the crashes and every stop: what the
        // plugin writes from here on is still unread when its pipes close.
        let stall = stop || (crash && rng.random_bool(0.5));
        telegraf.stall_stdout(stall);
        telegraf.gather().await.unwrap();
        let advance = if crash || stop {
            // Anywhere: logging in, mid-request, mid-backoff, mid-write, between polls.
            let moment = Duration::from_millis(rng.random_range(0..800));
            tokio::time::sleep(moment).await;
            if crash {
                kills += 1;
                let lost = rng.random_range(1..=3);
                crash_and_lose_gathers(&telegraf, lost, &mut now, &clock, &now_file).await;
            } else {
                // Telegraf stops (closing stdin mid-poll or mid-write) and is started
                // again later: a new process, new pipes.
                let (outcome, recorded) = telegraf.stop().await;
                assert_eq!(outcome.step, StopStep::StdinClosed, "{outcome:?}");
                seen.absorb(recorded);
                telegraf = Execd::start(execd.clone()).await.unwrap();
            }
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
    seen.absorb(recorded);
    let recorded = seen.recorded;

    // The strict stand-in really did drop output at exits and refuse gathers while
    // the plugin was down.
    let lost_lines: usize = recorded
        .lost_at_exit
        .iter()
        .map(|(_, text)| text.matches(MEASUREMENT).count())
        .sum();
    assert!(lost_lines > 0, "no conversation line was lost at an exit");
    assert!(
        recorded.failed_gathers.len() >= KILLS,
        "{:?}",
        recorded.failed_gathers
    );
    assert_eq!(kills, KILLS);
    assert!(
        recorded.parse_errors.is_empty(),
        "{:?}",
        recorded.parse_errors
    );
    let got = stored_points(&recorded, &GROUP_BY);
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
