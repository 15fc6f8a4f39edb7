//! The observations query and its answer (`QueueObservationQuery`,
//! `QueueObservationQueryResponse` of Genesys's SDKs), and the answer as points of
//! [`queue::MEASUREMENT`].

use std::collections::BTreeMap;

use genesys_aht_contract::queue::{self, Breakdown, Reading};
use genesys_aht_contract::{FieldValue, Point};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::genesys::routing::Entity;

/// The query for `queues` (each a `queueId` predicate of one `or`), narrowed to
/// `media_types` when there are some. The `o*` metrics that rest on conversations'
/// observations (`oLongestWaiting`, `oLongestInteracting`) are also `detailMetrics`.
pub(crate) fn query(queues: &[Entity], metrics: &[String], media_types: &[String]) -> Value {
    let predicate = |dimension: &str, value: &str| json!({"type": "dimension", "dimension": dimension, "operator": "matches", "value": value});
    let queue_clause = json!({"type": "or", "predicates":
        queues.iter().map(|q| predicate("queueId", &q.id)).collect::<Vec<_>>()});
    let filter = if media_types.is_empty() {
        queue_clause
    } else {
        let media_clause = json!({"type": "or", "predicates":
            media_types.iter().map(|m| predicate("mediaType", m)).collect::<Vec<_>>()});
        json!({"type": "and", "clauses": [queue_clause, media_clause]})
    };
    let details: Vec<&String> = metrics
        .iter()
        .filter(|m| queue::metric_named(m).is_some_and(|m| m.reading == Reading::AgeMs))
        .collect();
    let mut body = json!({"filter": filter, "metrics": metrics});
    if !details.is_empty() {
        body["detailMetrics"] = json!(details);
    }
    body
}

/// `QueueObservationQueryResponse`: only what the points need.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Answer {
    #[serde(default)]
    system_to_organization_mappings: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    results: Vec<Container>,
}

#[derive(Debug, Deserialize)]
struct Container {
    #[serde(default)]
    group: BTreeMap<String, String>,
    #[serde(default)]
    data: Vec<MetricData>,
}

#[derive(Debug, Deserialize)]
struct MetricData {
    metric: String,
    qualifier: Option<String>,
    stats: Option<Stats>,
    #[serde(default)]
    observations: Vec<Observed>,
}

#[derive(Debug, Deserialize)]
struct Stats {
    count: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Observed {
    observation_date: Option<Timestamp>,
}

/// A point's identity: queue ID, media type, breakdown tag.
type Key = (String, Option<String>, Option<(&'static str, String)>);

impl Answer {
    /// The answer as points stamped at `now`, named by `names` (queue ID → name; an ID
    /// without a name is its own name). Metrics the contract lacks are skipped.
    pub(crate) fn points(&self, names: &BTreeMap<&str, &str>, now: Timestamp) -> Vec<Point> {
        let presences: BTreeMap<&str, &str> = self
            .system_to_organization_mappings
            .iter()
            .flat_map(|(system, ids)| ids.iter().map(move |id| (id.as_str(), system.as_str())))
            .collect();
        let mut points: BTreeMap<Key, Vec<(String, FieldValue)>> = BTreeMap::new();
        for container in &self.results {
            let Some(queue_id) = container.group.get("queueId") else {
                continue;
            };
            let media = container.group.get("mediaType");
            for data in &container.data {
                let Some(metric) = queue::metric_named(&data.metric) else {
                    continue;
                };
                let Some(value) = value(data, metric.reading, now) else {
                    continue;
                };
                let breakdown = match (metric.breakdown, data.qualifier.as_deref()) {
                    (Breakdown::MediaType | Breakdown::Queue, _) => None,
                    (Breakdown::RoutingStatus, Some(status)) => {
                        Some((queue::tags::ROUTING_STATUS, status.to_owned()))
                    }
                    (Breakdown::Presence, Some(id)) => Some((
                        queue::tags::PRESENCE,
                        (*presences.get(id).unwrap_or(&id)).to_owned(),
                    )),
                    // A breakdown without its qualifier says nothing it can be filed under.
                    (_, None) => continue,
                };
                let media = (metric.breakdown == Breakdown::MediaType)
                    .then(|| media.cloned())
                    .flatten();
                let fields = points
                    .entry((queue_id.clone(), media, breakdown))
                    .or_default();
                fields.retain(|(name, _)| name != metric.field);
                fields.push((metric.field.to_owned(), FieldValue::Integer(value)));
            }
        }
        let timestamp_ns = i64::try_from(now.as_nanosecond()).unwrap_or(i64::MAX);
        points
            .into_iter()
            .map(|((queue_id, media, breakdown), fields)| {
                let name = names.get(queue_id.as_str()).copied().unwrap_or(&queue_id);
                let mut tags = vec![
                    (queue::tags::QUEUE, name.to_owned()),
                    (queue::tags::QUEUE_ID, queue_id.clone()),
                ];
                tags.extend(media.map(|m| (queue::tags::MEDIA_TYPE, m)));
                tags.extend(breakdown);
                Point {
                    timestamp_ns,
                    tags,
                    fields,
                }
            })
            .collect()
    }
}

/// The value of `data` read as `reading`: a count, or the age of its oldest observation.
fn value(data: &MetricData, reading: Reading, now: Timestamp) -> Option<i64> {
    match reading {
        Reading::Count => data.stats.as_ref()?.count,
        Reading::AgeMs => {
            let oldest = data
                .observations
                .iter()
                .filter_map(|o| o.observation_date)
                .min()?;
            Some(now.duration_since(oldest).as_millis().max(0) as i64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdowns_become_tags_and_presences_their_system_names() {
        let answer: Answer = serde_json::from_value(json!({
            "systemToOrganizationMappings": {"BREAK": ["p-1"]},
            "results": [
                {"group": {"queueId": "q1", "mediaType": "voice"}, "data": [
                    {"metric": "oWaiting", "stats": {"count": 3}},
                    {"metric": "oLongestWaiting", "stats": {"count": 1}, "observations": [
                        {"observationDate": "2026-03-10T10:00:00.000Z", "conversationId": "c"}]}]},
                {"group": {"queueId": "q1"}, "data": [
                    {"metric": "oOffQueueUsers", "qualifier": "p-1", "stats": {"count": 2}},
                    {"metric": "oOnQueueUsers", "qualifier": "IDLE", "stats": {"count": 4}},
                    {"metric": "oSomethingNew", "stats": {"count": 9}}]}]}))
        .expect("answer");
        let now: Timestamp = "2026-03-10T10:01:30Z".parse().expect("now");
        let names = BTreeMap::from([("q1", "Support, FR")]);
        let mut lines: Vec<String> = answer
            .points(&names, now)
            .iter()
            .map(|p| {
                p.encode_as_into(queue::MEASUREMENT, Vec::new())
                    .expect("line")
            })
            .map(|b| String::from_utf8(b).expect("utf8"))
            .collect();
        let ns = now.as_nanosecond();
        lines.sort();
        assert_eq!(
            lines,
            [
                format!(
                    "genesys_queue,media_type=voice,queue=Support\\,\\ FR,queue_id=q1 waiting=3i,longest_waiting_ms=90000i {ns}\n"
                ),
                format!(
                    "genesys_queue,presence=BREAK,queue=Support\\,\\ FR,queue_id=q1 off_queue_users=2i {ns}\n"
                ),
                format!(
                    "genesys_queue,queue=Support\\,\\ FR,queue_id=q1,routing_status=IDLE on_queue_users=4i {ns}\n"
                ),
            ]
        );
    }

    #[test]
    fn the_query_names_each_queue_and_media_type_once() {
        let queues = [Entity {
            id: "q1".into(),
            name: "Q".into(),
        }];
        let metrics = ["oWaiting".to_owned(), "oLongestWaiting".to_owned()];
        let body = query(&queues, &metrics, &["chat".to_owned()]);
        assert_eq!(body["filter"]["clauses"][0]["predicates"][0]["value"], "q1");
        assert_eq!(
            body["filter"]["clauses"][1]["predicates"][0]["value"],
            "chat"
        );
        assert_eq!(body["detailMetrics"], json!(["oLongestWaiting"]));
    }
}
