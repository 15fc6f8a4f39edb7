//! OAuth client credentials: HTTP Basic at `<login>/oauth/token`, the token cached and
//! renewed before `expires_in` runs out.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use super::pacer::Pacer;
use super::{GenesysError, excerpt};
use crate::secret::Secret;
use crate::stats::Stats;

/// Renew this long before the token expires, or at 90 % of its life for short-lived tokens,
/// so that a request never starts with a token about to lapse.
const RENEW_MARGIN: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
struct Token {
    value: Secret,
    renew_at: Instant,
}

/// Hands out a valid bearer token, logging in when needed.
#[derive(Debug)]
pub(crate) struct TokenSource {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: Secret,
    current: Mutex<Option<Token>>,
    pacer: Arc<Pacer>,
    stats: Arc<Stats>,
}

#[derive(Debug, Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

#[derive(Debug, Default, Deserialize)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
    description: Option<String>,
}

impl TokenSource {
    /// A token source for the login at `login_url`; logins are paced and counted with
    /// the API calls, since Genesys's budget counts every request.
    pub(crate) fn new(
        http: reqwest::Client,
        login_url: &str,
        client_id: &str,
        client_secret: Secret,
        pacer: Arc<Pacer>,
        stats: Arc<Stats>,
    ) -> Self {
        TokenSource {
            http,
            token_url: format!("{login_url}/oauth/token"),
            client_id: client_id.to_owned(),
            client_secret,
            current: Mutex::new(None),
            pacer,
            stats,
        }
    }

    /// A valid token; concurrent callers share one login (the lock is held across it).
    pub(crate) async fn token(&self) -> Result<Secret, GenesysError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        let token = self.login().await?;
        let value = token.value.clone();
        *current = Some(token);
        Ok(value)
    }

    /// Forgets `token` (after a 401) unless it was already replaced.
    pub(crate) async fn invalidate(&self, token: &Secret) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|t| &t.value == token) {
            *current = None;
        }
    }

    async fn login(&self) -> Result<Token, GenesysError> {
        let endpoint = "POST /oauth/token".to_owned();
        let permit = self.pacer.acquire().await;
        let started = Instant::now();
        let response = self
            .http
            .post(&self.token_url)
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(|e| {
                self.stats.request("token", super::transport_status(&e));
                super::transport(&endpoint, e)
            })?;
        let status = response.status();
        self.stats.request("token", status.as_str());
        let retry_after = super::retry_after(&response);
        let bytes = response
            .bytes()
            .await
            .map_err(|e| super::transport(&endpoint, e))?;
        drop(permit);
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            // The login service is busy or failing, not refusing: worth retrying.
            let error: super::ErrorBody = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(super::status_error(endpoint, status, error, retry_after));
        }
        if !status.is_success() {
            // Genesys answers 400 (peers also see 401) with an OAuth-style body.
            let body: OAuthError = serde_json::from_slice(&bytes).unwrap_or_default();
            return Err(GenesysError::Login {
                status: status.as_u16(),
                reason: body.reason(),
            });
        }
        let body: TokenResponse =
            serde_json::from_slice(&bytes).map_err(|e| GenesysError::Decode {
                endpoint,
                reason: e.to_string(),
            })?;
        let life = Duration::from_secs(body.expires_in);
        let early = RENEW_MARGIN.min(life / 10);
        Ok(Token {
            value: Secret::new(body.access_token),
            renew_at: started + life.saturating_sub(early),
        })
    }
}

impl OAuthError {
    fn reason(&self) -> String {
        let description = self
            .error_description
            .as_ref()
            .or(self.description.as_ref());
        match (&self.error, description) {
            (Some(e), Some(d)) => format!(": {}: {}", excerpt(e), excerpt(d)),
            (Some(e), None) => format!(": {}", excerpt(e)),
            (None, Some(d)) => format!(": {}", excerpt(d)),
            (None, None) => String::new(),
        }
    }
}
