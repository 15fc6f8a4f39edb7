//! OAuth client credentials (`POST /oauth/token`), bearer-token checks, permissions and
//! the per-token rate limit.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::json;

use crate::config::ClientConfig;
use crate::reply::{ApiError, Reply, Shape};

/// How long the rate limit looks back.
const RATE_WINDOW: Duration = Duration::from_secs(60);

/// An issued access token.
#[derive(Debug)]
struct Token {
    /// Serial number of the token, for the request log (never the token itself).
    id: u64,
    client_id: String,
    permissions: Vec<String>,
    expires: Instant,
    /// When this token's recent requests arrived (within [`RATE_WINDOW`]).
    recent: VecDeque<Instant>,
}

/// Issued tokens and the clients allowed to get them.
#[derive(Debug)]
pub(crate) struct Tokens {
    clients: Vec<ClientConfig>,
    lifetime: Duration,
    requests_per_minute: u32,
    issued: HashMap<String, Token>,
    issued_count: u64,
}

/// Who made an authorised request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub(crate) client_id: String,
    /// The serial number of the token used or issued, when there is one.
    pub(crate) token_id: Option<u64>,
}

impl Tokens {
    pub(crate) fn new(
        clients: Vec<ClientConfig>,
        lifetime: Duration,
        requests_per_minute: u32,
    ) -> Self {
        Tokens {
            clients,
            lifetime,
            requests_per_minute,
            issued: HashMap::new(),
            issued_count: 0,
        }
    }

    /// Answers `POST /oauth/token`; also returns the client when it was recognised.
    pub(crate) fn grant(
        &mut self,
        authorization: Option<&str>,
        body: &[u8],
    ) -> (Reply, Option<Caller>) {
        let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
        if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
            let reply = oauth_error(
                "unsupported_grant_type",
                "grant_type must be client_credentials",
            );
            return (reply, None);
        }
        // Basic is what the official SDKs send; the form fields are accepted for compatibility.
        let credentials = authorization.and_then(basic_credentials).or_else(|| {
            Some((
                form.get("client_id")?.clone(),
                form.get("client_secret")?.clone(),
            ))
        });
        let Some((id, secret)) = credentials else {
            return (
                oauth_error("invalid_client", "client credentials are required"),
                None,
            );
        };
        let Some(client) = self.clients.iter().find(|c| c.id == id) else {
            return (oauth_error("invalid_client", "client not found"), None);
        };
        if client.secret != secret {
            return (
                oauth_error("invalid_client", "authentication failed"),
                Some(Caller {
                    client_id: id,
                    token_id: None,
                }),
            );
        }
        let token = new_token();
        self.issued_count += 1;
        self.issued.insert(
            token.clone(),
            Token {
                id: self.issued_count,
                client_id: client.id.clone(),
                permissions: client.permissions.clone(),
                expires: Instant::now() + self.lifetime,
                recent: VecDeque::new(),
            },
        );
        let body = json!({
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.lifetime.as_secs(),
        });
        (
            Reply {
                status: 200,
                body: Some((body, Shape::OAuthToken)),
                headers: Vec::new(),
            },
            Some(Caller {
                client_id: id,
                token_id: Some(self.issued_count),
            }),
        )
    }

    /// Revokes the bearer token of `authorization`, if it is one this server issued.
    pub(crate) fn revoke(&mut self, authorization: Option<&str>) {
        if let Some(bearer) = authorization.and_then(|h| strip_prefix_ignore_case(h, "bearer ")) {
            self.issued.remove(bearer.trim());
        }
    }

    /// Checks the bearer token, counts the request against its rate limit and checks
    /// `permission`. The caller is known even when the answer is an error.
    pub(crate) fn authorize(
        &mut self,
        authorization: Option<&str>,
        permission: Option<&str>,
    ) -> (Option<Caller>, Result<(), ApiError>) {
        let Some(bearer) = authorization.and_then(|h| strip_prefix_ignore_case(h, "bearer "))
        else {
            return (None, Err(ApiError::authentication_required()));
        };
        let Some(token) = self.issued.get_mut(bearer.trim()) else {
            return (None, Err(ApiError::bad_credentials()));
        };
        let caller = Some(Caller {
            client_id: token.client_id.clone(),
            token_id: Some(token.id),
        });
        let now = Instant::now();
        if now >= token.expires {
            return (caller, Err(ApiError::credentials_expired()));
        }
        while token
            .recent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= RATE_WINDOW)
        {
            token.recent.pop_front();
        }
        if token.recent.len() >= self.requests_per_minute as usize {
            let oldest = token.recent.front().copied().unwrap_or(now);
            let wait = RATE_WINDOW.saturating_sub(now.duration_since(oldest));
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return (caller, Err(ApiError::rate_limited(seconds.max(1))));
        }
        token.recent.push_back(now);
        if let Some(permission) = permission
            && !token.permissions.iter().any(|p| p == permission)
        {
            return (caller, Err(ApiError::missing_permission(permission)));
        }
        (caller, Ok(()))
    }
}

/// An OAuth-style error body (HTTP 400, as peers observe from Genesys).
fn oauth_error(error: &str, description: &str) -> Reply {
    let body =
        json!({ "error": error, "description": description, "error_description": description });
    Reply {
        status: 400,
        body: Some((body, Shape::OAuthError)),
        headers: Vec::new(),
    }
}

fn basic_credentials(header: &str) -> Option<(String, String)> {
    let encoded = strip_prefix_ignore_case(header, "basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// An opaque token of 32 random bytes.
fn new_token() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}
