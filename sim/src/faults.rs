//! Fault injection a test scripts deterministically, and the request log.
//!
//! Faults come from a queue ("the next N aggregates requests get X") and, when the queue
//! has nothing for a request, from a seeded random mode ("p = 0.25 of requests get one of
//! these kinds"). A fault replaces the endpoint's answer, except [`FaultKind::Slow`],
//! which delays it, and [`FaultKind::RevokedToken`], which revokes the token the
//! answer then refuses.

use std::collections::VecDeque;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What goes wrong with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// `429` with `Retry-After: seconds` and the normalised rate-limit body.
    RateLimited {
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// `500`, `502`, `503` or `504` with a platform error body.
    ServerError(u16),
    /// `502`, `503` or `504` with a platform error body and `Retry-After: seconds`:
    /// Genesys's Java SDK waits that long before retrying these statuses too.
    ServerErrorRetryAfter {
        /// The status.
        status: u16,
        /// The `Retry-After` value.
        retry_after_secs: u64,
    },
    /// The normal answer, sent after this delay (past a client's timeout, typically).
    Slow(Duration),
    /// Status 200 and a `Content-Length` the body never reaches; then the connection closes.
    Truncated,
    /// Status 200 with a body that is not valid JSON.
    Malformed,
    /// The connection is closed without any response.
    Dropped,
    /// The request's bearer token is revoked (as when an admin revokes the OAuth
    /// client's tokens or Genesys ends a token early): this request and every later
    /// one with that token get Genesys's `401 bad.credentials`; a new login works.
    RevokedToken,
}

impl FaultKind {
    /// One of each kind: a 429 asking to wait `retry_after_secs`, the four server
    /// errors, an answer `slow` late, a truncated, a malformed and a dropped one.
    pub fn every(retry_after_secs: u64, slow: Duration) -> Vec<FaultKind> {
        vec![
            FaultKind::RateLimited { retry_after_secs },
            FaultKind::ServerError(500),
            FaultKind::ServerError(502),
            FaultKind::ServerError(503),
            FaultKind::ServerError(504),
            FaultKind::Slow(slow),
            FaultKind::Truncated,
            FaultKind::Malformed,
            FaultKind::Dropped,
        ]
    }
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Any request, the token endpoint included.
    Any,
    /// `POST /oauth/token`.
    Token,
    /// `POST /api/v2/analytics/conversations/aggregates/query`.
    Aggregates,
    /// `POST /api/v2/analytics/conversations/details/query`.
    Details,
    /// `POST /api/v2/analytics/queues/observations/query`.
    Observations,
    /// Every `/api/v2/analytics/conversations/details/jobs...` request.
    Jobs,
    /// `GET /api/v2/routing/skills...`.
    Skills,
    /// `GET /api/v2/routing/queues...`.
    Queues,
    /// `GET /api/v2/routing/skillgroups...`.
    SkillGroups,
}

impl Endpoint {
    /// The endpoint family of a request path (never [`Endpoint::Any`]).
    pub(crate) fn of(path: &str) -> Option<Endpoint> {
        let family = [
            ("/oauth/token", Endpoint::Token),
            (
                "/api/v2/analytics/conversations/aggregates/query",
                Endpoint::Aggregates,
            ),
            (
                "/api/v2/analytics/conversations/details/query",
                Endpoint::Details,
            ),
            (
                "/api/v2/analytics/queues/observations/query",
                Endpoint::Observations,
            ),
            (
                "/api/v2/analytics/conversations/details/jobs",
                Endpoint::Jobs,
            ),
            ("/api/v2/routing/skillgroups", Endpoint::SkillGroups),
            ("/api/v2/routing/skills", Endpoint::Skills),
            ("/api/v2/routing/queues", Endpoint::Queues),
        ];
        family
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix))
            .map(|(_, e)| *e)
    }

    fn covers(self, endpoint: Option<Endpoint>) -> bool {
        self == Endpoint::Any || Some(self) == endpoint
    }
}

/// The random fault mode: each request gets a fault with probability `probability`.
#[derive(Debug, Clone)]
pub struct RandomFaults {
    /// Seed of the draws (same seed, same request order ⇒ same faults).
    pub seed: u64,
    /// Share of requests that get a fault, in `[0, 1]`.
    pub probability: f64,
    /// The kinds to choose from, uniformly.
    pub kinds: Vec<FaultKind>,
    /// Which requests take part.
    pub endpoint: Endpoint,
}

/// One handled request, as the request log records it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// When the request arrived (wall clock).
    pub at: jiff::Timestamp,
    /// HTTP method.
    pub method: String,
    /// Path without the query string.
    pub path: String,
    /// Status sent; `None` when the connection was dropped without a response.
    pub status: Option<u16>,
    /// The OAuth client of the token (or of the credentials, for `/oauth/token`), if known.
    pub client_id: Option<String>,
    /// Serial number (1, 2, ...) of the token used, or issued by `/oauth/token`, if any;
    /// the token itself is never recorded.
    pub token_id: Option<u64>,
    /// The fault injected into this request, if any.
    pub fault: Option<FaultKind>,
}

/// Scripted and random faults.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    scripted: VecDeque<(Endpoint, FaultKind)>,
    random: Option<(RandomFaults, ChaCha8Rng)>,
}

impl Faults {
    pub(crate) fn push(&mut self, endpoint: Endpoint, kind: FaultKind, times: usize) {
        self.scripted
            .extend(std::iter::repeat_n((endpoint, kind), times));
    }

    pub(crate) fn set_random(&mut self, random: Option<RandomFaults>) {
        self.random = random.map(|r| {
            let rng = ChaCha8Rng::seed_from_u64(r.seed);
            (r, rng)
        });
    }

    pub(crate) fn clear(&mut self) {
        self.scripted.clear();
        self.random = None;
    }

    /// The fault for a request to `path`, if any (consumes a scripted one).
    pub(crate) fn next(&mut self, path: &str) -> Option<FaultKind> {
        let endpoint = Endpoint::of(path);
        if let Some(position) = self.scripted.iter().position(|(e, _)| e.covers(endpoint)) {
            return self.scripted.remove(position).map(|(_, kind)| kind);
        }
        let (random, rng) = self.random.as_mut()?;
        if random.kinds.is_empty() || !random.endpoint.covers(endpoint) {
            return None;
        }
        if !rng.random_bool(random.probability.clamp(0.0, 1.0)) {
            return None;
        }
        let pick = rng.random_range(0..random.kinds.len());
        random.kinds.get(pick).cloned()
    }
}
