//! Tests of the KPI parts, including the property that numerators and denominators
//! add up over windows to the wider window's.

use proptest::prelude::*;

use super::*;

fn sums(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[test]
fn service_level_follows_each_denominator_setting() {
    // 10 answered, 2 of them late; 3 abandons of which 1 short; 4 flow-outs.
    let s = sums(&[
        ("answered_count", 10.0),
        ("over_sla", 2.0),
        ("abandon_count", 3.0),
        ("short_abandon_count", 1.0),
        ("flow_out_count", 4.0),
    ]);
    let case = |abandons, short, flow_outs| ServiceLevelConfig {
        include_abandons: abandons,
        include_short_abandons: short,
        include_flow_outs: flow_outs,
    };
    let sl = |config| Kpi::ServiceLevel.ratio_parts(&s, &config);
    assert_eq!(sl(ServiceLevelConfig::default()), (8, 13));
    assert_eq!(sl(case(true, true, true)), (8, 17));
    assert_eq!(sl(case(true, false, false)), (8, 12));
    assert_eq!(sl(case(false, true, false)), (8, 10));
    assert_eq!(sl(case(false, false, true)), (8, 14));
}

#[test]
fn each_kpi_reads_its_fields() {
    let s = sums(&[
        ("answered_count", 4.0),
        ("answered_sum_ms", 10_000.0),
        ("abandon_count", 1.0),
        ("offered", 5.0),
        ("transferred", 1.0),
        ("handle_count", 4.0),
    ]);
    let sl = ServiceLevelConfig::default();
    assert_eq!(Kpi::Asa.ratio_parts(&s, &sl), (10_000, 4));
    assert_eq!(Kpi::Asa.value(10_000, 4), Some(2.5));
    assert_eq!(Kpi::Abandonment.ratio_parts(&s, &sl), (1, 5));
    assert_eq!(Kpi::TransferRate.ratio_parts(&s, &sl), (1, 4));
    assert_eq!(Kpi::TransferRate.value(1, 4), Some(0.25));
}

#[test]
fn a_zero_denominator_has_no_value() {
    for (kpi, _) in KPIS {
        assert_eq!(kpi.value(0, 0), None);
        assert_eq!(kpi.value(3, 0), None);
    }
}

#[test]
fn names_round_trip_and_unknown_names_are_refused() {
    for (kpi, name) in KPIS {
        assert_eq!(Kpi::parse(name), Some(kpi));
        assert_eq!(kpi.name(), name);
    }
    assert_eq!(Kpi::parse("aht"), None);
    assert_eq!(Kpi::parse("Service_Level"), None);
}

const HOUR_NS: i64 = 3_600_000_000_000;

/// Up to 8 quarter-hours of one hour, each with random counts for every field.
fn quarter_hours() -> impl Strategy<Value = Vec<(i64, Vec<u16>)>> {
    prop::collection::vec((0i64..4, prop::collection::vec(0u16..500, 9)), 0..8)
}

fn window_sums(start_ns: i64, values: &[u16]) -> KpiSums {
    let fields = [
        "answered_count",
        "answered_sum_ms",
        "over_sla",
        "abandon_count",
        "short_abandon_count",
        "flow_out_count",
        "offered",
        "transferred",
        "handle_count",
    ];
    KpiSums {
        start_ns,
        group: BTreeMap::from([("skill".to_owned(), "s".to_owned())]),
        sums: fields
            .iter()
            .zip(values)
            .map(|(f, v)| ((*f).to_owned(), f64::from(*v)))
            .collect(),
    }
}

proptest! {
    /// The quarter-hour answers' numerators and denominators add up to the answer
    /// for the hour the same points make, for every KPI and denominator setting.
    #[test]
    fn parts_add_up_over_windows(
        points in quarter_hours(),
        abandons: bool,
        short: bool,
        flow_outs: bool,
    ) {
        let sl = ServiceLevelConfig {
            include_abandons: abandons,
            include_short_abandons: short,
            include_flow_outs: flow_outs,
        };
        let names = NameIndex::default();
        let filters = Filters::default();
        for (kpi, _) in KPIS {
            let narrow: Vec<KpiSums> = points
                .iter()
                .map(|(q, v)| window_sums(q * HOUR_NS / 4, v))
                .collect();
            let wide: Vec<KpiSums> = points.iter().map(|(_, v)| window_sums(0, v)).collect();
            let narrow = kpi_answer(narrow, &names, &filters, kpi, &sl);
            let wide = kpi_answer(wide, &names, &filters, kpi, &sl);
            let numerator: i64 = narrow.data.iter().map(|w| w.numerator).sum();
            let denominator: i64 = narrow.data.iter().map(|w| w.denominator).sum();
            match wide.data.as_slice() {
                [] => prop_assert!(narrow.data.is_empty()),
                [hour] => {
                    prop_assert_eq!(hour.numerator, numerator);
                    prop_assert_eq!(hour.denominator, denominator);
                    prop_assert_eq!(hour.value, kpi.value(numerator, denominator));
                }
                more => prop_assert!(false, "{} windows for one hour", more.len()),
            }
        }
    }
}
