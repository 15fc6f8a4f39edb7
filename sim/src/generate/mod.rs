//! The deterministic conversation generator.
//!
//! Conversations are made per one-minute slot from `hash(seed, slot)` with ChaCha8, so
//! any interval can be produced without storing anything, identically on every machine.
//! Long digital conversations (hours to days) come from a second, sparse generator keyed
//! by the hour ([`Generator::long_hour`]), so that finding what emits into an interval
//! scans [`MAX_CONVERSATION_MS`] of minute slots and [`LONG_CONVERSATION_MS`] of hours,
//! not days of minutes. A conversation is generated whole (every segment and metric with
//! its final times) and then *seen at "now"*: segments not yet started, metrics not yet
//! ingested and the end of a conversation still in progress are cut away
//! ([`Generator::seen_at`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod build;
mod plan;

use crate::model::Conversation;
use crate::org::{Org, seeded_uuid};
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS, Millis};
use plan::Plan;

/// No conversation of the per-minute generator lasts longer than this (IVR + wait +
/// talk + hold + wrap-up, transfers included).
pub(crate) const MAX_CONVERSATION_MS: i64 = 45 * MINUTE_MS;

/// No long conversation lasts longer than this.
pub(crate) const LONG_CONVERSATION_MS: i64 = 3 * DAY_MS;

/// How many generated slots are kept (about a day and a half of minutes); the cache is
/// emptied when full, since regenerating a slot gives the same conversations anyway.
const CACHED_SLOTS: usize = 2048;

/// How many hours of long conversations are kept (more than [`LONG_CONVERSATION_MS`]).
const CACHED_HOURS: usize = 256;

/// Long conversations per hour for each 100 ordinary ones per hour.
const LONG_PER_HUNDRED: f64 = 1.0;

/// Media types and their weights in the mix.
pub(crate) const MEDIA: [(&str, u32); 5] = [
    ("voice", 45),
    ("chat", 20),
    ("message", 15),
    ("email", 10),
    ("callback", 10),
];

type Cache = Arc<Mutex<HashMap<i64, Arc<Vec<Conversation>>>>>;

/// Produces the org's conversations for any interval.
#[derive(Debug, Clone)]
pub(crate) struct Generator {
    pub(crate) org: Arc<Org>,
    seed: u64,
    per_hour: u32,
    lag_ms: i64,
    history_ms: i64,
    long: bool,
    agents: Arc<Vec<(String, String)>>,
    cache: Cache,
    long_cache: Cache,
}

impl Generator {
    pub(crate) fn new(
        org: Arc<Org>,
        seed: u64,
        per_hour: u32,
        lag_ms: i64,
        history_ms: i64,
        long: bool,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, 0x6167_656e_7473));
        let agents = (0..24)
            .map(|i| (seeded_uuid(&mut rng), format!("Agent {:02}", i + 1)))
            .collect();
        Generator {
            org,
            seed,
            per_hour,
            lag_ms,
            history_ms,
            long,
            agents: Arc::new(agents),
            cache: Arc::default(),
            long_cache: Arc::default(),
        }
    }

    /// The longest a conversation lasts: how far before an interval one may start
    /// that is still active in it.
    pub(crate) fn longest_ms(&self) -> i64 {
        if self.long {
            LONG_CONVERSATION_MS
        } else {
            MAX_CONVERSATION_MS
        }
    }

    /// Conversations starting in `[from, to)` that are active at or after `active_from`
    /// (their span `[start, end or now]` reaches it), as seen at `now`.
    pub(crate) fn active(
        &self,
        from: i64,
        to: i64,
        active_from: i64,
        now: i64,
    ) -> Vec<Conversation> {
        self.starting_where(from, to, active_from, now, |c| {
            c.end_or(now).min(now) >= active_from
        })
    }

    /// Conversations that can have a metric emitted in `[from, to)` (whatever its
    /// ingestion lag: the lag delays visibility, not `emitDate`).
    pub(crate) fn emitting_into(&self, from: i64, to: i64, now: i64) -> Vec<Conversation> {
        self.starting_where(from - self.longest_ms(), to, from, now, |c| {
            c.end_or(now) >= from
        })
    }

    /// Conversations starting in `[from, to)` as seen at `now`, ordered by start then id,
    /// keeping only those whose whole (not yet cut at "now") document passes `keep`:
    /// filtering before cutting saves the copies. None that ends before `reaching`
    /// passes `keep`, so the minute slots are scanned from `reaching` minus the longest
    /// ordinary conversation only. Nothing starts after `now` or before `now - history`.
    fn starting_where(
        &self,
        from: i64,
        to: i64,
        reaching: i64,
        now: i64,
        keep: impl Fn(&Conversation) -> bool,
    ) -> Vec<Conversation> {
        let from = from.max(now.saturating_sub(self.history_ms));
        let to = to.min(now.saturating_add(1));
        if from >= to {
            return Vec::new();
        }
        let mut seen = Vec::new();
        let mut take = |conversations: &[Conversation]| {
            for conversation in conversations {
                let start = conversation.conversation_start.0;
                if start >= from
                    && start < to
                    && keep(conversation)
                    && let Some(view) = self.seen_at(conversation, now)
                {
                    seen.push(view);
                }
            }
        };
        let short_from = from.max(reaching.saturating_sub(MAX_CONVERSATION_MS));
        if short_from < to {
            for slot in short_from.div_euclid(MINUTE_MS)..=(to - 1).div_euclid(MINUTE_MS) {
                take(&self.cached(&self.cache, CACHED_SLOTS, slot, |s| self.slot(s)));
            }
        }
        let long_from = from.max(reaching.saturating_sub(LONG_CONVERSATION_MS));
        if self.long && long_from < to {
            for hour in long_from.div_euclid(HOUR_MS)..=(to - 1).div_euclid(HOUR_MS) {
                take(&self.cached(&self.long_cache, CACHED_HOURS, hour, |h| self.long_hour(h)));
            }
        }
        seen.sort_by(|a, b| {
            (a.conversation_start, &a.conversation_id)
                .cmp(&(b.conversation_start, &b.conversation_id))
        });
        seen
    }

    /// The org's agents, `(user ID, name)`, in a fixed order.
    pub(crate) fn agents(&self) -> &[(String, String)] {
        &self.agents
    }

    /// The ingestion delay of `conversation`, in milliseconds.
    pub(crate) fn lag_of(&self, conversation: &Conversation) -> i64 {
        (conversation.lag_fraction * self.lag_ms as f64).round() as i64
    }

    /// `conversation` as analytics shows it at `now`; `None` if it has not started.
    fn seen_at(&self, conversation: &Conversation, now: i64) -> Option<Conversation> {
        if conversation.conversation_start.0 > now {
            return None;
        }
        let lag = self.lag_of(conversation);
        let mut view = conversation.clone();
        view.conversation_end = view.conversation_end.filter(|end| end.0 <= now);
        for participant in &mut view.participants {
            for session in &mut participant.sessions {
                session.segments.retain(|s| s.segment_start.0 <= now);
                for segment in &mut session.segments {
                    segment.segment_end = segment.segment_end.filter(|end| end.0 <= now);
                }
                session.metrics.retain(|m| m.emit_date.0 + lag <= now);
            }
            participant.sessions.retain(|s| !s.segments.is_empty());
        }
        view.participants.retain(|p| !p.sessions.is_empty());
        Some(view)
    }

    fn cached(
        &self,
        cache: &Cache,
        capacity: usize,
        key: i64,
        make: impl Fn(i64) -> Vec<Conversation>,
    ) -> Arc<Vec<Conversation>> {
        let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(conversations) = cache.get(&key) {
            return conversations.clone();
        }
        if cache.len() >= capacity {
            cache.clear();
        }
        let conversations = Arc::new(make(key));
        cache.insert(key, conversations.clone());
        conversations
    }

    /// Every conversation of one minute slot, whole (as if it had already ended).
    fn slot(&self, slot: i64) -> Vec<Conversation> {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed, slot as u64));
        let mean = f64::from(self.per_hour) / 60.0;
        let count = (rng.random::<f64>() * 2.0 * mean).round() as usize;
        (0..count)
            .map(|_| {
                let start = slot * MINUTE_MS + rng.random_range(0..MINUTE_MS);
                let plan = Plan::draw(&mut rng, &self.org, self.agents.len(), start);
                self.conversation(&mut rng, &plan)
            })
            .collect()
    }

    /// Every long conversation starting in one hour, whole.
    fn long_hour(&self, hour: i64) -> Vec<Conversation> {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(self.seed ^ 0x6c6f_6e67, hour as u64));
        let mean = f64::from(self.per_hour) * LONG_PER_HUNDRED / 100.0;
        let count = (rng.random::<f64>() * 2.0 * mean).round() as usize;
        (0..count)
            .map(|_| {
                let start = hour * HOUR_MS + rng.random_range(0..HOUR_MS);
                let plan = Plan::draw_long(&mut rng, &self.org, self.agents.len(), start);
                self.conversation(&mut rng, &plan)
            })
            .collect()
    }

    fn conversation(&self, rng: &mut ChaCha8Rng, plan: &Plan) -> Conversation {
        let participants = build::participants(rng, plan, &self.agents);
        Conversation {
            conversation_id: seeded_uuid(rng),
            conversation_start: Millis(plan.start),
            conversation_end: Some(Millis(plan.end())),
            originating_direction: plan.direction,
            division_ids: vec![DIVISION_ID.to_owned()],
            participants,
            lag_fraction: rng.random::<f64>(),
        }
    }
}

/// The single division every simulated entity belongs to.
pub(crate) const DIVISION_ID: &str = "9e8d7c6b-5a49-4382-9170-6f5e4d3c2b1a";

/// SplitMix64 of `seed` and `value`: a portable, well-spread per-slot seed.
pub(crate) fn mix(seed: u64, value: u64) -> u64 {
    let mut z = seed ^ value.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
