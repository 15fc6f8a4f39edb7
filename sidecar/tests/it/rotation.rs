//! The binary: bearer tokens rotated through the token file and SIGHUP, the warning
//! when it listens beyond loopback, a token file others can read, and no token in
//! anything it printed (the test run's one secret check).

use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use genesys_aht_tests::secrets::{self, SIDECAR_TOKENS};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::certs::replace_file;
use crate::flux::standin;
use crate::standin::{ORG, StandIn, TOKEN};
use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_genesys-aht-sidecar");

/// The sidecar binary on all interfaces, with the token file `tokens`, reloading on
/// SIGHUP only (the file check every hour would not come during the test).
fn config(standin: &StandIn, tokens: &std::path::Path) -> String {
    format!(
        "listen = \"0.0.0.0:0\"\n[influx]\nbackend = \"flux\"\nurl = \"{}\"\ntoken = \"{TOKEN}\"\norg = \"{ORG}\"\nbucket = \"genesys\"\n\
         [http]\nbearer_token_file = {:?}\nreload_check = \"1h\"\n",
        standin.url,
        tokens.display().to_string()
    )
}

struct Sidecar {
    child: tokio::process::Child,
    base: String,
    stderr: Arc<Mutex<String>>,
    http: reqwest::Client,
}

impl Sidecar {
    async fn start(config_path: &std::path::Path) -> Sidecar {
        let mut child = tokio::process::Command::new(BIN)
            .arg("--config")
            .arg(config_path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err = child.stderr.take().unwrap();
        let sink = stderr.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(&mut err).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let mut first = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut first).await.unwrap();
        // Listening on 0.0.0.0, it prints that address; the tests connect on loopback.
        let base = first.trim().replace("0.0.0.0", "127.0.0.1");
        assert!(base.starts_with("http://127.0.0.1:"), "{first}");
        secrets::check("the sidecar's stdout", &first);
        Sidecar {
            child,
            base,
            stderr,
            http: reqwest::Client::new(),
        }
    }

    async fn status(&self, token: &str) -> u16 {
        let path = format!(
            "/metrics/aht?{}",
            query(&[
                ("start_date", &rfc3339(T0_NS)),
                ("end_date", &rfc3339(T0_NS + HOUR_NS))
            ])
        );
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        response.send().await.unwrap().status().as_u16()
    }

    /// `sidecar_reloads_total` for the tokens with `result`.
    async fn reloads(&self, result: &str) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let prefix = format!("sidecar_reloads_total{{what=\"tokens\",result=\"{result}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |n| n.parse().unwrap())
    }

    /// Sends SIGHUP and waits until the reload it causes is counted.
    async fn sighup(&self, result: &str) {
        let before = self.reloads(result).await;
        signal(&self.child, "HUP");
        let started = Instant::now();
        while self.reloads(result).await == before {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no {result} reload counted"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops it with SIGTERM; returns what it wrote on stderr.
    async fn stop(mut self) -> String {
        signal(&self.child, "TERM");
        let status = tokio::time::timeout(Duration::from_secs(20), self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(status.success(), "{status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.stderr.lock().unwrap().clone()
    }
}

#[tokio::test]
async fn rotating_the_token_file_on_sighup_switches_tokens_without_a_failed_request() {
    let standin = standin().await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    let [old, new, rotated, retired] = SIDECAR_TOKENS;
    replace_file(&tokens, &format!("# dashboards\n{old}\n"));
    let config_path = dir.path().join("sidecar.toml");
    std::fs::write(&config_path, config(&standin, &tokens)).unwrap();
    let sidecar = Arc::new(Sidecar::start(&config_path).await);
    assert_eq!(
        (sidecar.status(old).await, sidecar.status(new).await),
        (200, 401)
    );

    // A dashboard keeps asking with the token it holds, through every reload.
    let current = Arc::new(Mutex::new(old));
    let done = Arc::new(AtomicBool::new(false));
    let dashboard = tokio::spawn({
        let (sidecar, current, done) = (sidecar.clone(), current.clone(), done.clone());
        async move {
            let mut statuses = Vec::new();
            while !done.load(Ordering::SeqCst) {
                let token = *current.lock().unwrap();
                statuses.push(sidecar.status(token).await);
            }
            statuses
        }
    });

    // The usual rotation: both tokens, the dashboard moves, the old one goes.
    replace_file(&tokens, &format!("{old}\n{new}\n"));
    sidecar.sighup("ok").await;
    assert_eq!(
        (sidecar.status(old).await, sidecar.status(new).await),
        (200, 200)
    );
    *current.lock().unwrap() = new;
    replace_file(&tokens, &format!("{new}\n"));
    sidecar.sighup("ok").await;
    assert_eq!(
        (sidecar.status(old).await, sidecar.status(new).await),
        (401, 200)
    );
    done.store(true, Ordering::SeqCst);
    let statuses = dashboard.await.unwrap();
    assert!(statuses.len() >= 2, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");

    // A straight swap: after one reload, the new token works and the old is refused.
    replace_file(&tokens, &format!("sha256:{}\n", hex_sha256(rotated)));
    sidecar.sighup("ok").await;
    assert_eq!(
        (sidecar.status(new).await, sidecar.status(rotated).await),
        (401, 200)
    );

    // A file others can read is refused; the tokens in force stay.
    std::fs::write(&tokens, format!("{retired}\n")).unwrap();
    chmod(&tokens, 0o644);
    sidecar.sighup("error").await;
    assert_eq!(
        (sidecar.status(rotated).await, sidecar.status(retired).await),
        (200, 401)
    );

    let sidecar = Arc::into_inner(sidecar).unwrap();
    let stderr = sidecar.stop().await;
    assert!(
        stderr.contains("beyond loopback") && stderr.contains("in clear"),
        "{stderr}"
    );
    assert!(
        stderr.contains("0644") && stderr.contains("chmod o-rwx"),
        "{stderr}"
    );
    secrets::check("the sidecar's stderr", &stderr);
}

#[tokio::test]
async fn a_token_file_others_can_read_stops_the_start_naming_it_not_its_tokens() {
    let standin = standin().await;
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    std::fs::write(&tokens, format!("{}\n", SIDECAR_TOKENS[0])).unwrap();
    chmod(&tokens, 0o604);
    let config_path = dir.path().join("sidecar.toml");
    std::fs::write(&config_path, config(&standin, &tokens)).unwrap();
    let out = tokio::process::Command::new(BIN)
        .arg("--config")
        .arg(&config_path)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("http.bearer_token_file") && stderr.contains("0604"),
        "{stderr}"
    );
    secrets::check("the sidecar's stderr", &stderr);
    secrets::check(
        "the sidecar's stdout",
        &String::from_utf8_lossy(&out.stdout),
    );
}

fn signal(child: &tokio::process::Child, name: &str) {
    let pid = child.id().unwrap().to_string();
    let sent = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{name} {pid}");
}

fn chmod(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn hex_sha256(token: &str) -> String {
    genesys_aht_sidecar::tokens::digest(token)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
