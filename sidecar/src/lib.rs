//! `genesys-aht-sidecar`: `GET /metrics/aht` over InfluxDB, for dashboards.
//!
//! A request is validated and normalised, mapped to a query in the configured
//! language against the right bucket, answered from a cache or InfluxDB, and turned
//! into weighted averages (`sum(handle_sum_ms) / sum(handle_count)`).
//!
//! - [`config`]: `sidecar.toml` as documented serde structs; `${VAR}` expansion; secrets.
//! - [`request`]: query-string parameters → a validated, normalised request.
//! - [`backend`]: bucket choice, the query for the configured language, the HTTP call,
//!   and upstream failures.
//! - [`influxql`]: InfluxQL statements with bound parameters and the `/query` JSON.
//! - [`sql`]: SQL for InfluxDB 3's `/api/v3/query_sql`, bound parameters, its JSON rows.
//! - [`flux`]: Flux scripts with escaped literals, and their rows.
//! - [`csv`]: InfluxDB 2.x annotated CSV, including errors sent mid-stream.
//! - [`identity`]: IDs are a series, names its changing label: the name index, ID
//!   filters, merging by ID.
//! - [`answer`]: sums per window and series → the JSON answer.
//! - [`kpi`]: service level, speed of answer, abandonment and transfer rate as
//!   numerator, denominator and ratio per window and series.
//! - [`cache`]: the moka cache: byte-weighed, per-entry lifetime, coalesced misses.
//! - [`metrics`]: Prometheus-format self metrics.
//! - [`routes`], [`auth`], [`error`], [`state`]: the HTTP surface.
//! - [`page`]: the chart page at `/`, its files embedded in the binary.
//! - [`server`]: CORS, request counting, binding, graceful shutdown.

pub mod answer;
pub mod auth;
pub mod backend;
pub mod cache;
pub mod config;
pub mod csv;
pub mod error;
pub mod flux;
pub mod identity;
pub mod influxql;
pub mod kpi;
pub mod metrics;
pub mod page;
pub mod request;
pub mod routes;
pub mod server;
pub mod sql;
pub mod state;

pub use config::Config;
pub use server::{Running, run, shutdown_signal, start};
