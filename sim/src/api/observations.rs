//! `POST /api/v2/analytics/queues/observations/query` (`QueueObservationQuery` →
//! `QueueObservationQueryResponse`): the live state of queues at the instant of the
//! request, from [`crate::observe`].
//!
//! The answer groups conversation metrics by `queueId` and `mediaType` (every media
//! type, zeros included) and user metrics by `queueId`; a breakdown (routing status,
//! presence) is the `qualifier`, presences as organisation presence IDs that
//! `systemToOrganizationMappings` maps back to system presences. `oLongestWaiting` and
//! `oLongestInteracting` are answered only when something waits or interacts, with the
//! oldest conversation as their one observation; other metrics carry their
//! observations when named in `detailMetrics`.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::agents::SYSTEM_PRESENCES;
use crate::api::parse_body;
use crate::contract::enum_values;
use crate::filter::Filter;
use crate::observe::{
    OBSERVATION_METRICS, Observation, Selection, media_types, observable, observe,
};
use crate::org::seeded_uuid;
use crate::reply::{ApiError, Reply};
use crate::state::State;
use crate::time::format_ms;

/// Most predicates one filter may hold, clauses included (the simulator's limit; the
/// SDK models state none).
pub(crate) const MAX_PREDICATES: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Body {
    filter: Filter,
    #[serde(default)]
    metrics: Vec<String>,
    #[serde(default)]
    detail_metrics: Vec<String>,
}

/// Answers an observations query at the simulator's "now".
pub(crate) fn query(state: &State, body: &[u8]) -> Result<Reply, ApiError> {
    let body: Body = parse_body(body)?;
    validate(&body)?;
    let metrics = if body.metrics.is_empty() {
        OBSERVATION_METRICS
            .iter()
            .map(|(m, _)| (*m).to_owned())
            .collect()
    } else {
        body.metrics.clone()
    };
    let selection = select(state, &body.filter, &metrics);
    let observations = observe(state, state.now_ms(), &selection);
    Ok(Reply::ok(
        response(state.config.seed, &observations, &body.detail_metrics),
        "QueueObservationQueryResponse",
    ))
}

fn validate(body: &Body) -> Result<(), ApiError> {
    let known = enum_values("QueueObservationQueryPredicate", "dimension").unwrap_or_default();
    body.filter
        .validate(&["queueId", "mediaType"], known)
        .map_err(ApiError::bad_request)?;
    let predicates = body.filter.predicates.len()
        + body
            .filter
            .clauses
            .iter()
            .map(|c| c.predicates.len())
            .sum::<usize>();
    if predicates > MAX_PREDICATES {
        return Err(ApiError::bad_request(format!(
            "filter has {predicates} predicates; at most {MAX_PREDICATES} are allowed"
        )));
    }
    let supported = |m: &String| OBSERVATION_METRICS.iter().any(|(name, _)| name == m);
    let named = body.metrics.iter().chain(&body.detail_metrics);
    if let Some(unknown) = named.into_iter().find(|m| !supported(m)) {
        return Err(ApiError::bad_request(format!(
            "unknown observation metric {unknown:?}"
        )));
    }
    Ok(())
}

/// The queues (not deleted) and media types the filter accepts, in the org's order.
fn select<'a>(state: &State, filter: &Filter, metrics: &'a [String]) -> Selection<'a> {
    let mut selection = Selection {
        queues: Vec::new(),
        media: Vec::new(),
        metrics,
    };
    for (index, queue) in state.org.queues.iter().enumerate() {
        if !observable(state, index) {
            continue;
        }
        let media: Vec<&'static str> = media_types()
            .filter(|media| {
                filter.accepts(&|dimension: &str| match dimension {
                    "queueId" => vec![queue.id.as_str()],
                    "mediaType" => vec![*media],
                    _ => Vec::new(),
                })
            })
            .collect();
        if !media.is_empty() {
            selection.queues.push(index);
            selection.media.push(media);
        }
    }
    selection
}

/// The organisation presence ID of each system presence (one each), drawn from the seed.
pub(crate) fn presence_ids(seed: u64) -> Vec<(&'static str, String)> {
    use rand::SeedableRng;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x7072_6573_656e_6365);
    SYSTEM_PRESENCES
        .iter()
        .map(|p| (*p, seeded_uuid(&mut rng)))
        .collect()
}

fn response(seed: u64, observations: &[Observation], details: &[String]) -> Value {
    let presences = presence_ids(seed);
    let org_id = |system: &str| {
        presences
            .iter()
            .find(|(p, _)| *p == system)
            .map_or_else(|| system.to_owned(), |(_, id)| id.clone())
    };
    let mut groups: BTreeMap<(&str, Option<&str>), Vec<Value>> = BTreeMap::new();
    for o in observations {
        let mut data = json!({"metric": o.metric, "stats": {"count": o.count}});
        if let Some(qualifier) = o.qualifier {
            let presence = matches!(o.metric, "oOffQueueUsers" | "oUserPresences");
            data["qualifier"] = json!(if presence {
                org_id(qualifier)
            } else {
                qualifier.to_owned()
            });
        }
        if o.metric.starts_with("oLongest") || details.iter().any(|d| d == o.metric) {
            let observed: Vec<Value> = o
                .observed
                .iter()
                .map(|(at, id)| json!({"observationDate": format_ms(*at), "conversationId": id}))
                .collect();
            data["observations"] = Value::Array(observed);
        }
        groups
            .entry((o.queue_id.as_str(), o.media_type.as_deref()))
            .or_default()
            .push(data);
    }
    let results: Vec<Value> = groups
        .into_iter()
        .map(|((queue_id, media), data)| {
            let mut group = json!({"queueId": queue_id});
            if let Some(media) = media {
                group["mediaType"] = json!(media);
            }
            json!({"group": group, "data": data})
        })
        .collect();
    let mappings: serde_json::Map<String, Value> = presences
        .into_iter()
        .map(|(system, id)| (system.to_owned(), json!([id])))
        .collect();
    json!({"systemToOrganizationMappings": mappings, "results": results})
}
