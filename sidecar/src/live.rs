//! `GET /metrics/queues`: the live queue state, the newest `genesys_queue`
//! observation of each queue (measurement and tags: `contract/src/queue.rs`).
//!
//! The plugin stamps every point of one poll with the poll's time, one point per
//! queue and breakdown (media type, routing status, presence). A queue's state is
//! therefore the points of its newest poll: a breakdown that poll did not write
//! (no longer observed) is left out rather than shown with an older value, and so
//! is a field the newest point lacks (`longest_waiting_ms` when nothing waits).
//!
//! Every backend asks for the same thing, the newest point of each series of the
//! measurement within the window, with the contract's fields ([`fields`]) and the
//! queue filter ([`conditions`]); [`queues_answer`] keeps each queue's newest poll.

use std::collections::BTreeMap;

use genesys_aht_contract::queue::{METRICS, tags};
use salvo::oapi::ToSchema;
use serde::Serialize;

use crate::backend::Row;
use crate::config::LimitsConfig;
use crate::identity::AnyOf;
use crate::request::{ALL_VALUE, Invalid, rfc3339};

/// Parameter names `GET /metrics/queues` accepts.
pub const QUEUES_PARAMS: [&str; 2] = ["queue", "var-queue"];

/// The tags a point of the live state is grouped by, queue first.
pub const GROUP_TAGS: [&str; 5] = [
    tags::QUEUE,
    tags::QUEUE_ID,
    tags::MEDIA_TYPE,
    tags::ROUTING_STATUS,
    tags::PRESENCE,
];

/// A validated `GET /metrics/queues` request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QueuesRequest {
    /// Only these queue names (sorted, distinct); empty: every queue.
    pub queues: Vec<String>,
}

/// Parses `GET /metrics/queues` parameters: `queue` (repeatable; `var-queue`, as
/// Grafana's `${queue:queryparam}` writes it, the same), `$__all` or empty for all.
pub fn parse_queues(
    pairs: Vec<(&str, &str)>,
    limits: &LimitsConfig,
) -> Result<QueuesRequest, Invalid> {
    let mut queues = Vec::new();
    for (name, value) in pairs {
        if !QUEUES_PARAMS.contains(&name) {
            return Err(Invalid(format!(
                "unknown parameter {name:?}; expected one of: {}",
                QUEUES_PARAMS.join(", ")
            )));
        }
        if value.is_empty() || value == ALL_VALUE {
            continue;
        }
        if value.chars().count() > limits.max_value_chars {
            return Err(Invalid(format!(
                "{name} is longer than {} characters",
                limits.max_value_chars
            )));
        }
        queues.push(value.to_owned());
    }
    queues.sort();
    queues.dedup();
    if queues.len() > limits.max_skills {
        return Err(Invalid(format!(
            "more than {} queue values (limits.max_skills): select fewer queues, or none for all",
            limits.max_skills
        )));
    }
    Ok(QueuesRequest { queues })
}

/// The body of `GET /metrics/queues`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueuesAnswer {
    /// How old a queue's newest observation may be to be listed, in seconds (`live.window`).
    pub window_s: u64,
    /// One entry per queue and breakdown of each queue's newest observation, ordered
    /// by queue, queue ID, media type, routing status, presence.
    pub data: Vec<QueueRow>,
}

/// One point of a queue's newest observation: the tags say what its fields count.
#[derive(Debug, Clone, PartialEq, Default, Serialize, ToSchema)]
pub struct QueueRow {
    /// When the plugin observed it (its poll; RFC 3339, UTC).
    pub timestamp: String,
    /// Queue name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Queue ID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    /// Media type: the conversation counts are per queue and media type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Routing status (`IDLE`, `INTERACTING`, ...): users per queue and status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_status: Option<String>,
    /// System presence (`AVAILABLE`, `BREAK`, ...): users per queue and presence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence: Option<String>,
    /// `oWaiting`: conversations waiting, not yet offered to an agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<i64>,
    /// `oAlerting`: conversations offered (ringing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alerting: Option<i64>,
    /// `oInteracting`: conversations connected to an agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interacting: Option<i64>,
    /// `oLongestWaiting`: ms the longest-waiting conversation had waited at the poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_waiting_ms: Option<i64>,
    /// `oLongestInteracting`: ms of the longest interaction at the poll.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longest_interacting_ms: Option<i64>,
    /// `oActiveUsers`: members who joined the queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_users: Option<i64>,
    /// `oMemberUsers`: all members.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_users: Option<i64>,
    /// `oOnQueueUsers`: joined members on queue, in this routing status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_queue_users: Option<i64>,
    /// `oOffQueueUsers`: joined members off queue, in this presence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub off_queue_users: Option<i64>,
    /// `oUserRoutingStatuses`: joined members in this routing status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_status_users: Option<i64>,
    /// `oUserPresences`: joined members in this presence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presence_users: Option<i64>,
}

impl QueueRow {
    /// The field slot of a contract field name, if it is one.
    fn slot(&mut self, field: &str) -> Option<&mut Option<i64>> {
        Some(match field {
            "waiting" => &mut self.waiting,
            "alerting" => &mut self.alerting,
            "interacting" => &mut self.interacting,
            "longest_waiting_ms" => &mut self.longest_waiting_ms,
            "longest_interacting_ms" => &mut self.longest_interacting_ms,
            "active_users" => &mut self.active_users,
            "member_users" => &mut self.member_users,
            "on_queue_users" => &mut self.on_queue_users,
            "off_queue_users" => &mut self.off_queue_users,
            "routing_status_users" => &mut self.routing_status_users,
            "presence_users" => &mut self.presence_users,
            _ => return None,
        })
    }

    fn order(&self) -> [Option<&String>; 5] {
        [
            self.queue.as_ref(),
            self.queue_id.as_ref(),
            self.media_type.as_ref(),
            self.routing_status.as_ref(),
            self.presence.as_ref(),
        ]
    }
}

/// The contract's field names, which a backend selects.
pub fn fields() -> impl Iterator<Item = &'static str> {
    METRICS.iter().map(|m| m.field)
}

/// The queue filter as every backend's conditions: one [`AnyOf`] on the queue
/// name, none for every queue.
pub fn conditions(queues: &[String]) -> Vec<AnyOf> {
    if queues.is_empty() {
        return Vec::new();
    }
    vec![queues.iter().map(|q| (tags::QUEUE, q.clone())).collect()]
}

/// The newest point of every series → each queue's newest poll, as the answer.
/// A queue is its ID (its name where points carry no ID).
pub fn queues_answer(rows: Vec<Row>, window_s: u64) -> QueuesAnswer {
    let queue_of = |row: &Row| {
        row.tags
            .get(tags::QUEUE_ID)
            .or_else(|| row.tags.get(tags::QUEUE))
            .cloned()
            .unwrap_or_default()
    };
    let mut newest: BTreeMap<String, i64> = BTreeMap::new();
    for row in &rows {
        if let Some(t) = row.time_ns {
            let e = newest.entry(queue_of(row)).or_insert(t);
            *e = (*e).max(t);
        }
    }
    let mut data: Vec<QueueRow> = rows
        .into_iter()
        .filter(|row| row.time_ns.is_some() && row.time_ns == newest.get(&queue_of(row)).copied())
        .map(queue_row)
        .collect();
    data.sort_by(|a, b| a.order().cmp(&b.order()));
    QueuesAnswer { window_s, data }
}

fn queue_row(mut row: Row) -> QueueRow {
    let mut out = QueueRow {
        timestamp: rfc3339(row.time_ns.unwrap_or_default()),
        queue: row.tags.remove(tags::QUEUE),
        queue_id: row.tags.remove(tags::QUEUE_ID),
        media_type: row.tags.remove(tags::MEDIA_TYPE),
        routing_status: row.tags.remove(tags::ROUTING_STATUS),
        presence: row.tags.remove(tags::PRESENCE),
        ..QueueRow::default()
    };
    for (field, value) in row.values {
        // Counts and ages are integers; anything else in the measurement is not ours.
        if let Some(slot) = out.slot(&field)
            && value.is_finite()
            && value.fract() == 0.0
            && value.abs() < 9.0e15
        {
            *slot = Some(value as i64);
        }
    }
    out
}

#[cfg(test)]
#[path = "live_tests.rs"]
mod tests;
