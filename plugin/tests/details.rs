//! Details mode against aggregates mode, through the real binary and the simulator:
//! over a simulated week, the points computed from conversation details (paged
//! query, and async jobs) equal the points of the aggregates query, for several
//! groupings, with and without flattening. The 100 000-result cap is met by splitting,
//! conversations repeated by shifting pages count once, and a failed job is a clear
//! error that leaves no job behind.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;

use common::{Line, TestConfig, once_at, run_once_at, sim};
use genesys_sim::{Sim, SimConfig};

/// A quiet org, so that a week of details pages quickly in a debug build; every
/// answer checked against the SDK models. Without the simulator's long conversations
/// (hours to days), which a details query reaching back `details_lookbehind` cannot
/// all see: `simulated_week.rs` compares details mode with what it can see.
fn quiet() -> SimConfig {
    SimConfig {
        conversations_per_hour: 40,
        long_conversations: false,
        check_contract: true,
        ..SimConfig::default()
    }
}

/// `config` for `source`, written in its own directory.
fn config(config: TestConfig, source: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = config.collect("source", source).write(&dir);
    (dir, path)
}

/// The conversation lines of one `--once` run of `collect` from `source` at `now`, in
/// (timestamp, tags) order, and its stderr.
async fn sorted_run(
    collect: TestConfig,
    source: &str,
    now: jiff::Timestamp,
) -> (Vec<Line>, String) {
    let (dir, path) = config(collect, source);
    let (mut lines, stderr) = once_at(&path, now, dir.path()).await;
    lines.sort_by(|a, b| (a.timestamp, &a.tags).cmp(&(b.timestamp, &b.tags)));
    (lines, stderr)
}

/// (aggregates mode, details mode) lines for the same `collect` settings, each in
/// (timestamp, tags) order, and the details run's stderr. The two runs are independent
/// processes against a fixed clock: they run side by side.
async fn both(
    sim: &Sim,
    collect: TestConfig,
    details: fn(TestConfig) -> TestConfig,
) -> (Vec<Line>, Vec<Line>, String) {
    let now = sim.now();
    let ((want, _), (got, stderr)) = tokio::join!(
        sorted_run(collect.clone(), "aggregates", now),
        sorted_run(details(collect), "details", now),
    );
    (want, got, stderr)
}

/// Equal line lists, or a short report of the first difference.
fn assert_same(got: &[Line], want: &[Line], what: &str) {
    let first = got.iter().zip(want).position(|(g, w)| g != w);
    if let Some(i) = first {
        panic!(
            "{what}: line {i} differs:\n got {:?}\nwant {:?}",
            got[i], want[i]
        );
    }
    assert_eq!(got.len(), want.len(), "{what}: number of lines");
}

/// Details mode by the paged query only.
fn paged(config: TestConfig) -> TestConfig {
    config.collect("details_jobs_min_window", "30d")
}

/// Details mode by async jobs, for windows of an hour or more.
fn jobs(config: TestConfig) -> TestConfig {
    config.collect("details_jobs_min_window", "1h")
}

/// For one grouping of `collect`: details mode paged, and by job, each equal to one
/// run of aggregates mode.
async fn paged_and_by_job(sim: &Sim, what: &str, collect: TestConfig) {
    let now = sim.now();
    let ((want, _), (by_pages, stderr_paged), (by_jobs, stderr_jobs)) = tokio::join!(
        sorted_run(collect.clone(), "aggregates", now),
        sorted_run(paged(collect.clone()), "details", now),
        sorted_run(jobs(collect), "details", now),
    );
    assert!(
        want.len() > 1000,
        "{what}: a week of traffic: {}",
        want.len()
    );
    assert_same(&by_pages, &want, &format!("{what}, paged: {stderr_paged}"));
    assert_same(&by_jobs, &want, &format!("{what}, by job: {stderr_jobs}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_of_details_equals_aggregates_paged_and_by_job() {
    // The model check of every page is what takes time in a debug build; the other
    // tests here keep it on.
    let sim = sim(SimConfig {
        check_contract: false,
        ..quiet()
    })
    .await;
    let week = TestConfig::new(&sim.base_url()).collect("lookback", "7d");
    let groupings = [
        (
            "skill by media type",
            week.clone()
                .collect("group_by", vec!["requestedRoutingSkillId", "mediaType"]),
        ),
        (
            "flattened skill sets",
            week.clone()
                .collect("group_by", vec!["requestedRoutingSkillId"])
                .collect("flatten_multivalued_dimensions", true),
        ),
        (
            "queue by skill",
            week.collect("group_by", vec!["queueId", "requestedRoutingSkillId"]),
        ),
    ];
    // The groupings, and the three runs of each, are independent processes against a
    // fixed clock: all nine run at once.
    let [a, b, c] = groupings.map(|(what, collect)| paged_and_by_job(&sim, what, collect));
    tokio::join!(a, b, c);
    let log = sim.request_log();
    assert!(log.iter().any(|r| r.path.ends_with("/details/query")));
    assert!(log.iter().any(|r| r.path.ends_with("/results")));
    let created = log
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/details/jobs"))
        .count();
    let deleted = log.iter().filter(|r| r.method == "DELETE").count();
    // A week and the lookbehind pass the 7-day details interval cap: each run asks in
    // two parts, and no query or job was refused.
    assert_eq!(created, 3 * 2);
    assert!(log.iter().all(|r| r.status != Some(400)), "nothing refused");
    assert_eq!(deleted, created, "every job is deleted once read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_and_one_skill_per_group_agree_too() {
    let sim = sim(quiet()).await;
    let queue = sim.queues()[0].id.clone();
    let collect = TestConfig::new(&sim.base_url())
        .collect("lookback", "1d")
        .collect("group_by", vec!["requestedRoutingSkillId", "direction"])
        .collect("media_types", vec!["voice", "chat"])
        .collect("queue_ids", vec![queue]);
    let (want, got, stderr) = both(&sim, collect, paged).await;
    assert!(want.len() > 20, "{}", want.len());
    assert_same(&got, &want, &stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_result_cap_is_met_by_splitting_the_window() {
    let sim = sim(SimConfig {
        details_max_results: 300,
        ..quiet()
    })
    .await;
    let collect = TestConfig::new(&sim.base_url())
        .collect("lookback", "1d")
        .collect("group_by", vec!["requestedRoutingSkillId"]);
    let (want, got, stderr) = both(&sim, collect, paged).await;
    assert!(want.len() > 50, "{}", want.len());
    assert_same(&got, &want, &stderr);
    assert!(
        sim.request_log().iter().any(|r| r.status == Some(400)),
        "the cap was met"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_repeated_by_shifting_pages_count_once() {
    let sim = sim(SimConfig {
        details_page_overlap: 7,
        ..quiet()
    })
    .await;
    let collect = TestConfig::new(&sim.base_url())
        .collect("lookback", "1d")
        .collect("group_by", vec!["requestedRoutingSkillId", "mediaType"]);
    let (want, got, stderr) = both(&sim, collect, paged).await;
    assert!(stderr.contains("came again on page 2"), "{stderr}");
    assert_same(&got, &want, &stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_job_is_a_clear_error_and_is_deleted() {
    let sim = sim(quiet()).await;
    sim.fail_next_jobs(1, "The query was too expensive");
    let (dir, detailed) = config(
        jobs(TestConfig::new(&sim.base_url()).collect("lookback", "1d")),
        "details",
    );
    let output = run_once_at(&detailed, sim.now(), dir.path()).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.starts_with("E! ")
            && stderr.contains("details job ended FAILED: The query was too expensive"),
        "{stderr}"
    );
    let deleted = sim.request_log().iter().any(|r| r.method == "DELETE");
    assert!(deleted, "the failed job was deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conversations_longer_than_the_lookbehind_are_counted_and_warned_about() {
    let sim = sim(quiet()).await;
    let collect = TestConfig::new(&sim.base_url())
        .collect("lookback", "1d")
        .collect("group_by", vec!["mediaType"]);
    // Long enough for every simulated conversation: nothing missed, nothing to say.
    let (want, got, stderr) = both(&sim, collect.clone(), paged).await;
    assert_same(&got, &want, &stderr);
    assert!(!stderr.contains("details_lookbehind"), "{stderr}");
    // Ten minutes: conversations seen that emitted into the window later than that
    // after they started are counted in a warning (ones like them that started before
    // the query's reach would be missed).
    let short = paged(collect).collect("details_lookbehind", "10m");
    let (_, stderr) = sorted_run(short, "details", sim.now()).await;
    let warning = stderr
        .lines()
        .find(|l| l.starts_with("W! ") && l.contains("more than collect.details_lookbehind"))
        .unwrap_or_else(|| panic!("{stderr}"));
    let counted: usize = warning[3..].split(' ').next().unwrap().parse().unwrap();
    assert!(counted > 0, "{warning}");
}
