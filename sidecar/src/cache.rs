//! Answers cached by request, weighed in bytes, with a lifetime per entry, and
//! concurrent identical misses coalesced into one upstream query.
//!
//! One moka cache holds two kinds of entry for an answer:
//! - under its **normalised request** ([`CacheKey`]): requests that mean the same
//!   (skills in another order, an unaligned start) share one upstream query;
//! - under each **request target** (path and query, as sent) that led to it: a
//!   dashboard repeats its requests byte for byte, so a hit is one lookup, with no
//!   parsing or validation. Only targets that passed validation are entered.
//!
//! Both share the answer's bytes and its expiry instant, so a target never outlives
//! its answer. Each is weighed as if it held its own copy, so the cache stays within
//! `max_bytes` however the weight is shared.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache;

use crate::config::CacheConfig;
use crate::live::QueuesRequest;
use crate::request::{AhtRequest, KpiRequest, SkillsRequest};

/// What an answer depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// `GET /metrics/aht`.
    Aht(AhtRequest),
    /// `GET /skills`.
    Skills(SkillsRequest),
    /// `GET /metrics/kpi`.
    Kpi(KpiRequest),
    /// `GET /metrics/queues`: live, cached for the live lifetime.
    Queues(QueuesRequest),
}

impl CacheKey {
    /// The end of the range the answer covers, in ns since the epoch.
    fn end_ns(&self) -> i64 {
        match self {
            CacheKey::Aht(req) => req.range.end_ns,
            CacheKey::Skills(req) => req.range.end_ns,
            CacheKey::Kpi(req) => req.window.range.end_ns,
            CacheKey::Queues(_) => i64::MAX,
        }
    }

    /// The cache entry name of the normalised request. Request targets start with
    /// `/`; this never does, so the two kinds of entry cannot collide.
    fn entry_name(&self) -> String {
        format!("normalised {self:?}")
    }
}

/// A serialised JSON answer and until when it may be served.
#[derive(Debug, Clone)]
struct Cached {
    /// The response body; cloning it shares the bytes (answers can be megabytes).
    body: Bytes,
    expires_at: Instant,
}

/// How an answer was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Already cached.
    Hit,
    /// This request asked InfluxDB.
    Miss,
    /// Another request was already asking InfluxDB; this one waited for its answer.
    Coalesced,
}

/// Each entry lives until its answer's expiry instant.
#[derive(Debug)]
struct UntilExpiry;

impl Expiry<String, Cached> for UntilExpiry {
    fn expire_after_create(&self, _key: &String, value: &Cached, at: Instant) -> Option<Duration> {
        Some(value.expires_at.saturating_duration_since(at))
    }
}

/// The answer cache.
#[derive(Debug, Clone)]
pub struct AnswerCache {
    entries: Cache<String, Cached>,
    ttl: Duration,
    immutable_ttl: Duration,
    horizon: Duration,
    live_ttl: Duration,
}

impl AnswerCache {
    /// A cache for `[cache]`.
    pub fn new(config: &CacheConfig) -> AnswerCache {
        let entries = Cache::builder()
            .max_capacity(config.max_bytes)
            .weigher(|key: &String, value: &Cached| {
                let bytes = std::mem::size_of::<Cached>() + key.len() + value.body.len();
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .expire_after(UntilExpiry)
            .build();
        AnswerCache {
            entries,
            ttl: config.ttl,
            immutable_ttl: config.immutable_ttl,
            horizon: config.late_data_horizon,
            live_ttl: config.ttl,
        }
    }

    /// The same cache, with `ttl` as the lifetime of live answers (`live.ttl`).
    pub fn with_live_ttl(mut self, ttl: Duration) -> AnswerCache {
        self.live_ttl = ttl;
        self
    }

    /// The lifetime of an answer for a range ending at `end_ns`: data older than the
    /// late-data horizon no longer changes, so its answer may live longer.
    pub fn ttl_for(&self, end_ns: i64, now_ns: i64) -> Duration {
        let horizon = i64::try_from(self.horizon.as_nanos()).unwrap_or(i64::MAX);
        if end_ns <= now_ns.saturating_sub(horizon) {
            self.immutable_ttl
        } else {
            self.ttl
        }
    }

    /// The answer cached for a request target (path and query as sent), if any.
    pub async fn get(&self, target: &str) -> Option<Bytes> {
        self.get_expiring(target).await.map(|(body, _)| body)
    }

    /// The answer cached for a request target, and when it expires.
    pub async fn get_expiring(&self, target: &str) -> Option<(Bytes, Instant)> {
        self.entries
            .get(target)
            .await
            .map(|cached| (cached.body, cached.expires_at))
    }

    /// The cached answer for `key`, or the one `fetch` produces (cached for
    /// [`AnswerCache::ttl_for`] the key's range), remembered under `target` too.
    /// Concurrent calls with the same key run `fetch` once; errors are not cached.
    pub async fn get_or_fetch<F, E>(
        &self,
        target: &str,
        key: &CacheKey,
        fetch: F,
    ) -> Result<(Bytes, Lookup), Arc<E>>
    where
        F: Future<Output = Result<String, E>>,
        E: Send + Sync + 'static,
    {
        self.get_or_fetch_expiring(target, key, fetch)
            .await
            .map(|(body, lookup, _)| (body, lookup))
    }

    /// [`AnswerCache::get_or_fetch`], with when the answer expires.
    pub async fn get_or_fetch_expiring<F, E>(
        &self,
        target: &str,
        key: &CacheKey,
        fetch: F,
    ) -> Result<(Bytes, Lookup, Instant), Arc<E>>
    where
        F: Future<Output = Result<String, E>>,
        E: Send + Sync + 'static,
    {
        let name = key.entry_name();
        let (cached, lookup) = match self.entries.get(&name).await {
            Some(hit) => (hit, Lookup::Hit),
            None => {
                let ran = AtomicBool::new(false);
                let end_ns = key.end_ns();
                let live = matches!(key, CacheKey::Queues(_));
                let init = async {
                    ran.store(true, Ordering::Relaxed);
                    // From when the answer arrives: a slow query must not shorten its life.
                    fetch.await.map(|body| Cached {
                        body: Bytes::from(body),
                        expires_at: Instant::now()
                            + if live {
                                self.live_ttl
                            } else {
                                self.ttl_for(end_ns, now_ns())
                            },
                    })
                };
                let cached = self.entries.try_get_with(name, init).await?;
                let lookup = if ran.load(Ordering::Relaxed) {
                    Lookup::Miss
                } else {
                    Lookup::Coalesced
                };
                (cached, lookup)
            }
        };
        let (body, expires_at) = (cached.body.clone(), cached.expires_at);
        self.entries.insert(target.to_owned(), cached).await;
        Ok((body, lookup, expires_at))
    }
}

fn now_ns() -> i64 {
    i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    fn cache() -> AnswerCache {
        AnswerCache::new(&CacheConfig::default())
    }

    fn key() -> CacheKey {
        CacheKey::Skills(SkillsRequest {
            range: crate::request::Range {
                start_ns: 0,
                end_ns: i64::MAX,
            },
        })
    }

    #[test]
    fn old_ranges_live_longer() {
        let c = cache();
        let hour = 3_600_000_000_000;
        let now = 100 * hour;
        assert_eq!(c.ttl_for(now - 4 * hour, now), c.immutable_ttl);
        assert_eq!(c.ttl_for(now - 3 * hour, now), c.immutable_ttl);
        assert_eq!(c.ttl_for(now - 2 * hour, now), c.ttl);
        assert_eq!(c.ttl_for(now + hour, now), c.ttl);
    }

    #[tokio::test]
    async fn errors_are_not_cached_and_answers_are() {
        let c = cache();
        let calls = AtomicUsize::new(0);
        let failing = async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<String, _>("down")
        };
        assert!(c.get_or_fetch("/a", &key(), failing).await.is_err());
        assert_eq!(c.get("/a").await, None);
        let ok = async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, &str>("[1]".to_string())
        };
        let (body, lookup) = c.get_or_fetch("/a", &key(), ok).await.unwrap();
        assert_eq!((&body[..], lookup), (&b"[1]"[..], Lookup::Miss));
        let again = async { Ok::<_, &str>("[2]".to_string()) };
        let (body, lookup) = c.get_or_fetch("/b", &key(), again).await.unwrap();
        assert_eq!((&body[..], lookup), (&b"[1]"[..], Lookup::Hit));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        for target in ["/a", "/b"] {
            assert_eq!(c.get(target).await.as_deref(), Some(&b"[1]"[..]));
        }
        assert_eq!(c.get("/c").await, None);
    }

    #[tokio::test]
    async fn a_target_expires_with_its_answer_not_after() {
        let c = AnswerCache::new(&CacheConfig {
            ttl: Duration::from_millis(1000),
            ..CacheConfig::default()
        });
        let answer = async { Ok::<_, &str>("[1]".to_string()) };
        c.get_or_fetch("/a", &key(), answer).await.unwrap();
        tokio::time::sleep(Duration::from_millis(400)).await;
        // Entered 400 ms later under the same answer: it lives 600 ms more, not 1000.
        let unused = async { Ok::<_, &str>("[2]".to_string()) };
        let (_, lookup) = c.get_or_fetch("/b", &key(), unused).await.unwrap();
        assert_eq!(lookup, Lookup::Hit);
        tokio::time::sleep(Duration::from_millis(800)).await;
        assert_eq!(c.get("/a").await, None);
        assert_eq!(c.get("/b").await, None);
    }
}
