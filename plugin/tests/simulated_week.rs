//! A simulated week of every kind of conversation the simulator makes (service-level
//! misses, short abandons, flow-outs, blind and consult transfers, agents who do not
//! answer, and long email, messaging and callback conversations lasting up to three
//! days), through the real binary under the Telegraf execd stand-in, in aggregates
//! mode and in details mode side by side, the simulator's clock and the plugins'
//! (`GENESYS_AHT_NOW_FILE`) moved forward together an hour per gather.
//!
//! - Aggregates mode must equal the simulator's ground truth, every bucket and group.
//! - Details mode reaches back `details_lookbehind` (2 h) before each window, and the
//!   details query selects conversations that started on a UTC day the query's
//!   interval touches: it must equal the ground truth of exactly the conversations
//!   that started from the first of those days, and its warning must count, per
//!   window, the conversations it saw that emitted into the window more than the
//!   lookbehind after they started. The conversations it cannot see are counted by
//!   the simulator, and must be there: the test proves the gap, not its absence.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Points, own_points, set_clocks, stored_points, truth_points, truth_query};
use genesys_aht::NOW_FILE_VAR;
use genesys_aht_contract::Dimension;
use genesys_aht_tests::telegraf::{Execd, ExecdConfig, Level, Recorded, Signal as ExecdSignal};
use genesys_sim::{Clock, ManualClock, Sim, SimConfig};
use jiff::{SignedDuration, Timestamp};

const GRANULARITY: Duration = Duration::from_secs(900);
const STEP: SignedDuration = SignedDuration::from_hours(1);
const HOURS: i64 = 7 * 24;
const LOOKBEHIND: Duration = Duration::from_secs(2 * 3600);
const GROUP_BY: [Dimension; 2] = [Dimension::QueueId, Dimension::MediaType];
const METRICS: [&str; 14] = [
    "tHandle",
    "tTalk",
    "tAlert",
    "nOffered",
    "tAnswered",
    "nOverSla",
    "tAbandon",
    "tShortAbandon",
    "tFlowOut",
    "nTransferred",
    "nBlindTransferred",
    "nConsultTransferred",
    "tNotResponding",
    "tAcd",
];
const LIMIT: Duration = Duration::from_secs(60);
/// Requests a minute, the simulator's and each plugin's: a week of hourly details
/// pages runs in seconds, and the test is about the data, not the budget (pacing.rs
/// and tokens_and_limits.rs are): with Genesys's 300 a minute the run waits a minute
/// for its budget.
const BUDGET: u32 = 20_000;

/// The first instant of the UTC day holding `at`: where the details query of a window
/// starting `LOOKBEHIND` after `at` selects conversations from.
fn day_of(at: Timestamp) -> Timestamp {
    let seconds = at.as_second().div_euclid(86_400) * 86_400;
    Timestamp::from_second(seconds).unwrap()
}

/// The plugin's warnings: window `(start, end)` → conversations it counted.
fn warned(recorded: &Recorded) -> BTreeMap<(Timestamp, Timestamp), usize> {
    let mut counts = BTreeMap::new();
    for line in recorded.logs.iter().filter(|l| l.level == Level::Warn) {
        let Some((count, rest)) = line.text.split_once(" conversation(s) emitted into ") else {
            continue;
        };
        let (window, _) = rest.split_once(" more than").unwrap();
        let (start, end) = window.split_once(" to ").unwrap();
        let key = (start.trim().parse().unwrap(), end.trim().parse().unwrap());
        let previous = counts.insert(key, count.trim().parse().unwrap());
        assert!(previous.is_none(), "one warning per window: {key:?}");
    }
    counts
}

fn plugin(dir: &std::path::Path, name: &str, sim: &Sim, source: &str) -> ExecdConfig {
    let sub = dir.join(name);
    std::fs::create_dir_all(&sub).unwrap();
    let config = common::TestConfig::new(&sim.base_url())
        .collect("source", source)
        .collect("granularity", "15m")
        .collect("lookback", "1h")
        .collect("details_lookbehind", "2h")
        .collect("details_jobs_min_window", "30d")
        .group_by(&GROUP_BY)
        .collect("metrics", METRICS.to_vec())
        .execd("poll_timeout", "60s")
        .genesys("requests_per_minute", BUDGET)
        .write_to(&sub.join("genesys-aht.toml"));
    let mut execd = ExecdConfig::new(common::BIN);
    execd.args = vec!["--config".into(), config.to_str().unwrap().into()];
    execd.env = vec![(
        NOW_FILE_VAR.into(),
        dir.join("now").to_str().unwrap().into(),
    )];
    execd.signal = ExecdSignal::Stdin;
    execd
}

// The simulator serves both plugins from the test's runtime: two threads, so at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_of_every_kind_of_conversation_in_both_modes() {
    let start: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
    let end = start + SignedDuration::from_hours(HOURS);
    let clock = ManualClock::new(start);
    let sim = Sim::start(SimConfig {
        clock: Clock::Manual(clock.clone()),
        // The first window's long conversations started up to three days before it.
        history: Duration::from_secs(11 * 86_400),
        conversations_per_hour: 40,
        requests_per_minute: BUDGET,
        check_contract: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let now_file = dir.path().join("now");
    let mut now = start + STEP;
    set_clocks(&clock, &now_file, now);
    let aggregates = Execd::start(plugin(dir.path(), "aggregates", &sim, "aggregates"))
        .await
        .unwrap();
    let details = Execd::start(plugin(dir.path(), "details", &sim, "details"))
        .await
        .unwrap();
    loop {
        let before = (aggregates.inspect(own_points), details.inspect(own_points));
        aggregates.gather().await.unwrap();
        details.gather().await.unwrap();
        for (telegraf, seen) in [(&aggregates, before.0), (&details, before.1)] {
            let polled = telegraf.wait_until(LIMIT, |r| own_points(r) > seen).await;
            assert!(polled, "at {now}: {:?}", telegraf.recorded().logs);
        }
        if now >= end {
            break;
        }
        now += STEP;
        set_clocks(&clock, &now_file, now);
    }
    let (_, by_aggregates) = aggregates.stop().await;
    let (_, by_details) = details.stop().await;
    for recorded in [&by_aggregates, &by_details] {
        assert!(
            recorded.parse_errors.is_empty(),
            "{:?}",
            recorded.parse_errors
        );
    }

    // Aggregates mode: the whole truth.
    let truth = common::truth_fields(&sim, (start, end), GRANULARITY, &GROUP_BY, &METRICS);
    let for_aggregates = stored_points(&by_aggregates, &GROUP_BY);
    assert!(truth.len() > 1000, "a busy week: {} points", truth.len());
    assert_eq!(for_aggregates.len(), truth.len(), "aggregates mode: points");
    for (key, fields) in &truth {
        assert_eq!(
            for_aggregates.get(key),
            Some(fields),
            "aggregates mode: {key:?}"
        );
    }
    let totals = |points: &Points| {
        let mut totals: BTreeMap<String, i64> = BTreeMap::new();
        for (field, value) in points.values().flatten() {
            *totals.entry(field.clone()).or_default() += value;
        }
        totals
    };
    let week = totals(&truth);
    for field in [
        "over_sla",
        "short_abandon_count",
        "flow_out_count",
        "transferred",
        "blind_transferred",
        "consult_transferred",
        "not_responding_count",
    ] {
        assert!(week.get(field).is_some_and(|v| *v > 0), "{field}: {week:?}");
    }
    assert!(week["abandon_count"] > week["short_abandon_count"]);

    // Details mode: the truth of what each window's query can see, window by window.
    let warnings = warned(&by_details);
    let mut visible = Points::new();
    let (mut unseen, mut late_seen) = (0, 0);
    let mut window = start;
    while window < end {
        let window_end = window + STEP;
        let from = day_of(window - SignedDuration::try_from(LOOKBEHIND).unwrap());
        visible.extend(truth_points(sim.ground_truth_started_from(
            &truth_query((window, window_end), GRANULARITY, &GROUP_BY, &METRICS),
            from,
        )));
        let late = sim.emitting_late(window, window_end, LOOKBEHIND, from);
        let all_late = sim.emitting_late(window, window_end, LOOKBEHIND, Timestamp::MIN);
        assert_eq!(
            warnings.get(&(window, window_end)).copied().unwrap_or(0),
            late,
            "the warning of {window}"
        );
        late_seen += late;
        unseen += all_late - late;
        window = window_end;
    }
    assert!(
        late_seen > 0,
        "some conversations seen lasted past the lookbehind"
    );
    assert!(
        unseen > 0,
        "some conversations started before any query reached back"
    );
    assert_ne!(
        visible, truth,
        "what details mode cannot see changes the sums"
    );
    let for_details = stored_points(&by_details, &GROUP_BY);
    assert_eq!(for_details.len(), visible.len(), "details mode: points");
    for (key, fields) in &visible {
        assert_eq!(for_details.get(key), Some(fields), "details mode: {key:?}");
    }
    assert!(
        sim.contract_violations().is_empty(),
        "{:?}",
        sim.contract_violations()
    );
}
