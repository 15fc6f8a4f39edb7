//! The `genesys-sim` binary: base URL first on stdout, answers on it, stops on SIGTERM.
// Test code: a panic is a failed assertion (helpers too, not only #[test] bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::{read, token};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test]
async fn prints_its_url_first_serves_on_it_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_genesys-sim"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--seed",
            "3",
            "--client-id",
            "cli",
            "--client-secret",
            "top-secret",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = tokio::time::timeout(Duration::from_secs(10), stdout.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:")
            && url.rsplit(':').next().unwrap().parse::<u16>().unwrap() > 0,
        "{url}"
    );

    let client = reqwest::Client::new();
    let token = token(&client, &url, "cli", "top-secret").await;
    let skills = read(
        client
            .get(format!("{url}/api/v2/routing/skills"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(skills.status, 200, "{}", skills.text);
    assert!(skills.json()["total"].as_u64().unwrap() > 5);

    let pid = child.id().unwrap().to_string();
    let kill = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(kill.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    assert_eq!(
        stdout.next_line().await.unwrap(),
        None,
        "nothing but the URL on stdout"
    );
    let mut logs = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stderr.take().unwrap(), &mut logs)
        .await
        .unwrap();
    assert!(logs.contains("listening on"), "{logs}");
    assert!(
        !logs.contains("top-secret"),
        "the secret never reaches a log line"
    );
}
