//! What a collection reads, whichever source it comes from (the aggregates query,
//! conversation details): a [`Window`] of whole buckets, and one [`Row`] per bucket
//! and group with the [`MetricStats`] of each metric.

use std::collections::BTreeMap;

use jiff::Timestamp;

/// A window of whole buckets: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First bucket's start.
    pub start: Timestamp,
    /// Last bucket's end.
    pub end: Timestamp,
}

/// The statistics of one metric in one row (ms for `t*` metrics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MetricStats {
    /// Number of emissions.
    pub count: i64,
    /// Sum of values (ms), absent for `n*` metrics.
    pub sum: Option<i64>,
}

/// One bucket of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Bucket start.
    pub bucket_start: Timestamp,
    /// Group values by Genesys dimension name; dimensions that do not apply are absent.
    pub group: BTreeMap<String, String>,
    /// Genesys metric name → statistics; metrics not emitted in the bucket are absent.
    pub metrics: BTreeMap<String, MetricStats>,
}
