//! The deterministic conversation generator.
//!
//! Conversations are made per one-minute slot from `hash(seed, slot)` with ChaCha8, so
//! any interval can be produced without storing anything, identically on every machine.
//! A conversation is generated whole (every segment and metric with its final times) and
//! then *seen at "now"*: segments not yet started, metrics not yet ingested and the end
//! of a conversation still in progress are cut away ([`Generator::seen_at`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod plan;

use crate::model::Conversation;
use crate::org::{Org, seeded_uuid};
use crate::time::{MINUTE_MS, Millis};
use plan::{Plan, acd, agent, customer};

/// No generated conversation lasts longer than this (IVR + wait + talk + hold + wrap-up).
pub(crate) const MAX_CONVERSATION_MS: i64 = 45 * MINUTE_MS;

/// How many generated slots are kept (about a day and a half of minutes); the cache is
/// emptied when full, since regenerating a slot gives the same conversations anyway.
const CACHED_SLOTS: usize = 2048;

/// Media types and their weights in the mix.
pub(crate) const MEDIA: [(&str, u32); 5] = [
    ("voice", 45),
    ("chat", 20),
    ("message", 15),
    ("email", 10),
    ("callback", 10),
];

/// Produces the org's conversations for any interval.
#[derive(Debug, Clone)]
pub(crate) struct Generator {
    pub(crate) org: Arc<Org>,
    seed: u64,
    per_hour: u32,
    lag_ms: i64,
    history_ms: i64,
    agents: Arc<Vec<(String, String)>>,
    cache: Arc<Mutex<HashMap<i64, Arc<Vec<Conversation>>>>>,
}

impl Generator {
    pub(crate) fn new(
        org: Arc<Org>,
        seed: u64,
        per_hour: u32,
        lag_ms: i64,
        history_ms: i64,
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
            agents: Arc::new(agents),
            cache: Arc::default(),
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
        self.starting_where(from, to, now, |c| c.end_or(now).min(now) >= active_from)
    }

    /// Conversations that can have a metric emitted in `[from, to)` (whatever its
    /// ingestion lag: the lag delays visibility, not `emitDate`).
    pub(crate) fn emitting_into(&self, from: i64, to: i64, now: i64) -> Vec<Conversation> {
        self.starting_where(from - MAX_CONVERSATION_MS, to, now, |c| {
            c.end_or(now) >= from
        })
    }

    /// Conversations starting in `[from, to)` as seen at `now`, ordered by start then id,
    /// keeping only those whose whole (not yet cut at "now") document passes `keep`:
    /// filtering before cutting saves the copies. Nothing starts after `now` or before
    /// `now - history`.
    fn starting_where(
        &self,
        from: i64,
        to: i64,
        now: i64,
        keep: impl Fn(&Conversation) -> bool,
    ) -> Vec<Conversation> {
        let from = from.max(now.saturating_sub(self.history_ms));
        let to = to.min(now.saturating_add(1));
        if from >= to {
            return Vec::new();
        }
        let mut seen = Vec::new();
        for slot in from.div_euclid(MINUTE_MS)..=(to - 1).div_euclid(MINUTE_MS) {
            for conversation in self.cached_slot(slot).iter() {
                let start = conversation.conversation_start.0;
                if start >= from
                    && start < to
                    && keep(conversation)
                    && let Some(view) = self.seen_at(conversation, now)
                {
                    seen.push(view);
                }
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

    fn cached_slot(&self, slot: i64) -> Arc<Vec<Conversation>> {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(conversations) = cache.get(&slot) {
            return conversations.clone();
        }
        if cache.len() >= CACHED_SLOTS {
            cache.clear();
        }
        let conversations = Arc::new(self.slot(slot));
        cache.insert(slot, conversations.clone());
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
                self.conversation(&mut rng, start)
            })
            .collect()
    }

    fn conversation(&self, rng: &mut ChaCha8Rng, start: i64) -> Conversation {
        let plan = Plan::draw(rng, &self.org, start);
        let customer_end = plan.customer_end();
        let mut participants = vec![customer(rng, &plan, customer_end), acd(rng, &plan)];
        if plan.answered {
            let (id, name) = &self.agents[rng.random_range(0..self.agents.len())];
            participants.push(agent(rng, &plan, id, name));
        }
        Conversation {
            conversation_id: seeded_uuid(rng),
            conversation_start: Millis(start),
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
