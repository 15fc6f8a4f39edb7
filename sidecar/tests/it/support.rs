//! Test data written through the contract's encoder, the answers expected from it
//! (computed here from the points, independently of the sidecar), and helpers to
//! start a sidecar and call it.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use genesys_aht_contract::names::tags;
use genesys_aht_contract::{FieldValue, Point};
use genesys_aht_sidecar::{Config, Running};
use salvo::conn::{Acceptor, TcpListener};
use salvo::server::ServerHandle;
use salvo::{Listener, Router, Server};
use serde_json::Value;

/// 2026-03-10T00:00:00Z.
pub(crate) const T0_NS: i64 = 1_773_100_800_000_000_000;
pub(crate) const MINUTE_NS: i64 = 60_000_000_000;
pub(crate) const HOUR_NS: i64 = 60 * MINUTE_NS;

/// Skill names a tag value can hold and a query must survive.
pub(crate) const SKILLS: [&str; 7] = [
    "Tech Support",
    "a,b",
    "x=y",
    "O'Brien \"Q\"",
    "Süßwaren ☎",
    "Billing",
    "back$lash ${x}",
];
/// The skill IDs behind `SKILLS`, one each.
const SKILL_IDS: [&str; 7] = [
    "s-tech",
    "s-ab",
    "s-xy",
    "s-obrien",
    "s-sweets",
    "s-billing",
    "s-dollar",
];
/// A second series of `Billing` (a skill deleted and created again under the same
/// name): one group in an answer, two series in the database.
const BILLING_OLD_ID: &str = "s-billing-old";
/// A skill renamed in Genesys halfway through the points: its ID, and its names
/// before and after. One series in every answer, under the new name.
pub(crate) const RENAMED_ID: &str = "s-sales";
pub(crate) const OLD_NAME: &str = "Sales";
pub(crate) const NEW_NAME: &str = "Sales Team";
/// A skill with points whose counts are all 0: never listed by `/skills`.
pub(crate) const IDLE_SKILL: &str = "Idle Skill";
const QUEUES: [&str; 2] = ["Q 1", "Q,2"];
const MEDIA: [&str; 2] = ["voice", "chat"];

/// One point of the contract, as the tests think of it.
#[derive(Debug, Clone)]
pub(crate) struct TestPoint {
    pub(crate) ts_ns: i64,
    pub(crate) skill: &'static str,
    pub(crate) skill_id: &'static str,
    pub(crate) queue: &'static str,
    pub(crate) media_type: &'static str,
    pub(crate) count: i64,
    pub(crate) sum_ms: i64,
}

/// Six hours of 15-minute buckets for every skill, queue and media type; some
/// buckets handled nothing (count 0). `Billing` has a second series under an older
/// ID (a skill deleted and created again: another skill, with the same name),
/// `RENAMED_ID` is renamed after three hours, and `IDLE_SKILL` never handles anything.
pub(crate) fn points() -> Vec<TestPoint> {
    let mut out = Vec::new();
    for slot in 0..24i64 {
        let ts_ns = T0_NS + slot * 15 * MINUTE_NS;
        for (s, (skill, skill_id)) in SKILLS.iter().zip(SKILL_IDS).enumerate() {
            for (q, queue) in QUEUES.iter().enumerate() {
                let media_type = MEDIA[(slot as usize + s + q) % 2];
                let count = (slot * 7 + s as i64 * 3 + q as i64) % 5;
                let sum_ms = count * (100_000 + 1_000 * s as i64 + 37 * slot + 11 * q as i64);
                out.push(TestPoint {
                    ts_ns,
                    skill,
                    skill_id,
                    queue,
                    media_type,
                    count,
                    sum_ms,
                });
                if *skill == "Billing" {
                    let count = (slot + q as i64) % 3;
                    out.push(TestPoint {
                        skill_id: BILLING_OLD_ID,
                        count,
                        sum_ms: count * (90_000 + 13 * slot),
                        ..out[out.len() - 1].clone()
                    });
                }
            }
        }
        let count = slot % 4 + 1;
        out.push(TestPoint {
            ts_ns,
            skill: if slot < 12 { OLD_NAME } else { NEW_NAME },
            skill_id: RENAMED_ID,
            queue: QUEUES[0],
            media_type: MEDIA[0],
            count,
            sum_ms: count * (200_000 + 91 * slot),
        });
        out.push(TestPoint {
            ts_ns,
            skill: IDLE_SKILL,
            skill_id: "s-idle",
            queue: QUEUES[0],
            media_type: MEDIA[0],
            count: 0,
            sum_ms: 0,
        });
    }
    out
}

/// The contract point the plugin would write for `p`.
pub(crate) fn contract_point(p: &TestPoint) -> Point {
    let mut fields = vec![
        ("handle_count".to_string(), FieldValue::Integer(p.count)),
        ("handle_sum_ms".to_string(), FieldValue::Integer(p.sum_ms)),
    ];
    if p.count > 0 {
        let avg = p.sum_ms as f64 / p.count as f64 / 1000.0;
        fields.push(("avg_handle_time".to_string(), FieldValue::Float(avg)));
    }
    Point {
        timestamp_ns: p.ts_ns,
        tags: vec![
            (tags::SKILL, p.skill.to_string()),
            (tags::SKILL_ID, p.skill_id.to_string()),
            (tags::QUEUE, p.queue.to_string()),
            (tags::MEDIA_TYPE, p.media_type.to_string()),
        ],
        fields,
    }
}

/// Line protocol for `points`, through the contract's encoder.
pub(crate) fn line_protocol(points: &[TestPoint]) -> String {
    let contract: Vec<Point> = points.iter().map(contract_point).collect();
    String::from_utf8(genesys_aht_contract::encode_batch(&contract).unwrap()).unwrap()
}

pub(crate) const DAY_NS: i64 = 24 * HOUR_NS;

/// What the Flux tasks write to a roll-up bucket: sums per period and series,
/// stamped at the period's start.
pub(crate) fn rollup(points: &[TestPoint], period_ns: i64) -> Vec<TestPoint> {
    type Series<'a> = (i64, &'a str, &'a str, &'a str, &'a str);
    let mut sums: BTreeMap<Series<'static>, TestPoint> = BTreeMap::new();
    for p in points {
        let start = p.ts_ns.div_euclid(period_ns) * period_ns;
        let sum = sums
            .entry((start, p.skill, p.skill_id, p.queue, p.media_type))
            .or_insert(TestPoint {
                ts_ns: start,
                count: 0,
                sum_ms: 0,
                ..p.clone()
            });
        sum.count += p.count;
        sum.sum_ms += p.sum_ms;
    }
    sums.into_values().collect()
}

/// The hourly bucket: the roll-up of the first three hours only, so an answer read
/// from it differs from one read from the raw bucket.
pub(crate) fn hourly_bucket() -> Vec<TestPoint> {
    let first_hours: Vec<TestPoint> = points()
        .into_iter()
        .filter(|p| p.ts_ns < T0_NS + 3 * HOUR_NS)
        .collect();
    rollup(&first_hours, HOUR_NS)
}

/// The daily bucket: the roll-up of the first two hours only (differs from both).
pub(crate) fn daily_bucket() -> Vec<TestPoint> {
    let first_hours: Vec<TestPoint> = points()
        .into_iter()
        .filter(|p| p.ts_ns < T0_NS + 2 * HOUR_NS)
        .collect();
    rollup(&first_hours, DAY_NS)
}

/// A request's filters, as the tests state them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter<'a> {
    pub(crate) skills: Vec<&'a str>,
    pub(crate) queue: Option<&'a str>,
    pub(crate) media_type: Option<&'a str>,
}

impl Filter<'_> {
    /// Whether `p`, whose skill is now called `skill`, is asked for.
    pub(crate) fn matches(&self, p: &TestPoint, skill: &str) -> bool {
        (self.skills.is_empty() || self.skills.contains(&skill))
            && self.queue.is_none_or(|q| q == p.queue)
            && self.media_type.is_none_or(|m| m == p.media_type)
    }
}

/// Each skill ID's current name: that of its newest point in the raw bucket.
pub(crate) fn current_names() -> BTreeMap<&'static str, &'static str> {
    let mut newest: BTreeMap<&str, (i64, &str)> = BTreeMap::new();
    for p in points() {
        let entry = newest.entry(p.skill_id).or_insert((i64::MIN, p.skill));
        if p.ts_ns >= entry.0 {
            *entry = (p.ts_ns, p.skill);
        }
    }
    newest
        .into_iter()
        .map(|(id, (_, name))| (id, name))
        .collect()
}

/// The expected `data` array: weighted AHT per window and group, from the points.
/// `start_ns`/`end_ns` are already whole windows.
pub(crate) fn expected(
    points: &[TestPoint],
    start_ns: i64,
    end_ns: i64,
    interval_ns: i64,
    filter: &Filter<'_>,
) -> Vec<Value> {
    let names = current_names();
    // Ordered as the sidecar orders: window, then skill name, queue, media type, ID.
    type Series<'a> = (i64, &'a str, &'a str, &'a str, &'a str);
    let mut sums: BTreeMap<Series<'_>, (i64, i64)> = BTreeMap::new();
    for p in points {
        let skill = names[p.skill_id];
        if p.ts_ns < start_ns || p.ts_ns >= end_ns || !filter.matches(p, skill) {
            continue;
        }
        let window = p.ts_ns.div_euclid(interval_ns) * interval_ns;
        let entry = sums
            .entry((window, skill, p.queue, p.media_type, p.skill_id))
            .or_default();
        entry.0 += p.count;
        entry.1 += p.sum_ms;
    }
    sums.into_iter()
        .map(
            |((window, skill, queue, media_type, skill_id), (count, sum_ms))| {
                let avg = if count > 0 {
                    Value::from(sum_ms as f64 / count as f64 / 1000.0)
                } else {
                    Value::Null
                };
                serde_json::json!({
                    "timestamp": rfc3339(window),
                    "skill": skill,
                    "skill_id": skill_id,
                    "queue": queue,
                    "media_type": media_type,
                    "avg_handle_time": avg,
                    "conversation_count": count,
                    "handle_sum_ms": sum_ms,
                })
            },
        )
        .collect()
}

pub(crate) fn rfc3339(ns: i64) -> String {
    jiff::Timestamp::from_nanosecond(i128::from(ns))
        .unwrap()
        .to_string()
}

/// Asserts two `data` arrays are equal, averages to 1e-9 s.
pub(crate) fn assert_same_data(got: &Value, want: &[Value]) {
    let got = got["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data array in {got}"));
    assert_eq!(got.len(), want.len(), "got {got:#?}\nwant {want:#?}");
    for (g, w) in got.iter().zip(want) {
        let (ga, wa) = (&g["avg_handle_time"], &w["avg_handle_time"]);
        match (ga.as_f64(), wa.as_f64()) {
            (Some(x), Some(y)) => assert!((x - y).abs() < 1e-9, "avg {x} != {y} in {g} vs {w}"),
            _ => assert_eq!(ga, wa, "{g} vs {w}"),
        }
        let strip = |v: &Value| {
            let mut v = v.clone();
            v.as_object_mut().unwrap().remove("avg_handle_time");
            v
        };
        assert_eq!(strip(g), strip(w));
    }
}

/// Starts a sidecar for `toml` (the `[influx]` table and anything after it).
pub(crate) async fn sidecar(toml: &str) -> Running {
    let config = Config::parse(&format!("listen = \"127.0.0.1:0\"\n{toml}")).unwrap();
    genesys_aht_sidecar::start(&config).await.unwrap()
}

/// Starts a sidecar on `backend` (`influxql` or `sql`) at `url`, reading the test
/// points from `test` and the roll-ups from `test_1h` and `test_1d`.
pub(crate) async fn tiered_sidecar(backend: &str, url: &str) -> Running {
    sidecar(&format!(
        "[influx]\nbackend = \"{backend}\"\nurl = \"{url}\"\nbucket = \"test\"\nbucket_1h = \"test_1h\"\nbucket_1d = \"test_1d\"\n"
    ))
    .await
}

/// Asks `running`, whose bucket does not exist, for an hour of AHT: a 502
/// `upstream_error` whose reason contains `reason`. Returns the path asked.
pub(crate) async fn assert_missing_bucket_502(running: &Running, reason: &str) -> String {
    let path = format!(
        "/metrics/aht?{}",
        query(&[
            ("start_date", &rfc3339(T0_NS)),
            ("end_date", &rfc3339(T0_NS + HOUR_NS))
        ])
    );
    let (status, body) = get(running, &path).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"], "upstream_error");
    assert!(body["reason"].as_str().unwrap().contains(reason), "{body}");
    path
}

/// Serves `router` on a free loopback port (a stand-in for InfluxDB): its base URL
/// and the server's handle.
pub(crate) async fn serve_on_loopback(router: Router) -> (String, ServerHandle) {
    let acceptor = TcpListener::new("127.0.0.1:0").bind().await;
    let addr: SocketAddr = acceptor.holdings()[0]
        .local_addr
        .clone()
        .into_std()
        .unwrap();
    let server = Server::new(acceptor);
    let handle = server.handle();
    tokio::spawn(server.serve(router));
    (format!("http://{addr}"), handle)
}

/// `GET` on a running sidecar: status and JSON body.
pub(crate) async fn get(running: &Running, path_and_query: &str) -> (u16, Value) {
    get_with(running, path_and_query, None).await
}

pub(crate) async fn get_with(
    running: &Running,
    path_and_query: &str,
    bearer: Option<&str>,
) -> (u16, Value) {
    let mut request =
        reqwest::Client::new().get(format!("http://{}{path_and_query}", running.addr));
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

/// Status, `Retry-After` and JSON body of an answer.
pub(crate) async fn status_retry_after_json(
    response: reqwest::Response,
) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    (status, retry_after, response.json().await.unwrap())
}

/// A query string with every value percent-encoded.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    encoded.join("&")
}

fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
