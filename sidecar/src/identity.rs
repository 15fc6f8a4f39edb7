//! A series is its IDs; its names are labels that change.
//!
//! Genesys lets an admin rename a skill or a queue, and the plugin then writes new
//! buckets under the new name while InfluxDB keeps the old-name points (it never
//! writes one bucket under two names: its name pins). So the sidecar:
//! - reads which name each ID carries in its newest point ([`NameIndex`], from one
//!   `last()` query per range);
//! - turns a `skill`/`queue` filter into the IDs currently so named, so the filter
//!   finds their whole history, old names included ([`conditions`]);
//! - groups by the IDs and labels each group with its current name ([`Identity`]).
//!
//! Points without ID tags (a `group_by` without the dimension, or data written by
//! hand) keep being grouped and filtered by name.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use genesys_aht_contract::names::tags;

use crate::backend::Row;
use crate::request::Filters;

/// The name tags that have an ID tag, each with it.
pub const LABELLED: [(&str, &str); 2] =
    [(tags::SKILL, tags::SKILL_ID), (tags::QUEUE, tags::QUEUE_ID)];

/// Any of these tag values (an empty list matches nothing, so it is never built).
pub type AnyOf = Vec<(&'static str, String)>;

/// The names IDs carry, from the newest point of each series.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NameIndex {
    /// (ID tag, ID) → (time of its newest point, its name there).
    current: HashMap<(&'static str, String), (i64, String)>,
}

impl NameIndex {
    /// The index of the rows of a names query: one row per series, its time that of
    /// the series' newest point, with the name and ID tags.
    pub fn from_rows(rows: &[Row]) -> NameIndex {
        let mut index = NameIndex::default();
        for row in rows {
            let time = row.time_ns.unwrap_or(i64::MIN);
            for (name_tag, id_tag) in LABELLED {
                let (Some(name), Some(id)) = (row.tags.get(name_tag), row.tags.get(id_tag)) else {
                    continue;
                };
                let entry = index
                    .current
                    .entry((id_tag, id.clone()))
                    .or_insert((i64::MIN, String::new()));
                // The newest point names the ID; a tie keeps the larger name, so the
                // label does not depend on the order rows arrive in.
                if (time, name.as_str()) > (entry.0, entry.1.as_str()) {
                    *entry = (time, name.clone());
                }
            }
        }
        index
    }

    /// The current name of `id`.
    pub fn current(&self, id_tag: &'static str, id: &str) -> Option<&str> {
        self.current
            .get(&(id_tag, id.to_owned()))
            .map(|(_, name)| name.as_str())
    }

    /// The IDs whose current name is `name`.
    fn ids_named(&self, id_tag: &str, name: &str) -> BTreeSet<&str> {
        self.current
            .iter()
            .filter(|((tag, _), (_, current))| *tag == id_tag && current == name)
            .map(|((_, id), _)| id.as_str())
            .collect()
    }
}

/// The filters as conditions on tags, all of which must hold: a skill or queue name
/// matches the IDs currently so named (their whole history), and points carrying
/// that name without an ID.
pub fn conditions(filters: &Filters, index: &NameIndex) -> Vec<AnyOf> {
    let mut all = Vec::new();
    let by_name = |name_tag: &'static str, id_tag: &'static str, names: &[String]| -> AnyOf {
        let mut any: AnyOf = Vec::new();
        for name in names {
            any.extend(
                index
                    .ids_named(id_tag, name)
                    .into_iter()
                    .map(|id| (id_tag, id.to_owned())),
            );
            any.push((name_tag, name.clone()));
        }
        any
    };
    if !filters.skills.is_empty() {
        all.push(by_name(tags::SKILL, tags::SKILL_ID, &filters.skills));
    }
    if let Some(queue) = &filters.queue {
        all.push(by_name(
            tags::QUEUE,
            tags::QUEUE_ID,
            std::slice::from_ref(queue),
        ));
    }
    if let Some(media_type) = &filters.media_type {
        all.push(vec![(tags::MEDIA_TYPE, media_type.clone())]);
    }
    all
}

/// What makes two rows the same series: the IDs where present, other tags as they are.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Identity(Vec<(String, String)>);

impl Identity {
    /// The identity of a row's group tags: a name tag is left out when its ID is there.
    pub fn of(group: &BTreeMap<String, String>) -> Identity {
        let named_by_id = |tag: &str| {
            LABELLED
                .iter()
                .any(|(name, id)| *name == tag && group.contains_key(*id))
        };
        Identity(
            group
                .iter()
                .filter(|(tag, _)| !named_by_id(tag))
                .map(|(tag, value)| (tag.clone(), value.clone()))
                .collect(),
        )
    }
}

/// Labels: each ID's current name, from the index or, for an ID without a point in
/// the index's range, from the newest of `rows` (time, group tags).
pub fn relabel<'a>(
    index: &NameIndex,
    rows: impl IntoIterator<Item = (i64, &'a mut BTreeMap<String, String>)>,
) {
    let rows: Vec<_> = rows.into_iter().collect();
    let mut newest: HashMap<(&'static str, String), (i64, String)> = HashMap::new();
    for (time, group) in &rows {
        for (name_tag, id_tag) in LABELLED {
            if let (Some(id), Some(name)) = (group.get(id_tag), group.get(name_tag)) {
                let entry = newest
                    .entry((id_tag, id.clone()))
                    .or_insert((i64::MIN, String::new()));
                if (*time, name.as_str()) > (entry.0, entry.1.as_str()) {
                    *entry = (*time, name.clone());
                }
            }
        }
    }
    for (_, group) in rows {
        for (name_tag, id_tag) in LABELLED {
            let Some(id) = group.get(id_tag).cloned() else {
                continue;
            };
            let label = index
                .current(id_tag, &id)
                .map(str::to_owned)
                .or_else(|| newest.get(&(id_tag, id)).map(|(_, n)| n.clone()));
            if let Some(label) = label {
                group.insert(name_tag.to_owned(), label);
            }
        }
    }
}

/// Whether a relabelled group is what `filters` ask for. A row found through a name
/// its ID no longer carries (another skill was given that name since) is not.
pub fn asked_for(filters: &Filters, group: &BTreeMap<String, String>) -> bool {
    let skill_ok = filters.skills.is_empty()
        || group
            .get(tags::SKILL)
            .is_some_and(|s| filters.skills.contains(s));
    let queue_ok = filters
        .queue
        .as_ref()
        .is_none_or(|q| group.get(tags::QUEUE) == Some(q));
    skill_ok && queue_ok
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
