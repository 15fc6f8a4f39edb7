//! Limits per client on what costs InfluxDB work: cache misses per second (a token
//! bucket) and upstream queries running at once (a semaphore). Cache hits are never
//! counted, so a dashboard repeating its requests stays cheap.
//!
//! A client is its bearer token (by digest), or its address when it sent none. The
//! clients are kept in a bounded moka cache that forgets idle ones, so a flood of
//! addresses cannot grow memory without bound. The check sits after the cache
//! lookup, inside the handler, which is why this is not a middleware crate.

use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use moka::sync::Cache;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::LimitsConfig;
use crate::tokens::TokenDigest;

/// Who a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientKey {
    /// A bearer token, by its digest.
    Token(TokenDigest),
    /// The peer address of a request without a token.
    Addr(IpAddr),
}

/// Which limit refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `limits.client_misses_per_second` / `client_miss_burst`.
    MissRate,
    /// `limits.client_concurrent_queries`.
    ConcurrentQueries,
    /// `limits.max_query_bytes`.
    QueryLength,
}

impl Limit {
    /// The label in `/metrics` and the code in the JSON error.
    pub fn label(self) -> &'static str {
        match self {
            Limit::MissRate => "miss_rate",
            Limit::ConcurrentQueries => "concurrent_queries",
            Limit::QueryLength => "query_length",
        }
    }
}

/// A refused request: which limit, and when asking again may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// The limit.
    pub limit: Limit,
    /// Whole seconds to wait (`Retry-After`), at least 1.
    pub retry_after_secs: u64,
}

/// What one client has used.
#[derive(Debug)]
struct ClientState {
    bucket: Mutex<Bucket>,
    queries: Arc<Semaphore>,
}

/// A token bucket: `tokens` refill at the configured rate up to the burst.
#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// Takes one token, or says how long until one is there.
    fn take(&mut self, rate: f64, burst: f64, now: Instant) -> Result<(), Duration> {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - self.tokens) / rate))
        }
    }
}

/// The per-client limits of `[limits]`.
#[derive(Debug)]
pub struct ClientLimits {
    clients: Cache<ClientKey, Arc<ClientState>>,
    rate: f64,
    burst: f64,
    concurrent: usize,
}

/// Clients remembered at most; the least recently seen are forgotten first.
const MAX_CLIENTS: u64 = 100_000;
/// A client unseen this long starts afresh (a full bucket, no queries running).
const IDLE: Duration = Duration::from_secs(600);

impl ClientLimits {
    /// Limits for `[limits]`.
    pub fn new(config: &LimitsConfig) -> ClientLimits {
        ClientLimits {
            clients: Cache::builder()
                .max_capacity(MAX_CLIENTS)
                .time_to_idle(IDLE)
                .build(),
            rate: config.client_misses_per_second,
            burst: f64::from(config.client_miss_burst),
            concurrent: config.client_concurrent_queries,
        }
    }

    /// Admits one cache miss of `client`: a token from its bucket (refused at once
    /// when empty), then one of its query slots, waited for up to `wait` (a
    /// dashboard loading many panels queues rather than fails). The slot is held
    /// while the returned permit lives.
    pub async fn admit(
        &self,
        client: ClientKey,
        wait: Duration,
    ) -> Result<Option<OwnedSemaphorePermit>, Refused> {
        let state = self.clients.get_with(client, || {
            Arc::new(ClientState {
                bucket: Mutex::new(Bucket {
                    tokens: self.burst,
                    at: Instant::now(),
                }),
                queries: Arc::new(Semaphore::new(self.concurrent.max(1))),
            })
        });
        if self.rate > 0.0 {
            let mut bucket = state.bucket.lock().unwrap_or_else(|e| e.into_inner());
            bucket
                .take(self.rate, self.burst, Instant::now())
                .map_err(|wait| Refused {
                    limit: Limit::MissRate,
                    retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
                })?;
        }
        if self.concurrent == 0 {
            return Ok(None);
        }
        let slot = tokio::time::timeout(wait, state.queries.clone().acquire_owned()).await;
        match slot {
            Ok(Ok(permit)) => Ok(Some(permit)),
            // Timed out (the semaphore is never closed).
            _ => Err(Refused {
                limit: Limit::ConcurrentQueries,
                retry_after_secs: 1,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(rate: f64, burst: u32, concurrent: usize) -> ClientLimits {
        ClientLimits::new(&LimitsConfig {
            client_misses_per_second: rate,
            client_miss_burst: burst,
            client_concurrent_queries: concurrent,
            ..LimitsConfig::default()
        })
    }

    #[test]
    fn a_bucket_refills_at_its_rate_up_to_its_burst() {
        let start = Instant::now();
        let mut bucket = Bucket {
            tokens: 2.0,
            at: start,
        };
        assert!(bucket.take(0.5, 2.0, start).is_ok());
        assert!(bucket.take(0.5, 2.0, start).is_ok());
        assert_eq!(bucket.take(0.5, 2.0, start), Err(Duration::from_secs(2)));
        assert!(
            bucket
                .take(0.5, 2.0, start + Duration::from_secs(2))
                .is_ok()
        );
        let later = start + Duration::from_secs(3600);
        for _ in 0..2 {
            assert!(bucket.take(0.5, 2.0, later).is_ok());
        }
        assert!(bucket.take(0.5, 2.0, later).is_err());
    }

    const WAIT: Duration = Duration::from_millis(50);

    #[tokio::test]
    async fn one_client_past_its_burst_does_not_limit_another() {
        let limits = limits(0.001, 3, 0);
        let a = ClientKey::Addr(IpAddr::from([10, 0, 0, 1]));
        let b = ClientKey::Token([7; 32]);
        for _ in 0..3 {
            assert!(limits.admit(a, WAIT).await.is_ok());
        }
        let refused = limits.admit(a, WAIT).await.unwrap_err();
        assert_eq!(refused.limit, Limit::MissRate);
        assert!(refused.retry_after_secs >= 1);
        for _ in 0..3 {
            assert!(limits.admit(b, WAIT).await.is_ok());
        }
    }

    #[tokio::test]
    async fn a_third_query_waits_for_a_slot_and_gives_up_after_the_wait() {
        let limits = Arc::new(limits(0.0, 1, 2));
        let a = ClientKey::Addr(IpAddr::from([10, 0, 0, 1]));
        let first = limits.admit(a, WAIT).await.unwrap();
        let _second = limits.admit(a, WAIT).await.unwrap();
        let refused = limits.admit(a, WAIT).await.unwrap_err();
        assert_eq!(
            (refused.limit, refused.retry_after_secs),
            (Limit::ConcurrentQueries, 1)
        );
        // A waiting third gets the first slot freed.
        let waiting = tokio::spawn({
            let limits = limits.clone();
            async move { limits.admit(a, Duration::from_secs(3600)).await.is_ok() }
        });
        drop(first);
        assert!(waiting.await.unwrap());
    }
}
