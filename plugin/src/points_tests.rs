use std::collections::BTreeMap;

use genesys_aht_contract::names::tags;

use super::*;
use crate::genesys::routing::Entity;
use crate::rows::{MetricStats, Row};

fn row(group: &[(&str, &str)], metrics: &[(&str, i64, Option<i64>)]) -> Row {
    Row {
        bucket_start: "2025-03-10T08:00:00Z".parse().expect("ts"),
        group: group
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        metrics: metrics
            .iter()
            .map(|(m, count, sum)| {
                (
                    m.to_string(),
                    MetricStats {
                        count: *count,
                        sum: *sum,
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
    }
}

fn skills() -> NameMap {
    NameMap::from_entities([
        Entity {
            id: "s1".into(),
            name: "Billing, Tier 2".into(),
        },
        Entity {
            id: "s2".into(),
            name: "Sales".into(),
        },
    ])
}

fn tag<'a>(point: &'a Point, key: &str) -> Option<&'a str> {
    point
        .tags
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

fn field(point: &Point, key: &str) -> Option<FieldValue> {
    point.fields.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

const GROUP_BY: [Dimension; 2] = [Dimension::RequestedRoutingSkillId, Dimension::MediaType];

fn metrics() -> Vec<String> {
    ["tHandle", "tTalk", "nOffered"].map(String::from).into()
}

#[test]
fn a_point_has_tags_of_the_grouping_and_sums_counts_and_aht() {
    let skills = skills();
    let names = NameBook {
        skills: Some(&skills),
        queues: None,
    };
    let rows = [row(
        &[("requestedRoutingSkillId", "s1"), ("mediaType", "voice")],
        &[("tHandle", 4, Some(1_000_000)), ("nOffered", 5, None)],
    )];
    let points = build(&rows, &GROUP_BY, &metrics(), &names);
    assert_eq!(points.len(), 1);
    let p = &points[0];
    assert_eq!(p.timestamp_ns, 1_741_593_600_000_000_000);
    assert_eq!(tag(p, tags::SKILL), Some("Billing, Tier 2"));
    assert_eq!(tag(p, tags::SKILL_ID), Some("s1"));
    assert_eq!(tag(p, tags::MEDIA_TYPE), Some("voice"));
    assert_eq!(
        tag(p, tags::QUEUE),
        None,
        "no tag for a dimension not grouped by"
    );
    assert_eq!(field(p, "handle_count"), Some(FieldValue::Integer(4)));
    assert_eq!(
        field(p, "handle_sum_ms"),
        Some(FieldValue::Integer(1_000_000))
    );
    assert_eq!(field(p, "offered"), Some(FieldValue::Integer(5)));
    assert_eq!(field(p, "avg_handle_time"), Some(FieldValue::Float(250.0)));
    assert_eq!(
        field(p, "talk_count"),
        None,
        "a metric missing in the bucket has no field"
    );
}

#[test]
fn missing_dimensions_are_marked_and_unknown_ids_keep_their_id() {
    let skills = skills();
    let names = NameBook {
        skills: Some(&skills),
        queues: None,
    };
    let rows = [
        row(&[("mediaType", "chat")], &[("nOffered", 1, None)]),
        row(
            &[
                ("requestedRoutingSkillId", "deleted-id"),
                ("mediaType", "chat"),
            ],
            &[("nOffered", 1, None)],
        ),
    ];
    let points = build(&rows, &GROUP_BY, &metrics(), &names);
    assert_eq!(tag(&points[0], tags::SKILL), Some(NONE));
    assert_eq!(tag(&points[0], tags::SKILL_ID), Some(NONE));
    assert_eq!(tag(&points[1], tags::SKILL), Some("deleted-id"));
    assert_eq!(
        field(&points[0], "avg_handle_time"),
        None,
        "no AHT without handled conversations"
    );
}

#[test]
fn flattened_skill_sets_join_names_unambiguously() {
    let skills = skills();
    let names = NameBook {
        skills: Some(&skills),
        queues: None,
    };
    let rows = [row(
        &[("requestedRoutingSkillId", "s1,s2,s9")],
        &[("tTalk", 1, Some(10))],
    )];
    let points = build(&rows, &GROUP_BY[..1], &metrics(), &names);
    assert_eq!(
        tag(&points[0], tags::SKILL),
        Some("Billing, Tier 2 | Sales | s9")
    );
    assert_eq!(tag(&points[0], tags::SKILL_ID), Some("s1,s2,s9"));
    let ids = ids_of(&rows, Dimension::RequestedRoutingSkillId);
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["s1", "s2", "s9"]);
}

#[test]
fn zero_handle_count_and_empty_buckets_write_nothing_wrong() {
    let rows = [
        row(&[], &[("tHandle", 0, Some(0))]),
        row(&[], &[("tAbandon", 3, Some(9))]),
    ];
    let points = build(&rows, &[], &metrics(), &NameBook::default());
    assert_eq!(
        points.len(),
        1,
        "a bucket with none of the requested metrics is not a point"
    );
    assert_eq!(field(&points[0], "avg_handle_time"), None);
    assert_eq!(
        field(&points[0], "handle_count"),
        Some(FieldValue::Integer(0))
    );
    assert!(points[0].tags.is_empty());
}
