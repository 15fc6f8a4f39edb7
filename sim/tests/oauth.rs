//! OAuth client credentials, bearer checks and permissions, over HTTP.
// Test code: a panic is a failed assertion (helpers too, not only #[test] bodies).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{AGGREGATES, Answer, Api, config, read, token};
use genesys_sim::{ClientConfig, Sim, SimConfig};
use serde_json::json;

const QUERY: &str =
    r#"{"interval":"2026-03-10T09:00:00.000Z/2026-03-10T10:00:00.000Z","metrics":["tHandle"]}"#;

#[tokio::test]
async fn basic_credentials_get_a_bearer_token() {
    let api = Api::start().await;
    let response = api
        .client
        .post(api.url("/oauth/token"))
        .basic_auth("sim-client", Some("sim-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let answer = read(response).await;
    assert_eq!(answer.status, 200);
    assert!(answer.header("inin-correlation-id").is_some());
    let body = answer.json();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 86_399);
    assert!(body["access_token"].as_str().unwrap().len() >= 32);
    assert_eq!(body.as_object().unwrap().len(), 3);
    let log = api.sim.request_log();
    assert_eq!(log.last().unwrap().client_id.as_deref(), Some("sim-client"));
}

#[tokio::test]
async fn form_field_credentials_are_accepted_too() {
    let api = Api::start().await;
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "sim-client"),
        ("client_secret", "sim-secret"),
    ];
    let answer = read(
        api.client
            .post(api.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
}

async fn token_error(api: &Api, id: &str, secret: &str, grant: &str) -> serde_json::Value {
    let response = api
        .client
        .post(api.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", grant)])
        .send()
        .await
        .unwrap();
    let answer = read(response).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    answer.json()
}

#[tokio::test]
async fn bad_secret_unknown_client_and_bad_grant_are_oauth_errors() {
    let api = Api::start().await;
    let failed = json!({"error": "invalid_client", "description": "authentication failed", "error_description": "authentication failed"});
    assert_eq!(
        token_error(&api, "sim-client", "wrong", "client_credentials").await,
        failed
    );
    let unknown = token_error(&api, "nobody", "sim-secret", "client_credentials").await;
    assert_eq!(unknown["error"], "invalid_client");
    assert_eq!(unknown["description"], "client not found");
    assert_eq!(
        token_error(&api, "sim-client", "sim-secret", "password").await["error"],
        "unsupported_grant_type"
    );
    // The secret never appears in what the simulator sends back.
    assert!(!failed.to_string().contains("wrong"));
}

/// The aggregates query, sent with `token` (none: no `Authorization`).
async fn post_query(api: &Api, token: Option<&str>) -> Answer {
    let mut request = api.client.post(api.url(AGGREGATES)).body(QUERY);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    read(request.send().await.unwrap()).await
}

#[tokio::test]
async fn missing_unknown_and_expired_tokens_are_401() {
    let api = Api::with(SimConfig {
        token_lifetime: Duration::from_millis(1500),
        ..config()
    })
    .await;
    let no_token = post_query(&api, None).await;
    no_token.assert_error(401, "authentication.required");
    let unknown = post_query(&api, Some("not-a-token")).await;
    let body = unknown.assert_error(401, "bad.credentials");
    assert_eq!(body["message"], "Invalid login credentials.");
    let fresh = post_query(&api, Some(&api.token)).await;
    assert_eq!(fresh.status, 200, "{}", fresh.text);
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let expired = post_query(&api, Some(&api.token)).await;
    expired.assert_error(401, "credentials.expired");
}

#[tokio::test]
async fn a_missing_permission_is_403_naming_it() {
    let config = SimConfig {
        clients: vec![ClientConfig {
            id: "routing-only".into(),
            secret: "s3cret".into(),
            permissions: vec!["routing:queue:view".into()],
        }],
        ..config()
    };
    let sim = Sim::start(config).await.unwrap();
    let client = reqwest::Client::new();
    let token = token(&client, &sim.base_url(), "routing-only", "s3cret").await;
    let cases = [
        ("POST", AGGREGATES, "analytics:conversationAggregate:view"),
        (
            "POST",
            "/api/v2/analytics/conversations/details/query",
            "analytics:conversationDetail:view",
        ),
        (
            "POST",
            "/api/v2/analytics/conversations/details/jobs",
            "analytics:conversationDetail:view",
        ),
        (
            "GET",
            "/api/v2/routing/skillgroups",
            "routing:skillGroup:view",
        ),
    ];
    for (method, path, permission) in cases {
        let request = client
            .request(method.parse().unwrap(), format!("{}{path}", sim.base_url()))
            .bearer_auth(&token);
        let answer = read(request.body(QUERY).send().await.unwrap()).await;
        let body = answer.assert_error(403, "missing.permissions");
        assert_eq!(body["messageParams"]["permissions"], permission, "{path}");
        assert_eq!(
            body["messageWithParams"],
            "You are missing the following permission(s): {permissions}"
        );
    }
    for path in ["/api/v2/routing/queues", "/api/v2/routing/skills"] {
        let answer = read(
            client
                .get(format!("{}{path}", sim.base_url()))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
    }
    assert_eq!(sim.contract_violations(), Vec::<String>::new());
}

#[tokio::test]
async fn unknown_paths_methods_and_oversized_bodies_are_platform_errors() {
    let api = Api::start().await;
    api.get("/api/v2/nothing/here")
        .await
        .assert_error(404, "not.found");
    api.get(AGGREGATES)
        .await
        .assert_error(405, "method.not.allowed");
    let huge = format!(r#"{{"interval": "{}"}}"#, "x".repeat(600_000));
    let request = api.client.post(api.url(AGGREGATES)).bearer_auth(&api.token);
    let answer = read(request.body(huge).send().await.unwrap()).await;
    answer.assert_error(413, "request.entity.too.large");
}
