//! What every request shares.

use crate::backend::Backend;
use crate::cache::AnswerCache;
use crate::config::{LimitsConfig, Secret};
use crate::kpi::ServiceLevelConfig;
use crate::metrics::Metrics;

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
    /// What the service level's denominator counts.
    pub service_level: ServiceLevelConfig,
    /// The bearer token the data routes require, if any.
    pub bearer_token: Option<Secret>,
}
