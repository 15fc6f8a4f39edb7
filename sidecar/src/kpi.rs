//! The contact-centre KPIs beside AHT: service level, average speed of answer,
//! abandonment and transfer rate, each a ratio of two sums of contract fields.
//!
//! Every window carries its numerator and denominator so a client can add windows
//! up (a ratio of sums, never an average of ratios); the ratio is `null` when the
//! denominator is 0. Ratios are computed here, never by the database (InfluxQL
//! answers `x / 0` with 0).

use std::collections::{BTreeMap, HashMap};

use genesys_aht_contract::names::{count_field, field_stem, sum_ms_field};
use salvo::oapi::ToSchema;
use serde::{Deserialize, Serialize};

use crate::answer::{WindowGroup, in_order};
use crate::identity::{self, Identity, NameIndex};
use crate::request::{Filters, rfc3339};

/// A KPI the sidecar answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kpi {
    /// Answered within the queue's target ÷ the configured denominator.
    ServiceLevel,
    /// Average speed of answer: `tAnswered` sum ÷ count, in seconds.
    Asa,
    /// `tAbandon` count ÷ `nOffered`.
    Abandonment,
    /// `nTransferred` ÷ handled (`tHandle` count).
    TransferRate,
}

/// Every KPI with its name in the `kpi` parameter.
pub const KPIS: [(Kpi, &str); 4] = [
    (Kpi::ServiceLevel, "service_level"),
    (Kpi::Asa, "asa"),
    (Kpi::Abandonment, "abandonment"),
    (Kpi::TransferRate, "transfer_rate"),
];

/// The Genesys metrics the KPIs are built from: the contract's, and `tHandle`.
pub mod metrics {
    pub use genesys_aht_contract::names::HANDLE_METRIC as HANDLE;
    pub use genesys_aht_contract::names::kpi_metrics::*;
}

impl Kpi {
    /// The KPI named `name` in the `kpi` parameter.
    pub fn parse(name: &str) -> Option<Kpi> {
        KPIS.iter().find(|(_, n)| *n == name).map(|(k, _)| *k)
    }

    /// Its name in the `kpi` parameter and the answer.
    pub fn name(self) -> &'static str {
        KPIS.iter().find(|(k, _)| *k == self).map_or("", |(_, n)| n)
    }

    /// The contract fields its numerator and denominator are sums of.
    pub fn fields(self) -> Vec<String> {
        use metrics::*;
        match self {
            Kpi::ServiceLevel => vec![
                count_field(ANSWERED),
                field_stem(OVER_SLA),
                count_field(ABANDON),
                count_field(SHORT_ABANDON),
                count_field(FLOW_OUT),
            ],
            Kpi::Asa => vec![count_field(ANSWERED), sum_ms_field(ANSWERED)],
            Kpi::Abandonment => vec![count_field(ABANDON), field_stem(OFFERED)],
            Kpi::TransferRate => vec![field_stem(TRANSFERRED), count_field(HANDLE)],
        }
    }

    /// `(numerator, denominator)` from a window's field sums (absent fields are 0).
    pub fn ratio_parts(self, sums: &BTreeMap<String, f64>, sl: &ServiceLevelConfig) -> (i64, i64) {
        use metrics::*;
        let get = |field: String| sums.get(&field).copied().unwrap_or(0.0).round() as i64;
        match self {
            Kpi::ServiceLevel => {
                let answered = get(count_field(ANSWERED));
                let abandons = get(count_field(ABANDON));
                let short = get(count_field(SHORT_ABANDON));
                let counted_abandons = match (sl.include_abandons, sl.include_short_abandons) {
                    (false, _) => 0,
                    (true, true) => abandons,
                    (true, false) => abandons - short,
                };
                let flow_outs = if sl.include_flow_outs {
                    get(count_field(FLOW_OUT))
                } else {
                    0
                };
                (
                    answered - get(field_stem(OVER_SLA)),
                    answered + counted_abandons + flow_outs,
                )
            }
            Kpi::Asa => (get(sum_ms_field(ANSWERED)), get(count_field(ANSWERED))),
            Kpi::Abandonment => (get(count_field(ABANDON)), get(field_stem(OFFERED))),
            Kpi::TransferRate => (get(field_stem(TRANSFERRED)), get(count_field(HANDLE))),
        }
    }

    /// The KPI's value from its parts: `None` when the denominator is 0. ASA is in
    /// seconds (its numerator in milliseconds); the others are fractions (0.8 = 80 %).
    pub fn value(self, numerator: i64, denominator: i64) -> Option<f64> {
        let scale = if self == Kpi::Asa { 1000.0 } else { 1.0 };
        (denominator != 0).then(|| numerator as f64 / denominator as f64 / scale)
    }
}

/// Every field some KPI reads, once each (the Flux decoder keeps these columns).
pub fn all_fields() -> &'static [String] {
    static FIELDS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut fields: Vec<String> = KPIS.iter().flat_map(|(k, _)| k.fields()).collect();
        fields.sort();
        fields.dedup();
        fields
    });
    &FIELDS
}

/// The names of the KPIs, for error messages.
pub fn known_names() -> String {
    KPIS.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(", ")
}

/// `[service_level]`: what the service level's denominator counts, as the org's
/// analytics setting "Service Level Calculations Options" does. The defaults are
/// Genesys's: answered plus abandoned (short abandons included), flow-outs left out.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceLevelConfig {
    /// "Include Abandons in Calculation": abandons count.
    #[serde(default = "yes")]
    pub include_abandons: bool,
    /// "Include Short Abandons in Calculation": short abandons count among the abandons.
    #[serde(default = "yes")]
    pub include_short_abandons: bool,
    /// "Include Flowouts in Calculation": flow-outs count.
    #[serde(default)]
    pub include_flow_outs: bool,
}

fn yes() -> bool {
    true
}

impl Default for ServiceLevelConfig {
    fn default() -> Self {
        ServiceLevelConfig {
            include_abandons: true,
            include_short_abandons: true,
            include_flow_outs: false,
        }
    }
}

/// One window of one group: the sums of the fields a KPI needs.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiSums {
    /// Window start, nanoseconds since the epoch.
    pub start_ns: i64,
    /// Group tag → value.
    pub group: BTreeMap<String, String>,
    /// Field → sum; fields no point in the window had are absent.
    pub sums: BTreeMap<String, f64>,
}

/// The body of `GET /metrics/kpi`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KpiAnswer {
    /// The KPI asked for.
    pub kpi: String,
    /// One entry per (window, group) with data, ordered by time, then skill, queue,
    /// media type, direction.
    pub data: Vec<KpiWindow>,
}

/// A KPI of one window and group.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct KpiWindow {
    /// Window start (RFC 3339, UTC).
    pub timestamp: String,
    /// The group: names and IDs.
    #[serde(flatten)]
    pub group: WindowGroup,
    /// `numerator / denominator` (ASA: `/ 1000`, in seconds; the others a fraction,
    /// 0.8 = 80 %); `null` when the denominator is 0.
    pub value: Option<f64>,
    /// The numerator's sum (ASA: milliseconds), for re-aggregating windows.
    pub numerator: i64,
    /// The denominator's sum, for re-aggregating windows.
    pub denominator: i64,
}

/// Turns a backend's windows into the answer, as [`crate::answer::aht_answer`] does:
/// current names, the asked-for series only, one ID's series added up; then the
/// KPI's parts per window.
pub fn kpi_answer(
    mut windows: Vec<KpiSums>,
    names: &NameIndex,
    filters: &Filters,
    kpi: Kpi,
    sl: &ServiceLevelConfig,
) -> KpiAnswer {
    identity::relabel(
        names,
        windows.iter_mut().map(|w| (w.start_ns, &mut w.group)),
    );
    let mut merged: HashMap<(i64, Identity), KpiSums> = HashMap::with_capacity(windows.len());
    for window in windows {
        if window.sums.is_empty() || !identity::asked_for(filters, &window.group) {
            continue;
        }
        let key = (window.start_ns, Identity::of(&window.group));
        match merged.get_mut(&key) {
            Some(into) => {
                for (field, sum) in window.sums {
                    *into.sums.entry(field).or_insert(0.0) += sum;
                }
            }
            None => {
                merged.insert(key, window);
            }
        }
    }
    let data: Vec<(i64, KpiWindow)> = merged
        .into_values()
        .map(|w| (w.start_ns, window(w, kpi, sl)))
        .collect();
    KpiAnswer {
        kpi: kpi.name().into(),
        data: in_order(data, |w| &w.group),
    }
}

fn window(sums: KpiSums, kpi: Kpi, sl: &ServiceLevelConfig) -> KpiWindow {
    let (numerator, denominator) = kpi.ratio_parts(&sums.sums, sl);
    KpiWindow {
        timestamp: rfc3339(sums.start_ns),
        group: WindowGroup::from_tags(sums.group),
        value: kpi.value(numerator, denominator),
        numerator,
        denominator,
    }
}

#[cfg(test)]
#[path = "kpi_tests.rs"]
mod tests;
