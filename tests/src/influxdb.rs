//! A real InfluxDB 1.x server for tests, and the small HTTP calls tests make to it.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Why the server could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum InfluxError {
    /// `influxd` is not on `PATH`: run `scripts/test`, which installs it.
    #[error("influxd not found on PATH ({0}); scripts/test installs Debian's influxdb package")]
    Missing(std::io::Error),
    /// Files, ports or processes.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The server did not answer `/ping` in time.
    #[error("influxd did not become ready within {0:?}; its log:\n{1}")]
    NotReady(Duration, String),
    /// An HTTP call failed.
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    /// The server answered with an error.
    #[error("InfluxDB answered {status}: {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Response body.
        body: String,
    },
}

/// A running `influxd` with one database, killed and cleaned up on drop.
#[derive(Debug)]
pub struct InfluxDb {
    child: Child,
    dir: tempfile::TempDir,
    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    /// The database created at start.
    pub database: String,
    http: reqwest::Client,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn config(dir: &std::path::Path, http_port: u16, rpc_port: u16) -> String {
    let d = dir.display();
    format!(
        r#"reporting-enabled = false
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{d}/meta"
[data]
  dir = "{d}/data"
  wal-dir = "{d}/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:{http_port}"
  log-enabled = false
[logging]
  suppress-logo = true
"#
    )
}

impl InfluxDb {
    /// Starts `influxd` on free loopback ports and creates the database `test`.
    pub async fn start() -> Result<InfluxDb, InfluxError> {
        let dir = tempfile::tempdir()?;
        let http_port = free_port()?;
        let rpc_port = free_port()?;
        let conf = dir.path().join("influxdb.conf");
        std::fs::write(&conf, config(dir.path(), http_port, rpc_port))?;
        let log = std::fs::File::create(dir.path().join("influxd.log"))?;
        let child = Command::new("influxd")
            .arg("run")
            .arg("-config")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(InfluxError::Missing)?;
        let mut server = InfluxDb {
            child,
            dir,
            url: format!("http://127.0.0.1:{http_port}"),
            database: "test".into(),
            http: reqwest::Client::new(),
        };
        server.wait_ready(Duration::from_secs(20)).await?;
        server.query_post("CREATE DATABASE test").await?;
        Ok(server)
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("influxd.log")
    }

    async fn wait_ready(&mut self, limit: Duration) -> Result<(), InfluxError> {
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
                return Err(InfluxError::NotReady(
                    start.elapsed(),
                    format!("exited with {status}\n{log}"),
                ));
            }
            let ping = self.http.get(format!("{}/ping", self.url)).send().await;
            if ping.is_ok_and(|r| r.status().as_u16() == 204) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        Err(InfluxError::NotReady(limit, log))
    }

    /// Writes line protocol (nanosecond timestamps) into the test database.
    pub async fn write(&self, lines: &str) -> Result<(), InfluxError> {
        let response = self
            .http
            .post(format!("{}/write", self.url))
            .query(&[("db", self.database.as_str()), ("precision", "ns")])
            .body(lines.to_owned())
            .send()
            .await?;
        check(response).await.map(drop)
    }

    /// Runs an InfluxQL read query with bound parameters; returns the JSON answer.
    pub async fn query(&self, q: &str, params: &Value) -> Result<Value, InfluxError> {
        let response = self
            .http
            .get(format!("{}/query", self.url))
            .query(&[
                ("db", self.database.as_str()),
                ("epoch", "ns"),
                ("q", q),
                ("params", &params.to_string()),
            ])
            .send()
            .await?;
        Ok(serde_json::from_str(&check(response).await?).unwrap_or(Value::Null))
    }

    /// Runs a statement that changes the server (`CREATE DATABASE`, ...).
    pub async fn query_post(&self, q: &str) -> Result<Value, InfluxError> {
        let response = self
            .http
            .post(format!("{}/query", self.url))
            .form(&[("q", q)])
            .send()
            .await?;
        Ok(serde_json::from_str(&check(response).await?).unwrap_or(Value::Null))
    }
}

async fn check(response: reqwest::Response) -> Result<String, InfluxError> {
    let status = response.status();
    let body = response.text().await?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(InfluxError::Status {
            status: status.as_u16(),
            body,
        })
    }
}

impl Drop for InfluxDb {
    fn drop(&mut self) {
        // The data directory is thrown away, so there is nothing to shut down cleanly.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
