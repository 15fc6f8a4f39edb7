//! The sidecar's chart page at `/`, in Debian's chromium (headless), over a live
//! stack: the simulator → the real `genesys-aht` binary (the execd harness) → the
//! real InfluxDB 1.x → the real `genesys-aht-sidecar`. A person's steps (a custom
//! range, the 15-minute interval, two skills) must draw series and a table equal to
//! `/metrics/aht`'s answer and to the simulator's ground truth, and KPI charts and
//! columns equal to `/metrics/kpi`'s and to the truth by the README's definitions;
//! the link the page
//! puts in the address bar must show the same at a phone's width; the bearer-token,
//! no-data, 400 and 503 states must say so on the page; the browser must request
//! nothing outside the sidecar's origin; screenshots must show drawn charts.

#![allow(clippy::unwrap_used)]

mod common;
#[path = "page/kpi.rs"]
mod kpi;
#[path = "page/live.rs"]
mod live;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use genesys_aht_tests::{browser, workspace};
use serde_json::{Value as Json, json};

/// Two skills whose names need escaping in a URL: a comma and an apostrophe.
const SKILLS: [&str; 2] = ["Billing, Tier 2", "O'Brien Desk"];
const TOKEN: &str = "page-test-token-7f3a";
const LIVE_TOML: &str = "[live]\nwindow = \"24h\"\n";
/// The page's first two series colours (its palette), as drawn.
const SERIES_RGB: [[u8; 3]; 2] = [[0x1f, 0x77, 0xb4], [0xd6, 0x27, 0x28]];

/// (window start s, skill) → (handle sum ms, conversations).
type Sums = BTreeMap<(i64, String), (i64, i64)>;

fn minute(second: i64) -> String {
    jiff::Timestamp::from_second(second)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

/// A `/metrics/aht` answer summed per window and skill over its groups.
fn answer_sums(body: &Json) -> Sums {
    let mut out = Sums::new();
    for row in body["data"].as_array().unwrap() {
        let t: jiff::Timestamp = row["timestamp"].as_str().unwrap().parse().unwrap();
        let skill = row["skill"].as_str().unwrap().to_owned();
        let e = out.entry((t.as_second(), skill)).or_insert((0, 0));
        e.0 += row["handle_sum_ms"].as_i64().unwrap();
        e.1 += row["conversation_count"].as_i64().unwrap();
    }
    out.retain(|_, v| v.1 > 0);
    out
}

/// A chart's drawn points in a page snapshot: (window, series label) → value.
fn chart_points(snapshot: &Json, chart: &str) -> BTreeMap<(i64, String), f64> {
    let labels = snapshot[chart]["labels"].as_array().unwrap();
    let data = snapshot[chart]["data"].as_array().unwrap();
    let times = data[0].as_array().unwrap();
    let mut out = BTreeMap::new();
    for (k, label) in labels.iter().enumerate() {
        for (i, value) in data[k + 1].as_array().unwrap().iter().enumerate() {
            if let Some(v) = value.as_f64() {
                let t = times[i].as_i64().unwrap();
                out.insert((t, label.as_str().unwrap().to_owned()), v);
            }
        }
    }
    out
}

/// The charts and the table of a snapshot must be the truth: AHT per window is
/// sum / count / 1000 (a weighted average), conversations the count, and each
/// table row the skill's sums over the whole range.
fn assert_shows(snapshot: &Json, truth: &Sums, what: &str) {
    let labels: Vec<&str> = snapshot["aht"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(labels, SKILLS, "{what}: one series per skill");
    let aht = chart_points(snapshot, "aht");
    let counts = chart_points(snapshot, "count");
    let want_keys: Vec<_> = truth.keys().collect();
    assert_eq!(
        aht.keys().collect::<Vec<_>>(),
        want_keys,
        "{what}: AHT points"
    );
    assert_eq!(
        counts.keys().collect::<Vec<_>>(),
        want_keys,
        "{what}: count points"
    );
    for (key, (sum, count)) in truth {
        let weighted = *sum as f64 / *count as f64 / 1000.0;
        assert!(
            (aht[key] - weighted).abs() < 1e-9,
            "{what}: {key:?} AHT {} != {weighted}",
            aht[key]
        );
        assert_eq!(counts[key], *count as f64, "{what}: {key:?} conversations");
    }
    let mut by_skill: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for ((_, skill), (sum, count)) in truth {
        let e = by_skill.entry(skill).or_default();
        e.0 += sum;
        e.1 += count;
    }
    let table = snapshot["table"].as_array().unwrap();
    assert_eq!(
        table.len(),
        by_skill.len(),
        "{what}: one table row per skill"
    );
    for row in table {
        let skill = row["skill"].as_str().unwrap();
        let (sum, count) = by_skill[skill];
        let weighted = sum as f64 / count as f64 / 1000.0;
        assert!(
            (row["aht"].as_f64().unwrap() - weighted).abs() < 1e-9,
            "{what}: {skill} over the range"
        );
        assert_eq!(row["aht_text"], format!("{weighted:.1}"), "{what}: {skill}");
        assert_eq!(row["count"].as_i64().unwrap(), count, "{what}: {skill}");
    }
}

/// The tooltip over the AHT chart names a window of 15 minutes and, for each skill
/// with data in it, the AHT and the conversations of the truth.
fn assert_tooltip(snapshot: &Json, truth: &Sums) {
    let tip = snapshot["tooltip"]
        .as_str()
        .expect("a tooltip under the cursor");
    let mut lines = tip.lines();
    let window = lines.next().unwrap();
    let (from, rest) = window.split_once(" – ").unwrap();
    let at = |s: &str| {
        jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M", s)
            .unwrap()
            .to_zoned(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_second()
    };
    let t = at(from);
    assert_eq!(at(rest.trim_end_matches(" UTC")), t + 900, "{tip}");
    let mut shown = 0;
    for line in lines {
        let (skill, values) = line.split_once(": AHT ").unwrap();
        let (sum, count) = truth[&(t, skill.to_owned())];
        let weighted = sum as f64 / count as f64 / 1000.0;
        assert!(
            values.contains(&format!("({weighted:.1} s), {count} conversations")),
            "{tip}"
        );
        shown += 1;
    }
    let want = truth.keys().filter(|(w, _)| *w == t).count();
    assert_eq!(shown, want, "{tip}");
}

/// The KPI charts and the table's KPI columns of a snapshot must be the truth: each
/// chart's drawn points the values of the windows whose denominator is not 0, and
/// each row the ratio of the parts summed over the range (— when the sum is 0).
fn assert_kpis(snapshot: &Json, truth: &kpi::KpiTruth, what: &str) {
    for name in kpi::KPIS {
        let chart = &snapshot["kpi"][name];
        let labels: Vec<&str> = chart["labels"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(labels, SKILLS, "{what}: {name}: one series per skill");
        let drawn = chart_points(&snapshot["kpi"], name);
        let want: BTreeMap<(i64, String), f64> = truth
            .iter()
            .filter_map(|(key, parts)| Some((key.clone(), kpi::value(name, parts[name])?)))
            .collect();
        assert_eq!(
            drawn.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{what}: {name}: points"
        );
        for (key, v) in &want {
            assert!(
                (drawn[key] - v).abs() < 1e-9,
                "{what}: {name} {key:?}: {} != {v}",
                drawn[key]
            );
        }
    }
    let table = snapshot["table"].as_array().unwrap();
    for row in table {
        let skill = row["skill"].as_str().unwrap();
        for name in kpi::KPIS {
            let (num, den) = truth
                .iter()
                .filter(|((_, s), _)| s == skill)
                .fold((0, 0), |(n, d), (_, parts)| {
                    (n + parts[name].0, d + parts[name].1)
                });
            let want = kpi::value(name, (num, den));
            let text = row[format!("{name}_text")].as_str().unwrap();
            match want {
                None => {
                    assert_eq!(row[name], Json::Null, "{what}: {skill} {name}");
                    assert_eq!(text, "—", "{what}: {skill} {name}");
                }
                Some(v) => {
                    let shown = row[name].as_f64().unwrap();
                    assert!(
                        (shown - v).abs() < 1e-9,
                        "{what}: {skill} {name}: {shown} != {v}"
                    );
                    // One decimal: a percentage for the fractions, seconds for ASA.
                    let (number, scale) = match text.strip_suffix(" %") {
                        Some(n) => (n, 100.0),
                        None => (text, 1.0),
                    };
                    assert_eq!(
                        scale == 1.0,
                        name == "asa",
                        "{what}: {skill} {name}: {text}"
                    );
                    let number: f64 = number.parse().unwrap();
                    assert!(
                        (number - v * scale).abs() <= 0.05 + 1e-9,
                        "{what}: {skill} {name}: {text} for {v}"
                    );
                }
            }
        }
    }
}

/// The live panel of a snapshot must be the simulator's observations at its now:
/// one row per queue, its waiting, longest wait and users per routing status, and
/// the instant it names the plugin's poll.
fn assert_live(
    snapshot: &Json,
    truth: &BTreeMap<String, live::LiveQueue>,
    poll: jiff::Timestamp,
    what: &str,
) {
    let rows = snapshot["live"].as_array().unwrap();
    let shown: Vec<&str> = rows.iter().map(|r| r["queue"].as_str().unwrap()).collect();
    assert_eq!(
        shown,
        truth.keys().map(String::as_str).collect::<Vec<_>>(),
        "{what}: live queues"
    );
    for row in rows {
        let queue = row["queue"].as_str().unwrap();
        let want = &truth[queue];
        assert_eq!(
            row["waiting"].as_i64(),
            want.waiting,
            "{what}: {queue} waiting"
        );
        assert_eq!(
            row["longest_waiting_ms"].as_i64(),
            want.longest_waiting_ms,
            "{what}: {queue} longest wait"
        );
        for status in [
            "IDLE",
            "INTERACTING",
            "COMMUNICATING",
            "NOT_RESPONDING",
            "OFF_QUEUE",
        ] {
            assert_eq!(
                row[status].as_i64(),
                want.statuses.get(status).copied(),
                "{what}: {queue} {status}"
            );
        }
        for (status, n) in &want.statuses {
            assert_eq!(
                row[status.as_str()].as_i64(),
                Some(*n),
                "{what}: {queue} {status}"
            );
        }
    }
    let at = poll.strftime("%Y-%m-%d %H:%M:%S UTC").to_string();
    let status = snapshot["live_status"].as_str().unwrap();
    assert_eq!(
        status,
        format!("{} queue(s), observed {at}.", truth.len()),
        "{what}"
    );
}

/// A `/metrics/kpi` answer's parts summed per window and skill over its groups.
fn kpi_answer_parts(body: &Json) -> BTreeMap<(i64, String), (i64, i64)> {
    let mut out = BTreeMap::new();
    for row in body["data"].as_array().unwrap() {
        let t: jiff::Timestamp = row["timestamp"].as_str().unwrap().parse().unwrap();
        let skill = row["skill"].as_str().unwrap().to_owned();
        let e = out.entry((t.as_second(), skill)).or_insert((0, 0));
        e.0 += row["numerator"].as_i64().unwrap();
        e.1 += row["denominator"].as_i64().unwrap();
    }
    // A window of nothing (both 0) is no data, as in the truth.
    out.retain(|_, parts| *parts != (0, 0));
    out
}

fn table_counts(snapshot: &Json) -> Vec<i64> {
    snapshot["table"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_i64().unwrap())
        .collect()
}

fn text(snapshot: &Json) -> &str {
    snapshot["text"].as_str().unwrap()
}

/// A screenshot's size, its number of distinct colours, and how many pixels have
/// exactly each of the page's first two series colours.
fn read_screenshot(path: &Path) -> (u32, u32, usize, [usize; 2]) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    assert!(channels >= 3, "{}: an RGB image", path.display());
    let mut colours = HashSet::new();
    let mut series = [0; 2];
    for px in buf[..info.buffer_size()].chunks_exact(channels) {
        let rgb = [px[0], px[1], px[2]];
        colours.insert(rgb);
        for (k, c) in SERIES_RGB.iter().enumerate() {
            series[k] += usize::from(rgb == *c);
        }
    }
    (info.width, info.height, colours.len(), series)
}

fn assert_drawn(path: &Path, width: u32, min_height: u32) {
    let (w, h, colours, series) = read_screenshot(path);
    assert_eq!(w, width, "{}", path.display());
    assert!(h >= min_height, "{}: {h} px high", path.display());
    // A blank or unstyled page has a handful of colours; text, controls and two
    // anti-aliased series have hundreds.
    assert!(colours > 100, "{}: {colours} colours", path.display());
    assert!(
        series.iter().all(|&n| n >= 20),
        "{}: pixels of each series' colour: {series:?}",
        path.display()
    );
}

fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("page-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A loopback port nothing listens on: an InfluxDB that is down.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn error_reason(base: &str, path_and_query: &str) -> (u16, String) {
    let response = reqwest::get(format!("{base}{path_and_query}"))
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: Json = response.json().await.unwrap();
    (status, body["reason"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_chart_page_shows_the_simulators_numbers_and_every_state_in_chromium() {
    let stack = common::stack::collect_observed().await;
    let (start, end) = (stack.start, stack.end);
    // The live state was written at the stack's start: a window that still holds it.
    let settings = format!("{}{LIVE_TOML}", kpi::SERVICE_LEVEL.toml());
    let (_open, open) =
        workspace::start_sidecar(&stack.sidecar_config("open.toml", None, &settings)).await;
    let guarded = stack.sidecar_config(
        "token.toml",
        None,
        &format!("{settings}[http]\nbearer_token = \"{TOKEN}\"\n"),
    );
    let (_guarded, guarded) = workspace::start_sidecar(&guarded).await;
    let down = format!("http://127.0.0.1:{}", closed_port());
    let (_down, down) =
        workspace::start_sidecar(&stack.sidecar_config("down.toml", Some(&down), "")).await;

    let truth: Sums = common::handle_by_skill(&stack.sim, start, end, 900)
        .into_iter()
        .filter(|((_, skill), (_, n))| *n > 0 && SKILLS.contains(&skill.as_str()))
        .collect();
    for skill in SKILLS {
        assert!(
            truth.keys().any(|(_, s)| s == skill),
            "{skill} handled something"
        );
    }
    let (from, to) = (minute(start), minute(end));
    let (start_date, end_date) = (format!("{from}:00Z"), format!("{to}:00Z"));
    // The range, interval and skills the page is set to.
    let shown = [
        ("start_date", start_date.as_str()),
        ("end_date", end_date.as_str()),
        ("interval", "15m"),
        ("var-skill", SKILLS[0]),
        ("var-skill", SKILLS[1]),
    ];
    let answer = workspace::get_json(&open, "/metrics/aht", &shown).await;
    assert_eq!(answer_sums(&answer), truth, "/metrics/aht is the truth");
    let kpi_truth: kpi::KpiTruth = kpi::kpi_by_skill(&stack.sim, start, end, 900)
        .into_iter()
        .filter(|((_, skill), _)| SKILLS.contains(&skill.as_str()))
        .collect();
    for name in kpi::KPIS {
        let query: Vec<(&str, &str)> = [("kpi", name)].into_iter().chain(shown).collect();
        let answer = workspace::get_json(&open, "/metrics/kpi", &query).await;
        let want: BTreeMap<(i64, String), (i64, i64)> = kpi_truth
            .iter()
            .map(|(key, parts)| (key.clone(), parts[name]))
            .filter(|(_, parts)| *parts != (0, 0))
            .collect();
        assert_eq!(
            kpi_answer_parts(&answer),
            want,
            "/metrics/kpi {name} is the truth"
        );
    }

    // The page and its files carry a policy that allows this origin only.
    for path in ["/", "/page/app.js", "/page/uPlot.iife.min.js"] {
        let response = reqwest::get(format!("{open}{path}")).await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        for directive in [
            "default-src 'self'",
            "connect-src 'self'",
            "script-src 'self'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
    }
    let (status, _) = error_reason(&open, "/page/missing.js").await;
    assert_eq!(status, 404, "an unknown page file is a JSON 404");

    let no_data = (minute(start - 30 * 86_400), minute(start - 29 * 86_400));
    let no_data_query = format!(
        "?range=custom&start={}&end={}&interval=1h",
        no_data.0, no_data.1
    );
    let too_long = "?range=custom&start=2020-01-01T00:00&end=2022-01-01T00:00&interval=1h";
    let shots = screenshot_dir();
    let desktop = shots.join("page-1280x800.png");
    let phone = shots.join("page-390x844.png");
    let report = browser::drive(&json!([
        {"goto": format!("{open}/"), "viewport": [1280, 800]},
        {"settle": true},
        {"fill": "#start", "value": from},
        {"fill": "#end", "value": to},
        {"select": "#interval", "values": ["15m"]},
        {"settle": true},
        {"select": "#skill", "values": SKILLS},
        {"click": "#show"},
        {"settle": true},
        {"snapshot": "selected"},
        {"hover": "#aht-chart .u-over"},
        {"settle": true},
        {"snapshot": "hover"},
        {"screenshot": desktop},
        {"click": "#summary button[data-key=count]"},
        {"snapshot": "by_count"},
        {"click": "#summary button[data-key=count]"},
        {"snapshot": "by_count_ascending"},
        {"press": "Enter", "on": "#summary button[data-key=skill]"},
        {"snapshot": "by_skill_keyboard"},
        {"press": " ", "on": "#refresh"},
        {"settle": true},
        {"snapshot": "refreshing"},
        {"goto": "@selected", "viewport": [390, 844]},
        {"settle": true},
        {"snapshot": "phone"},
        {"screenshot": phone},
        {"goto": format!("{open}/{no_data_query}")},
        {"settle": true},
        {"snapshot": "no_data"},
        {"goto": format!("{open}/{too_long}")},
        {"settle": true},
        {"snapshot": "bad_request"},
        {"goto": format!("{down}/")},
        {"settle": true},
        {"snapshot": "unreachable"},
        {"goto": "@selected", "origin": guarded},
        {"settle": true},
        {"snapshot": "token_missing"},
        {"fill": "#token", "value": "not-the-token"},
        {"click": "#token-form button"},
        {"settle": true},
        {"snapshot": "token_wrong"},
        {"fill": "#token", "value": TOKEN},
        {"click": "#token-form button"},
        {"settle": true},
        {"snapshot": "token_right"},
    ]))
    .await;
    assert_eq!(report["errors"], json!([]), "the browser's errors");
    let shot = |name: &str| report["snapshots"][name].clone();

    // The network log: every request the browser made went to a sidecar's origin.
    let requests = report["requests"].as_array().unwrap();
    assert!(requests.len() > 10, "{requests:?}");
    for url in requests {
        let url = url.as_str().unwrap();
        assert!(
            [&open, &guarded, &down]
                .iter()
                .any(|origin| url.starts_with(&format!("{origin}/"))),
            "a request outside the sidecar's origin: {url}"
        );
    }

    // The person's selection, drawn; the same from the shared link on a phone.
    let selected = shot("selected");
    assert_eq!(selected["status_kind"], "ok", "{}", selected["status"]);
    assert_shows(&selected, &truth, "1280x800");
    assert_kpis(&selected, &kpi_truth, "1280x800");
    // The plugin's poll: the instant its live points carry, read from InfluxDB.
    let newest = stack
        .influx
        .query(
            "SELECT last(\"member_users\") FROM \"genesys_queue\"",
            &json!({}),
        )
        .await
        .unwrap();
    let poll_ns = newest["results"][0]["series"][0]["values"][0][0]
        .as_i64()
        .unwrap_or_else(|| panic!("no live state in InfluxDB: {newest}"));
    let poll = jiff::Timestamp::from_nanosecond(i128::from(poll_ns)).unwrap();
    let live_truth = live::live_truth(&stack.sim, poll.as_millisecond());
    assert!(!live_truth.is_empty(), "the simulator observes queues");
    assert_live(&selected, &live_truth, poll, "1280x800");
    let url = selected["url"].as_str().unwrap();
    for part in [
        "range=custom",
        "interval=15m",
        "skill=Billing%2C+Tier+2",
        "skill=O%27Brien+Desk",
    ] {
        assert!(url.contains(part), "{url} holds {part}");
    }
    assert_tooltip(&shot("hover"), &truth);
    let phone_view = shot("phone");
    assert_eq!(phone_view["url"], selected["url"]);
    assert_shows(&phone_view, &truth, "390x844, from the link");
    assert_kpis(&phone_view, &kpi_truth, "390x844, from the link");
    assert_eq!(
        phone_view["controls"], selected["controls"],
        "the controls show the link's state"
    );
    assert_eq!(phone_view["controls"]["start"], from.as_str());
    assert!(
        phone_view["overflow_x"].as_i64().unwrap() <= 0,
        "no sideways scrolling on a phone"
    );
    for view in [&selected, &phone_view] {
        let shift = view["layout_shift"].as_f64().unwrap();
        assert!(shift < 0.01, "layout shift {shift}");
    }
    assert_drawn(&desktop, 1280, 800);
    assert_drawn(&phone, 390, 844);

    // The table sorts by conversations, descending then ascending.
    let desc = table_counts(&shot("by_count"));
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "{desc:?}");
    let asc = table_counts(&shot("by_count_ascending"));
    assert!(asc.windows(2).all(|w| w[0] <= w[1]), "{asc:?}");
    assert!(
        shot("refreshing")["url"]
            .as_str()
            .unwrap()
            .contains("refresh=1")
    );

    // No data: said so, nothing drawn, as /metrics/aht has nothing.
    let none = shot("no_data");
    assert!(
        text(&none).contains(&format!(
            "No data: no handled conversations from {} to {} UTC",
            no_data.0, no_data.1
        )),
        "{}",
        none["status"]
    );
    assert_eq!(none["table"], json!([]));
    let empty = workspace::get_json(
        &open,
        "/metrics/aht",
        &[
            ("start_date", &format!("{}:00Z", no_data.0)),
            ("end_date", &format!("{}:00Z", no_data.1)),
        ],
    )
    .await;
    assert_eq!(empty["data"], json!([]));

    // A 400 shows the sidecar's own reason.
    let (status, reason) = error_reason(
        &open,
        "/metrics/aht?start_date=2020-01-01T00:00:00Z&end_date=2022-01-01T00:00:00Z&interval=1h",
    )
    .await;
    assert_eq!(status, 400);
    let bad = shot("bad_request");
    assert!(
        text(&bad).contains(&format!("The sidecar refused the request: {reason}")),
        "{}",
        bad["status"]
    );

    // InfluxDB down: the 503 and its reason.
    let (status, reason) = error_reason(
        &down,
        "/skills?start_date=2026-01-01T00:00:00Z&end_date=2026-01-02T00:00:00Z",
    )
    .await;
    assert_eq!(status, 503);
    let unreachable = shot("unreachable");
    assert!(
        text(&unreachable).contains(&format!(
            "The sidecar cannot reach InfluxDB (503): {reason}"
        )),
        "{}",
        unreachable["status"]
    );

    // The bearer token: asked for, a wrong one refused, the right one used.
    let missing = shot("token_missing");
    assert!(
        text(&missing).contains("This sidecar needs a bearer token."),
        "{}",
        missing["status"]
    );
    assert_eq!(missing["token_form"], true);
    let wrong = shot("token_wrong");
    assert!(
        text(&wrong).contains("The sidecar refused this bearer token."),
        "{}",
        wrong["status"]
    );
    let right = shot("token_right");
    assert_eq!(right["status_kind"], "ok", "{}", right["status"]);
    assert_shows(&right, &truth, "with the token");
    assert_kpis(&right, &kpi_truth, "with the token");
    assert_live(&right, &live_truth, poll, "with the token");
    assert!(
        !right["url"].as_str().unwrap().contains(TOKEN),
        "the token stays out of the URL"
    );
}
