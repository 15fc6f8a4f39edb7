//! A small Genesys Cloud client: OAuth client credentials ([`auth`]), the conversation
//! aggregates query ([`aggregates`]) and the routing listings ([`routing`]).
//!
//! One `reqwest::Client` with a timeout on every request. A 401 on an API call renews
//! the token once and retries; a 403 names the permission the OAuth client lacks.

pub mod aggregates;
pub mod auth;
pub mod routing;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::Settings;
use auth::TokenSource;

/// Why a Genesys call failed. No variant ever carries the client secret or a token.
#[derive(Debug, thiserror::Error)]
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

/// At most 200 characters of text echoed from a server.
pub(crate) fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out.replace(['\n', '\r'], " ")
}

/// An authenticated Genesys client.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    api_url: String,
    tokens: TokenSource,
}

impl Client {
    /// A client for `settings` (no request is made yet).
    pub fn new(settings: &Settings) -> Result<Client, GenesysError> {
        let http = reqwest::Client::builder()
            .timeout(settings.request_timeout)
            .connect_timeout(settings.request_timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("genesys-aht/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GenesysError::Transport {
                endpoint: "HTTP client".into(),
                reason: e.to_string(),
            })?;
        let tokens = TokenSource::new(
            http.clone(),
            &settings.login_url,
            &settings.client_id,
            settings.client_secret.clone(),
        );
        Ok(Client {
            http,
            api_url: settings.api_url.clone(),
            tokens,
        })
    }

    /// Logs in now (or reuses a valid token): config mistakes show before the first poll.
    pub async fn login(&self) -> Result<(), GenesysError> {
        self.tokens.token().await.map(drop)
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
        let endpoint = format!(
            "{method} {}",
            path_and_query.split('?').next().unwrap_or_default()
        );
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
            let response = request.send().await.map_err(|e| transport(&endpoint, e))?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !renewed {
                // The token expired early or was revoked: renew once.
                self.tokens.invalidate(&token).await;
                renewed = true;
                continue;
            }
            let retry_after = retry_after(&response);
            let bytes = response
                .bytes()
                .await
                .map_err(|e| transport(&endpoint, e))?;
            if status.is_success() {
                return serde_json::from_slice(&bytes).map_err(|e| GenesysError::Decode {
                    endpoint,
                    reason: e.to_string(),
                });
            }
            let error: ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(status_error(
                endpoint,
                status,
                error,
                retry_after,
                permission,
            ));
        }
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
    permission: &str,
) -> GenesysError {
    match status {
        StatusCode::UNAUTHORIZED => GenesysError::Unauthorized {
            endpoint,
            reason: error.reason(),
        },
        StatusCode::FORBIDDEN => GenesysError::Forbidden {
            endpoint,
            permission: error
                .message_params
                .and_then(|p| p.get("permissions").cloned())
                .unwrap_or_else(|| permission.to_owned()),
        },
        StatusCode::TOO_MANY_REQUESTS => GenesysError::RateLimited {
            endpoint,
            retry_after,
        },
        _ => GenesysError::Status {
            endpoint,
            status: status.as_u16(),
            reason: error.reason(),
        },
    }
}
