//! The KPIs' ground truth for the page test: the simulator's tallies by skill
//! (`common::tallies_by_skill`), each KPI's numerator and denominator by the README's
//! definitions (`genesys_aht_tests::kpi`), independently of the sidecar's code.

use std::collections::BTreeMap;

use genesys_aht_tests::kpi::{self as definitions, ServiceLevel};
use genesys_sim::Sim;

pub(crate) use genesys_aht_tests::kpi::KPIS;

/// The service-level denominator the test's sidecars are configured with: short
/// abandons left out, flow-outs counted (neither is the default), so every metric
/// the KPIs are made of has a part in some KPI.
pub(crate) const SERVICE_LEVEL: ServiceLevel = ServiceLevel {
    include_abandons: true,
    include_short_abandons: false,
    include_flow_outs: true,
};

/// (window start s, skill) → KPI → (numerator, denominator).
pub(crate) type KpiTruth = BTreeMap<(i64, String), BTreeMap<&'static str, (i64, i64)>>;

/// The parts of every KPI of 15-minute buckets from `start` to `end` (Unix s), by
/// skill name (as `common::tallies_by_skill` names them), in windows of `window_s`.
pub(crate) fn kpi_by_skill(sim: &Sim, start: i64, end: i64, window_s: i64) -> KpiTruth {
    crate::common::tallies_by_skill(sim, start, end, window_s, &definitions::METRICS)
        .into_iter()
        .map(|(key, tallies)| {
            let parts = KPIS
                .into_iter()
                .map(|kpi| (kpi, definitions::parts(kpi, &tallies, SERVICE_LEVEL)))
                .collect();
            (key, parts)
        })
        .collect()
}

/// A KPI's value from its parts, by the README: `None` when the denominator is 0;
/// ASA in seconds (its numerator in milliseconds), the others a fraction.
pub(crate) fn value(kpi: &str, (num, den): (i64, i64)) -> Option<f64> {
    definitions::value(kpi, num, den)
}
