//! Shared by the end-to-end tests: the simulator's ground truth as the sidecar
//! groups it by skill, and a live stack with one gather of data ([`stack`]).

// Not every test binary that includes this module uses every helper.
#[allow(dead_code)]
pub(crate) mod stack;

use std::collections::BTreeMap;
use std::time::Duration;

use genesys_aht_tests::kpi;
use genesys_sim::{Sim, TruthQuery};

/// (window start in s, skill name) → Genesys metric → its tally there.
#[allow(dead_code)]
pub(crate) type SkillTallies = BTreeMap<(i64, String), kpi::Metrics>;

/// The simulator's truth of `metrics` in 15-minute buckets from `start` to `end` (Unix
/// seconds), by skill name (an ID Genesys cannot name stands for itself, a
/// conversation without a skill is `(none)`, as the plugin writes them), folded into
/// windows of `window_s`. A metric with nothing in a window is absent there.
pub(crate) fn tallies_by_skill(
    sim: &Sim,
    start: i64,
    end: i64,
    window_s: i64,
    metrics: &[&str],
) -> SkillTallies {
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
    let mut out = SkillTallies::new();
    for ((bucket, group), stats) in truth {
        let skill = match group.get("requestedRoutingSkillId") {
            Some(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
            None => "(none)".to_owned(),
        };
        let window = bucket.as_second().div_euclid(window_s) * window_s;
        let tallies = out.entry((window, skill)).or_default();
        for (metric, s) in stats {
            let tally = tallies.entry(metric).or_default();
            tally.count += s.count as i64;
            tally.sum += s.sum;
        }
    }
    out.retain(|_, tallies| !tallies.is_empty());
    out
}

/// (window start in s, skill name) → (handle sum ms, handle count).
pub(crate) type SkillSums = BTreeMap<(i64, String), (i64, i64)>;

/// The simulator's `tHandle` truth by skill name, as [`tallies_by_skill`] folds it.
pub(crate) fn handle_by_skill(sim: &Sim, start: i64, end: i64, window_s: i64) -> SkillSums {
    tallies_by_skill(sim, start, end, window_s, &["tHandle"])
        .into_iter()
        .filter_map(|(key, tallies)| {
            let handle = tallies.get("tHandle")?;
            Some((key, (handle.sum, handle.count)))
        })
        .collect()
}

/// (window start in s, skill name) → field name → sum.
#[allow(dead_code)]
pub(crate) type SkillFields = BTreeMap<(i64, String), BTreeMap<String, i64>>;

/// The simulator's truth of `metrics` by skill name, as [`tallies_by_skill`] folds
/// it, as the fields the plugin writes them to (`tAnswered` → `answered_count`,
/// `answered_sum_ms`; `nOffered` → `offered`). A metric that has nothing in a window
/// has no field there, as in the plugin's points.
#[allow(dead_code)]
pub(crate) fn fields_by_skill(
    sim: &Sim,
    start: i64,
    end: i64,
    window_s: i64,
    metrics: &[&str],
) -> SkillFields {
    use genesys_aht_contract::names::{MetricKind, count_field, field_stem, sum_ms_field};
    let fields = |tallies: kpi::Metrics| -> BTreeMap<String, i64> {
        let mut out = BTreeMap::new();
        for (metric, t) in tallies {
            let parts = match MetricKind::of(&metric) {
                Some(MetricKind::Timer) => {
                    vec![
                        (count_field(&metric), t.count),
                        (sum_ms_field(&metric), t.sum),
                    ]
                }
                Some(MetricKind::Count) => vec![(field_stem(&metric), t.count)],
                None => Vec::new(),
            };
            for (field, value) in parts {
                *out.entry(field).or_insert(0) += value;
            }
        }
        out
    };
    let mut out: SkillFields = tallies_by_skill(sim, start, end, window_s, metrics)
        .into_iter()
        .map(|(key, tallies)| (key, fields(tallies)))
        .collect();
    out.retain(|_, fields| !fields.is_empty());
    out
}
