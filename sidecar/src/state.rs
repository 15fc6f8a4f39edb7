//! What every request shares.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::backend::Backend;
use crate::cache::AnswerCache;
use crate::config::LimitsConfig;
use crate::kpi::ServiceLevelConfig;
use crate::limits::ClientLimits;
use crate::metrics::Metrics;
use crate::tokens::Tokens;

/// The service's shared state.
#[derive(Debug)]
pub struct AppState {
    /// InfluxDB.
    pub backend: Backend,
    /// Answers by normalised query.
    pub cache: AnswerCache,
    /// Self metrics.
    pub metrics: Metrics,
    /// Request bounds.
    pub limits: LimitsConfig,
    /// The bearer tokens the data routes require, if any are configured.
    pub tokens: Option<Arc<Tokens>>,
    /// Misses and running queries per client.
    pub clients: ClientLimits,
    /// Queries InfluxDB may be running for the sidecar (`influx.max_concurrent_queries`).
    pub upstream_slots: Semaphore,
    /// What the service level's denominator counts.
    pub service_level: ServiceLevelConfig,
    /// The live queue state's window, cache lifetime and measurement.
    pub live: crate::config::LiveConfig,
}
