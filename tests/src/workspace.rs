//! The workspace's own binaries, run as real processes by the cross-component tests,
//! and the files it ships.
//!
//! They are found next to the test executable (`target/<profile>/<name>`):
//! `cargo test --workspace` builds every binary before it runs any test.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use genesys_aht_contract::FieldValue;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::rollup::Row;

/// How long a server may take to print its address.
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
    let mut command = tokio::process::Command::new(binary("genesys-aht-sidecar"));
    command.arg("--config").arg(config);
    start_printing_url(command).await
}

/// Starts the DataFusion stand-in for InfluxDB 3's `/api/v3/query_sql`
/// (`sidecar/tests/it/influxdb3_standin.py`) with the repository's `.venv` Python,
/// over the databases in `data` (JSON), logging what it receives to `log`.
pub async fn start_influxdb3_stand_in(data: &Path, log: &Path) -> (tokio::process::Child, String) {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = repo.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: scripts/test creates .venv with datafusion and pyarrow",
        python.display()
    );
    let mut command = tokio::process::Command::new(python);
    command
        .arg(repo.join("sidecar/tests/it/influxdb3_standin.py"))
        .arg(data)
        .arg(log);
    start_printing_url(command).await
}

/// Stored rows as the InfluxDB 3 stand-in reads one database of its JSON file:
/// `[{"time": ns, "tags": {...}, "fields": {...}}]`.
pub fn stand_in_database(rows: &[Row]) -> serde_json::Value {
    rows.iter()
        .map(|row| {
            let fields: serde_json::Map<String, serde_json::Value> = row
                .fields
                .iter()
                .map(|(name, value)| {
                    let value = match value {
                        FieldValue::Integer(n) => serde_json::json!(n),
                        FieldValue::Float(x) => serde_json::json!(x),
                    };
                    (name.clone(), value)
                })
                .collect();
            serde_json::json!({"time": row.time_ns, "tags": row.tags, "fields": fields})
        })
        .collect()
}

/// Spawns `command` (stdin closed, stdout piped, killed when dropped) and returns it
/// with the `http://` or `https://` base URL it prints as its first line. Its
/// stderr is read to the end and every line passes the test run's secret check
/// ([`crate::secrets`]).
pub async fn start_printing_url(
    mut command: tokio::process::Command,
) -> (tokio::process::Child, String) {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the server starts");
    let program = command
        .as_std()
        .get_program()
        .to_string_lossy()
        .into_owned();
    let stderr = child.stderr.take().expect("piped stderr");
    tokio::spawn(async move {
        let stream = format!("the stderr of {program}");
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            crate::secrets::check_or_exit(&stream, &line);
        }
    });
    let stdout = child.stdout.take().expect("piped stdout");
    let mut first = String::new();
    tokio::time::timeout(START_LIMIT, BufReader::new(stdout).read_line(&mut first))
        .await
        .expect("the server prints its URL")
        .expect("stdout is readable");
    assert!(
        first.starts_with("http://") || first.starts_with("https://"),
        "it printed {first:?}"
    );
    (child, first.trim().to_owned())
}

/// `GET base + path` with `query`; asserts a 200 and returns the JSON body.
pub async fn get_json(base: &str, path: &str, query: &[(&str, &str)]) -> serde_json::Value {
    let response = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .query(query)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let body = response.text().await.expect("a body");
    assert_eq!(status.as_u16(), 200, "{path}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {body}"))
}
