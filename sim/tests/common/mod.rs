//! Test support: a simulator on loopback with the contract check on, a real HTTP client
//! and a token; dropping it asserts that every body sent matched its SDK model.
#![allow(dead_code)] // Each test binary uses its own share of these helpers.

use genesys_sim::{Clock, Sim, SimConfig};
use reqwest::header::HeaderMap;
use serde_json::Value;

/// A "now" that falls mid-minute, so that conversations are in progress at it.
pub(crate) const NOW: &str = "2026-03-10T10:07:30.250Z";

/// The fixed clock every test uses unless it says otherwise.
pub(crate) fn config() -> SimConfig {
    SimConfig {
        seed: 42,
        clock: Clock::Fixed(NOW.parse().unwrap()),
        check_contract: true,
        ..SimConfig::default()
    }
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a platform error with `status` and `code`, whose `contextId` is the correlation id.
    pub(crate) fn assert_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        let body = self.json();
        assert_eq!(body["code"], code, "{body}");
        assert_eq!(body["status"], status);
        assert_eq!(
            Some(body["contextId"].as_str().unwrap()),
            self.header("inin-correlation-id")
        );
        body
    }
}

/// A running simulator, a client and a token of the default client.
pub(crate) struct Api {
    pub(crate) sim: Sim,
    pub(crate) client: reqwest::Client,
    pub(crate) token: String,
}

impl Api {
    pub(crate) async fn start() -> Api {
        Api::with(config()).await
    }

    pub(crate) async fn with(config: SimConfig) -> Api {
        let sim = Sim::start(config).await.unwrap();
        let client = reqwest::Client::new();
        let token = token(&client, &sim.base_url(), "sim-client", "sim-secret").await;
        Api { sim, client, token }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.base_url())
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Answer {
        let request = self
            .client
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body);
        read(request.send().await.unwrap()).await
    }

    pub(crate) async fn get(&self, path: &str) -> Answer {
        self.get_as(path, &self.token).await
    }

    /// GET with `token` instead of the API's own.
    pub(crate) async fn get_as(&self, path: &str, token: &str) -> Answer {
        let request = self.client.get(self.url(path)).bearer_auth(token);
        read(request.send().await.unwrap()).await
    }

    /// A second token of the simulator's client: its own request budget.
    pub(crate) async fn second_token(&self) -> String {
        token(
            &self.client,
            &self.sim.base_url(),
            "sim-client",
            "sim-secret",
        )
        .await
    }

    /// POST `body` and expect 200 with a JSON body.
    pub(crate) async fn post_ok(&self, path: &str, body: &Value) -> Value {
        let answer = self.post(path, body).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()
    }

    pub(crate) async fn get_ok(&self, path: &str) -> Value {
        let answer = self.get(path).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        answer.json()
    }
}

impl Drop for Api {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            assert_eq!(
                self.sim.contract_violations(),
                Vec::<String>::new(),
                "contract violations"
            );
        }
    }
}

pub(crate) async fn read(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    Answer {
        status,
        headers,
        text,
    }
}

/// A token from `/oauth/token` with HTTP Basic, as the official SDKs ask for one.
pub(crate) async fn token(client: &reqwest::Client, base: &str, id: &str, secret: &str) -> String {
    let response = client
        .post(format!("{base}/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let answer = read(response).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    answer.json()["access_token"].as_str().unwrap().to_owned()
}

pub(crate) const AGGREGATES: &str = "/api/v2/analytics/conversations/aggregates/query";
pub(crate) const DETAILS: &str = "/api/v2/analytics/conversations/details/query";
pub(crate) const JOBS: &str = "/api/v2/analytics/conversations/details/jobs";

/// Parses an aggregates response into the shape of [`genesys_sim::GroundTruth`].
/// `n*` metrics only carry a count; their sum is the count and each value is 1.
pub(crate) fn parse_aggregates(body: &Value) -> genesys_sim::GroundTruth {
    let mut truth = genesys_sim::GroundTruth::new();
    let Some(results) = body.get("results") else {
        assert_eq!(
            body,
            &serde_json::json!({}),
            "no results means an empty object"
        );
        return truth;
    };
    for result in results.as_array().unwrap() {
        let group: genesys_sim::Group =
            serde_json::from_value(result.get("group").cloned().unwrap_or_default())
                .unwrap_or_default();
        for data in result["data"].as_array().unwrap() {
            let start: jiff::Timestamp = data["interval"]
                .as_str()
                .unwrap()
                .split('/')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let metrics = truth.entry((start, group.clone())).or_default();
            for metric in data["metrics"].as_array().unwrap() {
                let stats = &metric["stats"];
                let count = stats["count"].as_u64().unwrap();
                let name = metric["metric"].as_str().unwrap();
                let parsed = if name.starts_with('n') {
                    assert_eq!(stats.as_object().unwrap().len(), 1, "{stats}");
                    genesys_sim::Stats {
                        count,
                        sum: count as i64,
                        min: 1,
                        max: 1,
                    }
                } else {
                    let int = |k: &str| {
                        stats[k]
                            .as_i64()
                            .unwrap_or_else(|| panic!("{k} in {stats}"))
                    };
                    genesys_sim::Stats {
                        count,
                        sum: int("sum"),
                        min: int("min"),
                        max: int("max"),
                    }
                };
                metrics.insert(name.to_owned(), parsed);
            }
        }
    }
    truth
}
