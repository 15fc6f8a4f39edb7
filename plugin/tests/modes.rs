//! The binary's modes: `--once` prints whole lines; the execd loop collects once per
//! stdin line and exits 0 at EOF; `--demo` streams lines until stdin closes.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{BIN, TestConfig, parse, parse_all, run, sim};
use genesys_sim::SimConfig;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

const EXIT_LIMIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn once_prints_whole_lines_only() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .collect("include_open_bucket", true)
        .write(&dir);
    let output = run(&["--config", config.to_str().unwrap(), "--once"]).await;
    assert!(output.status.success());
    assert!(output.stdout.ends_with(b"\n"), "the last line is complete");
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    assert_eq!(
        parse_all(&output.stdout).len(),
        text.lines().count(),
        "every line parses"
    );
    assert!(parse(&output.stdout).len() > 10, "{text}");
}

#[tokio::test]
async fn a_closed_stdout_ends_once_quietly() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url()).write(&dir);
    let mut child = spawn(&["--config", config.to_str().unwrap(), "--once"]);
    drop(child.stdout.take());
    let stderr = exits_zero(child).await;
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test]
async fn the_sample_config_printed_is_valid() {
    let output = run(&["--sample-config"]).await;
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    assert_eq!(text, genesys_aht::config::SAMPLE);
    let file =
        genesys_aht::config::FileConfig::parse(&text, std::path::Path::new("sample")).unwrap();
    assert_eq!(file.genesys.region.as_deref(), Some("us-east-1"));
}

fn spawn(args: &[&str]) -> Child {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// Reads stdout lines until `count` are in, checking each parses.
async fn read_lines(
    reader: &mut tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    count: usize,
) {
    for _ in 0..count {
        let line = tokio::time::timeout(EXIT_LIMIT, reader.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(parse_all(format!("{line}\n").as_bytes()).len(), 1, "{line}");
    }
}

async fn exits_zero(child: Child) -> String {
    let output = tokio::time::timeout(EXIT_LIMIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    for line in stderr.lines() {
        assert!(
            ["E! ", "W! ", "I! ", "D! "]
                .iter()
                .any(|p| line.starts_with(p)),
            "{line}"
        );
    }
    stderr
}

#[tokio::test]
async fn demo_streams_lines_and_exits_when_stdin_closes() {
    let mut child = spawn(&["--demo"]);
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    read_lines(&mut lines, 50).await;
    drop(child.stdin.take());
    // Drain what is left so the child never blocks on a full pipe.
    while let Ok(Some(_)) = lines.next_line().await {}
    exits_zero(child).await;
}

#[tokio::test]
async fn demo_with_stdin_closed_still_shows_a_collection() {
    let output = run(&["--demo"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!parse(&output.stdout).is_empty(), "{stderr}");
}

#[tokio::test]
async fn telegrafs_one_dash_config_flag_is_accepted() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url()).write(&dir);
    let output = run(&["-config", config.to_str().unwrap(), "-once"]).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(!parse(&output.stdout).is_empty(), "{stderr}");
}

/// Sends `signal` (`INT`, `TERM`) with the system's `kill`.
fn send(child: &Child, signal: &str) {
    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn ctrl_c_and_sigterm_end_the_loop_with_exit_zero() {
    for signal in ["INT", "TERM"] {
        let mut child = spawn(&["--demo"]);
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        read_lines(&mut lines, 5).await;
        send(&child, signal);
        // stdin stays open: only the signal can end the program.
        let drained = tokio::time::timeout(EXIT_LIMIT, async {
            while let Ok(Some(_)) = lines.next_line().await {}
        });
        assert!(drained.await.is_ok(), "{signal} ended the program");
        let stderr = exits_zero(child).await;
        assert!(stderr.contains("I! stopping"), "{signal}: {stderr}");
    }
}

#[tokio::test]
async fn each_stdin_line_triggers_one_collection_and_eof_exits() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url()).write(&dir);
    let mut child = spawn(&["--config", config.to_str().unwrap()]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"\n").await.unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    read_lines(&mut lines, 1).await;
    stdin.write_all(b"\n").await.unwrap();
    drop(stdin);
    let mut rest = 1;
    while let Ok(Some(_)) = lines.next_line().await {
        rest += 1;
    }
    let stderr = exits_zero(child).await;
    assert_eq!(stderr.matches("D! wrote").count(), 2, "{stderr}");
    assert!(rest >= 2, "two batches: {rest} lines");
}
