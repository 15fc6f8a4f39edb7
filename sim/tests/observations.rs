//! The queue observations query: its answer equals the simulator's ground truth, the
//! waiting conversations agree with the details endpoint's open segments, the user
//! breakdowns add up, and the limits and errors.
// Test code: a panic is a failed assertion (helpers too, not only #[test] bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashSet};

use common::{Api, DETAILS, NOW, config};
use genesys_sim::{OBSERVATION_METRICS, SimConfig};
use serde_json::{Value, json};

const OBSERVATIONS: &str = "/api/v2/analytics/queues/observations/query";

fn queue_filter(ids: &[String]) -> Value {
    let predicates: Vec<Value> = ids
        .iter()
        .map(|id| json!({"type": "dimension", "dimension": "queueId", "operator": "matches", "value": id}))
        .collect();
    json!({"type": "or", "predicates": predicates})
}

fn all_metrics() -> Vec<&'static str> {
    OBSERVATION_METRICS.iter().map(|(m, _)| *m).collect()
}

/// Each answered value as `(queue, media, metric, system qualifier) → (count, oldest date)`.
type Flat = BTreeMap<(String, Option<String>, String, Option<String>), (i64, Option<i64>)>;

fn flatten(body: &Value) -> Flat {
    let systems: BTreeMap<String, String> = body["systemToOrganizationMappings"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(system, ids)| {
            ids.as_array()
                .unwrap()
                .iter()
                .map(move |id| (id.as_str().unwrap().to_owned(), system.clone()))
        })
        .collect();
    let mut flat = Flat::new();
    for result in body["results"].as_array().unwrap() {
        let queue = result["group"]["queueId"].as_str().unwrap().to_owned();
        let media = result["group"]["mediaType"].as_str().map(str::to_owned);
        for data in result["data"].as_array().unwrap() {
            let metric = data["metric"].as_str().unwrap().to_owned();
            let qualifier = data["qualifier"]
                .as_str()
                .map(|q| systems.get(q).cloned().unwrap_or_else(|| q.to_owned()));
            let oldest = data["observations"][0]["observationDate"]
                .as_str()
                .map(|d| d.parse::<jiff::Timestamp>().unwrap().as_millisecond());
            let count = data["stats"]["count"].as_i64().unwrap();
            flat.insert(
                (queue.clone(), media.clone(), metric, qualifier),
                (count, oldest),
            );
        }
    }
    flat
}

async fn active_queue_ids(api: &Api) -> Vec<String> {
    let page = api.get_ok("/api/v2/routing/queues?pageSize=500").await;
    page["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_answer_equals_the_ground_truth_at_its_instant() {
    let api = Api::start().await;
    let ids = active_queue_ids(&api).await;
    let body = api
        .post_ok(
            OBSERVATIONS,
            &json!({"filter": queue_filter(&ids), "metrics": all_metrics()}),
        )
        .await;
    let truth: Flat = api
        .sim
        .observations(&[], &all_metrics())
        .into_iter()
        .map(|o| {
            let oldest = o
                .observed
                .first()
                .filter(|_| o.metric.starts_with("oLongest"));
            let oldest = oldest.map(|(at, _)| *at);
            (
                (
                    o.queue_id,
                    o.media_type,
                    o.metric.to_owned(),
                    o.qualifier.map(str::to_owned),
                ),
                (o.count, oldest),
            )
        })
        .collect();
    let answer = flatten(&body);
    assert_eq!(answer, truth);
    let waiting: i64 = answer
        .iter()
        .filter(|(k, _)| k.2 == "oWaiting")
        .map(|(_, v)| v.0)
        .sum();
    let interacting: i64 = answer
        .iter()
        .filter(|(k, _)| k.2 == "oInteracting")
        .map(|(_, v)| v.0)
        .sum();
    assert!(
        waiting > 0 && interacting > 0,
        "{waiting} waiting, {interacting} interacting"
    );
    // Five media types for each of the five active queues, zeros included.
    let groups = body["results"].as_array().unwrap();
    assert_eq!(
        groups.len(),
        ids.len() * 6,
        "5 media groups and 1 user group per queue"
    );
}

/// A conversation waits in a queue from its ACD segment's start while neither it nor
/// an agent segment in that queue has ended or begun: read from the details
/// documents, an independent path to the same timeline.
#[tokio::test]
async fn waiting_and_interacting_agree_with_the_details_documents() {
    let api = Api::start().await;
    let ids = active_queue_ids(&api).await;
    let body = api
        .post_ok(
            OBSERVATIONS,
            &json!({"filter": queue_filter(&ids), "metrics": ["oWaiting", "oInteracting", "oAlerting"]}),
        )
        .await;
    let answer = flatten(&body);
    let mut expected: BTreeMap<(String, String, &str), i64> = BTreeMap::new();
    let mut seen = HashSet::new();
    for page in 1.. {
        // Long conversations started up to three days before: those in progress.
        let query = json!({"interval": format!("2026-03-07T08:00:00Z/{NOW}"),
            "conversationFilters": [{"type": "and", "predicates":
                [{"dimension": "conversationEnd", "operator": "notExists"}]}],
            "paging": {"pageSize": 100, "pageNumber": page}});
        let body = api.post_ok(DETAILS, &query).await;
        let Some(batch) = body.get("conversations") else {
            break;
        };
        for conversation in batch.as_array().unwrap() {
            if !seen.insert(conversation["conversationId"].as_str().unwrap().to_owned()) {
                continue;
            }
            if let Some((queue, media, state)) = live_state(conversation) {
                *expected.entry((queue, media, state)).or_default() += 1;
            }
        }
    }
    assert!(expected.values().sum::<i64>() > 0);
    for ((queue, media, metric, _), (count, _)) in &answer {
        let want = expected
            .get(&(queue.clone(), media.clone().unwrap(), metric.as_str()))
            .copied()
            .unwrap_or(0);
        assert_eq!(*count, want, "{metric} in {queue} {media:?}");
    }
}

/// `(queue, media, oWaiting|oAlerting|oInteracting)` of a conversation seen at NOW.
fn live_state(conversation: &Value) -> Option<(String, String, &'static str)> {
    let participants = conversation["participants"].as_array().unwrap();
    let open = |purpose: &str, kinds: &[&str]| {
        participants
            .iter()
            .filter(|p| p["purpose"] == purpose)
            .flat_map(|p| p["sessions"].as_array().unwrap())
            .find_map(|s| {
                s["segments"].as_array().unwrap().iter().find_map(|seg| {
                    let kind = seg["segmentType"].as_str().unwrap();
                    (seg.get("segmentEnd").is_none() && kinds.contains(&kind)).then(|| {
                        (
                            seg["queueId"].as_str().unwrap().to_owned(),
                            s["mediaType"].as_str().unwrap().to_owned(),
                        )
                    })
                })
            })
    };
    if let Some((q, m)) = open("agent", &["interact", "hold"]) {
        return Some((q, m, "oInteracting"));
    }
    if let Some((q, m)) = open("agent", &["alert"]) {
        return Some((q, m, "oAlerting"));
    }
    open("acd", &["interact"]).map(|(q, m)| (q, m, "oWaiting"))
}

#[tokio::test]
async fn user_breakdowns_add_up_to_the_active_members() {
    let api = Api::start().await;
    let ids = active_queue_ids(&api).await;
    let body = api
        .post_ok(OBSERVATIONS, &json!({"filter": queue_filter(&ids)}))
        .await;
    let answer = flatten(&body);
    for queue in &ids {
        let value = |metric: &str| -> i64 {
            answer
                .iter()
                .filter(|(k, _)| &k.0 == queue && k.2 == metric)
                .map(|(_, v)| v.0)
                .sum()
        };
        let active = value("oActiveUsers");
        assert!(active > 0 && value("oMemberUsers") >= active, "{queue}");
        assert_eq!(value("oUserRoutingStatuses"), active);
        assert_eq!(value("oUserPresences"), active);
        assert_eq!(value("oOnQueueUsers") + value("oOffQueueUsers"), active);
    }
}

#[tokio::test]
async fn more_than_100_predicates_and_unknown_metrics_are_refused() {
    let api = Api::with(SimConfig {
        extra_queues: 120,
        ..config()
    })
    .await;
    let ids = active_queue_ids(&api).await;
    assert_eq!(ids.len(), 125);
    let answer = api
        .post(OBSERVATIONS, &json!({"filter": queue_filter(&ids[..101])}))
        .await;
    let error = answer.assert_error(400, "bad.request");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("101 predicates")
    );
    api.post_ok(OBSERVATIONS, &json!({"filter": queue_filter(&ids[..100])}))
        .await;
    let answer = api
        .post(
            OBSERVATIONS,
            &json!({"filter": queue_filter(&ids[..1]), "metrics": ["tHandle"]}),
        )
        .await;
    answer.assert_error(400, "bad.request");
}

#[tokio::test]
async fn media_type_predicates_narrow_the_conversation_groups() {
    let api = Api::start().await;
    let ids = active_queue_ids(&api).await;
    let filter = json!({"type": "and", "clauses": [
        queue_filter(&ids[..2]),
        {"type": "or", "predicates": [{"dimension": "mediaType", "value": "voice"}]}]});
    let body = api
        .post_ok(
            OBSERVATIONS,
            &json!({"filter": filter, "metrics": ["oWaiting", "oActiveUsers"]}),
        )
        .await;
    let groups: Vec<&Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["group"])
        .collect();
    assert_eq!(groups.len(), 4, "{groups:?}");
    assert!(
        groups
            .iter()
            .all(|g| g.get("mediaType").is_none_or(|m| m == "voice"))
    );
}
