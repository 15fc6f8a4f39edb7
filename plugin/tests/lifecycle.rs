//! The execd loop stops within two seconds on stdin EOF or SIGTERM, also while a
//! poll waits on a slow Genesys answer, exits 0 and leaves no partial line; stdin
//! lines that arrive during a poll coalesce into one next poll.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{BIN, TestConfig, parse_all, sim};
use genesys_sim::{Endpoint, FaultKind, RequestRecord, Sim, SimConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, ChildStdin, Command};

const STOP_LIMIT: Duration = Duration::from_secs(2);

/// The plugin's loop against `sim`, whose next `times` aggregates answers take `delay`.
fn spawn_slow(
    sim: &Sim,
    dir: &tempfile::TempDir,
    delay: Duration,
    times: usize,
) -> (Child, ChildStdin) {
    sim.push_fault(Endpoint::Aggregates, FaultKind::Slow(delay), times);
    spawn_loop(
        dir,
        TestConfig::new(&sim.base_url()).genesys("request_timeout", "60s"),
    )
}

/// The plugin's loop with `config`.
fn spawn_loop(dir: &tempfile::TempDir, config: TestConfig) -> (Child, ChildStdin) {
    let config = config.write(dir);
    let mut child = Command::new(BIN)
        .args(["--config", config.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let stdin = child.stdin.take().unwrap();
    (child, stdin)
}

/// Waits until the simulator's log holds a request that `seen` picks.
async fn wait_for_request(sim: &Sim, seen: impl Fn(&RequestRecord) -> bool) {
    let logged = async {
        while !sim.request_log().iter().any(&seen) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), logged)
        .await
        .unwrap();
}

fn sigterm(child: &Child) {
    let pid = child.id().unwrap().to_string();
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(kill.success());
}

/// The loop with a poll started and stuck in a slow aggregates answer.
async fn mid_poll(sim: &Sim, dir: &tempfile::TempDir) -> (Child, ChildStdin) {
    let (child, mut stdin) = spawn_slow(sim, dir, Duration::from_secs(30), 100);
    stdin.write_all(b"\n").await.unwrap();
    // The log records a request when it is answered: the login is, the slow
    // aggregates query is not yet; a second later the poll is waiting on it.
    wait_for_request(sim, |r| r.path == "/oauth/token").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    (child, stdin)
}

/// Waits at most [`STOP_LIMIT`] for the exit; checks exit 0 and an empty stdout.
async fn stops_in_time(mut child: Child, what: &str) {
    let started = Instant::now();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let status = tokio::time::timeout(STOP_LIMIT, child.wait()).await;
    let elapsed = started.elapsed();
    let status = status.unwrap_or_else(|_| panic!("{what}: still running after {elapsed:?}"));
    let mut out = Vec::new();
    stdout.read_to_end(&mut out).await.unwrap();
    let mut err = String::new();
    stderr.read_to_string(&mut err).await.unwrap();
    assert!(status.unwrap().success(), "{what}: {err}");
    assert!(out.is_empty(), "{what}: the abandoned poll wrote {out:?}");
    assert!(err.contains("W! stopping mid-poll"), "{what}: {err}");
    assert!(err.contains("I! stopping"), "{what}: {err}");
}

#[tokio::test]
async fn stdin_eof_mid_poll_stops_within_two_seconds() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (child, stdin) = mid_poll(&sim, &dir).await;
    drop(stdin);
    stops_in_time(child, "EOF").await;
}

#[tokio::test]
async fn sigterm_mid_poll_stops_within_two_seconds() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (child, _stdin) = mid_poll(&sim, &dir).await;
    sigterm(&child);
    stops_in_time(child, "SIGTERM").await;
}

#[tokio::test]
async fn lines_during_a_poll_coalesce_into_one_next_poll() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    // Only the first poll's aggregates request is slow.
    let (child, mut stdin) = spawn_slow(&sim, &dir, Duration::from_secs(2), 1);
    stdin.write_all(b"\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    stdin.write_all(b"\n\n\n\n").await.unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let polls = sim
        .request_log()
        .iter()
        .filter(|r| r.path.ends_with("/aggregates/query"))
        .count();
    assert_eq!(polls, 2, "{stderr}");
    assert!(
        stderr.contains("W! a poll took") && stderr.contains("4 trigger(s) arrived"),
        "{stderr}"
    );
    // The plugin's own metrics count the polls and the merged triggers too.
    let own = parse_all(&output.stdout);
    let last = own
        .iter()
        .rfind(|l| l.measurement == genesys_aht_contract::names::internal::MEASUREMENT)
        .expect("the plugin's own metrics");
    assert_eq!(last.integers.get("polls"), Some(&2), "{last:?}");
    assert_eq!(last.integers.get("triggers_merged"), Some(&4), "{last:?}");
}

/// The loop with a poll waiting out a long backoff after a 503.
async fn mid_backoff(sim: &Sim, dir: &tempfile::TempDir) -> (Child, ChildStdin) {
    sim.push_fault(Endpoint::Aggregates, FaultKind::ServerError(503), 100);
    let config = TestConfig::new(&sim.base_url())
        .genesys("backoff_initial", "30s")
        .genesys("backoff_max", "60s");
    let (child, mut stdin) = spawn_loop(dir, config);
    stdin.write_all(b"\n").await.unwrap();
    wait_for_request(sim, |r| r.status == Some(503)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    (child, stdin)
}

#[tokio::test]
async fn stdin_eof_mid_backoff_stops_within_two_seconds() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (child, stdin) = mid_backoff(&sim, &dir).await;
    drop(stdin);
    stops_in_time(child, "EOF mid-backoff").await;
}

#[tokio::test]
async fn sigterm_mid_backoff_stops_within_two_seconds() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let (child, _stdin) = mid_backoff(&sim, &dir).await;
    sigterm(&child);
    stops_in_time(child, "SIGTERM mid-backoff").await;
}
