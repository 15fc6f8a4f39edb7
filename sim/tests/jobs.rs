//! Async details jobs: lifecycle, cursor pages, failure, cancellation, availability.
// Test code: a panic is a failed assertion (helpers too, not only #[test] bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Api, DETAILS, JOBS, NOW};
use serde_json::{Value, json};

async fn create(api: &Api, body: &Value) -> String {
    let answer = api.post(JOBS, body).await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    let body = answer.json();
    assert_eq!(body.as_object().unwrap().len(), 1);
    body["jobId"].as_str().unwrap().to_owned()
}

/// Polls the job's status until it leaves `QUEUED` (at most 5 s).
async fn settle(api: &Api, id: &str) -> Value {
    for _ in 0..100 {
        let status = api.get_ok(&format!("{JOBS}/{id}")).await;
        if status["state"] != "QUEUED" {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} stayed QUEUED");
}

fn ids(conversations: &[Value]) -> BTreeSet<String> {
    conversations
        .iter()
        .map(|c| c["conversationId"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_job_is_queued_then_fulfilled_and_pages_by_cursor() {
    // Long enough that the first status and results requests surely see it queued.
    let api = Api::with(genesys_sim::SimConfig {
        job_delay: Duration::from_secs(1),
        ..common::config()
    })
    .await;
    let interval = "2026-03-10T08:00:00.000Z/2026-03-10T09:00:00.000Z";
    let id = create(
        &api,
        &json!({"interval": interval, "order": "asc", "orderBy": "conversationStart"}),
    )
    .await;
    let queued = api.get_ok(&format!("{JOBS}/{id}")).await;
    assert_eq!(queued["state"], "QUEUED");
    assert_eq!(queued["submissionDate"], NOW);
    api.get(&format!("{JOBS}/{id}/results"))
        .await
        .assert_error(400, "bad.request");
    let status = settle(&api, &id).await;
    assert_eq!(status["state"], "FULFILLED");
    assert!(status["completionDate"].is_string() && status["expirationDate"].is_string());

    let mut conversations = Vec::new();
    let mut uri = format!("{JOBS}/{id}/results?pageSize=40");
    loop {
        let page = api.get_ok(&uri).await;
        assert_eq!(page["dataAvailabilityDate"], NOW);
        let batch = page["conversations"].as_array().unwrap();
        assert!(batch.len() <= 40);
        conversations.extend(batch.iter().cloned());
        match page["cursor"].as_str() {
            Some(cursor) => uri = format!("{JOBS}/{id}/results?pageSize=40&cursor={cursor}"),
            None => break,
        }
    }
    assert!(conversations.len() > 80, "{}", conversations.len());
    // Within one day, "activity during the interval" and the details query select the
    // same, but for the long conversations that started on an earlier day: jobs only.
    let mut details = Vec::new();
    for page in 1.. {
        let body = api
            .post_ok(
                DETAILS,
                &json!({"interval": interval, "paging": {"pageSize": 100, "pageNumber": page}}),
            )
            .await;
        let Some(batch) = body.get("conversations") else {
            break;
        };
        details.extend(batch.as_array().unwrap().iter().cloned());
    }
    let (by_job, by_query) = (ids(&conversations), ids(&details));
    assert!(by_query.is_subset(&by_job));
    let earlier: Vec<_> = conversations
        .iter()
        .filter(|c| !by_query.contains(c["conversationId"].as_str().unwrap()))
        .map(|c| c["conversationStart"].as_str().unwrap())
        .collect();
    assert!(
        !earlier.is_empty(),
        "some long conversations started days before"
    );
    assert!(earlier.iter().all(|s| *s < "2026-03-10"), "{earlier:?}");
    let starts: Vec<&str> = conversations
        .iter()
        .map(|c| c["conversationStart"].as_str().unwrap())
        .collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]));
}

#[tokio::test]
async fn limit_caps_the_results() {
    let api = Api::start().await;
    let id = create(
        &api,
        &json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "limit": 10}),
    )
    .await;
    settle(&api, &id).await;
    let page = api.get_ok(&format!("{JOBS}/{id}/results")).await;
    assert_eq!(page["conversations"].as_array().unwrap().len(), 10);
    assert!(page.get("cursor").is_none());
}

#[tokio::test]
async fn a_test_can_make_a_job_fail() {
    let api = Api::start().await;
    api.sim.fail_next_jobs(1, "Query execution failed");
    let failing = create(
        &api,
        &json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z"}),
    )
    .await;
    let fine = create(
        &api,
        &json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z"}),
    )
    .await;
    let status = settle(&api, &failing).await;
    assert_eq!(status["state"], "FAILED");
    assert_eq!(status["errorMessage"], "Query execution failed");
    assert_eq!(settle(&api, &fine).await["state"], "FULFILLED");
    api.get(&format!("{JOBS}/{failing}/results"))
        .await
        .assert_error(400, "bad.request");
}

#[tokio::test]
async fn a_deleted_job_is_cancelled() {
    let api = Api::start().await;
    let id = create(
        &api,
        &json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z"}),
    )
    .await;
    let response = api
        .client
        .delete(api.url(&format!("{JOBS}/{id}")))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        api.get_ok(&format!("{JOBS}/{id}")).await["state"],
        "CANCELLED"
    );
    api.get(&format!("{JOBS}/no-such-job"))
        .await
        .assert_error(404, "not.found");
}

#[tokio::test]
async fn availability_and_bad_requests() {
    let api = Api::start().await;
    assert_eq!(
        api.get_ok(&format!("{JOBS}/availability")).await,
        json!({"dataAvailabilityDate": NOW})
    );
    let lagging = Api::with(genesys_sim::SimConfig {
        data_availability_lag: Duration::from_secs(3600),
        ..common::config()
    })
    .await;
    assert_eq!(
        lagging.get_ok(&format!("{JOBS}/availability")).await["dataAvailabilityDate"],
        "2026-03-10T09:07:30.250Z"
    );
    let error = api
        .post(
            JOBS,
            &json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z", "paging": {}}),
        )
        .await;
    error.assert_error(400, "bad.request");
    // A job may span 31 days, not more.
    let long = api
        .post(
            JOBS,
            &json!({"interval": "2026-02-01T00:00:00Z/2026-03-10T00:00:00Z"}),
        )
        .await;
    let message = long.assert_error(400, "bad.request")["message"].clone();
    assert!(message.as_str().unwrap().contains("744 hours"), "{message}");
    create(
        &api,
        &json!({"interval": "2026-02-07T00:00:00Z/2026-03-10T00:00:00Z"}),
    )
    .await;
    let id = create(
        &api,
        &json!({"interval": "2026-03-10T08:00:00Z/2026-03-10T09:00:00Z"}),
    )
    .await;
    settle(&api, &id).await;
    api.get(&format!("{JOBS}/{id}/results?cursor=nonsense"))
        .await
        .assert_error(400, "bad.request");
    // A cursor far past the end is an empty last page, not a crash.
    let far = URL_SAFE_NO_PAD.encode(usize::MAX.to_string());
    let page = api
        .get_ok(&format!("{JOBS}/{id}/results?cursor={far}"))
        .await;
    assert_eq!(page["conversations"], json!([]));
    assert!(page.get("cursor").is_none());
}
