//! The agents' timeline: queue membership, routing status and presence at any instant.
//!
//! Like the conversations, it is drawn from the seed, never stored: an agent's
//! membership of a queue is fixed, and its schedule changes every
//! [`SCHEDULE_SLOT_MS`] (on queue and idle most of the time, sometimes not responding,
//! sometimes off queue in a presence such as `BREAK` or `MEAL`). An agent with a
//! segment in progress in any conversation (alerting, talking, on hold or in
//! wrap-up) is on queue and `INTERACTING`, whatever its schedule says, so the users'
//! state agrees with the conversations the other endpoints serve.

use std::collections::BTreeSet;

use crate::generate::mix;
use crate::model::Conversation;
use crate::time::MINUTE_MS;

/// How long an agent's scheduled state lasts.
pub(crate) const SCHEDULE_SLOT_MS: i64 = 15 * MINUTE_MS;

/// The system presences of Genesys analytics (`AnalyticsUserPresenceRecord.systemPresence`).
pub(crate) const SYSTEM_PRESENCES: [&str; 10] = [
    "AVAILABLE",
    "AWAY",
    "BUSY",
    "OFFLINE",
    "IDLE",
    "ON_QUEUE",
    "MEAL",
    "TRAINING",
    "MEETING",
    "BREAK",
];

/// Presences an agent off queue is scheduled in.
const OFF_QUEUE_PRESENCES: [&str; 7] = [
    "AVAILABLE",
    "AWAY",
    "BREAK",
    "MEAL",
    "MEETING",
    "TRAINING",
    "OFFLINE",
];

/// An agent's membership of one queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Membership {
    /// Not a member.
    None,
    /// A member who has not joined the queue (counted by `oMemberUsers` only).
    Unjoined,
    /// A member who joined the queue (an active member).
    Joined,
}

/// One agent's state at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AgentState {
    /// `RoutingStatus.status`: `OFF_QUEUE`, `IDLE`, `INTERACTING`, `NOT_RESPONDING`.
    pub(crate) routing_status: &'static str,
    /// One of [`SYSTEM_PRESENCES`]; `ON_QUEUE` exactly when the routing status is not
    /// `OFF_QUEUE`.
    pub(crate) presence: &'static str,
}

/// The membership of agent `agent` (its index) in queue `queue` (its index).
pub(crate) fn membership(seed: u64, agent: usize, queue: usize) -> Membership {
    let draw = mix(seed ^ 0x6d65_6d62, ((agent as u64) << 32) | queue as u64);
    match draw % 6 {
        0 | 1 => Membership::None,
        2 => Membership::Unjoined,
        _ => Membership::Joined,
    }
}

/// The state of agent `agent` at `at`, given whether it has a segment in progress.
pub(crate) fn state_at(seed: u64, agent: usize, at: i64, busy: bool) -> AgentState {
    if busy {
        return AgentState {
            routing_status: "INTERACTING",
            presence: "ON_QUEUE",
        };
    }
    let slot = at.div_euclid(SCHEDULE_SLOT_MS) as u64;
    let draw = mix(seed ^ 0x73_6368_6564, (slot << 8) ^ agent as u64);
    match draw % 20 {
        0..=3 => AgentState {
            routing_status: "OFF_QUEUE",
            presence: OFF_QUEUE_PRESENCES[(draw / 20) as usize % OFF_QUEUE_PRESENCES.len()],
        },
        4 => AgentState {
            routing_status: "NOT_RESPONDING",
            presence: "ON_QUEUE",
        },
        _ => AgentState {
            routing_status: "IDLE",
            presence: "ON_QUEUE",
        },
    }
}

/// The user IDs with a segment in progress at the instant `conversations` are seen at
/// (a segment without an end is in progress).
pub(crate) fn busy_users(conversations: &[Conversation]) -> BTreeSet<&str> {
    conversations
        .iter()
        .flat_map(|c| &c.participants)
        .filter(|p| p.purpose == "agent")
        .filter(|p| {
            p.sessions
                .iter()
                .flat_map(|s| &s.segments)
                .any(|segment| segment.segment_end.is_none())
        })
        .filter_map(|p| p.user_id.as_deref())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_queue_exactly_when_the_presence_is_not_on_queue() {
        let mut seen = BTreeSet::new();
        for agent in 0..24 {
            for slot in 0..200 {
                let state = state_at(1, agent, slot * SCHEDULE_SLOT_MS, false);
                assert_eq!(
                    state.routing_status != "OFF_QUEUE",
                    state.presence == "ON_QUEUE"
                );
                assert!(SYSTEM_PRESENCES.contains(&state.presence));
                seen.insert(state.routing_status);
            }
        }
        assert_eq!(
            seen.len(),
            3,
            "idle, not responding and off queue all occur"
        );
        assert_eq!(state_at(1, 0, 0, true).routing_status, "INTERACTING");
    }

    #[test]
    fn memberships_are_fixed_and_mixed() {
        let all: Vec<_> = (0..24).map(|a| membership(1, a, 0)).collect();
        assert_eq!(
            all,
            (0..24).map(|a| membership(1, a, 0)).collect::<Vec<_>>()
        );
        for kind in [Membership::None, Membership::Unjoined, Membership::Joined] {
            assert!(all.contains(&kind), "{kind:?} occurs");
        }
    }
}
