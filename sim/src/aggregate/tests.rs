//! Unit tests of the grouping and bucketing rules.

use super::*;
use crate::model::{Metric, Segment};
use crate::time::Millis;

fn session(queue: Option<&str>, skills: &[&str], metrics: &[(&'static str, i64, i64)]) -> Session {
    let segment = |kind| Segment {
        segment_start: Millis(0),
        segment_end: Some(Millis(1)),
        segment_type: kind,
        queue_id: queue.map(str::to_owned),
        requested_routing_skill_ids: skills.iter().map(|s| s.to_string()).collect(),
        disconnect_type: None,
    };
    Session {
        session_id: "s".into(),
        media_type: "voice",
        direction: "inbound",
        ani: None,
        dnis: None,
        requested_routings: None,
        used_routing: None,
        segments: vec![segment("alert"), segment("interact")],
        metrics: metrics
            .iter()
            .map(|(name, value, at)| Metric {
                name,
                value: *value,
                emit_date: Millis(*at),
            })
            .collect(),
    }
}

fn groups(session: &Session, group_by: &[&str], flatten: bool) -> Vec<Group> {
    let group_by: Vec<String> = group_by.iter().map(|d| d.to_string()).collect();
    SessionDimensions::of(session).groups(&group_by, flatten)
}

fn group(pairs: &[(&str, &str)]) -> Group {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_multi_skill_session_is_in_each_skill_group_or_in_the_joined_one() {
    let s = session(Some("q"), &["b", "a"], &[]);
    assert_eq!(
        groups(&s, &["requestedRoutingSkillId", "mediaType"], false),
        [
            group(&[("requestedRoutingSkillId", "b"), ("mediaType", "voice")]),
            group(&[("requestedRoutingSkillId", "a"), ("mediaType", "voice")]),
        ]
    );
    // Joined in the order requested: Genesys documents no order.
    assert_eq!(
        groups(&s, &["requestedRoutingSkillId"], true),
        [group(&[("requestedRoutingSkillId", "b,a")])]
    );
}

#[test]
fn missing_values_leave_the_dimension_out() {
    let s = session(None, &[], &[]);
    assert_eq!(
        groups(
            &s,
            &["queueId", "requestedRoutingSkillId", "direction"],
            false
        ),
        [group(&[("direction", "inbound")])]
    );
}

#[test]
fn emissions_count_in_the_bucket_of_their_emit_date() {
    let s = session(
        Some("q"),
        &["a"],
        &[
            ("tTalk", 10, 0),
            ("tTalk", 30, 899_999),
            ("tTalk", 5, 900_000),
            ("tAcw", 7, 1),
        ],
    );
    let conversation = Conversation {
        conversation_id: "c".into(),
        conversation_start: Millis(0),
        conversation_end: None,
        originating_direction: "inbound",
        division_ids: Vec::new(),
        participants: vec![crate::model::Participant {
            participant_id: "p".into(),
            participant_name: "agent".into(),
            purpose: "agent",
            user_id: None,
            sessions: vec![s],
        }],
        lag_fraction: 0.0,
    };
    let query = Aggregation {
        start: 0,
        end: 1_800_000,
        boundaries: vec![0, 900_000, 1_800_000],
        group_by: Vec::new(),
        metrics: vec!["tTalk".into()],
        flatten: false,
        filter: None,
    };
    let truth = aggregate(&[conversation], &query);
    let stats = |bucket| truth[&(from_ms(bucket), Group::new())]["tTalk"];
    assert_eq!(
        stats(0),
        Stats {
            count: 2,
            sum: 40,
            min: 10,
            max: 30
        }
    );
    assert_eq!(
        stats(900_000),
        Stats {
            count: 1,
            sum: 5,
            min: 5,
            max: 5
        }
    );
    assert!(
        truth.values().all(|m| !m.contains_key("tAcw")),
        "only the asked metrics"
    );
}
