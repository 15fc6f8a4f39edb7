//! `GET /metrics/kpi` against the real InfluxDB 1.6: every KPI, for quarter-hour and
//! hourly windows and each service-level denominator setting, must equal what this
//! test computes from the points it wrote, by the KPIs' definitions.

use genesys_aht_tests::influxdb::InfluxDb;
use serde_json::Value;

use crate::support::*;

const T0_NS: i64 = 1_773_100_800_000_000_000; // 2026-03-10T00:00:00Z
const QUARTER_NS: i64 = 900_000_000_000;

/// The counts of one point, in the contract's field names.
#[derive(Debug, Clone, Copy)]
struct Counts {
    answered: i64,
    answered_ms: i64,
    over_sla: i64,
    abandons: i64,
    short_abandons: i64,
    flow_outs: i64,
    offered: i64,
    transferred: i64,
    handled: i64,
}

/// Eight quarter-hours of two skills; skill `b` has nothing at all in its last
/// quarter-hour but a point (every denominator 0).
fn points() -> Vec<(i64, &'static str, Counts)> {
    let mut out = Vec::new();
    for q in 0..8i64 {
        for (k, skill) in [(1i64, "a"), (2, "b")] {
            let n = (q * 7 + k * 5) % 11;
            let empty = skill == "b" && q == 7;
            let answered = if empty { 0 } else { n + 1 };
            let abandons = if empty { 0 } else { (q + k) % 4 };
            let flow_outs = if empty { 0 } else { q % 3 };
            out.push((
                T0_NS + q * QUARTER_NS,
                skill,
                Counts {
                    answered,
                    answered_ms: answered * (4_000 + 1_000 * k + 37 * q),
                    over_sla: answered / (2 + k),
                    abandons,
                    short_abandons: abandons / 2,
                    flow_outs,
                    offered: answered + abandons + flow_outs,
                    transferred: answered / 3,
                    handled: answered,
                },
            ));
        }
    }
    out
}

fn lines() -> String {
    points()
        .iter()
        .map(|(t, skill, c)| {
            format!(
                "genesys_conversation,skill={skill} answered_count={}i,answered_sum_ms={}i,over_sla={}i,abandon_count={}i,short_abandon_count={}i,flow_out_count={}i,offered={}i,transferred={}i,handle_count={}i,handle_sum_ms={}i {t}\n",
                c.answered,
                c.answered_ms,
                c.over_sla,
                c.abandons,
                c.short_abandons,
                c.flow_outs,
                c.offered,
                c.transferred,
                c.handled,
                c.handled * 60_000,
            )
        })
        .collect()
}

/// `(abandons, short abandons, flow-outs)` switches.
type Setting = (bool, bool, bool);

/// The KPI's numerator and denominator from summed counts, by its definition.
fn parts(kpi: &str, c: Counts, (abandons, short, flow_outs): Setting) -> (i64, i64) {
    match kpi {
        "service_level" => {
            let mut denominator = c.answered;
            if abandons {
                denominator += c.abandons;
                if !short {
                    denominator -= c.short_abandons;
                }
            }
            if flow_outs {
                denominator += c.flow_outs;
            }
            (c.answered - c.over_sla, denominator)
        }
        "asa" => (c.answered_ms, c.answered),
        "abandonment" => (c.abandons, c.offered),
        "transfer_rate" => (c.transferred, c.handled),
        other => panic!("no definition for {other}"),
    }
}

fn add(a: Counts, b: Counts) -> Counts {
    Counts {
        answered: a.answered + b.answered,
        answered_ms: a.answered_ms + b.answered_ms,
        over_sla: a.over_sla + b.over_sla,
        abandons: a.abandons + b.abandons,
        short_abandons: a.short_abandons + b.short_abandons,
        flow_outs: a.flow_outs + b.flow_outs,
        offered: a.offered + b.offered,
        transferred: a.transferred + b.transferred,
        handled: a.handled + b.handled,
    }
}

/// The expected windows: `(timestamp, skill, numerator, denominator, value)`.
fn expected(kpi: &str, window_ns: i64, setting: Setting) -> Vec<(String, String, i64, i64, Value)> {
    let mut sums: std::collections::BTreeMap<(i64, &str), Counts> = Default::default();
    for (t, skill, c) in points() {
        let start = t - (t - T0_NS).rem_euclid(window_ns);
        sums.entry((start, skill))
            .and_modify(|s| *s = add(*s, c))
            .or_insert(c);
    }
    sums.into_iter()
        .map(|((start, skill), c)| {
            let (n, d) = parts(kpi, c, setting);
            let scale = if kpi == "asa" { 1000.0 } else { 1.0 };
            let value = if d == 0 {
                Value::Null
            } else {
                serde_json::json!(n as f64 / d as f64 / scale)
            };
            (rfc3339(start), skill.to_owned(), n, d, value)
        })
        .collect()
}

fn got(body: &Value) -> Vec<(String, String, i64, i64, Value)> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["timestamp"].as_str().unwrap().to_owned(),
                w["skill"].as_str().unwrap().to_owned(),
                w["numerator"].as_i64().unwrap(),
                w["denominator"].as_i64().unwrap(),
                w["value"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn every_kpi_equals_its_definition_for_each_window_and_setting() {
    let influx = InfluxDb::start().await.unwrap();
    influx.write(&lines()).await.unwrap();
    let settings: [Setting; 4] = [
        (true, true, false),
        (true, false, true),
        (false, true, true),
        (false, false, false),
    ];
    for setting in settings {
        let (abandons, short, flow_outs) = setting;
        let sidecar = sidecar(&format!(
            "[influx]\nbackend = \"influxql\"\nurl = \"{}\"\nbucket = \"test\"\n[service_level]\ninclude_abandons = {abandons}\ninclude_short_abandons = {short}\ninclude_flow_outs = {flow_outs}\n",
            influx.url
        ))
        .await;
        for kpi in ["service_level", "asa", "abandonment", "transfer_rate"] {
            for (interval, window_ns) in [("15m", QUARTER_NS), ("1h", 4 * QUARTER_NS)] {
                let q = query(&[
                    ("kpi", kpi),
                    ("start_date", &rfc3339(T0_NS)),
                    ("end_date", &rfc3339(T0_NS + 8 * QUARTER_NS)),
                    ("interval", interval),
                ]);
                let (status, body) = get(&sidecar, &format!("/metrics/kpi?{q}")).await;
                assert_eq!(status, 200, "{body}");
                assert_eq!(body["kpi"], kpi);
                let want = expected(kpi, window_ns, setting);
                assert_eq!(got(&body), want, "{kpi} {interval} {setting:?}");
            }
        }
        sidecar.stop().await;
    }
}

#[tokio::test]
async fn a_missing_or_unknown_kpi_is_a_400_listing_the_known_ones() {
    let influx = InfluxDb::start().await.unwrap();
    let sidecar = sidecar(&format!(
        "[influx]\nbackend = \"influxql\"\nurl = \"{}\"\nbucket = \"test\"\n",
        influx.url
    ))
    .await;
    let range = query(&[
        ("start_date", &rfc3339(T0_NS)),
        ("end_date", &rfc3339(T0_NS + QUARTER_NS)),
    ]);
    for extra in ["", "&kpi=aht", "&kpi=asa&kpi=asa"] {
        let (status, body) = get(&sidecar, &format!("/metrics/kpi?{range}{extra}")).await;
        assert_eq!(status, 400, "{extra}: {body}");
        let reason = body["reason"].as_str().unwrap();
        if extra != "&kpi=asa&kpi=asa" {
            for known in ["service_level", "asa", "abandonment", "transfer_rate"] {
                assert!(reason.contains(known), "{extra}: {reason}");
            }
        }
    }
    sidecar.stop().await;
}
