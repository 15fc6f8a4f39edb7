//! Shared by the end-to-end tests: the simulator's ground truth as the sidecar
//! groups it by skill, and a live stack with one gather of data ([`stack`]).

// Not every test binary that includes this module uses every helper.
#[allow(dead_code)]
pub(crate) mod stack;

use std::collections::BTreeMap;
use std::time::Duration;

use genesys_sim::{Sim, TruthQuery};

/// (window start in s, skill name) → (handle sum ms, handle count).
pub(crate) type SkillSums = BTreeMap<(i64, String), (i64, i64)>;

/// The simulator's `tHandle` truth of 15-minute buckets from `start` to `end` (Unix
/// seconds), by skill name (an ID Genesys cannot name stands for itself, a
/// conversation without a skill is `(none)`, as the plugin writes them), folded into
/// windows of `window_s`.
pub(crate) fn handle_by_skill(sim: &Sim, start: i64, end: i64, window_s: i64) -> SkillSums {
    let names: BTreeMap<String, String> =
        sim.skills().into_iter().map(|s| (s.id, s.name)).collect();
    let at = |s: i64| jiff::Timestamp::from_second(s).expect("a time");
    let truth = sim.ground_truth(&TruthQuery {
        start: at(start),
        end: at(end),
        granularity: Duration::from_secs(900),
        group_by: vec!["requestedRoutingSkillId".into()],
        metrics: vec!["tHandle".into()],
        flatten: false,
    });
    let mut out = SkillSums::new();
    for ((bucket, group), metrics) in truth {
        let Some(handle) = metrics.get("tHandle") else {
            continue;
        };
        let skill = match group.get("requestedRoutingSkillId") {
            Some(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
            None => "(none)".to_owned(),
        };
        let window = bucket.as_second().div_euclid(window_s) * window_s;
        let entry = out.entry((window, skill)).or_insert((0, 0));
        entry.0 += handle.sum;
        entry.1 += handle.count as i64;
    }
    out
}

/// (window start in s, skill name) → field name → sum.
#[allow(dead_code)]
pub(crate) type SkillFields = BTreeMap<(i64, String), BTreeMap<String, i64>>;

/// The simulator's truth of `metrics` in 15-minute buckets from `start` to `end` (Unix
/// seconds), by skill name as in [`handle_by_skill`], folded into windows of
/// `window_s`, as the fields the plugin writes them to (`tAnswered` →
/// `answered_count`, `answered_sum_ms`; `nOffered` → `offered`). A metric that has
/// nothing in a bucket has no field there, as in the plugin's points.
#[allow(dead_code)]
pub(crate) fn fields_by_skill(
    sim: &Sim,
    start: i64,
    end: i64,
    window_s: i64,
    metrics: &[&str],
) -> SkillFields {
    use genesys_aht_contract::names::{MetricKind, count_field, field_stem, sum_ms_field};
    let names: BTreeMap<String, String> =
        sim.skills().into_iter().map(|s| (s.id, s.name)).collect();
    let at = |s: i64| jiff::Timestamp::from_second(s).expect("a time");
    let truth = sim.ground_truth(&TruthQuery {
        start: at(start),
        end: at(end),
        granularity: Duration::from_secs(900),
        group_by: vec!["requestedRoutingSkillId".into()],
        metrics: metrics.iter().map(|m| (*m).to_owned()).collect(),
        flatten: false,
    });
    let mut out = SkillFields::new();
    for ((bucket, group), stats) in truth {
        let skill = match group.get("requestedRoutingSkillId") {
            Some(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
            None => "(none)".to_owned(),
        };
        let window = bucket.as_second().div_euclid(window_s) * window_s;
        let fields = out.entry((window, skill)).or_default();
        for (metric, s) in stats {
            let parts = match MetricKind::of(&metric) {
                Some(MetricKind::Timer) => vec![
                    (count_field(&metric), s.count as i64),
                    (sum_ms_field(&metric), s.sum),
                ],
                Some(MetricKind::Count) => vec![(field_stem(&metric), s.count as i64)],
                None => Vec::new(),
            };
            for (field, value) in parts {
                *fields.entry(field).or_insert(0) += value;
            }
        }
    }
    out.retain(|_, fields| !fields.is_empty());
    out
}
