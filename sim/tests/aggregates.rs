//! The aggregates query: shape, grouping rules, filters, errors, ground truth, determinism.
// Test code: a panic is a failed assertion (helpers too, not only #[test] bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{AGGREGATES, Api, config, parse_aggregates};
use genesys_sim::{Sim, SimConfig, TruthQuery};
use serde_json::{Value, json};

const METRICS: [&str; 7] = [
    "tHandle",
    "tTalk",
    "tHeld",
    "tAcw",
    "tAnswered",
    "tAbandon",
    "nOffered",
];

fn query(group_by: &[&str], flatten: bool) -> Value {
    json!({
        "interval": "2026-03-10T06:00:00.000Z/2026-03-10T10:15:00.000Z",
        "granularity": "PT15M",
        "timeZone": "UTC",
        "groupBy": group_by,
        "metrics": METRICS,
        "flattenMultivaluedDimensions": flatten,
    })
}

fn truth_query(group_by: &[&str], flatten: bool) -> TruthQuery {
    TruthQuery {
        start: "2026-03-10T06:00:00Z".parse().unwrap(),
        end: "2026-03-10T10:15:00Z".parse().unwrap(),
        granularity: Duration::from_secs(900),
        group_by: group_by.iter().map(|d| d.to_string()).collect(),
        metrics: METRICS.iter().map(|m| m.to_string()).collect(),
        flatten,
    }
}

#[tokio::test]
async fn buckets_have_the_documented_shape() {
    let api = Api::start().await;
    let body = api
        .post_ok(
            AGGREGATES,
            &query(&["queueId", "requestedRoutingSkillId", "mediaType"], false),
        )
        .await;
    let results = body["results"].as_array().unwrap();
    assert!(results.len() > 20, "{}", results.len());
    for result in results {
        let group = result["group"].as_object().unwrap();
        assert!(
            group.contains_key("queueId") && group.contains_key("mediaType"),
            "{group:?}"
        );
        for data in result["data"].as_array().unwrap() {
            let interval = data["interval"].as_str().unwrap();
            let (start, end) = interval.split_once('/').unwrap();
            assert!(
                start.ends_with(":00.000Z") && end.ends_with(":00.000Z"),
                "{interval}"
            );
            let (start, end): (jiff::Timestamp, jiff::Timestamp) =
                (start.parse().unwrap(), end.parse().unwrap());
            assert_eq!(end.duration_since(start).as_secs(), 900);
            assert!(
                start >= "2026-03-10T06:00:00Z".parse().unwrap()
                    && end <= "2026-03-10T10:15:00Z".parse().unwrap()
            );
            for metric in data["metrics"].as_array().unwrap() {
                let stats = &metric["stats"];
                let count = stats["count"].as_i64().unwrap();
                assert!(count > 0);
                if metric["metric"] == "nOffered" {
                    assert_eq!(stats.as_object().unwrap().len(), 1);
                } else {
                    let (sum, min, max) = (
                        stats["sum"].as_i64().unwrap(),
                        stats["min"].as_i64().unwrap(),
                        stats["max"].as_i64().unwrap(),
                    );
                    assert!(
                        min <= max && count * min <= sum && sum <= count * max,
                        "{stats}"
                    );
                }
            }
        }
    }
    let with_no_skill = results
        .iter()
        .filter(|r| r["group"].get("requestedRoutingSkillId").is_none())
        .count();
    assert!(
        with_no_skill > 0,
        "conversations with no requested skill have a group without the key"
    );
}

#[tokio::test]
async fn the_ground_truth_is_what_the_endpoint_answers() {
    let api = Api::start().await;
    let groupings: [&[&str]; 4] = [
        &[],
        &["requestedRoutingSkillId", "mediaType"],
        &["queueId", "direction"],
        &["requestedRoutingSkillId"],
    ];
    for group_by in groupings {
        for flatten in [false, true] {
            let body = api.post_ok(AGGREGATES, &query(group_by, flatten)).await;
            let truth = api.sim.ground_truth(&truth_query(group_by, flatten));
            assert!(!truth.is_empty());
            assert_eq!(
                parse_aggregates(&body),
                truth,
                "{group_by:?} flatten={flatten}"
            );
        }
    }
}

#[tokio::test]
async fn multi_skill_conversations_count_in_each_skill_unless_flattened() {
    let api = Api::start().await;
    let per_skill = parse_aggregates(
        &api.post_ok(AGGREGATES, &query(&["requestedRoutingSkillId"], false))
            .await,
    );
    let flattened = parse_aggregates(
        &api.post_ok(AGGREGATES, &query(&["requestedRoutingSkillId"], true))
            .await,
    );
    let total = parse_aggregates(&api.post_ok(AGGREGATES, &query(&[], false)).await);
    let offered = |truth: &genesys_sim::GroundTruth| {
        truth
            .values()
            .filter_map(|m| m.get("nOffered"))
            .map(|s| s.count)
            .sum::<u64>()
    };
    assert_eq!(
        offered(&flattened),
        offered(&total),
        "flattened groups partition the conversations"
    );
    assert!(
        offered(&per_skill) > offered(&total),
        "a multi-skill conversation counts once per skill"
    );
    let skill_value =
        |key: &(jiff::Timestamp, genesys_sim::Group)| key.1.get("requestedRoutingSkillId").cloned();
    assert!(
        per_skill
            .keys()
            .filter_map(skill_value)
            .all(|v| !v.contains(','))
    );
    let joined: Vec<String> = flattened
        .keys()
        .filter_map(skill_value)
        .filter(|v| v.contains(','))
        .collect();
    assert!(!joined.is_empty());
    // Genesys documents the join but not its order: the simulator keeps the order the
    // conversation requested the skills in, so one set comes both ways.
    let sorted = |value: &String| {
        let mut ids: Vec<&str> = value.split(',').collect();
        ids.sort_unstable();
        ids.join(",")
    };
    assert!(
        joined.iter().any(|v| *v != sorted(v)),
        "some joined set is not in ascending order"
    );
    let spellings: std::collections::BTreeSet<&String> = joined.iter().collect();
    let sets: std::collections::BTreeSet<String> = joined.iter().map(sorted).collect();
    assert!(sets.len() < spellings.len(), "some set comes in two orders");
}

#[tokio::test]
async fn deleted_skills_and_queues_still_appear_in_history() {
    let api = Api::start().await;
    let truth = api
        .sim
        .ground_truth(&truth_query(&["requestedRoutingSkillId", "queueId"], false));
    let deleted_skill = api.sim.skills().into_iter().find(|s| !s.active).unwrap().id;
    let deleted_queue = api.sim.queues().into_iter().find(|q| !q.active).unwrap().id;
    assert!(
        truth
            .keys()
            .any(|(_, g)| g.get("requestedRoutingSkillId") == Some(&deleted_skill))
    );
    assert!(
        truth
            .keys()
            .any(|(_, g)| g.get("queueId") == Some(&deleted_queue))
    );
}

#[tokio::test]
async fn filters_select_sessions() {
    let api = Api::start().await;
    let mut voice = query(&["mediaType", "queueId"], false);
    voice["filter"] =
        json!({"type": "and", "predicates": [{"dimension": "mediaType", "value": "voice"}]});
    let voice = parse_aggregates(&api.post_ok(AGGREGATES, &voice).await);
    assert!(!voice.is_empty());
    assert!(voice.keys().all(|(_, g)| g["mediaType"] == "voice"));
    let queues: Vec<String> = api.sim.queues().into_iter().map(|q| q.id).take(2).collect();
    let mut two_queues = query(&["queueId"], false);
    two_queues["filter"] = json!({"type": "and", "clauses": [{"type": "or", "predicates": [
        {"type": "dimension", "dimension": "queueId", "operator": "matches", "value": queues[0]},
        {"type": "dimension", "dimension": "queueId", "operator": "matches", "value": queues[1]}]}]});
    let two_queues = parse_aggregates(&api.post_ok(AGGREGATES, &two_queues).await);
    let seen: std::collections::BTreeSet<&String> =
        two_queues.keys().map(|(_, g)| &g["queueId"]).collect();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|q| queues.contains(q)));
    let mut no_skill = query(&["requestedRoutingSkillId"], false);
    no_skill["filter"] = json!({"type": "or", "predicates": [{"dimension": "requestedRoutingSkillId", "operator": "notExists"}]});
    let no_skill = parse_aggregates(&api.post_ok(AGGREGATES, &no_skill).await);
    assert!(!no_skill.is_empty() && no_skill.keys().all(|(_, g)| g.is_empty()));
}

#[tokio::test]
async fn no_data_answers_an_empty_object() {
    let api = Api::start().await;
    for interval in [
        "2026-03-11T00:00:00Z/2026-03-12T00:00:00Z",
        "2020-01-01T00:00:00Z/2020-01-02T00:00:00Z",
    ] {
        let body = api
            .post_ok(
                AGGREGATES,
                &json!({"interval": interval, "metrics": ["tHandle"]}),
            )
            .await;
        assert_eq!(body, json!({}));
    }
}

#[tokio::test]
async fn without_granularity_the_interval_is_one_bucket() {
    let api = Api::start().await;
    let body = api
        .post_ok(AGGREGATES, &json!({"interval": "2026-03-10T08:00:00.000Z/2026-03-10T09:00:00.000Z", "metrics": ["nOffered"]}))
        .await;
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert!(results[0].get("group").is_none());
    assert_eq!(results[0]["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        results[0]["data"][0]["interval"],
        "2026-03-10T08:00:00.000Z/2026-03-10T09:00:00.000Z"
    );
}

#[tokio::test]
async fn bad_queries_are_400_with_a_reason() {
    let api = Api::start().await;
    let base =
        json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "metrics": ["tHandle"]});
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"interval": "2026-03-10T08:00:00Z", "metrics": ["tHandle"]}),
            "start/end",
        ),
        (
            json!({"interval": "2026-03-10T09:00:00Z/2026-03-10T08:00:00Z", "metrics": ["tHandle"]}),
            "ends before",
        ),
        (json!({"granularity": "15 minutes"}), "ISO-8601 duration"),
        (json!({"granularity": "P1M"}), "not supported"),
        (json!({"granularity": "PT7M"}), "whole number"),
        (
            json!({"interval": "2026-01-01T00:00:00Z/2026-03-10T00:00:00Z", "granularity": "PT1M"}),
            "buckets",
        ),
        (
            json!({"metrics": ["handleTime"]}),
            "not one the aggregates query",
        ),
        // View targets outside the query's own metrics enum: 400 at Genesys too.
        (
            json!({"metrics": ["nConversations"]}),
            "not one the aggregates query",
        ),
        (
            json!({"metrics": ["tSnippetRecord"]}),
            "not one the aggregates query",
        ),
        (json!({"metrics": []}), "at least one"),
        (
            json!({"groupBy": ["userId"]}),
            "not supported by the simulator",
        ),
        (json!({"groupBy": ["skill"]}), "unknown groupBy dimension"),
        (
            json!({"timeZone": "Mars/Olympus_Mons"}),
            "not a known IANA time zone",
        ),
        (json!({"dateFrom": "2026-03-10"}), "unknown field"),
        (json!({"views": []}), "views"),
        (
            json!({"filter": {"type": "and", "predicates": [{"dimension": "userId", "value": "x"}]}}),
            "not supported",
        ),
        (
            json!({"filter": {"type": "xor", "predicates": []}}),
            "invalid request body",
        ),
    ];
    for (patch, reason) in cases {
        let mut body = base.clone();
        body.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        let answer = api.post(AGGREGATES, &body).await;
        let error = answer.assert_error(400, "bad.request");
        assert!(
            error["message"].as_str().unwrap().contains(reason),
            "{patch}: {error}"
        );
    }
    let not_json = api
        .client
        .post(api.url(AGGREGATES))
        .bearer_auth(&api.token)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
}

async fn bodies(seed: u64) -> Vec<String> {
    let api = Api::with(SimConfig { seed, ..config() }).await;
    let mut bodies = Vec::new();
    for (group_by, flatten) in [
        (&["requestedRoutingSkillId", "mediaType"][..], false),
        (&["queueId"][..], true),
    ] {
        bodies.push(api.post(AGGREGATES, &query(group_by, flatten)).await.text);
    }
    bodies.push(api.get("/api/v2/routing/skills").await.text);
    bodies
}

#[tokio::test]
async fn the_same_seed_gives_the_same_data() {
    let (first, second, other) = (bodies(7).await, bodies(7).await, bodies(8).await);
    assert_eq!(first, second);
    for (a, b) in first.iter().zip(&other) {
        assert_ne!(a, b);
    }
}

#[tokio::test]
async fn a_manual_clock_makes_new_data_visible() {
    let clock = genesys_sim::ManualClock::new(common::NOW.parse().unwrap());
    let sim = Sim::start(SimConfig {
        clock: genesys_sim::Clock::Manual(clock.clone()),
        ..config()
    })
    .await
    .unwrap();
    let question = TruthQuery {
        start: "2026-03-10T10:00:00Z".parse().unwrap(),
        end: "2026-03-10T11:00:00Z".parse().unwrap(),
        ..truth_query(&[], false)
    };
    let handled = |truth: &genesys_sim::GroundTruth| {
        truth
            .values()
            .filter_map(|m| m.get("tHandle"))
            .map(|s| s.count)
            .sum::<u64>()
    };
    let before = handled(&sim.ground_truth(&question));
    clock.advance(Duration::from_secs(1800));
    assert_eq!(
        sim.now(),
        "2026-03-10T10:37:30.250Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
    );
    assert!(handled(&sim.ground_truth(&question)) > before);
}

#[tokio::test]
async fn daily_buckets_follow_the_time_zone() {
    let api = Api::with(SimConfig {
        clock: genesys_sim::Clock::Fixed("2026-03-31T12:00:00Z".parse().unwrap()),
        ..config()
    })
    .await;
    // Paris moves to summer time in the night of 29 March 2026: that day has 23 hours.
    let interval = "2026-03-28T00:00:00+01:00/2026-03-30T00:00:00+02:00";
    let daily = json!({"interval": interval, "granularity": "P1D", "timeZone": "Europe/Paris", "metrics": ["nOffered"]});
    let body = api.post_ok(AGGREGATES, &daily).await;
    let data = body["results"][0]["data"].as_array().unwrap();
    let intervals: Vec<&str> = data
        .iter()
        .map(|d| d["interval"].as_str().unwrap())
        .collect();
    assert_eq!(
        intervals,
        [
            "2026-03-27T23:00:00.000Z/2026-03-28T23:00:00.000Z",
            "2026-03-28T23:00:00.000Z/2026-03-29T22:00:00.000Z"
        ]
    );
    let offered: u64 = data
        .iter()
        .map(|d| d["metrics"][0]["stats"]["count"].as_u64().unwrap())
        .sum();
    let whole = api
        .post_ok(
            AGGREGATES,
            &json!({"interval": interval, "metrics": ["nOffered"]}),
        )
        .await;
    assert_eq!(
        offered,
        whole["results"][0]["data"][0]["metrics"][0]["stats"]["count"]
            .as_u64()
            .unwrap()
    );
    let in_utc = json!({"interval": interval, "granularity": "P1D", "timeZone": "UTC", "metrics": ["nOffered"]});
    let error = api
        .post(AGGREGATES, &in_utc)
        .await
        .assert_error(400, "bad.request");
    assert!(
        error["message"].as_str().unwrap().contains("whole number"),
        "{error}"
    );
}
