//! A small Genesys Cloud client: OAuth client credentials ([`auth`]), the conversation
//! aggregates query ([`aggregates`]) and the routing listings ([`routing`]).
//!
//! One `reqwest::Client` with a timeout on every request. Every request, the login
//! included, waits for the [`pacer`] (the per-minute budget, `Retry-After`) and is
//! retried by the rules of [`retry`]. A 401 on an API call renews the token once and
//! retries; a 403 names the permission the OAuth client lacks. Each request is counted
//! in [`Stats`] by endpoint and status.

pub mod aggregates;
pub(crate) mod auth;
pub(crate) mod flattened;
pub(crate) mod pacer;
pub(crate) mod retry;
pub(crate) mod routing;

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::Genesys;
use crate::stats::{Counter, Stats};
use auth::TokenSource;
use pacer::Pacer;
use retry::{Retry, RetryPolicy};

/// Why a Genesys call failed. No variant ever carries the client secret or a token.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum GenesysError {
    /// The request did not complete (connection, timeout, TLS).
    #[error("{endpoint}: request failed: {reason}")]
    Transport {
        /// `METHOD path`.
        endpoint: String,
        /// What went wrong.
        reason: String,
    },
    /// The login refused the client credentials.
    #[error(
        "login refused the OAuth client (HTTP {status}{reason}): check genesys.client_id, genesys.client_secret and the region"
    )]
    Login {
        /// HTTP status.
        status: u16,
        /// `: error: description` from the OAuth body, or empty.
        reason: String,
    },
    /// The token was refused even after renewing it.
    #[error("{endpoint}: HTTP 401 even with a fresh token{reason}")]
    Unauthorized {
        /// `METHOD path`.
        endpoint: String,
        /// Genesys's message.
        reason: String,
    },
    /// The OAuth client's role lacks a permission.
    #[error(
        "{endpoint}: HTTP 403, the OAuth client lacks the permission {permission}: grant it to the client's role"
    )]
    Forbidden {
        /// `METHOD path`.
        endpoint: String,
        /// The missing permission.
        permission: String,
    },
    /// Too many requests.
    #[error("{endpoint}: HTTP 429, rate limited; {}", retry_text(*.retry_after))]
    RateLimited {
        /// `METHOD path`.
        endpoint: String,
        /// `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// Any other error status.
    #[error("{endpoint}: HTTP {status}{reason}")]
    Status {
        /// `METHOD path`.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// Genesys's code and message.
        reason: String,
        /// `Retry-After`, when the answer had one (Genesys may send it with 502/503/504).
        retry_after: Option<Duration>,
    },
    /// An async job ended without results.
    #[error("details job ended {state}{}", with_colon(.reason))]
    Job {
        /// `FAILED`, `CANCELLED` or `EXPIRED`.
        state: String,
        /// Genesys's `errorMessage`.
        reason: String,
    },
    /// An async job is still running: a later poll reads it.
    #[error("details job {id} is still running; a later poll reads it")]
    JobPending {
        /// The job's ID.
        id: String,
    },
    /// The answer was not the expected JSON.
    #[error("{endpoint}: unexpected answer: {reason}")]
    Decode {
        /// `METHOD path`.
        endpoint: String,
        /// What did not fit.
        reason: String,
    },
}

fn with_colon(reason: &str) -> String {
    if reason.is_empty() {
        String::new()
    } else {
        format!(": {}", excerpt(reason))
    }
}

fn retry_text(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!("Genesys asks to retry in {}s", wait.as_secs()),
        None => "no Retry-After given".to_owned(),
    }
}

/// Genesys's `ErrorBody`, the parts worth reporting.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ErrorBody {
    message: Option<String>,
    code: Option<String>,
    message_params: Option<std::collections::BTreeMap<String, String>>,
}

impl ErrorBody {
    fn reason(&self) -> String {
        let parts: Vec<&str> = [self.code.as_deref(), self.message.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", excerpt(&parts.join(": ")))
        }
    }
}

/// Percent-encodes a query value: IDs, cursors (opaque, may hold `+`, `/`, `=`).
pub(crate) fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// At most 200 characters of text echoed from a server.
pub(crate) fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out.replace(['\n', '\r'], " ")
}

/// An authenticated, paced and retrying Genesys client; clones share the token, the
/// pacer and the counters.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    api_url: String,
    tokens: Arc<TokenSource>,
    pacer: Arc<Pacer>,
    retry: RetryPolicy,
    stats: Arc<Stats>,
}

impl Client {
    /// A client for the `[genesys]` part counting into `stats` (no request is made yet).
    pub fn new(settings: &Genesys, stats: Arc<Stats>) -> Result<Client, GenesysError> {
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("genesys-aht/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GenesysError::Transport {
                endpoint: "HTTP client".into(),
                reason: e.to_string(),
            })?;
        let pacer = Arc::new(Pacer::with_window(
            settings.requests_per_minute,
            crate::clock::rate_window(),
        ));
        let tokens = Arc::new(TokenSource::new(
            http.clone(),
            &settings.login_url,
            &settings.client_id,
            settings.client_secret.clone(),
            pacer.clone(),
            stats.clone(),
        ));
        Ok(Client {
            http,
            api_url: settings.api_url.clone(),
            tokens,
            pacer,
            retry: RetryPolicy {
                max_retries: settings.max_retries,
                initial: settings.backoff_initial,
                max: settings.backoff_max,
            },
            stats,
        })
    }

    /// Logs in now (or reuses a valid token): config mistakes show before the first poll.
    pub async fn login(&self) -> Result<(), GenesysError> {
        self.retrying(|| self.tokens.token()).await.map(drop)
    }

    /// Sends `method path_and_query` with `body` (JSON) and decodes the JSON answer;
    /// `permission` is the one the endpoint needs, named in a 403 error.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
        permission: &str,
    ) -> Result<T, GenesysError> {
        let path = path_and_query.split('?').next().unwrap_or_default();
        let endpoint = format!("{method} {path}");
        let label = endpoint_label(path);
        self.retrying(|| async {
            let bytes = self
                .send(&method, path_and_query, body, &endpoint, label)
                .await
                .map_err(|e| e.with_permission(permission))?;
            serde_json::from_slice(&bytes).map_err(|e| GenesysError::Decode {
                endpoint: endpoint.clone(),
                reason: e.to_string(),
            })
        })
        .await
    }

    /// [`Client::call`] without retries, for a request that must not be sent twice:
    /// creating a job, where a retry after a lost answer would leave the first job
    /// behind with an ID never seen. A failure is left to the next poll.
    pub async fn call_once<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        permission: &str,
    ) -> Result<T, GenesysError> {
        let endpoint = format!("{method} {path}");
        let bytes = self
            .send(&method, path, body, &endpoint, endpoint_label(path))
            .await
            .map_err(|e| e.with_permission(permission))?;
        serde_json::from_slice(&bytes).map_err(|e| GenesysError::Decode {
            endpoint,
            reason: e.to_string(),
        })
    }

    /// Sends `method path` and expects no body back (204), as `DELETE`s answer.
    pub async fn call_empty(
        &self,
        method: Method,
        path: &str,
        permission: &str,
    ) -> Result<(), GenesysError> {
        let endpoint = format!("{method} {path}");
        let label = endpoint_label(path);
        self.retrying(|| async {
            self.send(&method, path, None, &endpoint, label)
                .await
                .map(drop)
                .map_err(|e| e.with_permission(permission))
        })
        .await
    }

    /// Runs `attempt` until it succeeds, fails for good, or runs out of retries.
    async fn retrying<T, F, Fut>(&self, mut attempt: F) -> Result<T, GenesysError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, GenesysError>>,
    {
        let mut retries = 0;
        loop {
            let error = match attempt().await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let wait = match self.retry.decide(&error, retries) {
                Retry::No => return Err(error),
                Retry::After(wait) => wait,
                Retry::RateLimited(wait) => {
                    self.pacer.pause_until(tokio::time::Instant::now() + wait);
                    wait
                }
            };
            retries += 1;
            self.stats.bump(Counter::Retries);
            crate::warn!(
                "{error}; retry {retries}/{} in {} ms",
                self.retry.max_retries,
                wait.as_millis()
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One paced request and its whole body; a 401 renews the token and sends once more.
    async fn send(
        &self,
        method: &Method,
        path_and_query: &str,
        body: Option<&serde_json::Value>,
        endpoint: &str,
        label: &'static str,
    ) -> Result<bytes::Bytes, GenesysError> {
        let mut renewed = false;
        loop {
            let token = self.tokens.token().await?;
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path_and_query}", self.api_url))
                .bearer_auth(token.expose());
            if let Some(body) = body {
                request = request.json(body);
            }
            let permit = self.pacer.acquire().await;
            let response = request.send().await.map_err(|e| {
                self.stats.request(label, transport_status(&e));
                transport(endpoint, e)
            })?;
            let status = response.status();
            self.stats.request(label, status.as_str());
            if status == StatusCode::UNAUTHORIZED && !renewed {
                // The token expired early or was revoked: renew once.
                drop(permit);
                self.tokens.invalidate(&token).await;
                renewed = true;
                continue;
            }
            let retry_after = retry_after(&response);
            let bytes = response.bytes().await.map_err(|e| transport(endpoint, e))?;
            drop(permit);
            if status.is_success() {
                return Ok(bytes);
            }
            if status == StatusCode::TOO_MANY_REQUESTS {
                self.stats.bump(Counter::RateLimited);
            }
            let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(status_error(
                endpoint.to_owned(),
                status,
                error,
                retry_after,
            ));
        }
    }
}

/// The endpoint family, for the request counters.
fn endpoint_label(path: &str) -> &'static str {
    const FAMILIES: [(&str, &str); 7] = [
        ("/api/v2/analytics/queues/observations", "observations"),
        ("/oauth/token", "token"),
        ("/api/v2/analytics/conversations/aggregates", "aggregates"),
        ("/api/v2/analytics/conversations/details/jobs", "jobs"),
        ("/api/v2/analytics/conversations/details", "details"),
        ("/api/v2/routing/skills", "skills"),
        ("/api/v2/routing/queues", "queues"),
    ];
    FAMILIES
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map_or("other", |(_, label)| label)
}

/// The status tag of a request that got no HTTP status.
pub(crate) fn transport_status(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "timeout"
    } else {
        "connection"
    }
}

fn transport(endpoint: &str, error: reqwest::Error) -> GenesysError {
    let kind = if error.is_timeout() {
        "timed out"
    } else {
        "could not connect or read"
    };
    GenesysError::Transport {
        endpoint: endpoint.to_owned(),
        reason: format!("{kind} ({})", error.without_url()),
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    value
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
        .map(Duration::from_secs)
}

fn status_error(
    endpoint: String,
    status: StatusCode,
    error: ErrorBody,
    retry_after: Option<Duration>,
) -> GenesysError {
    match status {
        StatusCode::UNAUTHORIZED => GenesysError::Unauthorized {
            endpoint,
            reason: error.reason(),
        },
        StatusCode::FORBIDDEN => GenesysError::Forbidden {
            endpoint,
            // Empty when Genesys does not say: the caller knows what the endpoint needs.
            permission: error
                .message_params
                .and_then(|p| p.get("permissions").cloned())
                .unwrap_or_default(),
        },
        StatusCode::TOO_MANY_REQUESTS => GenesysError::RateLimited {
            endpoint,
            retry_after,
        },
        _ => GenesysError::Status {
            endpoint,
            status: status.as_u16(),
            reason: error.reason(),
            retry_after,
        },
    }
}

impl GenesysError {
    /// Fills in the permission of a 403 that did not name one.
    fn with_permission(self, needed: &str) -> GenesysError {
        match self {
            GenesysError::Forbidden {
                endpoint,
                permission,
            } if permission.is_empty() => GenesysError::Forbidden {
                endpoint,
                permission: needed.to_owned(),
            },
            other => other,
        }
    }
}
