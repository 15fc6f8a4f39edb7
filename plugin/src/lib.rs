//! `genesys-aht`: a Telegraf `inputs.execd` input that reads Genesys Cloud's
//! conversation aggregates and prints, for every interval bucket and group, the sums
//! and counts behind average handle time as InfluxDB line protocol.
//!
//! # Module map
//!
//! Public is what the binary, the integration tests and the `details_bench` example
//! use: [`config`], [`secret`], [`genesys`] (its error and the aggregates query),
//! [`rows`] (the window and rows a collection reads), [`details`] (the fold the
//! example measures), [`collect`], [`state`], [`run`] and [`log`] (its macros are
//! exported). The rest is the crate's own (`pub(crate)`), so the compiler reports
//! what nothing calls.
//!
//! - [`config`]: the TOML file as serde structs, `${VAR}` expansion, regions, and the
//!   one validation step into [`config::Settings`].
//! - [`secret`]: the client secret's type, redacted in every `Debug` and `Display`.
//! - [`genesys`]: the HTTP client: OAuth client credentials, the aggregates query,
//!   the routing listings, error mapping (401 renews once, 403 names the permission),
//!   pacing under the request budget, `Retry-After` and backoff with jitter.
//! - [`details`]: `source = "details"`: the same rows computed from conversation
//!   details (paged query or async jobs), one page in memory at a time.
//! - [`rows`]: a window of whole buckets and the rows read for it (bucket, group,
//!   metric statistics), the domain the sources and the points share.
//! - [`names`]: skill and queue names, cached with `moka`.
//! - [`points`]: aggregates rows → points of the data contract (`genesys-aht-contract`).
//! - [`pins`]: a bucket keeps the names it was first written with, so a renamed skill
//!   or queue never has the same conversations under two names.
//! - [`collect`]: one collection of a window (query, names, points).
//! - [`poll`]: one poll: the regular window, then backfill from the watermark.
//! - [`state`]: the state file holding the watermark, replaced atomically.
//! - [`stats`]: the plugin's own metrics (requests, retries, polls, points).
//! - [`output`]: whole batches to stdout, flushed; a closed stdout ends quietly.
//! - [`run`]: the modes `--once`, the execd loop and `--demo`; stop and deadlines.
//! - [`trigger`]: what starts a poll (stdin lines, SIGHUP/SIGUSR1/SIGUSR2, a ticker),
//!   and the warning when nothing does.
//! - [`clock`]: "now", from the system or, in tests, from a file.
//! - [`log`]: `E! `/`W! `/`I! `/`D! ` lines on stderr.

pub(crate) mod clock;
pub mod collect;
pub mod config;
pub mod details;
pub mod genesys;
pub mod log;
pub(crate) mod names;
pub mod observations;
pub(crate) mod output;
pub(crate) mod pins;
pub(crate) mod points;
pub(crate) mod poll;
pub mod rows;
pub mod run;
pub mod secret;
pub mod state;
pub(crate) mod stats;
pub(crate) mod trigger;

/// The environment variable naming the file the `test-clock` build reads "now" from.
#[cfg(feature = "test-clock")]
pub use clock::NOW_FILE_VAR;
/// The environment variable the `test-clock` build reads the request budget's window
/// from (milliseconds).
#[cfg(feature = "test-clock")]
pub use clock::RATE_WINDOW_VAR;
