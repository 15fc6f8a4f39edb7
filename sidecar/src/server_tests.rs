//! The whole service (routes, auth, CORS, JSON errors) called in-process with
//! `salvo::test`, no socket: the InfluxDB it names listens nowhere, so a request
//! that reached it would answer 503, never the 400, 401, 404 or 405 expected here.

use salvo::http::StatusCode;
use salvo::test::{ResponseExt, TestClient};
use serde_json::Value;

use super::*;

const BASE: &str = "http://sidecar.test";
const RANGE: &str = "start_date=2026-03-10T00:00:00Z&end_date=2026-03-10T06:00:00Z";

/// The service of a config with an InfluxDB on a closed port and `extra` lines.
fn service_with(extra: &str) -> Service {
    let text = format!(
        "[influx]\nbackend = \"influxql\"\nurl = \"http://127.0.0.1:9\"\nbucket = \"genesys\"\ntimeout = \"1s\"\n{extra}"
    );
    let config = Config::parse(&text).expect("a valid test config");
    let state = state(&config).expect("the state builds");
    service(state, &config.http.cors_origins)
}

/// Status and JSON body of `request`.
async fn call(service: &Service, request: salvo::test::RequestBuilder) -> (StatusCode, Value) {
    let mut response = request.send(service).await;
    let status = response.status_code.expect("a status");
    let body = response.take_json().await.expect("a JSON body");
    (status, body)
}

#[tokio::test]
async fn bad_requests_are_400_json_naming_the_parameter() {
    let service = service_with("");
    for (query, reason) in [
        (
            format!("{RANGE}&colour=red"),
            "unknown parameter \"colour\"",
        ),
        (
            "end_date=2026-03-10T00:00:00Z".into(),
            "start_date is required",
        ),
        (format!("{RANGE}&interval=fortnightly"), "interval"),
        (
            "start_date=2026-03-11T00:00:00Z&end_date=2026-03-10T00:00:00Z".into(),
            "before",
        ),
        (
            "start_date=2026-01-01T00:00:00Z&end_date=2026-03-10T00:00:00Z&interval=1s".into(),
            "windows",
        ),
        (
            "start_date=1773100800&end_date=1773122400000".into(),
            "epoch seconds",
        ),
        (format!("{RANGE}&queue=Q%201&var-queue=Q%201"), "not both"),
        (
            "start_date=2026-03-10&end_date=2026-03-11T00:00:00Z".into(),
            "start_date is not an RFC 3339",
        ),
        (
            "start_date=2020-01-01T00:00:00Z&end_date=2026-03-10T00:00:00Z&interval=1d".into(),
            "longer than",
        ),
    ] {
        let url = format!("{BASE}/metrics/aht?{query}");
        let (status, body) = call(&service, TestClient::get(&url)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{url}: {body}");
        assert_eq!(body["error"], "invalid_request");
        let text = body["reason"].as_str().unwrap_or_default();
        assert!(text.contains(reason), "{url}: {text}");
    }
    let url = format!("{BASE}/skills?start_date=x&end_date=y");
    let (status, body) = call(&service, TestClient::get(&url)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("start_date is not")
    );
}

#[tokio::test]
async fn the_bearer_token_guards_the_data_routes_only() {
    let service = service_with("[http]\nbearer_token = \"let-me-in\"\n");
    let url = format!("{BASE}/metrics/aht?{RANGE}");
    for token in [None, Some("let-me-IN"), Some("let-me-in-please"), Some("")] {
        let mut request = TestClient::get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let (status, body) = call(&service, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}: {body}");
        assert_eq!(body["error"], "unauthorized");
        assert!(!body.to_string().contains("let-me-in"), "{body}");
    }
    // The right token passes to the query, which finds no InfluxDB.
    let (status, body) = call(&service, TestClient::get(&url).bearer_auth("let-me-in")).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    let health = TestClient::get(format!("{BASE}/healthz"))
        .send(&service)
        .await;
    assert_eq!(health.status_code, Some(StatusCode::OK));
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let service = service_with("");
    let (status, body) = call(&service, TestClient::get(format!("{BASE}/nope"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
    let aht = format!("{BASE}/metrics/aht?{RANGE}");
    for request in [TestClient::post(&aht), TestClient::delete(&aht)] {
        let (status, body) = call(&service, request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
        assert_eq!(body["error"], "method_not_allowed");
        assert!(body["reason"].is_string(), "{body}");
    }
}

#[tokio::test]
async fn cors_allows_the_configured_origins_only() {
    let service = service_with("[http]\ncors_origins = [\"https://grafana.example\"]\n");
    let allow = |response: &salvo::Response| {
        response
            .headers()
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap_or_default().to_owned())
    };
    let ask = |origin: &str| {
        TestClient::get(format!("{BASE}/healthz")).add_header("origin", origin, true)
    };
    let allowed = ask("https://grafana.example").send(&service).await;
    assert_eq!(allow(&allowed).as_deref(), Some("https://grafana.example"));
    let other = ask("https://evil.example").send(&service).await;
    assert_eq!(allow(&other), None);
    let preflight = TestClient::options(format!("{BASE}/metrics/aht?{RANGE}"))
        .add_header("origin", "https://grafana.example", true)
        .add_header("access-control-request-method", "GET", true)
        .add_header("access-control-request-headers", "authorization", true)
        .send(&service)
        .await;
    assert!(
        preflight.status_code.is_some_and(|s| s.is_success()),
        "{:?}",
        preflight.status_code
    );
    let headers = preflight
        .headers()
        .get("access-control-allow-headers")
        .map(|v| v.to_str().unwrap_or_default().to_owned())
        .unwrap_or_default();
    assert!(headers.contains("authorization"), "{headers}");
    // Without cors_origins, no CORS header at all.
    let closed = TestClient::get(format!("{BASE}/healthz"))
        .add_header("origin", "https://grafana.example", true)
        .send(&service_with(""))
        .await;
    assert_eq!(allow(&closed), None);
}
