//! Rows of the aggregates answer → points of the data contract.
//!
//! - Tags only for the dimensions in `group_by`. A group that lacks a requested
//!   dimension (a conversation that requested no skill, never reached a queue, ...)
//!   gets the explicit value [`NONE`] for that dimension's tags, so it is still written
//!   and can be told apart.
//! - ID dimensions get the name tag and the ID tag. An ID without a name keeps the ID
//!   as its name. A flattened multi-skill group (`"a,b"`) keeps the joined IDs in
//!   `skill_id` and joins the names with [`NAME_SEPARATOR`] in `skill`: names may
//!   contain commas, so a comma would be ambiguous.
//! - Fields per metric as [`genesys_aht_contract::names`] spells them; a metric not
//!   emitted in the bucket has no fields in that point; a point with no field is not
//!   written.

use std::collections::BTreeSet;

use genesys_aht_contract::names::{self, AVG_HANDLE_TIME, HANDLE_METRIC};
use genesys_aht_contract::{Dimension, FieldValue, MetricKind, Point};

use crate::names::NameMap;
use crate::rows::Row;

/// Tag value of a dimension a group lacks.
pub(crate) const NONE: &str = "(none)";
/// Between the names of a flattened multi-skill group.
pub(crate) const NAME_SEPARATOR: &str = " | ";

/// The names known for this poll.
#[derive(Debug, Default)]
pub(crate) struct NameBook<'a> {
    /// Skill names.
    pub skills: Option<&'a NameMap>,
    /// Queue names.
    pub queues: Option<&'a NameMap>,
}

/// Every ID of `dimension` in `rows` (joined sets split).
pub(crate) fn ids_of(rows: &[Row], dimension: Dimension) -> BTreeSet<String> {
    rows.iter()
        .filter_map(|row| row.group.get(dimension.genesys_name()))
        .flat_map(|value| value.split(','))
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The points of `rows`, in row order.
pub(crate) fn build(
    rows: &[Row],
    group_by: &[Dimension],
    metrics: &[String],
    names: &NameBook<'_>,
) -> Vec<Point> {
    rows.iter()
        .map(|row| Point {
            timestamp_ns: timestamp_ns(row),
            tags: tags(row, group_by, names),
            fields: fields(row, metrics),
        })
        .filter(|point| !point.fields.is_empty())
        .collect()
}

fn timestamp_ns(row: &Row) -> i64 {
    i64::try_from(row.bucket_start.as_nanosecond()).unwrap_or(i64::MAX)
}

fn tags(row: &Row, group_by: &[Dimension], names: &NameBook<'_>) -> Vec<(&'static str, String)> {
    let mut tags = Vec::with_capacity(group_by.len() * 2);
    for &dim in group_by {
        let value = row.group.get(dim.genesys_name()).filter(|v| !v.is_empty());
        let Some(value) = value else {
            tags.push((dim.value_tag(), NONE.to_owned()));
            tags.extend(dim.id_tag().map(|t| (t, NONE.to_owned())));
            continue;
        };
        match dim.id_tag() {
            Some(id_tag) => {
                let map = match dim {
                    Dimension::QueueId => names.queues,
                    _ => names.skills,
                };
                tags.push((dim.value_tag(), name_of(value, map)));
                tags.push((id_tag, value.clone()));
            }
            None => tags.push((dim.value_tag(), value.clone())),
        }
    }
    tags
}

fn name_of(ids: &str, map: Option<&NameMap>) -> String {
    ids.split(',')
        .map(|id| map.and_then(|m| m.get(id)).unwrap_or(id))
        .collect::<Vec<_>>()
        .join(NAME_SEPARATOR)
}

fn fields(row: &Row, metrics: &[String]) -> Vec<(String, FieldValue)> {
    let mut fields = Vec::with_capacity(metrics.len() * 2 + 1);
    for metric in metrics {
        let Some(stats) = row.metrics.get(metric) else {
            continue;
        };
        match MetricKind::of(metric) {
            Some(MetricKind::Timer) => {
                fields.push((names::count_field(metric), FieldValue::Integer(stats.count)));
                fields.push((
                    names::sum_ms_field(metric),
                    FieldValue::Integer(stats.sum.unwrap_or(0)),
                ));
            }
            Some(MetricKind::Count) => {
                fields.push((names::field_stem(metric), FieldValue::Integer(stats.count)))
            }
            None => {}
        }
    }
    if let Some(handle) = row
        .metrics
        .get(HANDLE_METRIC)
        .filter(|_| metrics.iter().any(|m| m == HANDLE_METRIC))
        && handle.count > 0
    {
        let seconds = handle.sum.unwrap_or(0) as f64 / handle.count as f64 / 1000.0;
        fields.push((AVG_HANDLE_TIME.to_owned(), FieldValue::Float(seconds)));
    }
    fields
}

#[cfg(test)]
#[path = "points_tests.rs"]
mod tests;
