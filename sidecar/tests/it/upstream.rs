//! What a client gets when InfluxDB answers with an error status: an upstream
//! stand-in answers every request with the status, headers and body a test sets.

use std::sync::{Arc, Mutex};

use salvo::prelude::*;
use serde_json::Value;

use crate::support::*;

/// The answer the stand-in gives: status, `Retry-After` and body.
type Canned = (u16, Option<&'static str>, &'static str);

struct Upstream(Arc<Mutex<Canned>>);

#[async_trait]
impl Handler for Upstream {
    async fn handle(&self, _: &mut Request, _: &mut Depot, res: &mut Response, _: &mut FlowCtrl) {
        let (status, retry_after, body) = *self.0.lock().unwrap();
        res.status_code(StatusCode::from_u16(status).unwrap());
        if let Some(value) = retry_after {
            res.add_header("retry-after", value, true).unwrap();
        }
        res.add_header("content-type", "application/json; charset=utf-8", true)
            .unwrap();
        res.write_body(body).unwrap();
    }
}

async fn upstream(canned: Arc<Mutex<Canned>>) -> String {
    let router = Router::with_path("{**rest}").goal(Upstream(canned));
    serve_on_loopback(router).await.0
}

/// Status, `Retry-After` and JSON body of the sidecar's answer to `path`.
async fn call(sidecar: &genesys_aht_sidecar::Running, path: &str) -> (u16, Option<String>, Value) {
    let response = reqwest::get(format!("http://{}{path}", sidecar.addr))
        .await
        .unwrap();
    status_retry_after_json(response).await
}

#[tokio::test]
async fn upstream_statuses_map_to_what_a_client_can_act_on() {
    let canned = Arc::new(Mutex::new((200, None, "")));
    let url = upstream(canned.clone()).await;
    let cases: [(Canned, u16, &str, Option<&str>, &str); 9] = [
        (
            (
                429,
                Some("30"),
                r#"{"code":"too many requests","message":"org 1 is over its query quota"}"#,
            ),
            429,
            "upstream_rate_limited",
            Some("30"),
            "org 1 is over its query quota",
        ),
        (
            (
                503,
                Some("Wed, 21 Oct 2026 07:28:00 GMT"),
                r#"{"code":"unavailable","message":"the query queue is full"}"#,
            ),
            503,
            "upstream_unavailable",
            Some("Wed, 21 Oct 2026 07:28:00 GMT"),
            "the query queue is full",
        ),
        (
            (
                503,
                None,
                r#"{"code":"unavailable","message":"starting up"}"#,
            ),
            503,
            "upstream_unavailable",
            None,
            "starting up",
        ),
        (
            (
                408,
                None,
                r#"{"code":"request timeout","message":"query exceeded its deadline"}"#,
            ),
            504,
            "upstream_timeout",
            None,
            "query exceeded its deadline",
        ),
        (
            (
                499,
                None,
                r#"{"code":"client closed request","message":"context canceled"}"#,
            ),
            504,
            "upstream_timeout",
            None,
            "context canceled",
        ),
        (
            (504, Some("10"), "<html>gateway timeout</html>"),
            504,
            "upstream_timeout",
            None,
            "<html>gateway timeout</html>",
        ),
        (
            (
                500,
                Some("10"),
                r#"{"code":"internal error","message":"panic: boom"}"#,
            ),
            502,
            "upstream_error",
            None,
            "panic: boom",
        ),
        // InfluxDB 1.x writes `{"error": ...}`.
        (
            (401, None, r#"{"error":"authorization failed"}"#),
            502,
            "upstream_error",
            None,
            "authorization failed",
        ),
        (
            (429, Some("soon"), ""),
            429,
            "upstream_rate_limited",
            None,
            "Too Many Requests",
        ),
    ];
    // Flux (2.x) and SQL (InfluxDB 3, whose errors are `{"error": ...}` too).
    for backend in ["flux", "sql"] {
        let sidecar = sidecar(&format!(
            "[influx]\nbackend = \"{backend}\"\nurl = \"{url}\"\norg = \"o\"\nbucket = \"b\"\n"
        ))
        .await;
        check_statuses(&sidecar, &canned, &cases).await;
        sidecar.stop().await;
    }
}

async fn check_statuses(
    sidecar: &genesys_aht_sidecar::Running,
    canned: &Mutex<Canned>,
    cases: &[(Canned, u16, &str, Option<&str>, &str)],
) {
    let (s, e) = (rfc3339(T0_NS), rfc3339(T0_NS + HOUR_NS));
    let range = query(&[("start_date", &s), ("end_date", &e)]);
    for &(answer, status, code, retry_after, reason) in cases {
        *canned.lock().unwrap() = answer;
        for path in [format!("/metrics/aht?{range}"), format!("/skills?{range}")] {
            let (got, got_retry, body) = call(sidecar, &path).await;
            let what = format!("{answer:?} on {path}: {body}");
            assert_eq!(
                (got, body["error"].as_str()),
                (status, Some(code)),
                "{what}"
            );
            assert_eq!(got_retry.as_deref(), retry_after, "{what}");
            let text = body["reason"].as_str().unwrap();
            assert!(text.contains(reason), "{what}");
            assert!(
                !text.contains("\"code\"") && !text.contains("{\""),
                "raw JSON in {what}"
            );
        }
    }
}
