//! `genesys-aht-sidecar`: `GET /metrics/aht` over InfluxDB, for dashboards.
//!
//! A request is validated and normalised, mapped to a query in the configured
//! language against the right bucket, answered from a cache or InfluxDB, and turned
//! into weighted averages (`sum(handle_sum_ms) / sum(handle_count)`).
//!
//! - [`config`]: `sidecar.toml` as documented serde structs; `${VAR}` expansion; secrets.
//! - [`request`]: query-string parameters → a validated, normalised request.
//! - [`backend`]: bucket choice, the query for the configured language, the HTTP call,
//!   and upstream failures; one child module per language:
//!   - [`backend::influxql`]: InfluxQL statements with bound parameters and the
//!     `/query` JSON.
//!   - [`backend::sql`]: SQL for InfluxDB 3's `/api/v3/query_sql`, bound parameters,
//!     its JSON rows.
//!   - [`backend::flux`]: Flux scripts with escaped literals, and their rows.
//! - [`csv`]: InfluxDB 2.x annotated CSV, including errors sent mid-stream.
//! - [`identity`]: IDs are a series, names its changing label: the name index, ID
//!   filters, merging by ID.
//! - [`answer`]: sums per window and series → the JSON answer.
//! - [`kpi`]: service level, speed of answer, abandonment and transfer rate as
//!   numerator, denominator and ratio per window and series.
//! - [`live`]: the live queue state, each queue's newest observation.
//! - [`cache`]: the moka cache: byte-weighed, per-entry lifetime, coalesced misses.
//! - [`metrics`]: Prometheus-format self metrics.
//! - [`routes`], [`auth`], [`error`], [`state`]: the HTTP surface.
//! - [`page`]: the chart page at `/`, its files embedded in the binary.
//! - [`tokens`]: several bearer tokens, as SHA-256 digests, compared in constant time.
//! - [`limits`]: per-client limits on cache misses and running upstream queries.
//! - [`headers`]: the security headers on every answer.
//! - [`tls`]: the sidecar's own TLS files, for rustls.
//! - [`reload`]: tokens and TLS files reloaded on change or SIGHUP.
//! - [`server`]: CORS, request counting, binding (HTTP or TLS), graceful shutdown.

pub mod answer;
pub mod auth;
pub mod backend;
pub mod cache;
pub mod config;
pub mod csv;
pub mod error;
pub mod headers;
pub mod identity;
pub mod kpi;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod page;
pub mod reload;
pub mod request;
pub mod routes;
pub mod server;
pub mod state;
pub mod tls;
pub mod tokens;

pub use config::Config;
pub use server::{Running, run, shutdown_signal, start};
