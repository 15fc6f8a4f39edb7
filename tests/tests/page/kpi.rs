//! The KPIs' ground truth for the page test: the simulator's stats of 15-minute
//! buckets by skill, folded into windows, and each KPI's numerator and denominator
//! computed by the README's definitions ("GET /metrics/kpi"), independently of the
//! sidecar's code. Generic over which metrics the simulator emits: a metric with no
//! emission counts 0.

use std::collections::BTreeMap;
use std::time::Duration;

use genesys_sim::{Sim, TruthQuery};

/// The Genesys metrics the four KPIs are made of.
const METRICS: [&str; 8] = [
    "tAnswered",
    "nOverSla",
    "tAbandon",
    "tShortAbandon",
    "tFlowOut",
    "nOffered",
    "nTransferred",
    "tHandle",
];

/// The KPIs' names, as `/metrics/kpi` and the page call them.
pub(crate) const KPIS: [&str; 4] = ["service_level", "asa", "abandonment", "transfer_rate"];

/// The service-level denominator the test's sidecars are configured with: short
/// abandons left out, flow-outs counted (neither is the default), so every metric
/// above has a part in some KPI.
pub(crate) const SERVICE_LEVEL_TOML: &str = "[service_level]\ninclude_abandons = true\ninclude_short_abandons = false\ninclude_flow_outs = true\n";

/// (window start s, skill) → KPI → (numerator, denominator).
pub(crate) type KpiTruth = BTreeMap<(i64, String), BTreeMap<&'static str, (i64, i64)>>;

/// The parts of every KPI of 15-minute buckets from `start` to `end` (Unix s), by
/// skill name (as `common::handle_by_skill` names them), in windows of `window_s`.
pub(crate) fn kpi_by_skill(sim: &Sim, start: i64, end: i64, window_s: i64) -> KpiTruth {
    let names: BTreeMap<String, String> =
        sim.skills().into_iter().map(|s| (s.id, s.name)).collect();
    let at = |s: i64| jiff::Timestamp::from_second(s).expect("a time");
    let truth = sim.ground_truth(&TruthQuery {
        start: at(start),
        end: at(end),
        granularity: Duration::from_secs(900),
        group_by: vec!["requestedRoutingSkillId".into()],
        metrics: METRICS.iter().map(|m| (*m).to_owned()).collect(),
        flatten: false,
    });
    // (window, skill) → metric → (count, sum): the shape of a KpiTruth.
    let mut stats = KpiTruth::new();
    for ((bucket, group), metrics) in truth {
        let skill = match group.get("requestedRoutingSkillId") {
            Some(id) => names.get(id).cloned().unwrap_or_else(|| id.clone()),
            None => "(none)".to_owned(),
        };
        let window = bucket.as_second().div_euclid(window_s) * window_s;
        let into = stats.entry((window, skill)).or_default();
        for metric in METRICS {
            if let Some(s) = metrics.get(metric) {
                let e = into.entry(metric).or_default();
                e.0 += s.count as i64;
                e.1 += s.sum;
            }
        }
    }
    stats
        .into_iter()
        .map(|(key, m)| {
            let count = |metric: &str| m.get(metric).map_or(0, |s| s.0);
            let sum = |metric: &str| m.get(metric).map_or(0, |s| s.1);
            let answered = count("tAnswered");
            // include_abandons, not include_short_abandons, include_flow_outs.
            let sl_den = answered + count("tAbandon") - count("tShortAbandon") + count("tFlowOut");
            let parts = BTreeMap::from([
                ("service_level", (answered - count("nOverSla"), sl_den)),
                ("asa", (sum("tAnswered"), answered)),
                ("abandonment", (count("tAbandon"), count("nOffered"))),
                ("transfer_rate", (count("nTransferred"), count("tHandle"))),
            ]);
            (key, parts)
        })
        .collect()
}

/// A KPI's value from its parts, by the README: `None` when the denominator is 0;
/// ASA in seconds (its numerator in milliseconds), the others a fraction.
pub(crate) fn value(kpi: &str, (num, den): (i64, i64)) -> Option<f64> {
    let scale = if kpi == "asa" { 1000.0 } else { 1.0 };
    (den != 0).then(|| num as f64 / den as f64 / scale)
}
