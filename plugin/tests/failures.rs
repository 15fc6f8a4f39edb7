//! The real binary on bad input: one clear `E! ` line, a non-zero exit, and the secret
//! in no output.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Output;

use common::{BIN, TestConfig, run, sim};
use genesys_sim::{ClientConfig, SimConfig};

const SECRET: &str = "Zq9-never-print-this-secret";

/// Asserts one `E! ` line containing every `expected` piece, nothing on stdout, a
/// failure exit and no trace of the secret.
fn assert_clear_failure(output: &Output, expected: &[&str]) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "exit {:?}; stderr {stderr}",
        output.status
    );
    assert!(stdout.is_empty(), "stdout: {stdout}");
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| !l.starts_with("I! ") && !l.starts_with("D! "))
        .collect();
    assert_eq!(lines.len(), 1, "one error line: {stderr}");
    assert!(lines[0].starts_with("E! "), "{stderr}");
    for piece in expected {
        assert!(lines[0].contains(piece), "{piece:?} missing: {stderr}");
    }
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "secret leaked: {stderr}"
    );
}

#[tokio::test]
async fn a_wrong_secret_is_one_clear_error() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .genesys("client_secret", SECRET)
        .write(&dir);
    for mode in [&["--once"][..], &[][..]] {
        let mut args = vec!["--config", config.to_str().unwrap()];
        args.extend_from_slice(mode);
        let output = run(&args).await;
        assert_clear_failure(&output, &["login refused", "genesys.client_secret"]);
    }
}

#[tokio::test]
async fn a_missing_permission_is_named() {
    let limited = ClientConfig {
        id: "limited".into(),
        secret: SECRET.into(),
        permissions: vec!["routing:queue:view".into()],
    };
    let sim = sim(SimConfig {
        clients: vec![limited],
        ..SimConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .genesys("client_id", "limited")
        .genesys("client_secret", "${AHT_TEST_SECRET}")
        .write(&dir);
    let output = tokio::process::Command::new(BIN)
        .args(["--config", config.to_str().unwrap(), "--once"])
        .env("AHT_TEST_SECRET", SECRET)
        .output()
        .await
        .unwrap();
    assert_clear_failure(&output, &["403", "analytics:conversationAggregate:view"]);
}

#[tokio::test]
async fn config_mistakes_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    // No simulator: the mistakes must show before any request.
    let in_region = |region: &str| {
        TestConfig::new("http://127.0.0.1:9")
            .without_genesys("api_url")
            .genesys("region", region)
    };
    let cases = [
        (
            in_region("mars-1"),
            vec!["genesys.region", "mars-1", "us-east-1"],
        ),
        (
            in_region("eu-west-1").collect("metrics", vec!["handleTime"]),
            vec!["collect.metrics", "handleTime", "tHandle"],
        ),
    ];
    for (config, expected) in cases {
        let path = config.write(&dir);
        let output = run(&["--config", path.to_str().unwrap(), "--once"]).await;
        assert_clear_failure(&output, &expected);
    }
}

#[tokio::test]
async fn a_missing_config_file_is_named() {
    let output = run(&["--config", "/nonexistent/genesys-aht.toml", "--once"]).await;
    assert_clear_failure(
        &output,
        &["cannot read config file", "/nonexistent/genesys-aht.toml"],
    );
}
