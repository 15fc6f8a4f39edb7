//! Name pins: a bucket keeps the names it was first written with.
//!
//! A point's series is its tags, and `skill` and `queue` are names that an admin can
//! change. Every poll re-reads `lookback`, so after a rename the same buckets would be
//! written again under the new name while InfluxDB keeps the old-name points: the
//! same conversations would exist in two series. So a name change takes effect only
//! from the first bucket that may not have been written yet (the end of the newest
//! bucket ever written, recorded *before* each write); buckets before it keep the name
//! they were written with. Each bucket of an ID is therefore written under exactly one
//! name, and readers that group by the ID tags (the sidecar) see one series carrying
//! its current name.
//!
//! The pins are kept in the state file, so a rename during downtime is handled too.

use std::collections::BTreeMap;

use genesys_aht_contract::{Dimension, Point};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::points::NONE;

/// From `from` on (a bucket start), the ID is written under `name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Span {
    from: Timestamp,
    name: String,
}

/// The names written per ID, and how far writing may have reached.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamePins {
    /// The end of the newest bucket that may have been written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    written_end: Option<Timestamp>,
    /// Per `"<id tag>=<id>"`, the names it was written under, oldest first.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    names: BTreeMap<String, Vec<Span>>,
}

impl NamePins {
    /// Gives every point of a batch about to be written, whose buckets end at or
    /// before `window_end`, the name pinned for its bucket, recording new names as
    /// taking effect after everything possibly written so far. Returns whether the
    /// pins changed: they must then be saved *before* the batch is written.
    pub fn pin(
        &mut self,
        points: &mut [Point],
        group_by: &[Dimension],
        window_end: Timestamp,
    ) -> bool {
        let horizon = self.written_end;
        let mut changed = false;
        for point in points.iter_mut() {
            let bucket = Timestamp::from_nanosecond(i128::from(point.timestamp_ns))
                .unwrap_or(Timestamp::MIN);
            for dim in group_by {
                if let Some(id_tag) = dim.id_tag() {
                    changed |= self.pin_tag(point, dim.value_tag(), id_tag, bucket, horizon);
                }
            }
        }
        if self.written_end.is_none_or(|end| end < window_end) {
            self.written_end = Some(window_end);
            changed = true;
        }
        changed
    }

    fn pin_tag(
        &mut self,
        point: &mut Point,
        name_tag: &str,
        id_tag: &'static str,
        bucket: Timestamp,
        horizon: Option<Timestamp>,
    ) -> bool {
        let Some(id) = tag(point, id_tag).filter(|id| *id != NONE) else {
            return false;
        };
        let key = format!("{id_tag}={id}");
        let Some(name) = tag(point, name_tag).map(str::to_owned) else {
            return false;
        };
        let spans = self.names.entry(key).or_default();
        let changed = record(spans, &name, horizon);
        let pinned = spans
            .iter()
            .rev()
            .find(|s| s.from <= bucket)
            .or(spans.first())
            .map(|s| s.name.clone());
        if let Some(pinned) = pinned
            && let Some(slot) = point.tags.iter_mut().find(|(k, _)| *k == name_tag)
        {
            slot.1 = pinned;
        }
        changed
    }

    /// Forgets what no later write can need: spans that end before `before` (the
    /// oldest bucket a poll may still write), keeping each ID's span in force then.
    pub fn prune(&mut self, before: Timestamp) {
        for spans in self.names.values_mut() {
            let superseded = spans
                .iter()
                .skip(1)
                .take_while(|s| s.from <= before)
                .count();
            spans.drain(..superseded);
        }
    }
}

/// Adds `name` as the ID's name from `horizon` on if it differs from the latest one.
fn record(spans: &mut Vec<Span>, name: &str, horizon: Option<Timestamp>) -> bool {
    match (spans.last_mut(), horizon) {
        (Some(last), _) if last.name == name => false,
        // Nothing can have been written yet: the new name holds for every bucket.
        (Some(last), None) => {
            last.name = name.to_owned();
            true
        }
        (Some(last), Some(from)) if last.from >= from => {
            last.name = name.to_owned();
            true
        }
        (last, horizon) => {
            let from = match (last, horizon) {
                (Some(_), Some(from)) => from,
                _ => Timestamp::MIN,
            };
            spans.push(Span {
                from,
                name: name.to_owned(),
            });
            true
        }
    }
}

fn tag<'p>(point: &'p Point, key: &str) -> Option<&'p str> {
    point
        .tags
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
#[path = "pins_tests.rs"]
mod tests;
