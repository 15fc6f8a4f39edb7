use genesys_aht_contract::names::tags;
use genesys_aht_contract::{Dimension, FieldValue, Point};
use jiff::Timestamp;

use super::NamePins;

const SKILLS: &[Dimension] = &[Dimension::RequestedRoutingSkillId];

fn at(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn point(bucket: &str, id: &str, name: &str) -> Point {
    Point {
        timestamp_ns: i64::try_from(at(bucket).as_nanosecond()).expect("ns"),
        tags: vec![
            (tags::SKILL, name.to_owned()),
            (tags::SKILL_ID, id.to_owned()),
        ],
        fields: vec![("handle_count".to_owned(), FieldValue::Integer(1))],
    }
}

fn names(points: &[Point]) -> Vec<&str> {
    points.iter().map(|p| p.tags[0].1.as_str()).collect()
}

/// One poll: the points of `buckets` for skill `id` named `name`, window ending at `end`.
fn poll(pins: &mut NamePins, buckets: &[&str], name: &str, end: &str) -> (Vec<Point>, bool) {
    let mut points: Vec<Point> = buckets.iter().map(|b| point(b, "s1", name)).collect();
    let changed = pins.pin(&mut points, SKILLS, at(end));
    (points, changed)
}

/// One poll: the 09:00 bucket of skill `s1` named `Sales`, window ending at 09:15.
fn poll_sales_at_nine(pins: &mut NamePins) -> (Vec<Point>, bool) {
    poll(
        pins,
        &["2025-03-10T09:00:00Z"],
        "Sales",
        "2025-03-10T09:15:00Z",
    )
}

#[test]
fn a_rename_takes_effect_after_the_buckets_already_written() {
    let mut pins = NamePins::default();
    let (first, changed) = poll(
        &mut pins,
        &["2025-03-10T09:00:00Z", "2025-03-10T09:15:00Z"],
        "Sales",
        "2025-03-10T09:30:00Z",
    );
    assert!(changed, "a first name and a first window are saved");
    assert_eq!(names(&first), ["Sales", "Sales"]);

    // Renamed in Genesys; the next poll re-reads 09:15 and reads 09:30.
    let (second, changed) = poll(
        &mut pins,
        &["2025-03-10T09:15:00Z", "2025-03-10T09:30:00Z"],
        "Sales Team",
        "2025-03-10T09:45:00Z",
    );
    assert!(changed);
    assert_eq!(
        names(&second),
        ["Sales", "Sales Team"],
        "09:15 was written as Sales"
    );

    // Even a backfill of older buckets never written before keeps the old name.
    let (older, _) = poll(
        &mut pins,
        &["2025-03-10T08:00:00Z"],
        "Sales Team",
        "2025-03-10T08:15:00Z",
    );
    assert_eq!(names(&older), ["Sales"]);
}

#[test]
fn an_unchanged_name_in_an_already_reached_window_changes_nothing() {
    let mut pins = NamePins::default();
    poll_sales_at_nine(&mut pins);
    let (again, changed) = poll_sales_at_nine(&mut pins);
    assert!(!changed, "nothing to save");
    assert_eq!(names(&again), ["Sales"]);
}

#[test]
fn pins_survive_a_save_and_a_reload() {
    let mut pins = NamePins::default();
    poll_sales_at_nine(&mut pins);
    let text = serde_json::to_string(&pins).expect("json");
    let mut reloaded: NamePins = serde_json::from_str(&text).expect("parse");
    assert_eq!(reloaded, pins);
    let (again, _) = poll(
        &mut reloaded,
        &["2025-03-10T09:00:00Z", "2025-03-10T09:15:00Z"],
        "Renamed",
        "2025-03-10T09:30:00Z",
    );
    assert_eq!(names(&again), ["Sales", "Renamed"]);
}

#[test]
fn flattened_sets_and_groups_without_a_skill_are_pinned_by_their_id_tag() {
    let mut pins = NamePins::default();
    let mut points = vec![
        point("2025-03-10T09:00:00Z", "a,b", "A | B"),
        point("2025-03-10T09:00:00Z", "(none)", "(none)"),
    ];
    pins.pin(&mut points, SKILLS, at("2025-03-10T09:15:00Z"));
    let mut later = vec![
        point("2025-03-10T09:00:00Z", "a,b", "A2 | B"),
        point("2025-03-10T09:00:00Z", "(none)", "(none)"),
    ];
    pins.pin(&mut later, SKILLS, at("2025-03-10T09:15:00Z"));
    assert_eq!(names(&later), ["A | B", "(none)"]);
}

#[test]
fn pruning_keeps_the_name_in_force_at_the_oldest_writable_bucket() {
    let mut pins = NamePins::default();
    poll(
        &mut pins,
        &["2025-03-10T09:00:00Z"],
        "One",
        "2025-03-10T09:15:00Z",
    );
    poll(
        &mut pins,
        &["2025-03-10T09:15:00Z"],
        "Two",
        "2025-03-10T09:30:00Z",
    );
    poll(
        &mut pins,
        &["2025-03-10T09:30:00Z"],
        "Three",
        "2025-03-10T09:45:00Z",
    );
    pins.prune(at("2025-03-10T09:20:00Z"));
    let (points, _) = poll(
        &mut pins,
        &["2025-03-10T09:15:00Z", "2025-03-10T09:30:00Z"],
        "Three",
        "2025-03-10T09:45:00Z",
    );
    assert_eq!(names(&points), ["Two", "Three"]);
    let text = serde_json::to_string(&pins).expect("json");
    assert!(
        !text.contains("One"),
        "the span before the prune point is gone: {text}"
    );
}
