//! What every backend produces (sums per window and group) and the JSON the sidecar answers.

use std::collections::{BTreeMap, HashMap};

use genesys_aht_contract::names::tags;
use salvo::oapi::ToSchema;
use serde::Serialize;

use crate::identity::{self, Identity, NameIndex};
use crate::request::{Filters, rfc3339};

/// The tags both query builders (`flux`, `influxql`) group by: every tag of the
/// contract. Rows are then merged by [`Identity`] (the IDs, not the names, which
/// change) and labelled with each ID's current name.
pub const GROUP_TAGS: [&str; 6] = [
    tags::SKILL,
    tags::SKILL_ID,
    tags::QUEUE,
    tags::QUEUE_ID,
    tags::MEDIA_TYPE,
    tags::DIRECTION,
];

/// One window of one group, as a backend read it: sums, not averages.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowSums {
    /// Window start, nanoseconds since the epoch.
    pub start_ns: i64,
    /// Group tag → value; absent or empty tags are left out.
    pub group: BTreeMap<String, String>,
    /// `sum(handle_sum_ms)`; `None` when no point in the window had the field.
    pub handle_sum_ms: Option<f64>,
    /// `sum(handle_count)`; `None` when no point in the window had the field.
    pub handle_count: Option<f64>,
}

/// The body of `GET /metrics/aht`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AhtAnswer {
    /// One entry per (window, group) that has data, ordered by time, then skill,
    /// queue, media type, direction.
    pub data: Vec<AhtWindow>,
}

/// Weighted average handle time of one window and group.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AhtWindow {
    /// Window start (RFC 3339, UTC).
    pub timestamp: String,
    /// The group: names and IDs.
    #[serde(flatten)]
    pub group: WindowGroup,
    /// `sum(handle_sum_ms) / sum(handle_count) / 1000`, in seconds; `null` when no
    /// conversation was handled in the window (`conversation_count` is 0).
    pub avg_handle_time: Option<f64>,
    /// Handled conversations: `sum(handle_count)`.
    pub conversation_count: i64,
    /// Total handle time in milliseconds: `sum(handle_sum_ms)`, for re-weighting.
    pub handle_sum_ms: i64,
}

/// The group of one window in an answer (`/metrics/aht`, `/metrics/kpi`): the names
/// (current ones) and IDs of its tags, each present when the data is grouped by it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct WindowGroup {
    /// Requested skill name, the skill's current one (a renamed skill is one series
    /// under its new name); `null` when the data is not grouped by skill.
    pub skill: Option<String>,
    /// Requested skill ID (joined IDs for a flattened skill set), when written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skill_id: Option<String>,
    /// Queue name (its current one), when the data is grouped by queue.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<String>,
    /// Queue ID, when written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_id: Option<String>,
    /// Media type, when the data is grouped by media type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Direction, when the data is grouped by direction.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
}

impl WindowGroup {
    /// The group of a backend's window (tag → value).
    pub fn from_tags(mut tags: BTreeMap<String, String>) -> WindowGroup {
        WindowGroup {
            skill: tags.remove(tags::SKILL),
            skill_id: tags.remove(tags::SKILL_ID),
            queue: tags.remove(tags::QUEUE),
            queue_id: tags.remove(tags::QUEUE_ID),
            media_type: tags.remove(tags::MEDIA_TYPE),
            direction: tags.remove(tags::DIRECTION),
        }
    }

    /// The order of an answer's windows of one time: the names, then the other
    /// tags, then the IDs that tell apart two series of one name.
    pub(crate) fn order(&self) -> [Option<&String>; 6] {
        [
            self.skill.as_ref(),
            self.queue.as_ref(),
            self.media_type.as_ref(),
            self.direction.as_ref(),
            self.skill_id.as_ref(),
            self.queue_id.as_ref(),
        ]
    }
}

/// Sorts an answer's windows, each with its start, by time then group
/// ([`WindowGroup::order`]), and drops the starts.
///
/// Ordered on the answer's own fields: looking each tag up in every window's map,
/// on both sides of every comparison, was most of the time of a large answer.
/// Windows were merged by series, so no two keys are equal and an unstable sort
/// (no buffer) gives one order.
pub(crate) fn in_order<W>(mut windows: Vec<(i64, W)>, group: fn(&W) -> &WindowGroup) -> Vec<W> {
    windows.sort_unstable_by(|(a_ns, a), (b_ns, b)| {
        a_ns.cmp(b_ns)
            .then_with(|| group(a).order().cmp(&group(b).order()))
    });
    windows.into_iter().map(|(_, w)| w).collect()
}

/// The body of `GET /skills`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkillsAnswer {
    /// Skill names with data in the range, sorted.
    pub data: Vec<String>,
    /// The same names as rows (`{"skill": name}`), the shape Infinity's parsers read
    /// as a table: a dashboard variable query uses root `skills`, column `skill`.
    pub skills: Vec<SkillOption>,
}

/// One row of [`SkillsAnswer::skills`].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkillOption {
    /// A skill name with data in the range.
    pub skill: String,
}

impl SkillsAnswer {
    /// The answer for these sorted names.
    pub fn new(data: Vec<String>) -> SkillsAnswer {
        let skills = data
            .iter()
            .map(|skill| SkillOption {
                skill: skill.clone(),
            })
            .collect();
        SkillsAnswer { data, skills }
    }
}

impl AhtWindow {
    /// The weighted average from a window's sums; the average is computed here, never
    /// by the database (InfluxQL answers `x / 0` with 0, which would read as a 0 s AHT).
    pub fn from_sums(sums: WindowSums) -> AhtWindow {
        let count = sums.handle_count.unwrap_or(0.0).round() as i64;
        let sum_ms = sums.handle_sum_ms.unwrap_or(0.0).round() as i64;
        let avg_handle_time = (count > 0).then(|| sum_ms as f64 / count as f64 / 1000.0);
        AhtWindow {
            timestamp: rfc3339(sums.start_ns),
            group: WindowGroup::from_tags(sums.group),
            avg_handle_time,
            conversation_count: count,
            handle_sum_ms: sum_ms,
        }
    }
}

/// Turns a backend's windows into the answer, in a fixed order whatever the backend:
/// labelled with current names, restricted to what `filters` ask for, and the
/// windows of one series (one ID under several names) added up.
pub fn aht_answer(mut windows: Vec<WindowSums>, names: &NameIndex, filters: &Filters) -> AhtAnswer {
    identity::relabel(
        names,
        windows.iter_mut().map(|w| (w.start_ns, &mut w.group)),
    );
    let mut merged: HashMap<(i64, Identity), WindowSums> = HashMap::with_capacity(windows.len());
    for window in windows {
        if window.handle_count.is_none() && window.handle_sum_ms.is_none()
            || !identity::asked_for(filters, &window.group)
        {
            continue;
        }
        let key = (window.start_ns, Identity::of(&window.group));
        match merged.get_mut(&key) {
            Some(sums) => {
                sums.handle_sum_ms = add(sums.handle_sum_ms, window.handle_sum_ms);
                sums.handle_count = add(sums.handle_count, window.handle_count);
            }
            None => {
                merged.insert(key, window);
            }
        }
    }
    let answer: Vec<(i64, AhtWindow)> = merged
        .into_values()
        .map(|w| (w.start_ns, AhtWindow::from_sums(w)))
        .collect();
    AhtAnswer {
        data: in_order(answer, |w| &w.group),
    }
}

fn add(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a + b),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(start_ns: i64, skill: &str, sum: Option<f64>, count: Option<f64>) -> WindowSums {
        WindowSums {
            start_ns,
            group: BTreeMap::from([("skill".to_string(), skill.to_string())]),
            handle_sum_ms: sum,
            handle_count: count,
        }
    }

    #[test]
    fn the_average_is_weighted_and_zero_counts_give_null() {
        let w = AhtWindow::from_sums(sums(0, "a", Some(901_500.0), Some(3.0)));
        assert_eq!(w.avg_handle_time, Some(300.5));
        assert_eq!(w.conversation_count, 3);
        assert_eq!(w.timestamp, "1970-01-01T00:00:00Z");
        let none = AhtWindow::from_sums(sums(0, "a", Some(0.0), Some(0.0)));
        assert_eq!(none.avg_handle_time, None);
        assert_eq!(none.conversation_count, 0);
    }

    #[test]
    fn windows_without_either_sum_are_dropped_and_the_rest_ordered() {
        let answer = aht_answer(
            vec![
                sums(2, "b", Some(1.0), Some(1.0)),
                sums(1, "z", None, None),
                sums(2, "a", Some(1.0), Some(1.0)),
                sums(1, "c", Some(1.0), Some(1.0)),
            ],
            &NameIndex::default(),
            &Filters::default(),
        );
        let order: Vec<_> = answer
            .data
            .iter()
            .map(|w| w.group.skill.clone().unwrap())
            .collect();
        assert_eq!(order, ["c", "a", "b"]);
    }

    #[test]
    fn windows_are_ordered_by_time_then_by_group_tags_in_their_order() {
        let window = |start_ns: i64, tags: &[(&str, &str)]| WindowSums {
            start_ns,
            group: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            handle_sum_ms: Some(1.0),
            handle_count: Some(1.0),
        };
        let answer = aht_answer(
            vec![
                window(2, &[("skill", "a")]),
                window(1, &[("skill", "b"), ("queue", "q1")]),
                window(1, &[("skill", "a"), ("queue", "q2")]),
                window(1, &[("skill", "a"), ("queue", "q1"), ("direction", "out")]),
                window(
                    1,
                    &[("skill", "a"), ("queue", "q1"), ("media_type", "voice")],
                ),
                window(1, &[("queue", "q9")]),
            ],
            &NameIndex::default(),
            &Filters::default(),
        );
        let order: Vec<(String, [Option<&String>; 6])> = answer
            .data
            .iter()
            .map(|w| (w.timestamp.clone(), w.group.order()))
            .collect();
        let s = |v: &str| Some(v.to_string());
        let want = [
            (
                "1970-01-01T00:00:00.000000001Z",
                [None, s("q9"), None, None, None, None],
            ),
            (
                "1970-01-01T00:00:00.000000001Z",
                [s("a"), s("q1"), None, s("out"), None, None],
            ),
            (
                "1970-01-01T00:00:00.000000001Z",
                [s("a"), s("q1"), s("voice"), None, None, None],
            ),
            (
                "1970-01-01T00:00:00.000000001Z",
                [s("a"), s("q2"), None, None, None, None],
            ),
            (
                "1970-01-01T00:00:00.000000001Z",
                [s("b"), s("q1"), None, None, None, None],
            ),
            (
                "1970-01-01T00:00:00.000000002Z",
                [s("a"), None, None, None, None, None],
            ),
        ];
        assert_eq!(order.len(), want.len());
        for ((time, group), (want_time, want_group)) in order.iter().zip(&want) {
            assert_eq!(time, want_time);
            assert_eq!(group.map(|t| t.cloned()), *want_group);
        }
    }

    #[test]
    fn absent_tags_are_left_out_of_the_json() {
        let json =
            serde_json::to_value(AhtWindow::from_sums(sums(0, "a", Some(1.0), Some(1.0)))).unwrap();
        assert!(json.get("queue").is_none());
        assert_eq!(json["skill"], "a");
    }
}
