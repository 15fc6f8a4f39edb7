//! Integration tests of the sidecar over real sockets.
//!
//! - `influxql`: against the real InfluxDB 1.6;
//! - `influxdb3`: the SQL backend against a stand-in for InfluxDB 3's
//!   `/api/v3/query_sql` that executes its SQL with Apache DataFusion (no 3.x runs
//!   here), which must give the same answers as the real 1.6 through InfluxQL;
//! - `flux`: against a stand-in for InfluxDB 2.x's `/api/v2/query` (no 2.x can run
//!   here), which must give the same answers as the real 1.6 through InfluxQL;
//! - `kpi`: `GET /metrics/kpi` against the real InfluxDB 1.6, by each KPI's definition;
//! - `live`: `GET /metrics/queues` against the real InfluxDB 1.6: each queue's newest
//!   poll, by definition from the points written (its checks also serve `flux` and
//!   `influxdb3`);
//! - `service`: errors, auth, cache coalescing, OpenAPI, shutdown;
//! - `tls`: the sidecar's own TLS, client certificates, certificates replaced on disk;
//! - `limits`: per-client limits against the real 1.6 (its own log counts the
//!   queries running at once), query-string length, security headers;
//! - `rotation`: the binary's bearer tokens rotated on SIGHUP, its warnings, and
//!   the test run's secret check on what it printed;
//! - `upstream`: InfluxDB's error statuses, from an upstream stand-in.

// Helpers shared by the tests unwrap like the tests do: a panic is a failed assertion.
#![allow(clippy::unwrap_used)]

mod cases;
mod certs;
mod flux;
mod influxdb3;
mod influxql;
mod kpi;
mod limits;
mod live;
mod rotation;
mod service;
mod standin;
mod support;
mod tls;
mod upstream;
