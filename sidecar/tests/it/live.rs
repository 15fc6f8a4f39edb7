//! `GET /metrics/queues` against the real InfluxDB 1.6: polls of the live queue
//! state written as the plugin writes them (one timestamp per poll, one point per
//! queue and breakdown), and the answer must be each queue's newest poll within
//! `live.window`, computed here from the points written. Also: the queue filter,
//! hostile queue values and the bearer token. The same polls and checks serve the
//! Flux (`flux.rs`) and SQL (`influxdb3.rs`) backends on their stand-ins.

use std::collections::BTreeMap;
use std::time::Duration;

use genesys_aht_tests::influxdb::InfluxDb;
use serde_json::{Value, json};

use crate::support::*;

const SECOND_NS: i64 = 1_000_000_000;
/// `live.window` of every sidecar here.
const WINDOW_NS: i64 = 300 * SECOND_NS;
/// The `[live]` section giving that window, and a 1 s answer lifetime.
pub(crate) const LIVE_CONFIG: &str = "[live]\nwindow = \"5m\"\nttl = \"1s\"\n";
/// A queue name that needs escaping everywhere: a comma, quotes, a space, `$`, `=`.
const AWKWARD: &str = "O'Brien \"Q\", $x=1";

/// One point: time, tags, integer fields.
#[derive(Debug, Clone)]
pub(crate) struct LivePoint {
    pub(crate) t: i64,
    pub(crate) tags: Vec<(&'static str, String)>,
    pub(crate) fields: Vec<(&'static str, i64)>,
}

/// One poll of a queue at `t`: voice and chat (chat has nothing waiting, so no
/// `longest_waiting_ms`), the queue's users, two routing statuses, one presence.
pub(crate) fn poll(t: i64, queue: &str, id: &str, k: i64) -> Vec<LivePoint> {
    let tags = |extra: Option<(&'static str, &str)>| {
        let mut tags = vec![("queue", queue.to_owned()), ("queue_id", id.to_owned())];
        tags.extend(extra.map(|(k, v)| (k, v.to_owned())));
        tags
    };
    vec![
        LivePoint {
            t,
            tags: tags(Some(("media_type", "voice"))),
            fields: vec![
                ("waiting", 2 + k),
                ("alerting", 1),
                ("interacting", 3 * k),
                ("longest_waiting_ms", 61_000 + k),
                ("longest_interacting_ms", 400_000 + k),
            ],
        },
        LivePoint {
            t,
            tags: tags(Some(("media_type", "chat"))),
            fields: vec![("waiting", 0), ("alerting", 0), ("interacting", k)],
        },
        LivePoint {
            t,
            tags: tags(None),
            fields: vec![("active_users", 5 + k), ("member_users", 9 + k)],
        },
        LivePoint {
            t,
            tags: tags(Some(("routing_status", "IDLE"))),
            fields: vec![("on_queue_users", k), ("routing_status_users", k)],
        },
        LivePoint {
            t,
            tags: tags(Some(("routing_status", "INTERACTING"))),
            fields: vec![("on_queue_users", 3), ("routing_status_users", 3)],
        },
        LivePoint {
            t,
            tags: tags(Some(("presence", "BREAK"))),
            fields: vec![("off_queue_users", 1 + k), ("presence_users", 1 + k)],
        },
    ]
}

/// The points as the Flux stand-in stores them.
pub(crate) fn stored(points: &[LivePoint]) -> Vec<crate::standin::StoredPoint> {
    points
        .iter()
        .map(|p| crate::standin::StoredPoint {
            measurement: genesys_aht_contract::queue::MEASUREMENT.into(),
            tags: p
                .tags
                .iter()
                .map(|(k, v)| ((*k).into(), v.clone()))
                .collect(),
            fields: p.fields.iter().map(|(k, v)| ((*k).into(), *v)).collect(),
            t: p.t,
        })
        .collect()
}

/// The points as the InfluxDB 3 stand-in reads them.
pub(crate) fn sql_points(points: &[LivePoint]) -> Vec<Value> {
    points
        .iter()
        .map(|p| {
            let tags: BTreeMap<&str, &str> = p.tags.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let fields: BTreeMap<&str, i64> = p.fields.iter().copied().collect();
            json!({
                "measurement": genesys_aht_contract::queue::MEASUREMENT,
                "time": p.t, "tags": tags, "fields": fields,
            })
        })
        .collect()
}

fn escape_tag(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace('=', "\\=")
        .replace(' ', "\\ ")
}

fn lines(points: &[LivePoint]) -> String {
    points
        .iter()
        .map(|p| {
            let tags: String = p
                .tags
                .iter()
                .map(|(k, v)| format!(",{k}={}", escape_tag(v)))
                .collect();
            let fields: Vec<String> = p.fields.iter().map(|(k, v)| format!("{k}={v}i")).collect();
            format!("genesys_queue{tags} {} {}\n", fields.join(","), p.t)
        })
        .collect()
}

/// The answer by definition: per queue ID, the points of its newest time within
/// `[now - window, now + window)`, as rows, sorted by their tags.
fn expected(points: &[LivePoint], now: i64, window: i64, queues: &[&str]) -> Vec<Value> {
    let live: Vec<&LivePoint> = points
        .iter()
        .filter(|p| p.t >= now - window && p.t < now + window)
        .filter(|p| {
            queues.is_empty()
                || p.tags
                    .iter()
                    .any(|(k, v)| *k == "queue" && queues.contains(&v.as_str()))
        })
        .collect();
    let id = |p: &LivePoint| {
        p.tags
            .iter()
            .find(|(k, _)| *k == "queue_id")
            .unwrap()
            .1
            .clone()
    };
    let mut newest: BTreeMap<String, i64> = BTreeMap::new();
    for p in &live {
        let e = newest.entry(id(p)).or_insert(p.t);
        *e = (*e).max(p.t);
    }
    let order = [
        "queue",
        "queue_id",
        "media_type",
        "routing_status",
        "presence",
    ];
    let mut rows: Vec<(Vec<Option<String>>, Value)> = live
        .into_iter()
        .filter(|p| newest[&id(p)] == p.t)
        .map(|p| {
            let mut row = json!({ "timestamp": rfc3339(p.t) });
            for (k, v) in &p.tags {
                row[*k] = json!(v);
            }
            for (k, v) in &p.fields {
                row[*k] = json!(v);
            }
            let key = order
                .iter()
                .map(|o| p.tags.iter().find(|(k, _)| k == o).map(|(_, v)| v.clone()))
                .collect();
            (key, row)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows.into_iter().map(|(_, row)| row).collect()
}

pub(crate) fn now_ns() -> i64 {
    i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap()
}

fn queues_query(queues: &[&str]) -> String {
    let pairs: Vec<(&str, &str)> = queues.iter().map(|q| ("queue", *q)).collect();
    format!("/metrics/queues?{}", query(&pairs))
}

async fn live_sidecar(influx: &InfluxDb, extra: &str) -> genesys_aht_sidecar::Running {
    sidecar(&format!(
        "[influx]\nbackend = \"influxql\"\nurl = \"{}\"\nbucket = \"{}\"\n{LIVE_CONFIG}{extra}",
        influx.url, influx.database
    ))
    .await
}

/// Polls around `now`: Support's older poll with one more presence than its
/// newest; a queue whose newest poll is older, with an awkward name; one the
/// window has left behind.
pub(crate) fn polls(now: i64) -> Vec<LivePoint> {
    let mut points = poll(now - 200 * SECOND_NS, "Support", "q-1", 4);
    points.push(LivePoint {
        t: now - 200 * SECOND_NS,
        tags: vec![
            ("queue", "Support".into()),
            ("queue_id", "q-1".into()),
            ("presence", "MEAL".into()),
        ],
        fields: vec![("off_queue_users", 2), ("presence_users", 2)],
    });
    points.extend(poll(now - 20 * SECOND_NS, "Support", "q-1", 1));
    points.extend(poll(now - 120 * SECOND_NS, AWKWARD, "q-2", 2));
    points.extend(poll(now - 600 * SECOND_NS, "Gone", "q-3", 3));
    points
}

/// The answers of a sidecar over [`polls`] written at `now`: every queue, and
/// filtered, equal to [`expected`].
pub(crate) async fn check_newest(
    sidecar: &genesys_aht_sidecar::Running,
    points: &[LivePoint],
    now: i64,
) {
    let (status, body) = get(sidecar, "/metrics/queues").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["window_s"], 300);
    let want = expected(points, now, WINDOW_NS, &[]);
    assert_eq!(want.len(), 12, "two queues of six points each");
    assert_eq!(body["data"], json!(want));

    for (queues, n) in [
        (vec![AWKWARD], 6),
        (vec!["Support", AWKWARD], 12),
        (vec!["Gone"], 0),
    ] {
        let (status, body) = get(sidecar, &queues_query(&queues)).await;
        assert_eq!(status, 200, "{queues:?}: {body}");
        let want = expected(points, now, WINDOW_NS, &queues);
        assert_eq!(want.len(), n, "{queues:?}");
        assert_eq!(body["data"], json!(want), "{queues:?}");
    }
    let (status, body) = get(sidecar, "/metrics/queues?var-queue=%24__all").await;
    assert_eq!(
        (status, body["data"].as_array().map(Vec::len)),
        (200, Some(12))
    );
}

/// Hostile `queue` values, over a sidecar whose only data is a poll of `Support`:
/// a 400 or no data, never another queue's or a 5xx; unknown parameters a 400.
pub(crate) async fn check_hostile_queues(sidecar: &genesys_aht_sidecar::Running) {
    let long = "ü".repeat(300);
    for value in [
        "' OR '1'='1",
        "\") or true or (\"",
        "Support\" OR \"queue\" != \"",
        "Support\" or r.queue != \"",
        "Support\nSupport",
        "/.*/",
        "${queue}",
        "\\",
        "\"",
        long.as_str(),
        "Support ",
    ] {
        for name in ["queue", "var-queue"] {
            let q = format!("/metrics/queues?{}", query(&[(name, value)]));
            let (status, body) = get(sidecar, &q).await;
            match status {
                200 => assert_eq!(body["data"], json!([]), "{name}={value:?} gave data"),
                400 => assert!(body["reason"].is_string(), "{body}"),
                other => panic!("{name}={value:?} gave {other}: {body}"),
            }
        }
    }
    let (status, body) = get(sidecar, "/metrics/queues?queue=Support").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 6, "{body}");
    let (status, body) = get(sidecar, "/metrics/queues?skill=Billing").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("unknown parameter")
    );
}

#[tokio::test]
async fn each_queue_is_its_newest_poll_within_the_window() {
    let influx = InfluxDb::start().await.unwrap();
    let now = now_ns();
    let mut points = polls(now);
    influx.write(&lines(&points)).await.unwrap();
    let sidecar = live_sidecar(&influx, "").await;
    check_newest(&sidecar, &points, now).await;

    // A new poll shows once the live lifetime (1 s) has passed; polled for, not timed.
    let newer = poll(now_ns(), "Support", "q-1", 7);
    influx.write(&lines(&newer)).await.unwrap();
    points.extend(newer);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = get(&sidecar, "/metrics/queues?queue=Support").await;
        let want = expected(&points, now_ns(), WINDOW_NS, &["Support"]);
        if body["data"] == json!(want) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the new poll never showed: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    sidecar.stop().await;
}

#[tokio::test]
async fn hostile_queue_values_never_give_other_data_or_a_5xx() {
    let influx = InfluxDb::start().await.unwrap();
    let points = poll(now_ns(), "Support", "q-1", 1);
    influx.write(&lines(&points)).await.unwrap();
    let sidecar = live_sidecar(&influx, "").await;
    check_hostile_queues(&sidecar).await;
    sidecar.stop().await;

    let guarded = live_sidecar(&influx, "[http]\nbearer_token = \"live-token\"\n").await;
    let (status, body) = get(&guarded, "/metrics/queues").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("unauthorized"))
    );
    let (status, body) = get_with(&guarded, "/metrics/queues", Some("live-token")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"].as_array().unwrap().len(), points.len());
    guarded.stop().await;
}
