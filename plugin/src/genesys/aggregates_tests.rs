use std::path::Path;

use super::*;
use crate::config::FileConfig;

fn settings(collect: &str) -> Collect {
    let toml = format!(
        "[genesys]\napi_url = \"http://x\"\nclient_id = \"c\"\nclient_secret = \"s\"\n[collect]\n{collect}"
    );
    let file = FileConfig::parse(&toml, Path::new("t.toml")).expect("test config parses");
    crate::config::Settings::from_file(file, &|_| None)
        .expect("test config is valid")
        .collect
}

fn window() -> Window {
    Window {
        start: "2025-03-10T08:00:00Z".parse().expect("ts"),
        end: "2025-03-10T09:00:00Z".parse().expect("ts"),
    }
}

#[test]
fn the_query_carries_interval_granularity_groups_and_metrics() {
    let body = query_body(
        &settings("granularity = \"PT30M\"\nflatten_multivalued_dimensions = true\n"),
        window(),
    );
    assert_eq!(
        body["interval"],
        "2025-03-10T08:00:00.000Z/2025-03-10T09:00:00.000Z"
    );
    assert_eq!(body["granularity"], "PT30M");
    assert_eq!(
        body["groupBy"],
        json!(["requestedRoutingSkillId", "mediaType"])
    );
    assert_eq!(body["metrics"][0], "tHandle");
    assert_eq!(body["flattenMultivaluedDimensions"], true);
    assert!(body.get("filter").is_none());
}

#[test]
fn media_and_queue_filters_become_and_of_ors() {
    let body = query_body(
        &settings("media_types = [\"voice\", \"chat\"]\nqueue_ids = [\"q1\"]\n"),
        window(),
    );
    let filter = &body["filter"];
    assert_eq!(filter["type"], "and");
    assert_eq!(filter["clauses"][0]["type"], "or");
    assert_eq!(
        filter["clauses"][0]["predicates"][1]["dimension"],
        "mediaType"
    );
    assert_eq!(filter["clauses"][0]["predicates"][1]["value"], "chat");
    assert_eq!(
        filter["clauses"][1]["predicates"][0]["dimension"],
        "queueId"
    );
    assert_eq!(filter["clauses"][1]["predicates"][0]["value"], "q1");
}

#[test]
fn an_empty_answer_has_no_rows() {
    assert_eq!(parse_response(b"{}").map(|r| r.len()), Ok(0));
    assert_eq!(
        parse_response(br#"{"results": []}"#).map(|r| r.len()),
        Ok(0)
    );
    assert!(parse_response(br#"{"results": 3}"#).is_err());
    assert!(parse_response(b"<html>").is_err());
}

#[test]
fn buckets_groups_and_sparse_metrics_are_kept_apart() {
    let answer = br#"{"results": [
      {"group": {"mediaType": "voice", "requestedRoutingSkillId": "s1"},
       "data": [
        {"interval": "2025-03-10T08:00:00.000Z/2025-03-10T08:30:00.000Z",
         "metrics": [{"metric": "nOffered", "stats": {"count": 14}},
                     {"metric": "tHandle", "stats": {"max": 703500, "min": 61000, "count": 10, "sum": 3411000}}]},
        {"interval": "2025-03-10T08:30:00.000Z/2025-03-10T09:00:00.000Z",
         "metrics": [{"metric": "tTalk", "stats": {"max": 5, "min": 5, "count": 1, "sum": 5.0}}]}]},
      {"group": {"mediaType": "chat"},
       "data": [{"interval": "2025-03-10T08:30:00.000Z/2025-03-10T09:00:00.000Z"}]},
      {"group": {"requestedRoutingSkillId": "s1,s2"}, "data": []}
    ]}"#;
    let rows = parse_response(answer).expect("parses");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].bucket_start, window().start);
    assert_eq!(
        rows[0].metrics["tHandle"],
        MetricStats {
            count: 10,
            sum: Some(3_411_000)
        }
    );
    assert_eq!(
        rows[0].metrics["nOffered"],
        MetricStats {
            count: 14,
            sum: None
        }
    );
    assert_eq!(
        rows[1].bucket_start.as_second(),
        window().start.as_second() + 1800
    );
    assert!(!rows[1].metrics.contains_key("tHandle"));
    assert_eq!(rows[1].metrics["tTalk"].sum, Some(5));
    assert!(!rows[2].group.contains_key("requestedRoutingSkillId"));
    assert!(rows[2].metrics.is_empty());
}

#[test]
fn a_bad_interval_is_an_error_not_a_panic() {
    let answer = br#"{"results": [{"group": {}, "data": [{"interval": "yesterday"}]}]}"#;
    let err = parse_response(answer).err().unwrap_or_default();
    assert!(err.contains("yesterday"), "{err}");
}
