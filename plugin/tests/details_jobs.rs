//! Async details jobs that take longer than a poll, as real ones do: a job is kept
//! across polls and restarts (in `<state_file>.jobs`), finished on a later poll and
//! deleted; a plugin killed mid-job resumes it after a restart, or deletes it when no
//! poll needs it any more; the simulator has no job left at the end.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Line, TestConfig, once_at};
use genesys_sim::{Clock, ManualClock, Sim, SimConfig};
use jiff::{SignedDuration, Timestamp};

/// What a real job may take: five minutes (on the simulator's clock).
const LATENCY: Duration = Duration::from_secs(5 * 60);

/// A quiet org on a clock the test moves, whose jobs take [`LATENCY`].
async fn org() -> (Sim, ManualClock, Timestamp) {
    // A minute into a quarter hour, so that five minutes later the window is the same.
    let quarter = 900;
    let t0 = Timestamp::from_second(Timestamp::now().as_second() / quarter * quarter - 3600 + 60)
        .unwrap();
    let clock = ManualClock::new(t0);
    let sim = Sim::start(SimConfig {
        clock: Clock::Manual(clock.clone()),
        conversations_per_hour: 40,
        job_latency: LATENCY,
        check_contract: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    (sim, clock, t0)
}

/// Details mode over a day by job (default `poll_timeout`), with a state file.
fn details(sim: &Sim, dir: &tempfile::TempDir) -> PathBuf {
    let state_file = dir.path().join("state.json");
    TestConfig::new(&sim.base_url())
        .collect("source", "details")
        .collect("lookback", "1d")
        .collect("details_jobs_min_window", "1d")
        .collect("group_by", vec!["requestedRoutingSkillId"])
        .collect("state_file", state_file.to_str().unwrap())
        .write(dir)
}

/// The lines of aggregates mode at `now`, the expected answer.
async fn aggregates_at(sim: &Sim, now: Timestamp) -> Vec<Line> {
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .collect("lookback", "1d")
        .collect("group_by", vec!["requestedRoutingSkillId"])
        .write(&dir);
    sorted(once_at(&config, now, dir.path()).await.0)
}

fn sorted(mut lines: Vec<Line>) -> Vec<Line> {
    lines.sort_by(|a, b| (a.timestamp, &a.tags).cmp(&(b.timestamp, &b.tags)));
    lines
}

fn count(sim: &Sim, method: &str, path_end: &str) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| r.method == method && r.path.ends_with(path_end))
        .count()
}

fn later(t: Timestamp, by: Duration) -> Timestamp {
    t.checked_add(SignedDuration::try_from(by).unwrap())
        .unwrap()
}

#[tokio::test]
async fn a_slow_job_is_finished_on_a_later_poll_and_deleted() {
    let (sim, clock, t0) = org().await;
    let dir = tempfile::tempdir().unwrap();
    let config = details(&sim, &dir);

    let (lines, stderr) = once_at(&config, t0, dir.path()).await;
    assert!(
        lines.is_empty(),
        "nothing is written before the job is done"
    );
    assert!(stderr.contains("is still running"), "{stderr}");
    assert_eq!(
        sim.open_jobs().len(),
        1,
        "the job is kept for the next poll"
    );

    let t1 = later(t0, LATENCY);
    clock.set(t1);
    let (lines, stderr) = once_at(&config, t1, dir.path()).await;
    let want = aggregates_at(&sim, t1).await;
    assert!(want.len() > 20, "a day of traffic: {}", want.len());
    assert_eq!(sorted(lines), want, "{stderr}");
    assert_eq!(
        count(&sim, "POST", "/details/jobs"),
        1,
        "one job, picked up again"
    );
    assert_eq!(count(&sim, "DELETE", ""), 1, "deleted once read");
    assert!(sim.open_jobs().is_empty(), "{:?}", sim.open_jobs());
}

/// Starts `--once` at `now` and kills it (SIGKILL) as soon as it has recorded its job
/// in `<state_file>.jobs` (a kill between Genesys creating a job and the plugin
/// hearing of it would leave that job unknown to the plugin: the one gap left).
async fn kill_mid_job(sim: &Sim, config: &std::path::Path, now: Timestamp, dir: &std::path::Path) {
    let now_file = dir.join("now");
    std::fs::write(&now_file, now.to_string()).unwrap();
    let mut child = tokio::process::Command::new(common::BIN)
        .args(["--config", config.to_str().unwrap(), "--once"])
        .env(genesys_aht::NOW_FILE_VAR, &now_file)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let book = dir.join("state.json.jobs");
    let recorded = |sim: &Sim| {
        let text = std::fs::read_to_string(&book).unwrap_or_default();
        sim.open_jobs().iter().any(|id| text.contains(id.as_str()))
    };
    while !recorded(sim) {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the plugin ended first"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().await.unwrap();
}

#[tokio::test]
async fn a_plugin_killed_mid_job_resumes_it_after_a_restart() {
    let (sim, clock, t0) = org().await;
    let dir = tempfile::tempdir().unwrap();
    let config = details(&sim, &dir);
    kill_mid_job(&sim, &config, t0, dir.path()).await;
    let job = sim.open_jobs();
    assert_eq!(job.len(), 1);

    let t1 = later(t0, LATENCY);
    clock.set(t1);
    let (lines, stderr) = once_at(&config, t1, dir.path()).await;
    assert_eq!(sorted(lines), aggregates_at(&sim, t1).await, "{stderr}");
    assert_eq!(
        count(&sim, "POST", "/details/jobs"),
        1,
        "the same job, resumed"
    );
    assert!(sim.open_jobs().is_empty(), "{:?}", sim.open_jobs());
}

#[tokio::test]
async fn a_plugin_killed_mid_job_deletes_it_when_no_poll_needs_it() {
    let (sim, clock, t0) = org().await;
    let dir = tempfile::tempdir().unwrap();
    let config = details(&sim, &dir);
    kill_mid_job(&sim, &config, t0, dir.path()).await;
    let orphan = sim.open_jobs();

    // Twenty minutes on, the window (and so the interval) is another one.
    let t1 = later(t0, Duration::from_secs(20 * 60));
    clock.set(t1);
    let (lines, _) = once_at(&config, t1, dir.path()).await;
    assert!(lines.is_empty());
    let open = sim.open_jobs();
    assert_eq!(open.len(), 1, "only the new window's job is left");
    assert!(!open.contains(&orphan[0]), "the old job was deleted");

    let t2 = later(t1, LATENCY);
    clock.set(t2);
    let (lines, stderr) = once_at(&config, t2, dir.path()).await;
    // The quarter hour between the first window and this one is backfilled too (by the
    // paged query): compare the regular window, a day back from the last closed bucket.
    let start = (t2.as_second() / 900 * 900 - 86_400) * 1_000_000_000;
    let (regular, backfilled): (Vec<Line>, Vec<Line>) =
        lines.into_iter().partition(|l| l.timestamp >= start);
    assert!(!backfilled.is_empty(), "{stderr}");
    assert_eq!(sorted(regular), aggregates_at(&sim, t2).await, "{stderr}");
    assert!(sim.open_jobs().is_empty(), "{:?}", sim.open_jobs());
    assert!(sim.contract_violations().is_empty());
}
