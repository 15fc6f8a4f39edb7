//! The details query: paging, caps, interval rule, filters, document shape, and the
//! agreement of aggregates computed from details with the aggregates endpoint.
// Test code: a panic is a failed assertion (helpers too, not only #[test] bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use common::{AGGREGATES, Api, DETAILS, config, parse_aggregates};
use genesys_sim::{GroundTruth, Group, SimConfig, Stats};
use jiff::Timestamp;
use serde_json::{Value, json};

/// Every conversation of a details query, paged 100 at a time, deduplicated by id.
async fn all_conversations(api: &Api, mut query: Value) -> Vec<Value> {
    let mut seen = HashSet::new();
    let mut conversations = Vec::new();
    for page in 1.. {
        query["paging"] = json!({"pageSize": 100, "pageNumber": page});
        let body = api.post_ok(DETAILS, &query).await;
        let Some(batch) = body.get("conversations") else {
            assert!(body["totalHits"].as_u64().unwrap() <= (page - 1) * 100);
            break;
        };
        for conversation in batch.as_array().unwrap() {
            if seen.insert(conversation["conversationId"].as_str().unwrap().to_owned()) {
                conversations.push(conversation.clone());
            }
        }
    }
    conversations
}

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Aggregates computed from detail documents with the documented rules, independently of
/// the simulator's code: each session metric counts in the bucket holding its emitDate,
/// in the groups given by its session (mediaType, direction) and segments (queueId, the
/// set of requestedRoutingSkillIds: one group per skill, or the set joined by "," in the
/// order the segments request it).
fn aggregate_details(
    conversations: &[Value],
    (start, end, bucket): (Timestamp, Timestamp, i64),
    group_by: &[&str],
    flatten: bool,
    metrics: &[&str],
) -> GroundTruth {
    let mut truth = GroundTruth::new();
    let sessions = conversations
        .iter()
        .flat_map(|c| c["participants"].as_array().unwrap())
        .flat_map(|p| p["sessions"].as_array().unwrap());
    for session in sessions {
        let segments = session["segments"].as_array().unwrap();
        let queue = segments.iter().find_map(|s| s["queueId"].as_str());
        let mut skills: Vec<&str> = Vec::new();
        let requested = segments.iter().flat_map(|s| {
            s["requestedRoutingSkillIds"]
                .as_array()
                .into_iter()
                .flatten()
        });
        for skill in requested.map(|v| v.as_str().unwrap()) {
            if !skills.contains(&skill) {
                skills.push(skill);
            }
        }
        let mut groups = vec![Group::new()];
        for dimension in group_by {
            let values: Vec<String> = match *dimension {
                "queueId" => queue.into_iter().map(str::to_owned).collect(),
                "mediaType" | "direction" => vec![session[*dimension].as_str().unwrap().to_owned()],
                "requestedRoutingSkillId" if flatten && !skills.is_empty() => {
                    vec![skills.join(",")]
                }
                "requestedRoutingSkillId" => skills.iter().map(|s| s.to_string()).collect(),
                other => panic!("{other}"),
            };
            if values.is_empty() {
                continue;
            }
            groups = groups
                .into_iter()
                .flat_map(|g| {
                    values.iter().map(move |v| {
                        let mut g = g.clone();
                        g.insert(dimension.to_string(), v.clone());
                        g
                    })
                })
                .collect();
        }
        for metric in session["metrics"].as_array().into_iter().flatten() {
            let name = metric["name"].as_str().unwrap();
            let at = ts(metric["emitDate"].as_str().unwrap());
            if !metrics.contains(&name) || at < start || at >= end {
                continue;
            }
            let offset = at.duration_since(start).as_millis() as i64;
            let bucket_start = start
                .checked_add(jiff::SignedDuration::from_millis(offset / bucket * bucket))
                .unwrap();
            let value = metric["value"].as_i64().unwrap();
            for group in &groups {
                let stats = truth
                    .entry((bucket_start, group.clone()))
                    .or_default()
                    .entry(name.to_owned())
                    .or_default();
                *stats = if stats.count == 0 {
                    Stats {
                        count: 1,
                        sum: value,
                        min: value,
                        max: value,
                    }
                } else {
                    Stats {
                        count: stats.count + 1,
                        sum: stats.sum + value,
                        min: stats.min.min(value),
                        max: stats.max.max(value),
                    }
                };
            }
        }
    }
    truth
}

/// Aggregates give `n*` metrics as a count only: keep only the count of those.
fn comparable(truth: GroundTruth) -> GroundTruth {
    let mut truth = truth;
    for metrics in truth.values_mut() {
        for (name, stats) in metrics.iter_mut() {
            if name.starts_with('n') {
                *stats = Stats {
                    count: stats.count,
                    ..Stats::default()
                };
            }
        }
    }
    truth
}

/// Every metric the generator emits.
const METRICS: [&str; 20] = genesys_sim::GENERATED_METRICS;

async fn details_agree_with_aggregates(
    config: SimConfig,
    groupings: &[&[&str]],
    granularities: &[&str],
) {
    // Without long conversations none lasts 45 minutes (README): starting an hour early
    // fetches every one that can emit into the interval (the ingestion lag delays
    // visibility, not emitDate).
    let api = Api::with(SimConfig {
        long_conversations: false,
        ..config
    })
    .await;
    let (start, end) = ("2026-03-10T07:45:00.000Z", "2026-03-10T10:15:00.000Z");
    let conversations = all_conversations(
        &api,
        json!({"interval": format!("2026-03-10T06:45:00.000Z/{end}")}),
    )
    .await;
    assert!(conversations.len() > 600, "{}", conversations.len());
    assert!(
        conversations
            .iter()
            .any(|c| c.get("conversationEnd").is_none()),
        "some are in progress at now"
    );
    for &group_by in groupings {
        for flatten in [false, true] {
            for &granularity in granularities {
                let query = json!({"interval": format!("{start}/{end}"), "granularity": granularity, "groupBy": group_by,
                    "metrics": METRICS, "flattenMultivaluedDimensions": flatten});
                let endpoint = parse_aggregates(&api.post_ok(AGGREGATES, &query).await);
                let bucket = match granularity {
                    "PT15M" => 900_000,
                    "PT5M" => 300_000,
                    _ => 60_000,
                };
                let computed = aggregate_details(
                    &conversations,
                    (ts(start), ts(end), bucket),
                    group_by,
                    flatten,
                    &METRICS,
                );
                assert!(!computed.is_empty());
                assert_eq!(
                    comparable(endpoint),
                    comparable(computed),
                    "{group_by:?} flatten={flatten} {granularity}"
                );
            }
        }
    }
}

#[tokio::test]
async fn aggregates_computed_from_details_equal_the_endpoint() {
    let groupings: [&[&str]; 5] = [
        &[],
        &["requestedRoutingSkillId"],
        &["requestedRoutingSkillId", "mediaType"],
        &["queueId", "direction"],
        &[
            "queueId",
            "requestedRoutingSkillId",
            "mediaType",
            "direction",
        ],
    ];
    details_agree_with_aggregates(config(), &groupings, &["PT15M"]).await;
    details_agree_with_aggregates(config(), &[&["requestedRoutingSkillId"]], &["PT5M", "PT1M"])
        .await;
}

#[tokio::test]
async fn they_agree_under_ingestion_lag_too() {
    let config = SimConfig {
        ingestion_lag: Duration::from_secs(600),
        seed: 9,
        ..config()
    };
    let groupings: [&[&str]; 1] = [&["requestedRoutingSkillId", "queueId"]];
    details_agree_with_aggregates(config.clone(), &groupings, &["PT15M"]).await;
    // The lag hides recent emissions: the same seed without lag sees more in the last hour.
    let question = genesys_sim::TruthQuery {
        start: ts("2026-03-10T09:15:00Z"),
        end: ts("2026-03-10T10:15:00Z"),
        granularity: Duration::from_secs(3600),
        group_by: Vec::new(),
        metrics: vec!["tHandle".into()],
        flatten: false,
    };
    let handled = |truth: GroundTruth| truth.values().map(|m| m["tHandle"].count).sum::<u64>();
    let lagging = genesys_sim::Sim::start(config.clone()).await.unwrap();
    let prompt = genesys_sim::Sim::start(SimConfig {
        ingestion_lag: Duration::ZERO,
        ..config
    })
    .await
    .unwrap();
    assert!(handled(lagging.ground_truth(&question)) < handled(prompt.ground_truth(&question)));
}

#[tokio::test]
async fn conversations_have_the_documented_shape() {
    let api = Api::start().await;
    let conversations = all_conversations(
        &api,
        json!({"interval": "2026-03-10T09:00:00Z/2026-03-10T10:10:00Z"}),
    )
    .await;
    let mut media = BTreeSet::new();
    let mut answered_and_ended = 0;
    for conversation in &conversations {
        let participants = conversation["participants"].as_array().unwrap();
        let purposes: Vec<&str> = participants
            .iter()
            .map(|p| p["purpose"].as_str().unwrap())
            .collect();
        assert_eq!(
            &purposes[..purposes.len().min(2)],
            &["customer", "acd"][..purposes.len().min(2)]
        );
        let Some(acd) = participants.get(1) else {
            assert!(
                conversation.get("conversationEnd").is_none(),
                "only a customer: still in the IVR"
            );
            continue;
        };
        let acd = &acd["sessions"][0];
        media.insert(acd["mediaType"].as_str().unwrap().to_owned());
        assert_eq!(acd["segments"][0]["segmentType"], "interact");
        assert!(acd["segments"][0]["queueId"].is_string());
        let Some(agent) = participants.get(2) else {
            continue;
        };
        assert_eq!(agent["purpose"], "agent");
        let metrics: BTreeMap<&str, i64> = agent["sessions"][0]["metrics"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| !matches!(m["name"].as_str().unwrap(), "tTalk" | "tHeld"))
            .map(|m| (m["name"].as_str().unwrap(), m["value"].as_i64().unwrap()))
            .collect();
        if let Some(handle) = metrics.get("tHandle") {
            answered_and_ended += 1;
            let held = metrics.get("tHeldComplete").copied().unwrap_or(0);
            assert_eq!(
                *handle,
                metrics["tTalkComplete"] + held + metrics["tAcw"],
                "tHandle = talk + hold + ACW"
            );
        }
    }
    assert!(answered_and_ended > 50);
    assert_eq!(
        media,
        ["callback", "chat", "email", "message", "voice"]
            .map(String::from)
            .into()
    );
}

#[tokio::test]
async fn only_conversations_started_on_a_touched_day_are_returned() {
    let api = Api::start().await;
    let midnight = ts("2026-03-10T00:00:00Z");
    let after = all_conversations(
        &api,
        json!({"interval": "2026-03-10T00:00:00Z/2026-03-10T00:30:00Z"}),
    )
    .await;
    assert!(
        after
            .iter()
            .all(|c| ts(c["conversationStart"].as_str().unwrap()) >= midnight)
    );
    let across = all_conversations(
        &api,
        json!({"interval": "2026-03-09T23:59:00Z/2026-03-10T00:30:00Z"}),
    )
    .await;
    let before: Vec<&Value> = across
        .iter()
        .filter(|c| ts(c["conversationStart"].as_str().unwrap()) < midnight)
        .collect();
    assert!(
        !before.is_empty(),
        "conversations of the 9th overlapping the interval"
    );
    // A conversation that ended before the interval is not returned.
    let start = ts("2026-03-09T23:59:00Z");
    assert!(
        before
            .iter()
            .all(|c| c["conversationEnd"].as_str().is_none_or(|e| ts(e) >= start))
    );
}

#[tokio::test]
async fn paging_defaults_caps_and_the_last_page() {
    let api = Api::start().await;
    let interval = "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z";
    let first = api.post_ok(DETAILS, &json!({"interval": interval})).await;
    assert_eq!(
        first["conversations"].as_array().unwrap().len(),
        25,
        "default page size"
    );
    let total = first["totalHits"].as_u64().unwrap();
    assert!(total > 25);
    let past = api
        .post_ok(
            DETAILS,
            &json!({"interval": interval, "paging": {"pageSize": 100, "pageNumber": 50}}),
        )
        .await;
    assert_eq!(past, json!({"totalHits": total}));
    let over = api
        .post(
            DETAILS,
            &json!({"interval": interval, "paging": {"pageSize": 101, "pageNumber": 1}}),
        )
        .await;
    assert!(
        over.assert_error(400, "bad.request")["message"]
            .as_str()
            .unwrap()
            .contains("between 1 and 100")
    );
    let cap = api
        .post(
            DETAILS,
            &json!({"interval": interval, "paging": {"pageSize": 100, "pageNumber": 1001}}),
        )
        .await;
    assert_eq!(
        cap.assert_error(400, "bad.request")["message"],
        "Pagination may not exceed 100000 results."
    );
    let desc = api.post_ok(DETAILS, &json!({"interval": interval, "order": "desc", "paging": {"pageSize": 100, "pageNumber": 1}})).await;
    let starts: Vec<&str> = desc["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["conversationStart"].as_str().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] >= w[1]));
}

#[tokio::test]
async fn caps_are_configurable() {
    let api = Api::with(SimConfig {
        details_max_page_size: 200,
        details_max_results: 1000,
        ..config()
    })
    .await;
    let interval = "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z";
    let big = api
        .post_ok(
            DETAILS,
            &json!({"interval": interval, "paging": {"pageSize": 200, "pageNumber": 1}}),
        )
        .await;
    assert!(big["conversations"].as_array().unwrap().len() > 100);
    let cap = api
        .post(
            DETAILS,
            &json!({"interval": interval, "paging": {"pageSize": 200, "pageNumber": 6}}),
        )
        .await;
    assert_eq!(
        cap.assert_error(400, "bad.request")["message"],
        "Pagination may not exceed 1000 results."
    );
}

#[tokio::test]
async fn segment_and_conversation_filters() {
    let api = Api::start().await;
    let queue = api.sim.queues()[1].id.clone();
    let skill = api.sim.skills()[0].id.clone();
    let interval = "2026-03-10T09:00:00Z/2026-03-10T10:10:00Z";
    let filtered = all_conversations(&api, json!({"interval": interval, "segmentFilters": [
        {"type": "or", "predicates": [{"type": "dimension", "dimension": "queueId", "operator": "matches", "value": queue}]},
        {"type": "and", "predicates": [{"dimension": "mediaType", "value": "voice"}, {"dimension": "requestedRoutingSkillId", "value": skill}]}
    ]}))
    .await;
    assert!(!filtered.is_empty());
    for conversation in &filtered {
        let text = conversation.to_string();
        assert!(text.contains(&queue) && text.contains(&skill) && text.contains("\"voice\""));
    }
    let ended = all_conversations(
        &api,
        json!({"interval": interval, "conversationFilters": [
        {"type": "and", "predicates": [{"dimension": "conversationEnd", "operator": "exists"}]}]}),
    )
    .await;
    let ongoing = all_conversations(&api, json!({"interval": interval, "conversationFilters": [
        {"type": "and", "predicates": [{"dimension": "conversationEnd", "operator": "notExists"}]}]}))
    .await;
    assert!(!ended.is_empty() && !ongoing.is_empty());
    assert!(ended.iter().all(|c| c.get("conversationEnd").is_some()));
    assert!(ongoing.iter().all(|c| c.get("conversationEnd").is_none()));
    let all = all_conversations(&api, json!({"interval": interval})).await;
    assert_eq!(ended.len() + ongoing.len(), all.len());
}

#[tokio::test]
async fn bad_details_queries_are_400() {
    let api = Api::start().await;
    let cases = [
        (json!({"interval": "2026-03-10T09:00:00Z"}), "start/end"),
        (
            json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "paging": {"pageSize": 0, "pageNumber": 1}}),
            "pageSize",
        ),
        (
            json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "paging": {"pageSize": 10, "pageNumber": 0}}),
            "pageNumber",
        ),
        (
            json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "cursor": "x"}),
            "unknown field",
        ),
        (
            json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "segmentFilters": [{"type": "and",
            "predicates": [{"dimension": "wrapUpCode", "value": "x"}]}]}),
            "not supported by the simulator",
        ),
        (
            json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "segmentFilters": [{"type": "and",
            "predicates": [{"type": "metric", "metric": "tSegmentDuration", "range": {"gte": 1}}]}]}),
            "only dimension predicates",
        ),
        (
            json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "conversationFilters": [{"type": "and",
            "predicates": [{"dimension": "queueId", "value": "x"}]}]}),
            "unknown filter dimension",
        ),
        // Longer than the 7-day interval cap peers report.
        (
            json!({"interval": "2026-03-02T23:59:59Z/2026-03-10T00:00:00Z"}),
            "may not be longer than 168 hours",
        ),
    ];
    for (body, reason) in cases {
        let error = api
            .post(DETAILS, &body)
            .await
            .assert_error(400, "bad.request");
        assert!(
            error["message"].as_str().unwrap().contains(reason),
            "{body}: {error}"
        );
    }
}
