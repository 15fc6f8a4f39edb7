//! `POST /api/v2/analytics/conversations/aggregates/query`: the request built from the
//! `[collect]` part, and the answer parsed into [`Row`]s (one per bucket and group).

use std::collections::BTreeMap;

use genesys_aht_contract::Dimension;
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Client, GenesysError};
use crate::config::{Collect, to_iso};
use crate::rows::{MetricStats, Row, Window};

/// The endpoint.
pub const PATH: &str = "/api/v2/analytics/conversations/aggregates/query";
/// The permission it needs.
pub const PERMISSION: &str = "analytics:conversationAggregate:view";

/// The request body for `window`.
pub fn query_body(settings: &Collect, window: Window) -> Value {
    let mut body = json!({
        "interval": format!("{}/{}", iso_ms(window.start), iso_ms(window.end)),
        "granularity": to_iso(settings.granularity),
        "timeZone": "UTC",
        "groupBy": settings.group_by.iter().map(|d| d.genesys_name()).collect::<Vec<_>>(),
        "metrics": settings.metrics,
        "flattenMultivaluedDimensions": settings.flatten,
    });
    let clauses: Vec<Value> = [
        (Dimension::MediaType, &settings.media_types),
        (Dimension::QueueId, &settings.queue_ids),
    ]
    .into_iter()
    .filter(|(_, values)| !values.is_empty())
    .map(|(dim, values)| {
        let predicates: Vec<Value> = values
            .iter()
            .map(|v| json!({"type": "dimension", "dimension": dim.genesys_name(), "operator": "matches", "value": v}))
            .collect();
        json!({"type": "or", "predicates": predicates})
    })
    .collect();
    if !clauses.is_empty() {
        body["filter"] = json!({"type": "and", "clauses": clauses});
    }
    body
}

/// `2025-03-10T08:00:00.000Z`, as Genesys writes intervals.
pub fn iso_ms(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

#[derive(Debug, Deserialize)]
struct Response {
    #[serde(default)]
    results: Vec<ResultGroup>,
}

#[derive(Debug, Deserialize)]
struct ResultGroup {
    #[serde(default)]
    group: BTreeMap<String, String>,
    #[serde(default)]
    data: Vec<Bucket>,
}

#[derive(Debug, Deserialize)]
struct Bucket {
    interval: String,
    #[serde(default)]
    metrics: Vec<Metric>,
}

#[derive(Debug, Deserialize)]
struct Metric {
    metric: String,
    stats: Stats,
}

#[derive(Debug, Deserialize)]
struct Stats {
    count: Option<i64>,
    sum: Option<f64>,
}

/// Parses an answer (`{}` included) into rows, in answer order.
pub fn parse_response(json: &[u8]) -> Result<Vec<Row>, String> {
    rows_of(serde_json::from_slice(json).map_err(|e| e.to_string())?)
}

fn rows_of(response: Response) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for result in response.results {
        for bucket in result.data {
            rows.push(Row {
                bucket_start: interval_start(&bucket.interval)?,
                group: result.group.clone(),
                metrics: bucket.metrics.into_iter().map(stats).collect(),
            });
        }
    }
    Ok(rows)
}

fn stats(metric: Metric) -> (String, MetricStats) {
    let stats = MetricStats {
        count: metric.stats.count.unwrap_or(0),
        // Sums are whole milliseconds; JSON may still spell them as floats.
        sum: metric.stats.sum.map(|s| s.round() as i64),
    };
    (metric.metric, stats)
}

fn interval_start(interval: &str) -> Result<Timestamp, String> {
    let start = interval.split('/').next().unwrap_or_default();
    start
        .parse()
        .map_err(|e| format!("interval {interval:?} does not start with a timestamp: {e}"))
}

impl Client {
    /// Runs the aggregates query for `window`.
    pub async fn aggregates(
        &self,
        settings: &Collect,
        window: Window,
    ) -> Result<Vec<Row>, GenesysError> {
        let body = query_body(settings, window);
        let answer: Response = self
            .call(reqwest::Method::POST, PATH, Some(&body), PERMISSION)
            .await?;
        let rows = rows_of(answer).map_err(|reason| GenesysError::Decode {
            endpoint: format!("POST {PATH}"),
            reason,
        })?;
        Ok(super::flattened::normalize(rows))
    }
}

#[cfg(test)]
#[path = "aggregates_tests.rs"]
mod tests;
