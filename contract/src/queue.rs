//! The live queue state: measurement [`MEASUREMENT`], written from Genesys's queue
//! observations (`POST /api/v2/analytics/queues/observations/query`).
//!
//! Observations carry no timestamp: they are the state when Genesys answered, so each
//! point is stamped at the poll. One point per queue and, where the metric has one,
//! per media type or breakdown (routing status, presence): every metric is written in
//! the point whose tags say what it counts, so that summing a field over its own tag
//! never mixes two breakdowns.

/// The measurement of the live queue state.
pub const MEASUREMENT: &str = "genesys_queue";

/// Tag keys of [`MEASUREMENT`].
pub mod tags {
    pub use crate::names::tags::{MEDIA_TYPE, QUEUE, QUEUE_ID};
    /// A user's routing status (`oOnQueueUsers`, `oUserRoutingStatuses`): `IDLE`,
    /// `INTERACTING`, `COMMUNICATING`, `NOT_RESPONDING`, `OFF_QUEUE`, as Genesys spells them.
    pub const ROUTING_STATUS: &str = "routing_status";
    /// A user's system presence (`oOffQueueUsers`, `oUserPresences`): `AVAILABLE`,
    /// `AWAY`, `BREAK`, `MEAL`, `MEETING`, `TRAINING`, `BUSY`, `OFFLINE`, `ON_QUEUE`, ...;
    /// an organisation presence Genesys maps to no system presence keeps its ID.
    pub const PRESENCE: &str = "presence";
}

/// What a metric's value is broken down by, and so which tags its point carries
/// beside `queue` and `queue_id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// Conversations: one point per queue and media type.
    MediaType,
    /// Users: one point per queue.
    Queue,
    /// Users: one point per queue and routing status (the qualifier).
    RoutingStatus,
    /// Users: one point per queue and presence (the qualifier, an organisation
    /// presence ID mapped to its system presence).
    Presence,
}

/// How a field's value is read from an observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// `stats.count`: how many conversations or users (integer).
    Count,
    /// Milliseconds from the oldest observation's `observationDate` to the poll (integer).
    AgeMs,
}

/// One observation metric the contract carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObservationMetric {
    /// The Genesys metric name (`oWaiting`).
    pub metric: &'static str,
    /// The field it is written as (`waiting`).
    pub field: &'static str,
    /// The tags its points carry.
    pub breakdown: Breakdown,
    /// How its value is read.
    pub reading: Reading,
}

const fn metric(
    metric: &'static str,
    field: &'static str,
    breakdown: Breakdown,
    reading: Reading,
) -> ObservationMetric {
    ObservationMetric {
        metric,
        field,
        breakdown,
        reading,
    }
}

/// Every observation metric the plugin can write, with its field. Meanings, per
/// Genesys's analytics metric definitions:
///
/// - `oWaiting` → `waiting`: conversations waiting in the queue, not yet offered to an agent.
/// - `oAlerting` → `alerting`: conversations offered to (alerting) an agent.
/// - `oInteracting` → `interacting`: conversations connected to an agent (talk or hold).
/// - `oLongestWaiting` → `longest_waiting_ms`: how long the longest-waiting conversation
///   has waited, from its `observationDate` (entry into the queue) to the poll.
/// - `oLongestInteracting` → `longest_interacting_ms`: the same for the longest interaction.
/// - `oActiveUsers` → `active_users`: members who joined the queue (active membership).
/// - `oMemberUsers` → `member_users`: all members, joined or not.
/// - `oOnQueueUsers` → `on_queue_users`: joined members on queue, by routing status.
/// - `oOffQueueUsers` → `off_queue_users`: joined members off queue, by presence.
/// - `oUserRoutingStatuses` → `routing_status_users`: joined members by routing status.
/// - `oUserPresences` → `presence_users`: joined members by presence.
pub const METRICS: [ObservationMetric; 11] = [
    metric("oWaiting", "waiting", Breakdown::MediaType, Reading::Count),
    metric(
        "oAlerting",
        "alerting",
        Breakdown::MediaType,
        Reading::Count,
    ),
    metric(
        "oInteracting",
        "interacting",
        Breakdown::MediaType,
        Reading::Count,
    ),
    metric(
        "oLongestWaiting",
        "longest_waiting_ms",
        Breakdown::MediaType,
        Reading::AgeMs,
    ),
    metric(
        "oLongestInteracting",
        "longest_interacting_ms",
        Breakdown::MediaType,
        Reading::AgeMs,
    ),
    metric(
        "oActiveUsers",
        "active_users",
        Breakdown::Queue,
        Reading::Count,
    ),
    metric(
        "oMemberUsers",
        "member_users",
        Breakdown::Queue,
        Reading::Count,
    ),
    metric(
        "oOnQueueUsers",
        "on_queue_users",
        Breakdown::RoutingStatus,
        Reading::Count,
    ),
    metric(
        "oOffQueueUsers",
        "off_queue_users",
        Breakdown::Presence,
        Reading::Count,
    ),
    metric(
        "oUserRoutingStatuses",
        "routing_status_users",
        Breakdown::RoutingStatus,
        Reading::Count,
    ),
    metric(
        "oUserPresences",
        "presence_users",
        Breakdown::Presence,
        Reading::Count,
    ),
];

/// The contract's entry for the Genesys metric `name`, if it carries it.
pub fn metric_named(name: &str) -> Option<&'static ObservationMetric> {
    METRICS.iter().find(|m| m.metric == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_and_field_is_named_once() {
        let mut metrics: Vec<_> = METRICS.iter().map(|m| m.metric).collect();
        let mut fields: Vec<_> = METRICS.iter().map(|m| m.field).collect();
        metrics.sort_unstable();
        metrics.dedup();
        fields.sort_unstable();
        fields.dedup();
        assert_eq!(
            (metrics.len(), fields.len()),
            (METRICS.len(), METRICS.len())
        );
        assert_eq!(metric_named("oWaiting").map(|m| m.field), Some("waiting"));
        assert_eq!(metric_named("tHandle"), None);
    }
}
