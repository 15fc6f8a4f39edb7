//! The data contract between the `genesys-aht` plugin and everything downstream of it.
//!
//! One measurement, [`MEASUREMENT`], one point per (interval bucket, group). Every
//! name that the plugin writes and the sidecar, the Flux tasks or the tests read is
//! spelled here once:
//!
//! - [`names`]: measurement, tag keys and field names, and how a Genesys metric
//!   name (`tHandle`, `nOffered`) becomes field names (`handle_sum_ms`,
//!   `handle_count`, `offered`).
//! - [`dimension`]: the Genesys `groupBy` dimensions the plugin supports and the
//!   tags each one produces.
//! - [`point`]: a point and its encoding as line protocol that both Telegraf's
//!   parser and InfluxDB 1.x/2.x accept.
//! - [`queue`]: the live queue state, a second measurement written from Genesys's
//!   queue observations, stamped at the poll.
//!
//! Sums and counts, never averages, are the contract: the only average written,
//! [`names::AVG_HANDLE_TIME`], is derived from the sum and count beside it, and
//! every downstream average is `sum(x_sum_ms) / sum(x_count)`.

pub mod dimension;
pub mod names;
pub mod point;
pub mod queue;

pub use dimension::Dimension;
pub use names::{MEASUREMENT, MetricKind};
pub use point::{FieldValue, Point, PointError, encode_batch, encode_batch_as, sanitize_tag_value};
