//! Support for the cross-component tests: real peers started on loopback or run as
//! child processes, and a stand-in for the one peer that cannot run here.
//!
//! - [`browser`]: Debian's `chromium`, headless, driven through a list of steps
//!   (`tests/browser/drive.mjs`), for the sidecar's chart page.
//! - [`grafana`]: a model of Grafana's variable interpolation (formats, All, dates,
//!   intervals), for expanding the shipped dashboards as Grafana would.
//! - [`influxdb`]: a throwaway InfluxDB 1.x server (Debian's `influxd`), started on a
//!   free port with its own data directory and stopped when dropped.
//! - [`influxdb_log`]: the queries InfluxDB 1.x ran, and how many at once, from its
//!   own access log.
//! - [`flux`]: checks Flux files and query texts with InfluxData's Flux language
//!   server (`flux/check/check.js` in node) and returns its diagnostics, and lists
//!   the functions a Flux text calls.
//! - [`kpi`]: the contact-centre KPIs by their definitions, from Genesys metric
//!   tallies: what `GET /metrics/kpi` must answer for a window and group.
//! - [`plugin_config`]: the plugin's configuration file for a test, built key by key.
//! - [`raw_points`]: raw points as the plugin writes them, from a deterministic
//!   generator, for the roll-up tests.
//! - [`secrets`]: the secrets of the test run, and the one check that none shows in
//!   a captured stream.
//! - [`rollup`]: what an hourly or daily roll-up contains, computed from raw points:
//!   the one definition every roll-up (Flux tasks, InfluxQL backfill and continuous
//!   queries, the InfluxDB 3 plugin) is held to.
//! - [`telegraf`]: a harness that runs a program the way Telegraf's `inputs.execd`
//!   does (pipes, stdin and signal gathers, line-protocol parsing of stdout with
//!   Telegraf's whitespace, stderr levels and line limit, pipes closed at exit,
//!   restarts, the stop sequence). It is a stand-in, not Telegraf.
//! - [`workspace`]: the workspace's own binaries (the plugin, the sidecar) as processes.
//!
//! A test that needs a peer fails when the peer is missing; the project's test
//! command (`scripts/test`) installs every peer first.

pub mod browser;
pub mod flux;
pub mod grafana;
pub mod influxdb;
pub mod influxdb_log;
pub mod kpi;
pub mod plugin_config;
pub mod raw_points;
pub mod rollup;
pub mod secrets;
pub mod telegraf;
pub mod workspace;
