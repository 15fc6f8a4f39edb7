use std::collections::BTreeMap;

use super::*;

fn row(time_ns: i64, tags: &[(&str, &str)]) -> Row {
    Row {
        time_ns: Some(time_ns),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        values: BTreeMap::new(),
    }
}

fn group(tags: &[(&str, &str)]) -> BTreeMap<String, String> {
    tags.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Skill `a` was "Sales" and is "Sales Team" now; skill `b` is "Billing".
fn index() -> NameIndex {
    NameIndex::from_rows(&[
        row(
            10,
            &[
                ("skill", "Sales"),
                ("skill_id", "a"),
                ("queue", "Q"),
                ("queue_id", "q"),
            ],
        ),
        row(
            20,
            &[
                ("skill", "Sales Team"),
                ("skill_id", "a"),
                ("queue", "Q"),
                ("queue_id", "q"),
            ],
        ),
        row(15, &[("skill", "Billing"), ("skill_id", "b")]),
        row(5, &[("skill", "(none)"), ("skill_id", "(none)")]),
    ])
}

#[test]
fn the_newest_point_names_an_id() {
    let index = index();
    assert_eq!(index.current("skill_id", "a"), Some("Sales Team"));
    assert_eq!(index.current("skill_id", "b"), Some("Billing"));
    assert_eq!(index.current("queue_id", "q"), Some("Q"));
    assert_eq!(index.current("skill_id", "z"), None);
    // The order rows come in does not matter.
    let mut rows = vec![
        row(20, &[("skill", "Sales Team"), ("skill_id", "a")]),
        row(10, &[("skill", "Sales"), ("skill_id", "a")]),
    ];
    rows.reverse();
    assert_eq!(
        NameIndex::from_rows(&rows).current("skill_id", "a"),
        Some("Sales Team")
    );
}

#[test]
fn a_name_filter_means_the_ids_so_named_now_and_the_name_itself() {
    let filters = Filters {
        skills: vec!["Sales Team".into()],
        queue: None,
        media_type: Some("voice".into()),
    };
    let all = conditions(&filters, &index());
    assert_eq!(
        all,
        [
            vec![
                ("skill_id", "a".to_owned()),
                ("skill", "Sales Team".to_owned())
            ],
            vec![("media_type", "voice".to_owned())],
        ]
    );
    // An old name is no ID's name now: only points still carrying it match.
    let old = Filters {
        skills: vec!["Sales".into()],
        ..Filters::default()
    };
    assert_eq!(
        conditions(&old, &index()),
        [vec![("skill", "Sales".to_owned())]]
    );
}

#[test]
fn rows_are_labelled_with_current_names_and_merged_by_id() {
    let index = index();
    let mut rows = [
        (
            1,
            group(&[
                ("skill", "Sales"),
                ("skill_id", "a"),
                ("media_type", "voice"),
            ]),
        ),
        (
            2,
            group(&[
                ("skill", "Sales Team"),
                ("skill_id", "a"),
                ("media_type", "voice"),
            ]),
        ),
        // Not in the index: the newest name among the rows labels it.
        (1, group(&[("skill", "Old"), ("skill_id", "c")])),
        (3, group(&[("skill", "New"), ("skill_id", "c")])),
        // No ID: kept as it is.
        (1, group(&[("skill", "Hand written")])),
    ];
    relabel(&index, rows.iter_mut().map(|(t, g)| (*t, g)));
    let skills: Vec<&str> = rows.iter().map(|(_, g)| g["skill"].as_str()).collect();
    assert_eq!(
        skills,
        ["Sales Team", "Sales Team", "New", "New", "Hand written"]
    );
    assert_eq!(Identity::of(&rows[0].1), Identity::of(&rows[1].1));
    assert_ne!(Identity::of(&rows[0].1), Identity::of(&rows[2].1));
    assert_eq!(
        Identity::of(&group(&[
            ("skill", "Sales"),
            ("skill_id", "a"),
            ("media_type", "voice")
        ])),
        Identity::of(&rows[0].1),
        "the name is not part of the identity"
    );
}

#[test]
fn a_row_found_by_a_name_its_id_no_longer_carries_is_not_asked_for() {
    let filters = Filters {
        skills: vec!["Sales".into()],
        queue: Some("Q".into()),
        media_type: None,
    };
    assert!(asked_for(
        &filters,
        &group(&[("skill", "Sales"), ("queue", "Q")])
    ));
    assert!(!asked_for(
        &filters,
        &group(&[("skill", "Sales Team"), ("queue", "Q")])
    ));
    assert!(!asked_for(
        &filters,
        &group(&[("skill", "Sales"), ("queue", "R")])
    ));
    assert!(asked_for(&Filters::default(), &group(&[])));
}
