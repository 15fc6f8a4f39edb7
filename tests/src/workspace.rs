//! The workspace's own binaries, run as real processes by the cross-component tests,
//! and the files it ships.
//!
//! They are found next to the test executable (`target/<profile>/<name>`):
//! `cargo test --workspace` builds every binary before it runs any test.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

/// How long the sidecar may take to print its address.
const START_LIMIT: Duration = Duration::from_secs(20);

/// A workspace binary next to this test executable; panics, naming the fix, when it
/// has not been built.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/<test>");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (`cargo test --workspace` or scripts/test do)",
        path.display()
    );
    path
}

/// A file of the repository (e.g. `influxql/genesys_aht_backfill.influxql`), as it ships.
pub fn repository_file(path: &str) -> String {
    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Starts `genesys-aht-sidecar --config <config>` (which must listen on port 0);
/// returns the child, killed when dropped, and the base URL it printed.
pub async fn start_sidecar(config: &Path) -> (tokio::process::Child, String) {
    let mut child = tokio::process::Command::new(binary("genesys-aht-sidecar"))
        .arg("--config")
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the sidecar starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    tokio::time::timeout(START_LIMIT, BufReader::new(stdout).read_line(&mut first))
        .await
        .expect("the sidecar prints its URL")
        .expect("stdout is readable");
    (child, first.trim().to_owned())
}
