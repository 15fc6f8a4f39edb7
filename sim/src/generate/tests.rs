//! The generator's timelines: bounds, and each metric where and when the README says.

use std::sync::Arc;

use super::*;
use crate::model::{Metric, Participant};
use crate::targets::{SHORT_ABANDON_MS, target};

fn generator(long: bool) -> Generator {
    let org = Arc::new(Org::new(3, &[], &[]));
    Generator::new(org, 3, 300, 0, 30 * DAY_MS, long)
}

const NOW: i64 = 1_773_100_800_000; // 2026-03-10T00:00:00Z

fn metrics(p: &Participant) -> impl Iterator<Item = &Metric> {
    p.sessions.iter().flat_map(|s| &s.metrics)
}

fn value(p: &Participant, name: &str) -> Option<i64> {
    metrics(p).find(|m| m.name == name).map(|m| m.value)
}

fn count(conversations: &[Conversation], name: &str) -> usize {
    conversations
        .iter()
        .flat_map(|c| &c.participants)
        .flat_map(metrics)
        .filter(|m| m.name == name)
        .count()
}

#[test]
fn a_day_of_the_mix_has_every_outcome_and_each_metric_on_its_participant() {
    let g = generator(false);
    let day = g.active(NOW - 2 * DAY_MS, NOW - DAY_MS, NOW - 2 * DAY_MS, NOW);
    assert!(day.len() > 6_000, "{}", day.len());
    for name in [
        "nOverSla",
        "tShortAbandon",
        "tFlowOut",
        "nTransferred",
        "nBlindTransferred",
        "nConsult",
        "nConsultTransferred",
        "tNotResponding",
    ] {
        assert!(count(&day, name) > 10, "{name}: {}", count(&day, name));
    }
    assert!(count(&day, "tAbandon") > count(&day, "tShortAbandon"));
    assert_eq!(
        count(&day, "nTransferred"),
        count(&day, "nBlindTransferred") + count(&day, "nConsultTransferred")
    );
    for c in &day {
        let end = c.conversation_end.map(|e| e.0).unwrap_or(i64::MAX);
        assert!(end - c.conversation_start.0 <= MAX_CONVERSATION_MS);
        for p in &c.participants {
            let queue = p.sessions[0]
                .segments
                .iter()
                .find_map(|s| s.queue_id.clone());
            let media = p.sessions[0].media_type;
            let index = g
                .org
                .queues
                .iter()
                .position(|q| Some(&q.id) == queue.as_ref());
            match p.purpose {
                "customer" => assert_eq!(metrics(p).count(), 0),
                "acd" => {
                    let wait = value(p, "tAcd").expect("tAcd");
                    let target = target(index.expect("a queue"), media);
                    let abandoned = value(p, "tAbandon").is_some();
                    let flowed = value(p, "tFlowOut").is_some();
                    assert!(!(abandoned && flowed));
                    assert_eq!(
                        value(p, "tShortAbandon").is_some(),
                        abandoned && wait < SHORT_ABANDON_MS
                    );
                    assert_eq!(
                        value(p, "nOverSla").is_some(),
                        !abandoned && !flowed && wait > target.duration_ms,
                        "{wait} vs {target:?}"
                    );
                }
                _ => {
                    if let Some(missed) = value(p, "tNotResponding") {
                        let timeout = target(index.expect("a queue"), media);
                        assert_eq!(missed, timeout.alerting_timeout_secs * 1_000);
                        assert_eq!(value(p, "tAlert"), Some(missed));
                        assert_eq!(metrics(p).count(), 2, "nothing else");
                    } else {
                        let handle = value(p, "tHandle").expect("tHandle");
                        let parts: i64 = metrics(p)
                            .filter(|m| matches!(m.name, "tTalk" | "tHeld" | "tAcw"))
                            .map(|m| m.value)
                            .sum();
                        assert_eq!(handle, parts);
                    }
                }
            }
        }
    }
}

#[test]
fn long_conversations_last_hours_to_days_and_are_found_by_emission() {
    let g = generator(true);
    let (from, to) = (NOW - DAY_MS, NOW - DAY_MS + HOUR_MS);
    let emitting = g.emitting_into(from, to, NOW);
    let short = generator(false).emitting_into(from, to, NOW);
    let ids = |list: &[Conversation]| -> std::collections::BTreeSet<String> {
        list.iter().map(|c| c.conversation_id.clone()).collect()
    };
    let (all_ids, short_ids) = (ids(&emitting), ids(&short));
    assert!(short_ids.is_subset(&all_ids), "the mix is the same");
    let long: Vec<_> = emitting
        .iter()
        .filter(|c| !short_ids.contains(&c.conversation_id))
        .collect();
    assert!(
        long.iter()
            .any(|c| c.conversation_start.0 < from - MAX_CONVERSATION_MS),
        "some started long before and emit into the hour"
    );
    for c in &long {
        assert!(c.end_or(NOW) - c.conversation_start.0 <= LONG_CONVERSATION_MS);
        let media = c.participants[0].sessions[0].media_type;
        assert!(matches!(media, "email" | "message" | "callback"), "{media}");
    }
    // Every conversation that emits into the hour, whenever it started.
    let everything = g.active(
        from - LONG_CONVERSATION_MS,
        to,
        from - LONG_CONVERSATION_MS,
        NOW,
    );
    let expected = everything
        .iter()
        .filter(|c| {
            c.participants
                .iter()
                .flat_map(metrics)
                .any(|m| m.emit_date.0 >= from && m.emit_date.0 < to)
        })
        .count();
    let found = emitting
        .iter()
        .filter(|c| {
            c.participants
                .iter()
                .flat_map(metrics)
                .any(|m| m.emit_date.0 >= from && m.emit_date.0 < to)
        })
        .count();
    assert_eq!(found, expected);
}
