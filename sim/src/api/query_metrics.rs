//! The metric names the aggregates query accepts: the `metrics` enum of
//! `ConversationAggregationQuery` (`schema/aggregation-query-metrics.json`, copied from
//! Genesys's Java SDK, where its source is named). The Python SDK the other models
//! come from gives `metrics` no enum; the closest list there,
//! `ConversationAggregationView.target`, also names view-only metrics
//! (`nConversations`, `tScreenMonitoring`, ...) that Genesys answers with 400.

use std::sync::OnceLock;

use serde::Deserialize;

const QUERY_METRICS_JSON: &str = include_str!("../../schema/aggregation-query-metrics.json");

#[derive(Debug, Default, Deserialize)]
struct QueryMetrics {
    metrics: Vec<String>,
}

/// Every metric name the aggregates query accepts.
pub(crate) fn query_metrics() -> &'static [String] {
    static METRICS: OnceLock<QueryMetrics> = OnceLock::new();
    // The file is part of the crate; a parse failure leaves the list empty, and every
    // query is then refused rather than accepted unchecked.
    &METRICS
        .get_or_init(|| serde_json::from_str(QUERY_METRICS_JSON).unwrap_or_default())
        .metrics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_enum_is_read_and_covers_the_generated_metrics() {
        let known = query_metrics();
        assert_eq!(known.len(), 58);
        for metric in crate::aggregate::GENERATED_METRICS {
            assert!(known.iter().any(|k| k == metric), "{metric}");
        }
        for view_only in ["nConversations", "tSnippetRecord"] {
            assert!(!known.iter().any(|k| k == view_only), "{view_only}");
        }
    }
}
