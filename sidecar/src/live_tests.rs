//! Unit tests of [`super`]: parameters, and each queue's newest poll.

use super::*;
use crate::config::LimitsConfig;

fn row(t: i64, tags: &[(&str, &str)], values: &[(&str, f64)]) -> Row {
    Row {
        time_ns: Some(t),
        tags: tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        values: values.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect(),
    }
}

#[test]
fn every_contract_field_has_its_place_in_a_row() {
    for field in fields() {
        let mut r = QueueRow::default();
        *r.slot(field).expect(field) = Some(7);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json[field], 7, "{field} is answered under its own name");
    }
    assert!(QueueRow::default().slot("handle_count").is_none());
}

#[test]
fn a_queue_is_its_newest_poll_and_nothing_older() {
    let q1 = [("queue", "Support"), ("queue_id", "q1")];
    let rows = vec![
        // The newest poll of q1: voice, and the users by status.
        row(
            20,
            &[q1[0], q1[1], ("media_type", "voice")],
            &[("waiting", 3.0), ("longest_waiting_ms", 5000.0)],
        ),
        row(
            20,
            &[q1[0], q1[1], ("routing_status", "IDLE")],
            &[("on_queue_users", 2.0), ("routing_status_users", 2.0)],
        ),
        // An older poll's breakdown the newest did not write: left out.
        row(
            10,
            &[q1[0], q1[1], ("media_type", "chat")],
            &[("waiting", 9.0)],
        ),
        // Another queue, polled earlier: its own newest.
        row(
            15,
            &[("queue", "Billing"), ("queue_id", "q2")],
            &[
                ("active_users", 4.0),
                ("member_users", 6.0),
                ("colour", 1.5),
            ],
        ),
    ];
    let answer = queues_answer(rows, 300);
    assert_eq!(answer.window_s, 300);
    // (queue, media type, routing status, the row's count)
    type Shown<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>, i64);
    let got: Vec<Shown<'_>> = answer
        .data
        .iter()
        .map(|r| {
            (
                r.queue.as_deref(),
                r.media_type.as_deref(),
                r.routing_status.as_deref(),
                r.waiting.or(r.on_queue_users).or(r.active_users).unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (Some("Billing"), None, None, 4),
            (Some("Support"), None, Some("IDLE"), 2),
            (Some("Support"), Some("voice"), None, 3),
        ]
    );
    assert_eq!(answer.data[2].timestamp, rfc3339(20));
    assert_eq!(answer.data[2].longest_waiting_ms, Some(5000));
    assert_eq!(answer.data[2].alerting, None, "absent stays absent");
    let json = serde_json::to_value(&answer.data[0]).unwrap();
    assert!(json.get("colour").is_none() && json.get("waiting").is_none());
}

#[test]
fn only_whole_numbers_are_counts() {
    let r = queue_row(row(
        1,
        &[],
        &[
            ("waiting", 1.5),
            ("alerting", f64::NAN),
            ("interacting", 1e300),
            ("member_users", -0.0),
        ],
    ));
    assert_eq!((r.waiting, r.alerting, r.interacting), (None, None, None));
    assert_eq!(r.member_users, Some(0));
}

fn parse(pairs: &[(&str, &str)]) -> Result<QueuesRequest, String> {
    parse_queues(pairs.to_vec(), &LimitsConfig::default()).map_err(|e| e.0)
}

#[test]
fn queues_are_names_sorted_once_and_all_is_no_filter() {
    assert_eq!(parse(&[]).unwrap().queues, Vec::<String>::new());
    let both = parse(&[("queue", "b"), ("var-queue", "a"), ("queue", "b")]).unwrap();
    assert_eq!(both.queues, ["a", "b"]);
    assert_eq!(
        parse(&[("queue", "$__all"), ("queue", "")]).unwrap().queues,
        Vec::<String>::new()
    );
    let unknown = parse(&[("skill", "x")]).unwrap_err();
    assert!(unknown.contains("unknown parameter \"skill\""), "{unknown}");
    let limits = LimitsConfig::default();
    let long = "q".repeat(limits.max_value_chars + 1);
    assert!(
        parse(&[("queue", &long)])
            .unwrap_err()
            .contains("longer than")
    );
    let many: Vec<String> = (0..=limits.max_skills).map(|i| format!("q{i}")).collect();
    let pairs: Vec<(&str, &str)> = many.iter().map(|q| ("queue", q.as_str())).collect();
    assert!(parse(&pairs).unwrap_err().contains("more than"));
}
