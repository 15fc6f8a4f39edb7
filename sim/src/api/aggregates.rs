//! `POST /api/v2/analytics/conversations/aggregates/query` (`ConversationAggregationQuery`).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::aggregate::{Aggregation, GroundTruth, Group, SUPPORTED_DIMENSIONS, aggregate};
use crate::api::parse_body;
use crate::api::query_metrics::query_metrics;
use crate::contract::enum_values;
use crate::filter::Filter;
use crate::reply::{ApiError, Reply};
use crate::state::State;
use crate::time::{bucket_boundaries, format_ms, parse_duration, parse_interval, to_ms};

/// The request body. Fields the simulator does not model are refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body {
    interval: String,
    granularity: Option<String>,
    time_zone: Option<String>,
    #[serde(default)]
    group_by: Vec<String>,
    filter: Option<Filter>,
    metrics: Vec<String>,
    #[serde(default)]
    flatten_multivalued_dimensions: bool,
    views: Option<Value>,
    alternate_time_dimension: Option<String>,
    query_type: Option<String>,
    sort_metric: Option<Value>,
    limit: Option<i64>,
}

/// Answers an aggregates query from the conversations seen at "now".
pub(crate) fn query(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let body: Body = parse_body(body)?;
    let aggregation = validate(body, state.config.aggregates_max_buckets)?;
    let now = state.now_ms();
    let conversations = state
        .generator
        .emitting_into(aggregation.start, aggregation.end, now);
    let truth = aggregate(&conversations, &aggregation);
    Ok(Reply::ok(
        response(&truth, &aggregation),
        "ConversationAggregateQueryResponse",
    ))
}

fn validate(body: Body, max_buckets: u32) -> Result<Aggregation, ApiError> {
    let unsupported = |field: &str| {
        Err(ApiError::bad_request(format!(
            "{field} is not supported by the simulator"
        )))
    };
    if body.views.is_some() {
        return unsupported("views");
    }
    if body.alternate_time_dimension.is_some() {
        return unsupported("alternateTimeDimension");
    }
    if body.query_type.as_deref().is_some_and(|t| t != "groupBy")
        || body.sort_metric.is_some()
        || body.limit.is_some()
    {
        return unsupported("queryType topN/bottomN (sortMetric, limit)");
    }
    let ((start, end), boundaries) = buckets(&body, max_buckets)?;
    let dimensions = known("ConversationAggregateQueryPredicate", "dimension");
    for dimension in &body.group_by {
        check_dimension(dimension, &dimensions)?;
    }
    if let Some(filter) = &body.filter {
        filter
            .validate(&SUPPORTED_DIMENSIONS, &dimensions)
            .map_err(ApiError::bad_request)?;
    }
    if body.metrics.is_empty() {
        return Err(ApiError::bad_request(
            "metrics must name at least one metric",
        ));
    }
    let metrics = query_metrics();
    if let Some(unknown) = body.metrics.iter().find(|m| !metrics.contains(m)) {
        return Err(ApiError::bad_request(format!(
            "metric {unknown:?} is not one the aggregates query accepts"
        )));
    }
    Ok(Aggregation {
        start,
        end,
        boundaries,
        group_by: body.group_by,
        metrics: body.metrics,
        flatten: body.flatten_multivalued_dimensions,
        filter: body.filter,
    })
}

/// The interval and its bucket boundaries: `granularity` steps from the interval start,
/// days counted in `timeZone` (UTC by default), the whole interval without a granularity.
fn buckets(body: &Body, max_buckets: u32) -> Result<((i64, i64), Vec<i64>), ApiError> {
    let zone = match body.time_zone.as_deref() {
        None | Some("UTC") => jiff::tz::TimeZone::UTC,
        Some(name) => jiff::tz::TimeZone::get(name).map_err(|_| {
            ApiError::bad_request(format!("timeZone {name:?} is not a known IANA time zone"))
        })?,
    };
    let interval = parse_interval(&body.interval).map_err(ApiError::bad_request)?;
    let Some(text) = body.granularity.as_deref() else {
        return Ok((interval, vec![interval.0, interval.1]));
    };
    let granularity = parse_duration(text).map_err(ApiError::bad_request)?;
    let max = usize::try_from(max_buckets).unwrap_or(usize::MAX);
    let boundaries = bucket_boundaries(interval, granularity, &zone, max).map_err(|reason| {
        ApiError::bad_request(format!(
            "interval {} with granularity {text}: {reason}",
            body.interval
        ))
    })?;
    Ok((interval, boundaries))
}

fn known(model: &str, field: &str) -> Vec<String> {
    enum_values(model, field)
        .map(<[String]>::to_vec)
        .unwrap_or_default()
}

fn check_dimension(dimension: &str, known: &[String]) -> Result<(), ApiError> {
    if SUPPORTED_DIMENSIONS.contains(&dimension) {
        Ok(())
    } else if known.iter().any(|k| k == dimension) {
        Err(ApiError::bad_request(format!(
            "groupBy dimension {dimension:?} is not supported by the simulator (supported: {})",
            SUPPORTED_DIMENSIONS.join(", ")
        )))
    } else {
        Err(ApiError::bad_request(format!(
            "unknown groupBy dimension {dimension:?}"
        )))
    }
}

/// The `ConversationAggregateQueryResponse` of `truth`: `{}` when there is no data.
pub(crate) fn response(truth: &GroundTruth, aggregation: &Aggregation) -> Value {
    let metrics = &aggregation.metrics;
    let mut by_group: BTreeMap<&Group, Vec<Value>> = BTreeMap::new();
    for ((bucket, group), stats) in truth {
        let start = to_ms(*bucket);
        let interval = format!(
            "{}/{}",
            format_ms(start),
            format_ms(aggregation.bucket_end(start))
        );
        let metrics: Vec<Value> = metrics
            .iter()
            .filter_map(|name| {
                let s = stats.get(name)?;
                let stats = if name.starts_with('n') {
                    json!({ "count": s.count })
                } else {
                    json!({ "max": s.max, "min": s.min, "count": s.count, "sum": s.sum })
                };
                Some(json!({ "metric": name, "stats": stats }))
            })
            .collect();
        by_group
            .entry(group)
            .or_default()
            .push(json!({ "interval": interval, "metrics": metrics }));
    }
    if by_group.is_empty() {
        return json!({});
    }
    let results: Vec<Value> = by_group
        .into_iter()
        .map(|(group, data)| {
            if group.is_empty() {
                json!({ "data": data })
            } else {
                json!({ "group": group, "data": data })
            }
        })
        .collect();
    json!({ "results": results })
}
