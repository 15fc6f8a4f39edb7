//! Debian's `chromium`, headless, driven by `tests/browser/drive.mjs` (npm
//! `playwright-core`, pinned in `tests/browser/package-lock.json`): a list of steps
//! in, what the browser saw out, as JSON. No browser is downloaded; `scripts/test`
//! installs `chromium` and the npm package when missing.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// The whole run may take this long (it starts the browser once).
const RUN_LIMIT: std::time::Duration = std::time::Duration::from_secs(180);

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser")
}

/// Runs `steps` (see `drive.mjs`) in one headless chromium and returns its report:
/// `snapshots` by name, `values`, every `requests` URL, and `errors` (page errors,
/// Content-Security-Policy refusals, failed steps). Panics, naming the fix, when
/// chromium or the driver's package is missing.
pub async fn drive(steps: &Value) -> Value {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(
        Path::new(&chromium).exists(),
        "{chromium} is missing: scripts/test installs Debian's chromium"
    );
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "tests/browser/node_modules is missing: scripts/test runs npm ci there"
    );
    let plan = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(
        plan.path(),
        serde_json::json!({ "steps": steps }).to_string(),
    )
    .expect("the steps are written");
    let run = tokio::process::Command::new("node")
        .arg(dir.join("drive.mjs"))
        .arg(plan.path())
        .env("CHROMIUM", &chromium)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(RUN_LIMIT, run)
        .await
        .expect("the browser run ends")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "the driver's report is not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
