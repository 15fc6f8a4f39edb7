//! The contact-centre KPIs by their definitions (README, "GET /metrics/kpi"), from
//! the Genesys metrics they are built of: what `/metrics/kpi` must answer for one
//! window and group, computed without the sidecar, from a source of truth such as
//! the simulator's ground truth.
//!
//! The metrics are named as Genesys names them (`tAnswered`, `nOffered`, ...), not
//! through the contract's field names, so that a wrong mapping in the plugin, the
//! contract or the sidecar shows as a difference.
//!
//! ```
//! use genesys_aht_tests::kpi::{self, Metrics, ServiceLevel, Tally};
//!
//! let mut metrics = Metrics::new();
//! metrics.insert("tAnswered".into(), Tally { count: 4, sum: 10_000 });
//! metrics.insert("nOverSla".into(), Tally { count: 1, sum: 1 });
//! metrics.insert("tAbandon".into(), Tally { count: 1, sum: 3_000 });
//! let sl = kpi::expected("service_level", &metrics, ServiceLevel::DEFAULT);
//! assert_eq!(sl, Some(kpi::Expected { numerator: 3, denominator: 5, value: Some(0.6) }));
//! assert_eq!(kpi::expected("transfer_rate", &metrics, ServiceLevel::DEFAULT), None);
//! ```

use std::collections::BTreeMap;

/// The KPIs `GET /metrics/kpi` answers, by their `kpi` parameter.
pub const KPIS: [&str; 4] = ["service_level", "asa", "abandonment", "transfer_rate"];

/// Every Genesys metric the KPIs are made of.
pub const METRICS: [&str; 8] = [
    "tAnswered",
    "nOverSla",
    "tAbandon",
    "tShortAbandon",
    "tFlowOut",
    "nOffered",
    "nTransferred",
    "tHandle",
];

/// A Genesys metric in one window and group: how many emissions, and their sum
/// (milliseconds for `t*` metrics; the plugin writes the count of `n*` metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Number of emissions.
    pub count: i64,
    /// Sum of the values.
    pub sum: i64,
}

/// Genesys metric name → its tally in one window and group; a metric with no
/// emission there is absent (the plugin then writes none of its fields).
pub type Metrics = BTreeMap<String, Tally>;

/// The sidecar's `[service_level]` switches: what the denominator counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceLevel {
    /// Abandons count.
    pub include_abandons: bool,
    /// Short abandons count among the abandons.
    pub include_short_abandons: bool,
    /// Flow-outs count.
    pub include_flow_outs: bool,
}

impl ServiceLevel {
    /// The defaults the README documents: abandons and short abandons in, flow-outs out.
    pub const DEFAULT: ServiceLevel = ServiceLevel {
        include_abandons: true,
        include_short_abandons: true,
        include_flow_outs: false,
    };

    /// This setting as the `[service_level]` section of a sidecar configuration.
    pub fn toml(&self) -> String {
        format!(
            "[service_level]\ninclude_abandons = {}\ninclude_short_abandons = {}\ninclude_flow_outs = {}\n",
            self.include_abandons, self.include_short_abandons, self.include_flow_outs
        )
    }
}

/// One window and group of a KPI's answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expected {
    /// The numerator's sum (ASA: milliseconds).
    pub numerator: i64,
    /// The denominator's sum.
    pub denominator: i64,
    /// `numerator / denominator` (ASA in seconds), `None` when the denominator is 0.
    pub value: Option<f64>,
}

/// The Genesys metrics a KPI's numerator and denominator are sums of: the answer
/// has a window and group exactly when one of them has data there.
pub fn sources(kpi: &str) -> &'static [&'static str] {
    match kpi {
        "service_level" => &[
            "tAnswered",
            "nOverSla",
            "tAbandon",
            "tShortAbandon",
            "tFlowOut",
        ],
        "asa" => &["tAnswered"],
        "abandonment" => &["tAbandon", "nOffered"],
        "transfer_rate" => &["nTransferred", "tHandle"],
        _ => &[],
    }
}

/// `(numerator, denominator)` of `kpi` by the README's table; metrics without data
/// count 0.
pub fn parts(kpi: &str, metrics: &Metrics, sl: ServiceLevel) -> (i64, i64) {
    let count = |m: &str| metrics.get(m).map_or(0, |t| t.count);
    match kpi {
        "service_level" => {
            let answered = count("tAnswered");
            let mut denominator = answered;
            if sl.include_abandons {
                denominator += count("tAbandon");
                if !sl.include_short_abandons {
                    // Short abandons are among the abandons.
                    denominator -= count("tShortAbandon");
                }
            }
            if sl.include_flow_outs {
                denominator += count("tFlowOut");
            }
            (answered - count("nOverSla"), denominator)
        }
        "asa" => (
            metrics.get("tAnswered").map_or(0, |t| t.sum),
            count("tAnswered"),
        ),
        "abandonment" => (count("tAbandon"), count("nOffered")),
        "transfer_rate" => (count("nTransferred"), count("tHandle")),
        _ => (0, 0),
    }
}

/// The KPI's value: a fraction, ASA in seconds; `None` when the denominator is 0.
pub fn value(kpi: &str, numerator: i64, denominator: i64) -> Option<f64> {
    let scale = if kpi == "asa" { 1000.0 } else { 1.0 };
    (denominator != 0).then(|| numerator as f64 / denominator as f64 / scale)
}

/// What the answer holds for a window and group with `metrics`: `None` when none of
/// the KPI's [`sources`] has data there.
pub fn expected(kpi: &str, metrics: &Metrics, sl: ServiceLevel) -> Option<Expected> {
    if !sources(kpi).iter().any(|m| metrics.contains_key(*m)) {
        return None;
    }
    let (numerator, denominator) = parts(kpi, metrics, sl);
    Some(Expected {
        numerator,
        denominator,
        value: value(kpi, numerator, denominator),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics(counts: &[(&str, i64)]) -> Metrics {
        counts
            .iter()
            .map(|(m, c)| {
                (
                    (*m).to_owned(),
                    Tally {
                        count: *c,
                        sum: c * 1_000,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn each_service_level_switch_changes_the_denominator_by_its_count() {
        let m = metrics(&[
            ("tAnswered", 10),
            ("nOverSla", 2),
            ("tAbandon", 4),
            ("tShortAbandon", 1),
            ("tFlowOut", 3),
        ]);
        let d = ServiceLevel::DEFAULT;
        let parts = |sl| parts("service_level", &m, sl);
        assert_eq!(parts(d), (8, 14));
        let no_short = ServiceLevel {
            include_short_abandons: false,
            ..d
        };
        assert_eq!(parts(no_short), (8, 13));
        let no_abandons = ServiceLevel {
            include_abandons: false,
            ..d
        };
        assert_eq!(parts(no_abandons), (8, 10));
        let both_off = ServiceLevel {
            include_short_abandons: false,
            ..no_abandons
        };
        assert_eq!(parts(both_off), (8, 10));
        let flow_outs = ServiceLevel {
            include_flow_outs: true,
            ..d
        };
        assert_eq!(parts(flow_outs), (8, 17));
    }

    #[test]
    fn a_zero_denominator_has_no_value_and_asa_is_in_seconds() {
        let m = metrics(&[("tAbandon", 2), ("tAnswered", 4)]);
        let asa = expected("asa", &m, ServiceLevel::DEFAULT).unwrap();
        assert_eq!(asa.value, Some(1.0));
        let abandonment = expected("abandonment", &m, ServiceLevel::DEFAULT).unwrap();
        assert_eq!((abandonment.numerator, abandonment.denominator), (2, 0));
        assert_eq!(abandonment.value, None);
        assert_eq!(expected("transfer_rate", &m, ServiceLevel::DEFAULT), None);
    }

    #[test]
    fn the_toml_names_every_switch() {
        let toml = ServiceLevel::DEFAULT.toml();
        assert!(toml.contains("include_abandons = true"));
        assert!(toml.contains("include_short_abandons = true"));
        assert!(toml.contains("include_flow_outs = false"));
    }
}
