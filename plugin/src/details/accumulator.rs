//! Sums and counts per bucket and group, folded from conversations one page at a time,
//! by the rules the aggregates API follows:
//!
//! 1. every session metric is one emission and counts in the bucket holding its
//!    `emitDate` (only emissions inside the window, of the configured metrics);
//! 2. a session's group: `mediaType` and `direction` from the session, `queueId` from
//!    its first segment that names a queue, `requestedRoutingSkillId` from the set of
//!    its segments' `requestedRoutingSkillIds`; a dimension without a value is left out;
//! 3. without flattening, a session with several skills counts once in the group of
//!    each skill; with it, once in the group of the set joined by `,` in ascending order;
//! 4. the `media_types` and `queue_ids` filters select sessions by the same values.
//!
//! Memory holds the buckets × groups and the conversation IDs of the last two pages,
//! never the conversations themselves.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use genesys_aht_contract::{Dimension, MetricKind};
use jiff::Timestamp;

use super::wire::{Conversation, Session};
use crate::config::Collect;
use crate::rows::{MetricStats, Row, Window};

type Group = BTreeMap<String, String>;

/// Rows under construction.
#[derive(Debug)]
pub struct Accumulator<'a> {
    settings: &'a Collect,
    bucket_ms: i64,
    rows: BTreeMap<(Timestamp, Group), BTreeMap<String, MetricStats>>,
    /// IDs of the previous and the current page: pages of a changing interval shift,
    /// so a conversation may come again on the next page.
    previous_page: HashSet<String>,
    current_page: HashSet<String>,
    /// Conversations that emitted into the window more than `details_lookbehind`
    /// after they started: ones like them that started before the query's reach are
    /// not seen at all.
    long_lived: usize,
}

impl<'a> Accumulator<'a> {
    /// An empty accumulator for `settings`.
    pub fn new(settings: &'a Collect) -> Accumulator<'a> {
        let bucket_ms = i64::try_from(settings.granularity.as_millis())
            .unwrap_or(i64::MAX)
            .max(1);
        Accumulator {
            settings,
            bucket_ms,
            rows: BTreeMap::new(),
            previous_page: HashSet::new(),
            current_page: HashSet::new(),
            long_lived: 0,
        }
    }

    /// Folds one page in, keeping emissions inside `window`; returns how many of its
    /// conversations were already seen on this page or the previous one.
    pub fn add_page(&mut self, conversations: &[Conversation], window: Window) -> usize {
        self.previous_page = std::mem::take(&mut self.current_page);
        let mut duplicates = 0;
        for conversation in conversations {
            let id = &conversation.conversation_id;
            if self.previous_page.contains(id) || !self.current_page.insert(id.clone()) {
                duplicates += 1;
                continue;
            }
            for session in conversation.participants.iter().flat_map(|p| &p.sessions) {
                self.add_session(session, window);
            }
            self.long_lived += usize::from(self.lasts_past_lookbehind(conversation, window));
        }
        duplicates
    }

    /// How many conversations emitted into their window more than `details_lookbehind`
    /// after they started.
    pub fn long_lived(&self) -> usize {
        self.long_lived
    }

    fn lasts_past_lookbehind(&self, conversation: &Conversation, window: Window) -> bool {
        let Some(start) = conversation.conversation_start else {
            return false;
        };
        let reach = jiff::SignedDuration::try_from(self.settings.details.lookbehind)
            .unwrap_or(jiff::SignedDuration::MAX);
        let latest = start.checked_add(reach).unwrap_or(Timestamp::MAX);
        let sessions = conversation.participants.iter().flat_map(|p| &p.sessions);
        sessions.flat_map(|s| &s.metrics).any(|m| {
            m.emit_date > latest && m.emit_date >= window.start && m.emit_date < window.end
        })
    }

    /// Adds everything of `other` (another part of the same window).
    pub fn merge(&mut self, other: Accumulator<'_>) {
        self.long_lived += other.long_lived;
        for (key, metrics) in other.rows {
            let into = self.rows.entry(key).or_default();
            for (name, stats) in metrics {
                add_stats(into.entry(name).or_default(), stats);
            }
        }
    }

    /// The rows, ordered by bucket and group.
    pub fn into_rows(self) -> Vec<Row> {
        self.rows
            .into_iter()
            .map(|((bucket_start, group), metrics)| Row {
                bucket_start,
                group,
                metrics,
            })
            .collect()
    }

    fn add_session(&mut self, session: &Session, window: Window) {
        let wanted = session
            .metrics
            .iter()
            .filter(|m| m.emit_date >= window.start && m.emit_date < window.end)
            .filter(|m| self.settings.metrics.contains(&m.name));
        let mut emissions = wanted.peekable();
        if emissions.peek().is_none() {
            return;
        }
        let Some(groups) = groups_of(session, self.settings) else {
            return;
        };
        for metric in emissions {
            let bucket = self.bucket_of(metric.emit_date);
            let stats = MetricStats {
                count: 1,
                sum: match MetricKind::of(&metric.name) {
                    Some(MetricKind::Count) => None,
                    _ => Some(metric.value),
                },
            };
            for group in &groups {
                let row = self.rows.entry((bucket, group.clone())).or_default();
                add_stats(row.entry(metric.name.clone()).or_default(), stats);
            }
        }
    }

    /// Buckets start at multiples of the granularity since the epoch, as the windows do.
    fn bucket_of(&self, at: Timestamp) -> Timestamp {
        let ms = at.as_millisecond().div_euclid(self.bucket_ms) * self.bucket_ms;
        Timestamp::from_millisecond(ms).unwrap_or(at)
    }
}

fn add_stats(into: &mut MetricStats, more: MetricStats) {
    into.count += more.count;
    into.sum = match (into.sum, more.sum) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    };
}

/// The groups a session counts in; `None` when the filters leave it out.
fn groups_of(session: &Session, settings: &Collect) -> Option<Vec<Group>> {
    let queue = session.segments.iter().find_map(|s| s.queue_id.as_deref());
    let media = session.media_type.as_deref();
    if !settings.media_types.is_empty()
        && !media.is_some_and(|m| settings.media_types.iter().any(|x| x == m))
    {
        return None;
    }
    if !settings.queue_ids.is_empty()
        && !queue.is_some_and(|q| settings.queue_ids.iter().any(|x| x == q))
    {
        return None;
    }
    let skills: BTreeSet<&str> = session
        .segments
        .iter()
        .flat_map(|s| &s.requested_routing_skill_ids)
        .map(String::as_str)
        .collect();
    let mut groups = vec![Group::new()];
    for dimension in &settings.group_by {
        let values: Vec<String> = match dimension {
            Dimension::QueueId => queue.map(str::to_owned).into_iter().collect(),
            Dimension::MediaType => media.map(str::to_owned).into_iter().collect(),
            Dimension::Direction => session.direction.clone().into_iter().collect(),
            Dimension::RequestedRoutingSkillId if settings.flatten && !skills.is_empty() => {
                vec![skills.iter().copied().collect::<Vec<_>>().join(",")]
            }
            Dimension::RequestedRoutingSkillId => skills.iter().map(|s| (*s).to_owned()).collect(),
        };
        if values.is_empty() {
            continue;
        }
        let name = dimension.genesys_name();
        groups = groups
            .into_iter()
            .flat_map(|group| {
                values.iter().map(move |value| {
                    let mut group = group.clone();
                    group.insert(name.to_owned(), value.clone());
                    group
                })
            })
            .collect();
    }
    Some(groups)
}
