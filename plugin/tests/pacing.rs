//! The request budget holds: with `requests_per_minute = 5` and more requests than
//! that to make, the simulator never sees more than five in any window, and the sixth
//! waits for the first to leave the window rather than failing. The test build's
//! hook shortens the binary's window from a minute to ten seconds, so that the test
//! waits seconds; the pacer's unit tests hold it to the minute.

// Helpers outside #[test] functions unwrap too: a panic there is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{BIN, TestConfig, sim};
use genesys_aht::RATE_WINDOW_VAR;
use genesys_sim::SimConfig;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

const BUDGET: usize = 5;
/// The window the binary counts its budget over, instead of a minute.
const WINDOW: Duration = Duration::from_secs(10);

#[tokio::test]
async fn no_window_holds_more_requests_than_the_budget() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .genesys("requests_per_minute", BUDGET as i64)
        .write(&dir);
    let mut child = Command::new(BIN)
        .args(["--config", config.to_str().unwrap()])
        .env(RATE_WINDOW_VAR, WINDOW.as_millis().to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // A login, then four polls: four aggregates queries and skills listings.
    let polls = 4;
    let requests = |sim: &genesys_sim::Sim| sim.request_log().len();
    for _ in 0..polls {
        stdin.write_all(b"\n").await.unwrap();
        let before = requests(&sim);
        let answered = async {
            while requests(&sim) == before {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(90), answered)
            .await
            .unwrap();
    }
    drop(stdin);
    let output = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(output.status.success());
    let log = sim.request_log();
    assert!(
        log.len() > BUDGET,
        "{} requests: the budget was binding",
        log.len()
    );
    let window = jiff::SignedDuration::try_from(WINDOW).unwrap();
    let mut most = 0;
    for (i, first) in log.iter().enumerate() {
        let within = log[i..]
            .iter()
            .filter(|r| r.at.duration_since(first.at) < window)
            .count();
        most = most.max(within);
    }
    assert_eq!(most, BUDGET, "the most requests in any window");
    assert!(
        log.iter().all(|r| r.status == Some(200)),
        "none was refused"
    );
}
