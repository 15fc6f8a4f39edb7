//! Bad input of every kind gets a clear 4xx JSON error with a reason, never a crash.
// Test code: a panic is a failed assertion (helpers too, not only #[test] bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{AGGREGATES, Api, DETAILS, JOBS, read};

const BODIES: [&str; 16] = [
    "",
    "null",
    "[]",
    "42",
    "\"text\"",
    "{}",
    "{\"interval\": 7}",
    "{\"interval\": \"2026-03-10T08:00:00Z/2026-03-10T09:00:00Z\", \"metrics\": \"tHandle\"}",
    "{\"interval\": \"/\", \"metrics\": [\"tHandle\"]}",
    "{\"interval\": \"-999999-01-01T00:00:00Z/9999-12-31T00:00:00Z\", \"metrics\": [\"tHandle\"], \"granularity\": \"PT1S\"}",
    "{\"interval\": \"2026-03-10T08:00:00Z/2026-03-10T09:00:00Z\", \"metrics\": [\"tHandle\"], \"granularity\": \"P99999999999999999999D\"}",
    "{\"interval\": \"2026-03-10T08:00:00Z/2026-03-10T09:00:00Z\", \"metrics\": [\"tHandle\"], \"granularity\": \"PT1e400S\"}",
    "{\"interval\": \"2026-03-10T08:00:00Z/2026-03-10T09:00:00Z\", \"paging\": {\"pageSize\": 9223372036854775807, \"pageNumber\": 9223372036854775807}}",
    "{\"interval\": \"2026-03-10T08:00:00Z/2026-03-10T09:00:00Z\", \"paging\": {\"pageSize\": -1, \"pageNumber\": -5}}",
    "{\"interval\": \"2026-03-10T08:00:00Z/2026-03-10T09:00:00Z\", \"metrics\": [\"tHandle\"], \"filter\": {\"type\": \"and\", \"predicates\": [{}]}}",
    "{\"interval\": \"2026-03-10T08:00:00Z/2026-03-10T09:00:00Z\", \"limit\": -3, \"segmentFilters\": [{\"type\": \"or\"}]}",
];

#[tokio::test]
async fn odd_bodies_get_json_errors() {
    let api = Api::start().await;
    for path in [AGGREGATES, DETAILS, JOBS] {
        for body in BODIES {
            let request = api
                .client
                .post(api.url(path))
                .bearer_auth(&api.token)
                .body(body);
            let answer = read(request.send().await.unwrap()).await;
            let error = answer.assert_error(400, "bad.request");
            assert!(
                !error["message"].as_str().unwrap().is_empty(),
                "{path} {body}: {error}"
            );
        }
    }
}

#[tokio::test]
async fn odd_query_strings_get_answers() {
    let api = Api::start().await;
    let paths = [
        "/api/v2/routing/skills?pageSize=0",
        "/api/v2/routing/skills?pageSize=99999999999999999999",
        "/api/v2/routing/skills?pageNumber=4294967295&pageSize=500",
        "/api/v2/routing/skills?name=%FF%FE",
        "/api/v2/routing/queues?name=*",
        "/api/v2/routing/queues?name=**",
        "/api/v2/routing/queues?id=&id=%00",
        "/api/v2/routing/skillgroups?pageSize=4294967295",
        "/api/v2/analytics/conversations/details/jobs/%2e%2e/results?pageSize=0",
        "/api/v2/routing/skills/%F0%9F%92%A5",
    ];
    for path in paths {
        let answer = api.get(path).await;
        assert!(
            matches!(answer.status, 200 | 400 | 404),
            "{path}: {} {}",
            answer.status,
            answer.text
        );
        let body = answer.json();
        if answer.status != 200 {
            assert!(body["message"].is_string(), "{path}: {body}");
        }
    }
}
