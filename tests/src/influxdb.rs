//! A real InfluxDB 1.x server for tests, and the small HTTP calls tests make to it.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use genesys_aht_contract::{FieldValue, Point};
use serde_json::Value;

use crate::rollup::Row;

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
    /// The server answered something this module cannot read.
    #[error("unexpected answer from InfluxDB: {0}")]
    Unexpected(String),
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
  # Each request's method, target, InfluxDB's own request ID (a time-based UUID:
  # when it arrived) and duration (crate::influxdb_log reads them).
  log-enabled = true
  access-log-path = "{d}/access.log"
[continuous_queries]
  # How often the server checks whether a continuous query is due (the default is
  # 1s): short, so that a test sees a due run soon.
  run-interval = "100ms"
[logging]
  suppress-logo = true
"#
    )
}

/// Runs `influxd` with the configuration in `dir`, logging to `dir/influxd.log`.
fn spawn(dir: &std::path::Path) -> Result<Child, InfluxError> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("influxd.log"))?;
    Command::new("influxd")
        .arg("run")
        .arg("-config")
        .arg(dir.join("influxdb.conf"))
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .spawn()
        .map_err(InfluxError::Missing)
}

impl InfluxDb {
    /// Starts `influxd` on free loopback ports and creates the database `test`.
    pub async fn start() -> Result<InfluxDb, InfluxError> {
        // A free port can be taken between choosing it and influxd binding it (tests
        // and other processes start servers side by side): choose again then.
        let mut attempts = 1;
        loop {
            match Self::start_on_free_ports().await {
                Err(InfluxError::NotReady(_, log))
                    if attempts < 5 && log.contains("address already in use") =>
                {
                    attempts += 1;
                }
                started => return started,
            }
        }
    }

    async fn start_on_free_ports() -> Result<InfluxDb, InfluxError> {
        let dir = tempfile::tempdir()?;
        let http_port = free_port()?;
        let rpc_port = free_port()?;
        std::fs::write(
            dir.path().join("influxdb.conf"),
            config(dir.path(), http_port, rpc_port),
        )?;
        let child = spawn(dir.path())?;
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

    /// Stops the server and starts it again on the same ports and data. The server
    /// keeps when each continuous query last ran in memory only, so after a restart
    /// it runs every continuous query at its next check instead of at the next
    /// `RESAMPLE EVERY` boundary: the one way to get a run now.
    pub async fn restart(&mut self) -> Result<(), InfluxError> {
        self.child.kill()?;
        self.child.wait()?;
        self.child = spawn(self.dir.path())?;
        self.wait_ready(Duration::from_secs(20)).await
    }

    /// The server's HTTP access log (see [`crate::influxdb_log`]).
    pub fn access_log_path(&self) -> PathBuf {
        self.dir.path().join("access.log")
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
        self.write_in(&self.database, lines).await
    }

    /// Writes line protocol (nanosecond timestamps) into `database`.
    pub async fn write_in(&self, database: &str, lines: &str) -> Result<(), InfluxError> {
        let response = self
            .http
            .post(format!("{}/write", self.url))
            .query(&[("db", database), ("precision", "ns")])
            .body(lines.to_owned())
            .send()
            .await?;
        check(response).await.map(drop)
    }

    /// Creates the raw and roll-up databases the shipped InfluxQL files use:
    /// `genesys`, `genesys_1h`, `genesys_1d`.
    pub async fn create_rollup_databases(&self) -> Result<(), InfluxError> {
        for database in ["genesys", "genesys_1h", "genesys_1d"] {
            self.query_post(&format!("CREATE DATABASE {database}"))
                .await?;
        }
        Ok(())
    }

    /// Writes contract points, through the contract's encoder, into `database`.
    pub async fn write_points(&self, database: &str, points: &[Point]) -> Result<(), InfluxError> {
        let body = genesys_aht_contract::encode_batch(points)
            .map_err(|e| InfluxError::Unexpected(format!("encoding points: {e}")))?;
        self.write_in(database, &String::from_utf8_lossy(&body))
            .await
    }

    /// Runs an InfluxQL read query with bound parameters; returns the JSON answer.
    pub async fn query(&self, q: &str, params: &Value) -> Result<Value, InfluxError> {
        self.query_in(&self.database, q, params).await
    }

    /// [`InfluxDb::query`] against `database`.
    pub async fn query_in(
        &self,
        database: &str,
        q: &str,
        params: &Value,
    ) -> Result<Value, InfluxError> {
        let response = self
            .http
            .get(format!("{}/query", self.url))
            .query(&[
                ("db", database),
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
        self.execute(q, &Value::Object(Default::default())).await
    }

    /// Runs statements that change the server (`SELECT ... INTO`, several separated
    /// by `;` run in order) with bound parameters, as `POST /query`. An error of one
    /// statement is in its result, not in the status: see [`statement_errors`].
    pub async fn execute(&self, q: &str, params: &Value) -> Result<Value, InfluxError> {
        let response = self
            .http
            .post(format!("{}/query", self.url))
            .form(&[("q", q), ("params", &params.to_string())])
            .send()
            .await?;
        Ok(serde_json::from_str(&check(response).await?).unwrap_or(Value::Null))
    }

    /// Every point of `measurement` in `database`, typed by the server's own field
    /// types (`SHOW FIELD KEYS`), sorted by tags, then time.
    pub async fn rows(&self, database: &str, measurement: &str) -> Result<Vec<Row>, InfluxError> {
        let name = quote_identifier(measurement);
        let none = Value::Object(Default::default());
        // Points first, types second: a field written in between (a continuous query
        // running) is then only in the types, never missing from them.
        let answer = self
            .query_in(database, &format!("SELECT * FROM {name} GROUP BY *"), &none)
            .await?;
        let types = self
            .query_in(database, &format!("SHOW FIELD KEYS FROM {name}"), &none)
            .await?;
        let types = field_types(&types)?;
        if let Some((_, error)) = statement_errors(&answer).into_iter().next() {
            return Err(InfluxError::Unexpected(format!("{database}: {error}")));
        }
        let mut rows = rows_of(&answer, &types)?;
        rows.sort_by(|a, b| (&a.tags, a.time_ns).cmp(&(&b.tags, b.time_ns)));
        Ok(rows)
    }
}

/// The `error` of each statement of an answer that has one, with its index.
pub fn statement_errors(answer: &Value) -> Vec<(usize, String)> {
    let results = answer["results"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    results
        .iter()
        .enumerate()
        .filter_map(|(i, r)| Some((i, r.get("error")?.as_str()?.to_owned())))
        .collect()
}

/// An InfluxQL identifier in double quotes.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

fn unexpected(what: &str, answer: &Value) -> InfluxError {
    InfluxError::Unexpected(format!("{what}: {answer}"))
}

/// Field name → `integer` or `float` (the only types of the contract).
fn field_types(answer: &Value) -> Result<BTreeMap<String, String>, InfluxError> {
    let empty = Vec::new();
    let values = answer["results"][0]["series"][0]["values"]
        .as_array()
        .unwrap_or(&empty);
    values
        .iter()
        .map(|pair| match (pair[0].as_str(), pair[1].as_str()) {
            (Some(field), Some(kind)) => Ok((field.to_owned(), kind.to_owned())),
            _ => Err(unexpected("SHOW FIELD KEYS row", pair)),
        })
        .collect()
}

/// The rows of a `SELECT * ... GROUP BY *` answer (epoch = ns); null columns are
/// fields the point does not have.
fn rows_of(answer: &Value, types: &BTreeMap<String, String>) -> Result<Vec<Row>, InfluxError> {
    let empty = Vec::new();
    let series = answer["results"][0]["series"].as_array().unwrap_or(&empty);
    let mut rows = Vec::new();
    for one in series {
        let tags: BTreeMap<String, String> = one["tags"]
            .as_object()
            .map(|tags| {
                tags.iter()
                    .filter_map(|(k, v)| {
                        Some((k.clone(), v.as_str().filter(|v| !v.is_empty())?.to_owned()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let columns = one["columns"].as_array().unwrap_or(&empty);
        for values in one["values"].as_array().unwrap_or(&empty) {
            let time_ns = values[0]
                .as_i64()
                .ok_or_else(|| unexpected("time", values))?;
            let mut fields = BTreeMap::new();
            for (column, value) in columns
                .iter()
                .zip(values.as_array().unwrap_or(&empty))
                .skip(1)
            {
                if value.is_null() {
                    continue;
                }
                let name = column
                    .as_str()
                    .ok_or_else(|| unexpected("column", column))?;
                fields.insert(name.to_owned(), typed(name, value, types)?);
            }
            rows.push(Row {
                time_ns,
                tags: tags.clone(),
                fields,
            });
        }
    }
    Ok(rows)
}

fn typed(
    name: &str,
    value: &Value,
    types: &BTreeMap<String, String>,
) -> Result<FieldValue, InfluxError> {
    match types.get(name).map(String::as_str) {
        Some("integer") => value.as_i64().map(FieldValue::Integer),
        Some("float") => value.as_f64().map(FieldValue::Float),
        _ => None,
    }
    .ok_or_else(|| unexpected(&format!("field {name} ({:?})", types.get(name)), value))
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
