//! The shipped Grafana dashboards, expanded as Grafana would (the model in
//! `genesys_aht_tests::grafana`), against a live stack: the simulator → the real
//! `genesys-aht` binary (through the execd harness) → the real InfluxDB 1.x → the real
//! `genesys-aht-sidecar`. Every sidecar URL answers 200 with the simulator's ground
//! truth; every InfluxQL panel query runs on InfluxDB and gives the sidecar's
//! numbers; every Flux panel query passes the Flux language server. Grafana itself
//! does not run here. The KPI rows must give the KPIs of the simulator's truth by
//! their definitions (README, `GET /metrics/kpi`, default service-level settings);
//! the live queue rows the simulator's queue observations at the instant the plugin
//! observed them.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use common::SkillFields;
use genesys_aht_tests::flux::Severity;
use genesys_aht_tests::grafana::{self, DefaultFormat, Scope, Variable};
use genesys_aht_tests::{flux, workspace};
use genesys_sim::Sim;
use serde_json::Value as Json;

const GRANULARITY_SECS: i64 = 900;
/// The interval variable's auto settings in the shipped dashboards.
const AUTO_COUNT: i64 = 100;
const AUTO_MIN_MS: i64 = 900_000;

type Sums = BTreeMap<(i64, String), (i64, i64)>;
/// (window start s, skill) → a KPI's (numerator, denominator), windows with a zero
/// denominator left out.
type Parts = BTreeMap<(i64, String), (i64, i64)>;

/// The KPIs: the sidecar's `kpi` name and the start of the panels' titles.
const KPIS: [(&str, &str); 4] = [
    ("service_level", "Service level"),
    ("asa", "Average speed of answer"),
    ("abandonment", "Abandonment rate"),
    ("transfer_rate", "Transfer rate"),
];

/// The fields a KPI is made of (README, `GET /metrics/kpi`; service level with the
/// default settings: abandons in, short abandons among them, flow-outs out).
fn kpi_fields(kpi: &str) -> &'static [&'static str] {
    match kpi {
        "service_level" => &["answered_count", "over_sla", "abandon_count"],
        "asa" => &["answered_sum_ms", "answered_count"],
        "abandonment" => &["abandon_count", "offered"],
        "transfer_rate" => &["transferred", "handle_count"],
        other => panic!("no KPI {other}"),
    }
}

/// A KPI's (numerator, denominator) from a window's field sums, by its definition
/// (a field the window lacks counts 0).
fn kpi_parts(kpi: &str, fields: &BTreeMap<String, i64>) -> (i64, i64) {
    let get = |name: &str| fields.get(name).copied().unwrap_or(0);
    match kpi {
        "service_level" => (
            get("answered_count") - get("over_sla"),
            get("answered_count") + get("abandon_count"),
        ),
        "asa" => (get("answered_sum_ms"), get("answered_count")),
        "abandonment" => (get("abandon_count"), get("offered")),
        "transfer_rate" => (get("transferred"), get("handle_count")),
        other => panic!("no KPI {other}"),
    }
}

/// ASA is shown in seconds, its numerator is in milliseconds; the rest are fractions.
fn kpi_value(kpi: &str, (numerator, denominator): (i64, i64)) -> f64 {
    let scale = if kpi == "asa" { 1000.0 } else { 1.0 };
    numerator as f64 / denominator as f64 / scale
}

/// A KPI's parts per (window, skill) from field sums, for `skills` (all if `None`).
fn kpi_truth(fields: &SkillFields, kpi: &str, skills: Option<&[String]>) -> Parts {
    fields
        .iter()
        .filter(|((_, skill), _)| skills.is_none_or(|s| s.contains(skill)))
        .map(|(k, f)| (k.clone(), kpi_parts(kpi, f)))
        .filter(|(_, (_, den))| *den > 0)
        .collect()
}

/// Bucket field sums folded into windows of `window_s`.
fn fold(buckets: &SkillFields, window_s: i64) -> SkillFields {
    let mut out = SkillFields::new();
    for ((t, skill), fields) in buckets {
        let into = out
            .entry((t.div_euclid(window_s) * window_s, skill.clone()))
            .or_default();
        for (name, v) in fields {
            *into.entry(name.clone()).or_insert(0) += v;
        }
    }
    out
}

fn dashboard(name: &str) -> Json {
    let path = format!("{}/../dashboards/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Ground truth: (window start s, skill name) → (handle sum ms, count), over the
/// buckets the plugin collected, in windows of `window_s`, for `skills` (all if
/// `None`), without windows that handled nothing.
fn truth(sim: &Sim, start: i64, end: i64, window_s: i64, skills: Option<&[String]>) -> Sums {
    common::handle_by_skill(sim, start, end, window_s)
        .into_iter()
        .filter(|((_, skill), (_, count))| *count > 0 && skills.is_none_or(|s| s.contains(skill)))
        .collect()
}

/// What a sidecar panel's transformations group by: whether the window (`time`) is a
/// key besides `skill`. Also checks that they add up the two sums and divide sum by
/// sum (a weighted average, never a mean of means), over columns the query declares.
fn panel_grouping(panel: &Json) -> bool {
    let title = panel["title"].as_str().unwrap();
    let steps = panel["transformations"].as_array().unwrap();
    let group = steps.iter().find(|t| t["id"] == "groupBy").unwrap();
    let fields = group["options"]["fields"].as_object().unwrap();
    let declared: Vec<&str> = panel["targets"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    for (name, how) in fields {
        assert!(
            declared.contains(&name.as_str()),
            "{title}: {name} is a column"
        );
        match how["operation"].as_str().unwrap() {
            "groupby" => assert!(name == "time" || name == "skill", "{title}: by {name}"),
            _ => assert_eq!(how["aggregations"], serde_json::json!(["sum"]), "{title}"),
        }
    }
    assert_eq!(fields["skill"]["operation"], "groupby", "{title}");
    for calc in steps.iter().filter(|t| t["id"] == "calculateField") {
        let binary = &calc["options"]["binary"];
        if binary["left"] == "handle_sum_ms (sum)" {
            assert_eq!(binary["right"], "conversation_count (sum)", "{title}");
        } else {
            // Only a change of unit of the weighted average.
            assert_eq!(
                (&binary["left"], &binary["right"]),
                (&"aht_ms".into(), &"1000".into())
            );
        }
    }
    fields
        .get("time")
        .is_some_and(|t| t["operation"] == "groupby")
}

/// A sidecar answer grouped as a panel does: sums per (window, skill) over every
/// queue and media type, or per skill over the range (window 0) without `by_time`.
fn sidecar_sums(body: &Json, by_time: bool) -> Sums {
    let mut out = Sums::new();
    for row in body["data"].as_array().unwrap() {
        let t: jiff::Timestamp = row["timestamp"].as_str().unwrap().parse().unwrap();
        let window = if by_time { t.as_second() } else { 0 };
        let skill = row["skill"].as_str().unwrap_or("").to_owned();
        let e = out.entry((window, skill)).or_insert((0, 0));
        e.0 += row["handle_sum_ms"].as_i64().unwrap();
        e.1 += row["conversation_count"].as_i64().unwrap();
    }
    out.retain(|_, v| v.1 > 0);
    out
}

/// Per-window sums folded over the whole range (window 0).
fn over_range(sums: &Sums) -> Sums {
    let mut out = Sums::new();
    for ((_, skill), (sum, n)) in sums {
        let e = out.entry((0, skill.clone())).or_insert((0, 0));
        e.0 += sum;
        e.1 += n;
    }
    out
}

/// A selection of the dashboards' variables, over a range.
struct Selection {
    what: &'static str,
    skills: Option<Vec<String>>,
    from_ms: i64,
    to_ms: i64,
}

fn variables(sel: &Selection, all_skills: &[String], all_value: &str) -> Vec<Variable> {
    let skill = Variable {
        name: "skill".into(),
        values: sel.skills.clone().unwrap_or_default(),
        all: sel.skills.is_none(),
        all_value: Some(all_value.into()),
        options: all_skills.to_vec(),
        multi_or_all: true,
    };
    let all = |name: &str| Variable {
        name: name.into(),
        values: Vec::new(),
        all: true,
        all_value: Some(all_value.into()),
        options: Vec::new(),
        multi_or_all: true,
    };
    vec![skill, all("queue"), all("media_type")]
}

/// The sidecar dashboard's: `queue` is a text box, left empty (no filter).
fn sidecar_variables(sel: &Selection, all_skills: &[String]) -> Vec<Variable> {
    let mut vars = variables(sel, all_skills, "$__all");
    vars[1] = Variable {
        name: "queue".into(),
        values: vec![String::new()],
        all: false,
        all_value: None,
        options: Vec::new(),
        multi_or_all: false,
    };
    vars
}

fn interval_ms(sel: &Selection) -> i64 {
    grafana::calculate_interval(sel.to_ms - sel.from_ms, AUTO_COUNT, AUTO_MIN_MS)
}

fn scope(sel: &Selection, vars: Vec<Variable>, default_format: DefaultFormat) -> Scope {
    let interval = grafana::seconds_to_hms(interval_ms(sel));
    let mut vars = vars;
    vars.push(Variable {
        name: "interval".into(),
        values: vec![interval.clone()],
        all: false,
        all_value: None,
        options: Vec::new(),
        multi_or_all: false,
    });
    Scope {
        variables: vars,
        from_ms: sel.from_ms,
        to_ms: sel.to_ms,
        interval,
        default_format,
    }
}

fn panel_texts(dash: &Json, key: &str) -> Vec<(String, String)> {
    dash["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| {
            let title = p["title"].as_str().unwrap().to_owned();
            // Row panels have no targets.
            p["targets"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(move |t| t[key].as_str().map(|q| (title.clone(), q.to_owned())))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// InfluxQL series → (window, skill) → value of `column`.
fn influx_values(answer: &Json, column: &str) -> BTreeMap<(i64, String), f64> {
    influx_by_tags(answer, &["skill"], column)
        .into_iter()
        .map(|((t, mut tags), v)| ((t, tags.remove(0)), v))
        .collect()
}

/// InfluxQL series → (time, values of the tags `keys`) → non-null value of `column`.
fn influx_by_tags(answer: &Json, keys: &[&str], column: &str) -> BTreeMap<(i64, Vec<String>), f64> {
    let mut out = BTreeMap::new();
    for series in answer["results"][0]["series"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let tags: Vec<String> = keys
            .iter()
            .map(|k| series["tags"][k].as_str().unwrap_or("").to_owned())
            .collect();
        let cols: Vec<&str> = series["columns"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let at = cols.iter().position(|c| *c == column).unwrap();
        for row in series["values"].as_array().unwrap() {
            let t = row[0].as_i64().unwrap();
            if let Some(v) = row[at].as_f64() {
                out.insert((t, tags.clone()), v);
            }
        }
    }
    out
}

/// `a` and `b` hold the same keys and values equal to 1e-9 (relative above 1).
fn assert_close<K: std::fmt::Debug + Ord>(
    got: &BTreeMap<K, f64>,
    want: &BTreeMap<K, f64>,
    what: &str,
) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: got {got:?}, want {want:?}"
    );
    for (k, v) in want {
        assert!(
            (got[k] - v).abs() <= 1e-9 * v.abs().max(1.0),
            "{what}: {k:?}: {} != {v}",
            got[k]
        );
    }
}

/// Checks a sidecar KPI panel's transformations (per window and skill: the
/// numerators and the denominators added up, zero denominators dropped, then sum
/// over sum; ASA then from milliseconds to seconds) and returns its `kpi`.
fn kpi_panel(panel: &Json) -> &'static str {
    let title = panel["title"].as_str().unwrap();
    let url = panel["targets"][0]["url"].as_str().unwrap();
    let kpi = KPIS
        .iter()
        .map(|(k, _)| *k)
        .find(|k| url.contains(&format!("kpi={k}&")))
        .unwrap_or_else(|| panic!("{title}: {url} names a KPI"));
    let steps = panel["transformations"].as_array().unwrap();
    let ids: Vec<&str> = steps.iter().map(|t| t["id"].as_str().unwrap()).collect();
    let calcs = if kpi == "asa" { 2 } else { 1 };
    let mut want = vec!["groupBy", "filterByValue"];
    want.extend(std::iter::repeat_n("calculateField", calcs));
    want.extend(["organize", "partitionByValues"]);
    assert_eq!(ids, want, "{title}");
    let fields = &steps[0]["options"]["fields"];
    for key in ["time", "skill"] {
        assert_eq!(fields[key]["operation"], "groupby", "{title}: by {key}");
    }
    for key in ["numerator", "denominator"] {
        assert_eq!(
            fields[key]["aggregations"],
            serde_json::json!(["sum"]),
            "{title}"
        );
    }
    assert_eq!(
        fields.as_object().unwrap().len(),
        4,
        "{title}: grouped by nothing else"
    );
    let filter = &steps[1]["options"];
    assert_eq!(filter["type"], "include", "{title}");
    assert_eq!(
        filter["filters"][0]["fieldName"], "denominator (sum)",
        "{title}"
    );
    assert_eq!(filter["filters"][0]["config"]["id"], "greater", "{title}");
    assert_eq!(
        filter["filters"][0]["config"]["options"]["value"], 0,
        "{title}"
    );
    let ratio = &steps[2]["options"]["binary"];
    assert_eq!(
        (&ratio["left"], &ratio["operator"], &ratio["right"]),
        (
            &"numerator (sum)".into(),
            &"/".into(),
            &"denominator (sum)".into()
        ),
        "{title}"
    );
    if kpi == "asa" {
        let seconds = &steps[3]["options"]["binary"];
        assert_eq!(seconds["left"], steps[2]["options"]["alias"], "{title}");
        assert_eq!(
            (&seconds["operator"], &seconds["right"]),
            (&"/".into(), &"1000".into())
        );
    }
    assert_eq!(
        steps.last().unwrap()["options"]["fields"],
        serde_json::json!(["skill"]),
        "{title}"
    );
    kpi
}

/// A `/metrics/kpi` answer grouped as a KPI panel does: per (window, skill), the
/// numerators and denominators added up, windows with a zero denominator dropped.
fn sidecar_parts(body: &Json) -> Parts {
    let mut out = Parts::new();
    for row in body["data"].as_array().unwrap() {
        let t: jiff::Timestamp = row["timestamp"].as_str().unwrap().parse().unwrap();
        let skill = row["skill"].as_str().unwrap_or("").to_owned();
        let e = out.entry((t.as_second(), skill)).or_insert((0, 0));
        e.0 += row["numerator"].as_i64().unwrap();
        e.1 += row["denominator"].as_i64().unwrap();
    }
    out.retain(|_, (_, den)| *den > 0);
    out
}

/// The live queue state the simulator reports at its instant, as the live panels
/// show it: contacts waiting per queue (every media type added up), the longest wait
/// per queue in seconds (queues with somebody waiting), agents per queue and routing
/// status.
struct Live {
    waiting: BTreeMap<String, f64>,
    longest: BTreeMap<String, f64>,
    agents: BTreeMap<(String, String), f64>,
}

fn live_truth(sim: &Sim, queue: Option<&str>) -> Live {
    let names: BTreeMap<String, String> =
        sim.queues().into_iter().map(|q| (q.id, q.name)).collect();
    let now_ms = sim.now().as_millisecond();
    let mut live = Live {
        waiting: BTreeMap::new(),
        longest: BTreeMap::new(),
        agents: BTreeMap::new(),
    };
    let metrics = ["oWaiting", "oLongestWaiting", "oUserRoutingStatuses"];
    for o in sim.observations(&[], &metrics) {
        let name = names[&o.queue_id].clone();
        if queue.is_some_and(|q| q != name) {
            continue;
        }
        match o.metric {
            "oWaiting" => *live.waiting.entry(name).or_insert(0.0) += o.count as f64,
            "oLongestWaiting" => {
                let waited = (now_ms - o.observed[0].0) as f64 / 1000.0;
                let e = live.longest.entry(name).or_insert(waited);
                *e = e.max(waited);
            }
            _ => {
                let status = o.qualifier.unwrap().to_owned();
                *live.agents.entry((name, status)).or_insert(0.0) += o.count as f64;
            }
        }
    }
    live
}

/// Checks a live panel's answer against the truth; false for other panels.
fn check_live(title: &str, answer: &Json, live: &Live, what: &str) -> bool {
    let by_queue = |column: &str| -> BTreeMap<String, f64> {
        influx_by_tags(answer, &["queue"], column)
            .into_iter()
            .map(|((_, mut tags), v)| (tags.remove(0), v))
            .collect()
    };
    if title.starts_with("Contacts waiting now") {
        assert_eq!(
            by_queue("waiting"),
            live.waiting,
            "{what}: {title}: {answer}"
        );
    } else if title.starts_with("Longest wait now") {
        assert_close(
            &by_queue("longest_wait"),
            &live.longest,
            &format!("{what}: {title}"),
        );
    } else if title.starts_with("Agents by routing status") {
        let got: BTreeMap<(String, String), f64> =
            influx_by_tags(answer, &["queue", "routing_status"], "agents")
                .into_iter()
                .map(|((_, tags), v)| ((tags[0].clone(), tags[1].clone()), v))
                .collect();
        assert_eq!(got, live.agents, "{what}: {title}: {answer}");
    } else {
        return false;
    }
    true
}

#[tokio::test]
async fn every_shipped_dashboard_query_gives_the_simulators_numbers() {
    let stack = common::stack::collect_observed().await;
    let (sim, influx, now) = (&stack.sim, &stack.influx, stack.now);
    let (collected_start, collected_end) = (stack.start, stack.end);
    let config = stack.sidecar_config("sidecar.toml", None, "");
    let (_sidecar, base) = workspace::start_sidecar(&config).await;

    let all_skills: Vec<String> = {
        let mut t: Vec<String> = truth(sim, collected_start, collected_end, 86_400, None)
            .into_keys()
            .map(|(_, s)| s)
            .collect();
        t.sort();
        t.dedup();
        t
    };
    // The KPI fields of every bucket the plugin collected, every skill.
    let bucket_fields = common::fields_by_skill(
        sim,
        collected_start,
        collected_end,
        GRANULARITY_SECS,
        &genesys_aht_tests::kpi::METRICS,
    );
    // A field no point holds is no field in InfluxDB, and InfluxQL's fill(0)
    // cannot make it: a KPI reading one has no value there.
    let in_influx = |kpi: &str| {
        kpi_fields(kpi)
            .iter()
            .all(|f| bucket_fields.values().any(|fields| fields.contains_key(*f)))
    };
    // The simulator emits every metric the KPIs are made of, so every InfluxQL KPI
    // panel is checked on data, not only on its absence.
    for (kpi, _) in KPIS {
        assert!(in_influx(kpi), "InfluxDB holds every field of {kpi}");
    }
    for name in [
        "Tech Support",
        "Billing, Tier 2",
        "\"VIP\" Care",
        "O'Brien Desk",
    ] {
        assert!(
            all_skills.iter().any(|s| s == name),
            "{name} handled something"
        );
    }
    let ms = |s: i64| s * 1000;
    let selections = [
        Selection {
            what: "one skill",
            skills: Some(vec!["Tech Support".into()]),
            from_ms: ms(collected_start),
            to_ms: ms(collected_end),
        },
        Selection {
            what: "several skills (a space, a comma, quotes)",
            skills: Some(vec![
                "Tech Support".into(),
                "Billing, Tier 2".into(),
                "\"VIP\" Care".into(),
                "O'Brien Desk".into(),
            ]),
            from_ms: ms(collected_start),
            to_ms: ms(collected_end),
        },
        Selection {
            what: "All",
            skills: None,
            from_ms: ms(collected_start),
            to_ms: ms(collected_end),
        },
        Selection {
            what: "a 5-minute range",
            skills: None,
            from_ms: ms(collected_start + 3 * GRANULARITY_SECS) + 60_000,
            to_ms: ms(collected_start + 3 * GRANULARITY_SECS) + 360_000,
        },
        Selection {
            what: "a 90-day range",
            skills: None,
            from_ms: ms(collected_end) - 90 * 86_400_000,
            to_ms: ms(collected_end),
        },
    ];

    let sidecar_dash = dashboard("genesys-aht-sidecar.json");
    let iql_dash = dashboard("genesys-aht-influxql.json");
    let flux_dash = dashboard("genesys-aht-flux.json");
    let client = reqwest::Client::new();
    let get = |url: String| {
        let client = client.clone();
        async move {
            let response = client.get(&url).send().await.unwrap();
            let status = response.status().as_u16();
            let body: Json = response.json().await.unwrap();
            (status, body)
        }
    };

    for sel in &selections {
        let window_s = interval_ms(sel) / 1000;
        // The sidecar widens the range to whole windows; the truth is read over the
        // buckets the plugin collected inside that.
        let wstart = (sel.from_ms / 1000).div_euclid(window_s) * window_s;
        let wend = (sel.to_ms / 1000 + window_s - 1).div_euclid(window_s) * window_s;
        let want = truth(
            sim,
            wstart.max(collected_start),
            wend.min(collected_end),
            window_s,
            sel.skills.as_deref(),
        );
        assert!(!want.is_empty(), "{}: the truth has data", sel.what);

        // The sidecar dashboard: the skill variable's query, then every panel's URL.
        let sc = scope(
            sel,
            sidecar_variables(sel, &all_skills),
            DefaultFormat::Glob,
        );
        let mut sc = sc;
        sc.variables.push(Variable {
            name: "sidecar".into(),
            values: vec![base.clone()],
            all: false,
            all_value: None,
            options: Vec::new(),
            multi_or_all: false,
        });
        let var_url = sidecar_dash["templating"]["list"][1]["query"]["url"]
            .as_str()
            .unwrap();
        let (status, body) = get(grafana::interpolate(var_url, &sc)).await;
        assert_eq!(status, 200, "{}: /skills {body}", sel.what);
        let offered: Vec<&str> = body["skills"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["skill"].as_str().unwrap())
            .collect();
        // /skills reads the range as given (not widened): it offers the skills with
        // a bucket starting inside it.
        let (from_s, to_s) = ((sel.from_ms + 999) / 1000, (sel.to_ms + 999) / 1000);
        let buckets = truth(
            sim,
            collected_start,
            collected_end,
            GRANULARITY_SECS,
            sel.skills.as_deref(),
        );
        let in_range = buckets.keys().filter(|(t, _)| (from_s..to_s).contains(t));
        for (_, skill) in in_range {
            assert!(
                offered.contains(&skill.as_str()),
                "{}: {skill} offered",
                sel.what
            );
        }
        let mut sidecar_numbers = Sums::new();
        let panels = sidecar_dash["panels"].as_array().unwrap();
        let url_of = |p: &Json| p["targets"][0]["url"].as_str().unwrap_or("").to_owned();
        let url_panels: Vec<&Json> = panels
            .iter()
            .filter(|p| url_of(p).contains("/metrics/aht?"))
            .collect();
        assert_eq!(url_panels.len(), 3, "the sidecar dashboard's AHT panels");
        let kpi_panels: Vec<&Json> = panels
            .iter()
            .filter(|p| url_of(p).contains("/metrics/kpi?"))
            .collect();
        let mut kpis_seen: Vec<&str> = kpi_panels.iter().map(|p| kpi_panel(p)).collect();
        kpis_seen.sort_unstable();
        let mut kpis_all: Vec<&str> = KPIS.iter().map(|(k, _)| *k).collect();
        kpis_all.sort_unstable();
        assert_eq!(kpis_seen, kpis_all, "one KPI panel per KPI");
        let window_fields = common::fields_by_skill(
            sim,
            wstart.max(collected_start),
            wend.min(collected_end),
            window_s,
            &genesys_aht_tests::kpi::METRICS,
        );
        for panel in kpi_panels {
            let title = panel["title"].as_str().unwrap();
            let kpi = kpi_panel(panel);
            let url = grafana::interpolate(&url_of(panel), &sc);
            let (status, body) = get(url.clone()).await;
            assert_eq!(status, 200, "{}: {title}: {url}: {body}", sel.what);
            let want = kpi_truth(&window_fields, kpi, sel.skills.as_deref());
            assert_eq!(sidecar_parts(&body), want, "{}: {title}: {url}", sel.what);
            assert!(
                !want.is_empty(),
                "{}: {title}: the truth has data",
                sel.what
            );
        }
        for panel in url_panels {
            let title = panel["title"].as_str().unwrap();
            let by_time = panel_grouping(panel);
            let url = grafana::interpolate(panel["targets"][0]["url"].as_str().unwrap(), &sc);
            let (status, body) = get(url.clone()).await;
            assert_eq!(status, 200, "{}: {title}: {url}: {body}", sel.what);
            let got = sidecar_sums(&body, by_time);
            let want = if by_time {
                want.clone()
            } else {
                over_range(&want)
            };
            let only_got: Vec<_> = got.iter().filter(|(k, v)| want.get(k) != Some(v)).collect();
            let only_want: Vec<_> = want.iter().filter(|(k, v)| got.get(k) != Some(v)).collect();
            assert!(
                only_got.is_empty() && only_want.is_empty(),
                "{}: {title}: {url}: the sidecar's {only_got:?}, the truth's {only_want:?}",
                sel.what
            );
            if by_time {
                sidecar_numbers = got;
            }
        }
        assert!(!sidecar_numbers.is_empty(), "{}", sel.what);

        // The InfluxQL dashboard: the same numbers from InfluxDB directly. Its
        // $timeFilter is not widened to whole windows: it holds the buckets that start
        // inside the range, which are the sidecar's when the range starts on a bucket.
        let mut iql_want = Sums::new();
        for ((t, skill), (sum, n)) in &buckets {
            if (from_s..=sel.to_ms / 1000).contains(t) {
                let e = iql_want
                    .entry((t.div_euclid(window_s) * window_s, skill.clone()))
                    .or_insert((0, 0));
                e.0 += sum;
                e.1 += n;
            }
        }
        if sel.from_ms % (GRANULARITY_SECS * 1000) == 0 {
            assert_eq!(
                iql_want, sidecar_numbers,
                "{}: InfluxQL's buckets",
                sel.what
            );
        }
        let sidecar_numbers = iql_want;
        // The same buckets' KPI fields, for the KPI panels.
        let iql_fields = fold(
            &bucket_fields
                .iter()
                .filter(|((t, _), _)| (from_s..=sel.to_ms / 1000).contains(t))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            window_s,
        );
        let iq = scope(
            sel,
            variables(sel, &all_skills, ".*"),
            DefaultFormat::InfluxDb,
        );
        for (title, query) in panel_texts(&iql_dash, "query") {
            let q = grafana::interpolate(&query, &iq);
            let answer = influx.query(&q, &Json::Null).await.unwrap();
            assert!(
                answer["results"][0]["error"].is_null(),
                "{}: {title}: {q}: {answer}",
                sel.what
            );
            if let Some((kpi, _)) = KPIS.iter().find(|(_, t)| title.starts_with(t)) {
                let want: BTreeMap<(i64, String), f64> = if in_influx(kpi) {
                    kpi_truth(&iql_fields, kpi, sel.skills.as_deref())
                        .into_iter()
                        .map(|((t, s), parts)| ((t * 1_000_000_000, s), kpi_value(kpi, parts)))
                        .collect()
                } else {
                    BTreeMap::new()
                };
                let got = influx_values(&answer, kpi);
                assert_close(&got, &want, &format!("{}: {title}: {q}", sel.what));
            } else if title.starts_with("AHT per skill (") {
                let got = influx_values(&answer, "aht");
                let want_aht: BTreeMap<_, _> = sidecar_numbers
                    .iter()
                    .map(|(k, (sum, n))| {
                        (
                            (k.0 * 1_000_000_000, k.1.clone()),
                            *sum as f64 / *n as f64 / 1000.0,
                        )
                    })
                    .collect();
                assert_eq!(
                    got.keys().collect::<Vec<_>>(),
                    want_aht.keys().collect::<Vec<_>>(),
                    "{}: {title}: {q}: {answer}",
                    sel.what
                );
                for (k, v) in &want_aht {
                    assert!(
                        (got[k] - v).abs() < 1e-9,
                        "{}: {title}: {k:?}: {} != {v}",
                        sel.what,
                        got[k]
                    );
                }
            } else if title.starts_with("Handled") {
                let got = influx_values(&answer, "handled");
                let want_n: BTreeMap<_, _> = sidecar_numbers
                    .iter()
                    .map(|(k, (_, n))| ((k.0 * 1_000_000_000, k.1.clone()), *n as f64))
                    .collect();
                assert_eq!(got, want_n, "{}: {title}: {q}", sel.what);
            } else if title.ends_with("over the range") {
                let column = |c: &str| -> BTreeMap<String, f64> {
                    influx_values(&answer, c)
                        .into_iter()
                        .map(|((_, s), v)| (s, v))
                        .collect()
                };
                let want = over_range(&sidecar_numbers);
                let want_n: BTreeMap<String, f64> = want
                    .iter()
                    .map(|((_, s), (_, n))| (s.clone(), *n as f64))
                    .collect();
                assert_eq!(column("handled"), want_n, "{}: {title}: {q}", sel.what);
                let aht = column("aht");
                assert_eq!(aht.len(), want.len(), "{}: {title}: {q}", sel.what);
                for ((_, skill), (sum, n)) in &want {
                    let weighted = *sum as f64 / 1000.0 / *n as f64;
                    assert!(
                        (aht[skill] - weighted).abs() < 1e-9,
                        "{}: {title}: {skill}",
                        sel.what
                    );
                }
            }
        }

        // The Flux dashboard: each query, expanded, passes the Flux language server.
        let fx = scope(
            sel,
            variables(sel, &all_skills, ".*"),
            DefaultFormat::InfluxDb,
        );
        let texts: Vec<(String, String)> = panel_texts(&flux_dash, "query")
            .into_iter()
            .map(|(t, q)| (t, grafana::interpolate(&q, &fx)))
            .collect();
        let refs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(t, q)| (t.as_str(), q.as_str()))
            .collect();
        let diagnostics = flux::check_dashboard_texts(&refs).unwrap();
        let errors: Vec<_> = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", sel.what);
    }

    // The health panels, over a range reaching the plugin's poll (its own points are
    // stamped when it polled): the queries run, and the last success is the poll's.
    let sel = Selection {
        what: "health",
        skills: None,
        from_ms: ms(collected_start),
        to_ms: now.as_millisecond() + 60_000,
    };
    let hq = scope(
        &sel,
        variables(&sel, &all_skills, ".*"),
        DefaultFormat::InfluxDb,
    );
    // The live panels over the same range: its last (only) poll is the instant the
    // plugin observed, the simulator's now.
    let live = live_truth(sim, None);
    assert!(
        !live.waiting.is_empty() && !live.agents.is_empty(),
        "the simulator has queues and agents"
    );
    let mut live_checked = 0;
    for dash in [&sidecar_dash, &iql_dash] {
        for (title, query) in panel_texts(dash, "query") {
            let q = grafana::interpolate(&query, &hq);
            let answer = influx.query(&q, &Json::Null).await.unwrap();
            assert!(
                answer["results"][0]["error"].is_null(),
                "{title}: {q}: {answer}"
            );
            if check_live(&title, &answer, &live, "live") {
                live_checked += 1;
            } else if title.starts_with("Plugin health") {
                // One poll gives one point per counter, and a difference needs two:
                // what is checked here is that the query runs and reports no failure.
                let failed: f64 = influx_values(&answer, "failed").values().sum();
                assert_eq!(failed, 0.0, "{title}: {q}: {answer}");
            } else if title.starts_with("Last successful") {
                let last = influx_values(&answer, "last_success");
                let (_, at_ms) = last.first_key_value().unwrap();
                let at_ms = *at_ms as i64;
                assert!(
                    (sel.from_ms..=sel.to_ms).contains(&at_ms),
                    "{title}: {q}: {answer}"
                );
            }
        }
    }
    assert_eq!(
        live_checked, 6,
        "three live panels in each InfluxQL-backed dashboard"
    );

    // The InfluxQL dashboard's queue variable filters the live panels: the busiest
    // queue alone (a name with regex characters would be escaped by the datasource).
    let busiest = live
        .waiting
        .iter()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(q, _)| q.clone())
        .unwrap();
    let one = live_truth(sim, Some(&busiest));
    let mut vars = variables(&sel, &all_skills, ".*");
    vars[1] = Variable {
        name: "queue".into(),
        values: vec![busiest.clone()],
        all: false,
        all_value: Some(".*".into()),
        options: Vec::new(),
        multi_or_all: true,
    };
    let oq = scope(&sel, vars, DefaultFormat::InfluxDb);
    let mut filtered = 0;
    for (title, query) in panel_texts(&iql_dash, "query") {
        let q = grafana::interpolate(&query, &oq);
        let answer = influx.query(&q, &Json::Null).await.unwrap();
        if check_live(&title, &answer, &one, &format!("queue {busiest}")) {
            filtered += 1;
        }
    }
    assert_eq!(filtered, 3, "the InfluxQL dashboard's live panels");
}
