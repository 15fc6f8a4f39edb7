//! The live state at an instant, as queue observations report it: conversations
//! waiting, alerting and interacting per queue and media type, and the queue members'
//! routing statuses and presences ([`crate::agents`]). Both the observations endpoint
//! and [`crate::Sim::observations`] (the tests' ground truth) read it from here.

use std::collections::BTreeMap;

use crate::agents::{self, Membership};
use crate::generate::MEDIA;
use crate::model::{Conversation, Participant};
use crate::org::State as Lifecycle;
use crate::state::State;

/// The observation metrics the simulator answers: `(metric, counts conversations)`.
pub const OBSERVATION_METRICS: [(&str, bool); 11] = [
    ("oWaiting", true),
    ("oAlerting", true),
    ("oInteracting", true),
    ("oLongestWaiting", true),
    ("oLongestInteracting", true),
    ("oActiveUsers", false),
    ("oMemberUsers", false),
    ("oOnQueueUsers", false),
    ("oOffQueueUsers", false),
    ("oUserRoutingStatuses", false),
    ("oUserPresences", false),
];

/// One observed value: a metric of a queue (and, for conversation metrics, a media
/// type), with its breakdown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Observation {
    /// The queue's ID.
    pub queue_id: String,
    /// The media type, for conversation metrics (`oWaiting`, `oLongestWaiting`, ...).
    pub media_type: Option<String>,
    /// The Genesys metric name.
    pub metric: &'static str,
    /// The routing status or *system* presence the value counts (the answer's
    /// qualifier names the organisation presence ID instead).
    pub qualifier: Option<&'static str>,
    /// `stats.count`: conversations or users.
    pub count: i64,
    /// The observations behind the value, oldest first: `(observationDate in ms,
    /// conversation ID)`, for conversation metrics only.
    pub observed: Vec<(i64, String)>,
}

/// What one observations query selects.
#[derive(Debug, Clone)]
pub(crate) struct Selection<'a> {
    /// Indices into the org's queues.
    pub(crate) queues: Vec<usize>,
    /// The media types per selected queue (same order as `queues`).
    pub(crate) media: Vec<Vec<&'static str>>,
    pub(crate) metrics: &'a [String],
}

/// Every observation of `selection` at `at` (ms), ordered by queue, media type, metric.
pub(crate) fn observe(state: &State, at: i64, selection: &Selection<'_>) -> Vec<Observation> {
    let conversations = state.generator.active(
        at.saturating_sub(state.generator.longest_ms()),
        at + 1,
        at,
        at,
    );
    let busy = agents::busy_users(&conversations);
    let seed = state.config.seed;
    let agent_states: Vec<_> = state
        .generator
        .agents()
        .iter()
        .enumerate()
        .map(|(i, (id, _))| agents::state_at(seed, i, at, busy.contains(id.as_str())))
        .collect();
    let wants = |metric: &str| selection.metrics.iter().any(|m| m == metric);
    let mut out = Vec::new();
    for (queue, media) in selection.queues.iter().zip(&selection.media) {
        let queue_id = &state.org.queues[*queue].id;
        for media_type in media {
            let live = ConversationsInQueue::of(&conversations, queue_id, media_type);
            for (metric, observed) in live.metrics() {
                if !wants(metric) || (metric.starts_with("oLongest") && observed.is_empty()) {
                    continue;
                }
                let count = if metric.starts_with("oLongest") {
                    1
                } else {
                    observed.len() as i64
                };
                let observed = if metric.starts_with("oLongest") {
                    observed.into_iter().take(1).collect()
                } else {
                    observed
                };
                out.push(Observation {
                    queue_id: queue_id.clone(),
                    media_type: Some((*media_type).to_owned()),
                    metric,
                    qualifier: None,
                    count,
                    observed,
                });
            }
        }
        let members: Vec<_> = agent_states
            .iter()
            .enumerate()
            .map(|(agent, s)| (agents::membership(seed, agent, *queue), *s))
            .filter(|(m, _)| *m != Membership::None)
            .collect();
        let joined: Vec<_> = members
            .iter()
            .filter(|(m, _)| *m == Membership::Joined)
            .map(|(_, s)| *s)
            .collect();
        let mut user = |metric: &'static str, qualifier: Option<&'static str>, count: usize| {
            if wants(metric) && (qualifier.is_none() || count > 0) {
                out.push(Observation {
                    queue_id: queue_id.clone(),
                    media_type: None,
                    metric,
                    qualifier,
                    count: count as i64,
                    observed: Vec::new(),
                });
            }
        };
        user("oActiveUsers", None, joined.len());
        user("oMemberUsers", None, members.len());
        for (status, count) in tally(joined.iter().map(|s| s.routing_status)) {
            if status != "OFF_QUEUE" {
                user("oOnQueueUsers", Some(status), count);
            }
            user("oUserRoutingStatuses", Some(status), count);
        }
        for (presence, count) in tally(joined.iter().map(|s| s.presence)) {
            if presence != "ON_QUEUE" {
                user("oOffQueueUsers", Some(presence), count);
            }
            user("oUserPresences", Some(presence), count);
        }
    }
    out
}

/// The queues an observations query may name: those not deleted.
pub(crate) fn observable(state: &State, queue: usize) -> bool {
    state.org.queues[queue].state != Lifecycle::Deleted
}

/// Every media type the generator produces.
pub(crate) fn media_types() -> impl Iterator<Item = &'static str> {
    MEDIA.iter().map(|(media, _)| *media)
}

fn tally(values: impl Iterator<Item = &'static str>) -> BTreeMap<&'static str, usize> {
    let mut counts = BTreeMap::new();
    for value in values {
        *counts.entry(value).or_insert(0) += 1;
    }
    counts
}

/// The conversations of one queue and media type, by what they do at the instant they
/// are seen at: each `(since, conversation ID)`, oldest first.
#[derive(Debug, Default)]
struct ConversationsInQueue {
    waiting: Vec<(i64, String)>,
    alerting: Vec<(i64, String)>,
    interacting: Vec<(i64, String)>,
}

impl ConversationsInQueue {
    fn of(conversations: &[Conversation], queue_id: &str, media_type: &str) -> Self {
        let mut live = ConversationsInQueue::default();
        for conversation in conversations {
            let id = || conversation.conversation_id.clone();
            let of = |purpose: &'static str| {
                conversation
                    .participants
                    .iter()
                    .filter(move |p| p.purpose == purpose)
            };
            let agent_open = |kinds: &[&str]| {
                of("agent").find_map(|p| open_segment(p, queue_id, media_type, kinds))
            };
            if let Some(since) = agent_open(&["interact", "hold"]) {
                // Since the first talk with the agent, not the current hold or talk.
                let first = of("agent")
                    .find_map(|p| first_segment(p, queue_id, "interact"))
                    .unwrap_or(since);
                live.interacting.push((first, id()));
            } else if let Some(since) = agent_open(&["alert"]) {
                live.alerting.push((since, id()));
            } else if let Some(since) =
                of("acd").find_map(|p| open_segment(p, queue_id, media_type, &["interact"]))
            {
                live.waiting.push((since, id()));
            }
        }
        for list in [&mut live.waiting, &mut live.alerting, &mut live.interacting] {
            list.sort();
        }
        live
    }

    /// Each conversation metric and the observations behind it.
    fn metrics(self) -> [(&'static str, Vec<(i64, String)>); 5] {
        [
            ("oWaiting", self.waiting.clone()),
            ("oAlerting", self.alerting),
            ("oInteracting", self.interacting.clone()),
            ("oLongestWaiting", self.waiting),
            ("oLongestInteracting", self.interacting),
        ]
    }
}

/// The start of `participant`'s segment in progress of one of `kinds` in the queue and
/// media type (a segment without an end is in progress).
fn open_segment(
    participant: &Participant,
    queue_id: &str,
    media_type: &str,
    kinds: &[&str],
) -> Option<i64> {
    participant
        .sessions
        .iter()
        .filter(|s| s.media_type == media_type)
        .flat_map(|s| &s.segments)
        .find(|seg| {
            seg.segment_end.is_none()
                && kinds.contains(&seg.segment_type)
                && seg.queue_id.as_deref() == Some(queue_id)
        })
        .map(|seg| seg.segment_start.0)
}

fn first_segment(participant: &Participant, queue_id: &str, kind: &str) -> Option<i64> {
    participant
        .sessions
        .iter()
        .flat_map(|s| &s.segments)
        .find(|seg| seg.segment_type == kind && seg.queue_id.as_deref() == Some(queue_id))
        .map(|seg| seg.segment_start.0)
}
