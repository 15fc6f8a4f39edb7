//! Answers cached by their validated request, weighed in bytes, with a lifetime
//! per entry, and concurrent identical misses coalesced into one upstream query.
//!
//! The key is the parsed, normalised request, not the query text it becomes: the
//! backend is fixed for the life of the process, so the text adds nothing, and a hit
//! then costs no query building at all.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use moka::Expiry;
use moka::future::Cache;

use crate::config::CacheConfig;
use crate::request::{AhtRequest, SkillsRequest};

/// What an answer depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CacheKey {
    /// `GET /metrics/aht`.
    Aht(AhtRequest),
    /// `GET /skills`.
    Skills(SkillsRequest),
}

impl CacheKey {
    /// Roughly the bytes the key holds, for the cache's weight.
    fn weight(&self) -> usize {
        let strings = match self {
            CacheKey::Aht(req) => {
                let f = &req.filters;
                f.skills.iter().map(String::len).sum::<usize>()
                    + f.queue.as_ref().map_or(0, String::len)
                    + f.media_type.as_ref().map_or(0, String::len)
            }
            CacheKey::Skills(_) => 0,
        };
        std::mem::size_of::<CacheKey>() + strings
    }
}

/// A serialised JSON answer and how long it may be served.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The response body; cloning it shares the bytes (answers can be megabytes).
    pub body: Bytes,
    ttl: Duration,
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

/// Validated requests by their raw query string: a dashboard repeating a request
/// skips parsing and validation, which depend on nothing but the string and the
/// configured limits. Only requests that passed validation are kept.
#[derive(Debug, Clone)]
pub struct ParsedQueries(moka::sync::Cache<String, CacheKey>);

impl ParsedQueries {
    /// Room for this many distinct query strings.
    pub fn new(capacity: u64) -> ParsedQueries {
        ParsedQueries(moka::sync::Cache::new(capacity))
    }

    /// The request `raw` was parsed into before.
    pub fn get(&self, raw: &str) -> Option<CacheKey> {
        self.0.get(raw)
    }

    /// Remembers what `raw` was parsed into.
    pub fn insert(&self, raw: &str, key: CacheKey) {
        self.0.insert(raw.to_owned(), key);
    }
}

/// Each entry lives as long as its own `ttl`.
#[derive(Debug)]
struct PerEntryTtl;

impl Expiry<CacheKey, Cached> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &CacheKey,
        value: &Cached,
        _at: Instant,
    ) -> Option<Duration> {
        Some(value.ttl)
    }
}

/// The answer cache.
#[derive(Debug, Clone)]
pub struct AnswerCache {
    entries: Cache<CacheKey, Cached>,
    ttl: Duration,
    immutable_ttl: Duration,
    horizon: Duration,
}

impl AnswerCache {
    /// A cache for `[cache]`.
    pub fn new(config: &CacheConfig) -> AnswerCache {
        let entries = Cache::builder()
            .max_capacity(config.max_bytes)
            .weigher(|key: &CacheKey, value: &Cached| {
                u32::try_from(key.weight() + value.body.len()).unwrap_or(u32::MAX)
            })
            .expire_after(PerEntryTtl)
            .build();
        AnswerCache {
            entries,
            ttl: config.ttl,
            immutable_ttl: config.immutable_ttl,
            horizon: config.late_data_horizon,
        }
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

    /// The cached answer for `key`, or the one `fetch` produces (cached for `ttl`).
    /// Concurrent calls with the same key run `fetch` once; errors are not cached.
    pub async fn get_or_fetch<F, E>(
        &self,
        key: CacheKey,
        ttl: Duration,
        fetch: F,
    ) -> Result<(Bytes, Lookup), Arc<E>>
    where
        F: Future<Output = Result<String, E>>,
        E: Send + Sync + 'static,
    {
        if let Some(hit) = self.entries.get(&key).await {
            return Ok((hit.body, Lookup::Hit));
        }
        let ran = AtomicBool::new(false);
        let init = async {
            ran.store(true, Ordering::Relaxed);
            fetch.await.map(|body| Cached {
                body: Bytes::from(body),
                ttl,
            })
        };
        let cached = self.entries.try_get_with(key, init).await?;
        let lookup = if ran.load(Ordering::Relaxed) {
            Lookup::Miss
        } else {
            Lookup::Coalesced
        };
        Ok((cached.body, lookup))
    }
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
                end_ns: 1,
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
        assert!(
            c.get_or_fetch(key(), Duration::from_secs(60), failing)
                .await
                .is_err()
        );
        let ok = async {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok::<_, &str>("[1]".to_string())
        };
        let (body, lookup) = c
            .get_or_fetch(key(), Duration::from_secs(60), ok)
            .await
            .unwrap();
        assert_eq!((&body[..], lookup), (&b"[1]"[..], Lookup::Miss));
        let again = async { Ok::<_, &str>("[2]".to_string()) };
        let (body, lookup) = c
            .get_or_fetch(key(), Duration::from_secs(60), again)
            .await
            .unwrap();
        assert_eq!((&body[..], lookup), (&b"[1]"[..], Lookup::Hit));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
