//! The shipped Grafana dashboards, expanded as Grafana would (the model in
//! `genesys_aht_tests::grafana`), against a live stack: the simulator → the real
//! `genesys-aht` binary (through the execd harness) → the real InfluxDB 1.x → the real
//! `genesys-aht-sidecar`. Every sidecar URL answers 200 with the simulator's ground
//! truth; every InfluxQL panel query runs on InfluxDB and gives the sidecar's
//! numbers; every Flux panel query passes the Flux language server. Grafana itself
//! does not run here.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use genesys_aht_contract::names::tags;
use genesys_aht_contract::{FieldValue, Point};
use genesys_aht_tests::flux::Severity;
use genesys_aht_tests::grafana::{self, DefaultFormat, Scope, Variable};
use genesys_aht_tests::influxdb::InfluxDb;
use genesys_aht_tests::plugin_config::PluginConfig;
use genesys_aht_tests::telegraf::{Execd, ExecdConfig, Metric, Signal as ExecdSignal, Value};
use genesys_aht_tests::{flux, workspace};
use genesys_sim::{Clock, Sim, SimConfig};
use serde_json::Value as Json;

const GRANULARITY_SECS: i64 = 900;
const LIMIT: Duration = Duration::from_secs(20);
/// The interval variable's auto settings in the shipped dashboards.
const AUTO_COUNT: i64 = 100;
const AUTO_MIN_MS: i64 = 900_000;

type Sums = BTreeMap<(i64, String), (i64, i64)>;

fn dashboard(name: &str) -> Json {
    let path = format!("{}/../dashboards/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn to_point(metric: &Metric) -> Point {
    Point {
        timestamp_ns: metric.timestamp.unwrap(),
        tags: metric
            .tags
            .iter()
            .filter_map(|(k, v)| {
                let key = tags::ALL.into_iter().find(|t| t == k)?;
                Some((key, v.clone()))
            })
            .collect(),
        fields: metric
            .fields
            .iter()
            .filter_map(|(k, v)| {
                let value = match v {
                    Value::Integer(i) => FieldValue::Integer(*i),
                    Value::Float(f) => FieldValue::Float(*f),
                    _ => return None,
                };
                Some((k.clone(), value))
            })
            .collect(),
    }
}

/// The plugin's points, conversation and internal, as InfluxDB receives them (tags
/// outside the contract's, such as the request counters', are left out).
fn line_protocol(metrics: &[(usize, Metric)]) -> String {
    let mut out = Vec::new();
    for (_, m) in metrics {
        let body = genesys_aht_contract::encode_batch_as(&m.measurement, &[to_point(m)]).unwrap();
        out.extend(body);
    }
    String::from_utf8(out).unwrap()
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
            p["targets"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(move |t| t[key].as_str().map(|q| (title.clone(), q.to_owned())))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// InfluxQL series → (window, skill) → value of `column`.
fn influx_values(answer: &Json, column: &str) -> BTreeMap<(i64, String), f64> {
    let mut out = BTreeMap::new();
    for series in answer["results"][0]["series"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let skill = series["tags"]["skill"].as_str().unwrap_or("").to_owned();
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
                out.insert((t, skill.clone()), v);
            }
        }
    }
    out
}

#[tokio::test]
async fn every_shipped_dashboard_query_gives_the_simulators_numbers() {
    let now = jiff::Timestamp::now();
    let sim = Sim::start(SimConfig {
        clock: Clock::Fixed(now),
        check_contract: true,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let influx = InfluxDb::start().await.expect("start influxd");
    let dir = tempfile::tempdir().unwrap();
    let plugin_config = PluginConfig::new(&sim.base_url())
        .genesys("client_secret", "${SIM_SECRET}")
        .collect("granularity", "15m")
        .collect("lookback", "2h")
        .collect("group_by", vec!["requestedRoutingSkillId"])
        .write(&dir);
    let mut execd = ExecdConfig::new(workspace::binary("genesys-aht"));
    execd.args = vec!["--config".into(), plugin_config.to_str().unwrap().into()];
    execd.env = vec![("SIM_SECRET".into(), "sim-secret".into())];
    // The plugin's own default; Telegraf's (and the stand-in's) is "none".
    execd.signal = ExecdSignal::Stdin;
    let telegraf = Execd::start(execd).await.unwrap();
    telegraf.gather().await.unwrap();
    assert!(
        telegraf
            .wait_until(LIMIT, |r| r
                .metrics
                .iter()
                .any(|(_, m)| m.measurement == genesys_aht_contract::MEASUREMENT))
            .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, recorded) = telegraf.stop().await;
    influx
        .write(&line_protocol(&recorded.metrics))
        .await
        .expect("InfluxDB accepts every line");
    let collected_end = now.as_second().div_euclid(GRANULARITY_SECS) * GRANULARITY_SECS;
    let collected_start = collected_end - 8 * GRANULARITY_SECS;

    let config = dir.path().join("sidecar.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\n[influx]\nbackend = \"influxql\"\nurl = \"{}\"\nbucket = \"{}\"\n",
            influx.url, influx.database
        ),
    )
    .unwrap();
    let (_sidecar, base) = workspace::start_sidecar(&config).await;

    let all_skills: Vec<String> = {
        let mut t: Vec<String> = truth(&sim, collected_start, collected_end, 86_400, None)
            .into_keys()
            .map(|(_, s)| s)
            .collect();
        t.sort();
        t.dedup();
        t
    };
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
            &sim,
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
            &sim,
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
        let url_panels: Vec<&Json> = panels
            .iter()
            .filter(|p| p["targets"][0]["url"].is_string())
            .collect();
        assert_eq!(url_panels.len(), 3, "the sidecar dashboard's data panels");
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
            if title.starts_with("AHT per skill (") {
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
    for dash in [&sidecar_dash, &iql_dash] {
        for (title, query) in panel_texts(dash, "query") {
            let q = grafana::interpolate(&query, &hq);
            let answer = influx.query(&q, &Json::Null).await.unwrap();
            assert!(
                answer["results"][0]["error"].is_null(),
                "{title}: {q}: {answer}"
            );
            if title.starts_with("Plugin health") {
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
}
