//! A skill and a queue renamed in Genesys mid-day, end to end: the simulator → the
//! real `genesys-aht` binary (`--once` every half hour of a simulated day, its clock
//! and the simulator's moved together, a state file kept) → every line written to
//! the real InfluxDB 1.x → its hourly and daily roll-ups by the shipped InfluxQL
//! backfill → the real `genesys-aht-sidecar` over InfluxQL.
//!
//! Every window's sums per series equal the simulator's ground truth (nothing counted
//! twice under two names), from the raw points and from the roll-ups; the renamed
//! skill and queue are each one series under their new names over the whole day, and
//! `/skills` lists current names only.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use genesys_aht_tests::influxdb::{InfluxDb, statement_errors};
use genesys_aht_tests::workspace;
use genesys_sim::{Clock, ManualClock, Rename, RoutingKind, Sim, SimConfig, TruthQuery};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

const GRANULARITY: Duration = Duration::from_secs(900);
const GROUP_BY: [&str; 3] = ["requestedRoutingSkillId", "queueId", "mediaType"];

/// (window start in s, skill ID, queue ID, media type) → (handle sum ms, count).
type Sums = BTreeMap<(i64, String, String, String), (i64, i64)>;

fn truth(sim: &Sim, start: Timestamp, end: Timestamp, window_s: i64) -> Sums {
    let truth = sim.ground_truth(&TruthQuery {
        start,
        end,
        granularity: GRANULARITY,
        group_by: GROUP_BY.map(String::from).into(),
        metrics: vec!["tHandle".into()],
        flatten: false,
    });
    let mut sums = Sums::new();
    for ((bucket, group), metrics) in truth {
        let Some(handle) = metrics.get("tHandle").filter(|h| h.count > 0) else {
            continue;
        };
        let tag = |dimension: &str| group.get(dimension).cloned().unwrap_or("(none)".into());
        let window = bucket.as_second().div_euclid(window_s) * window_s;
        let key = (
            window,
            tag("requestedRoutingSkillId"),
            tag("queueId"),
            tag("mediaType"),
        );
        let entry = sums.entry(key).or_default();
        entry.0 += handle.sum;
        entry.1 += handle.count as i64;
    }
    sums
}

/// The sidecar's answer as sums by series, and the names it gave each ID.
async fn answer(
    base: &str,
    start: Timestamp,
    end: Timestamp,
    interval: &str,
) -> (Sums, BTreeMap<String, BTreeSet<String>>) {
    let (start, end) = (start.to_string(), end.to_string());
    let range = [
        ("start_date", start.as_str()),
        ("end_date", end.as_str()),
        ("interval", interval),
    ];
    let body = workspace::get_json(base, "/metrics/aht", &range).await;
    let mut sums = Sums::new();
    let mut names: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in body["data"].as_array().unwrap() {
        let text = |key: &str| row[key].as_str().unwrap().to_owned();
        let time: Timestamp = text("timestamp").parse().unwrap();
        let key = (
            time.as_second(),
            text("skill_id"),
            text("queue_id"),
            text("media_type"),
        );
        let value = (
            row["handle_sum_ms"].as_i64().unwrap(),
            row["conversation_count"].as_i64().unwrap(),
        );
        assert!(sums.insert(key.clone(), value).is_none(), "{key:?} twice");
        names
            .entry(text("skill_id"))
            .or_default()
            .insert(text("skill"));
        names
            .entry(text("queue_id"))
            .or_default()
            .insert(text("queue"));
    }
    (sums, names)
}

#[tokio::test]
async fn a_renamed_skill_and_queue_are_one_series_each_under_their_new_names() {
    let start: Timestamp = "2026-03-09T00:00:00Z".parse().unwrap();
    let clock = ManualClock::new(start);
    let sim = Sim::start(SimConfig {
        clock: Clock::Manual(clock.clone()),
        // Two days, and the long conversations (up to three days) emitting into them:
        // all still in the history when the truth is read at the end.
        history: Duration::from_secs(5 * 86_400),
        renames: vec![
            Rename::new(
                RoutingKind::Skill,
                "Sales",
                "Sales & Upsell",
                start + SignedDuration::from_mins(3 * 60 + 10),
            ),
            Rename::new(
                RoutingKind::Queue,
                "Support FR",
                "Support France",
                start + SignedDuration::from_mins(4 * 60 + 40),
            ),
        ],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let influx = InfluxDb::start().await.expect("start influxd");
    influx
        .create_rollup_databases()
        .await
        .expect("create the databases");
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    let plugin_config = genesys_aht_tests::plugin_config::PluginConfig::new(&sim.base_url())
        .collect(
            "group_by",
            vec!["requestedRoutingSkillId", "queueId", "mediaType"],
        )
        .collect("metrics", vec!["tHandle"])
        .collect("state_file", state_file.to_str().unwrap())
        .write(&dir);
    let now_file = dir.path().join("now");
    let end = start + SignedDuration::from_hours(8);
    let mut now = start + SignedDuration::from_mins(30);
    while now <= end {
        clock.set(now);
        std::fs::write(&now_file, now.to_string()).unwrap();
        let output = tokio::process::Command::new(workspace::binary("genesys-aht"))
            .args(["--config", plugin_config.to_str().unwrap(), "--once"])
            .env("GENESYS_AHT_NOW_FILE", &now_file)
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        influx
            .write_in("genesys", std::str::from_utf8(&output.stdout).unwrap())
            .await
            .expect("InfluxDB accepts every line");
        now += SignedDuration::from_mins(30);
    }

    // The roll-ups of the whole day, as a user backfills them.
    let backfill = workspace::repository_file("influxql/genesys_aht_backfill.influxql");
    let day = (start, start + SignedDuration::from_hours(24));
    let range = json!({"start": day.0.to_string(), "stop": day.1.to_string()});
    let backfilled = influx.execute(&backfill, &range).await.unwrap();
    assert!(statement_errors(&backfilled).is_empty(), "{backfilled}");

    let sidecar_config = dir.path().join("sidecar.toml");
    std::fs::write(
        &sidecar_config,
        format!(
            "listen = \"127.0.0.1:0\"\n[influx]\nbackend = \"influxql\"\nurl = \"{}\"\n\
             bucket = \"genesys\"\nbucket_1h = \"genesys_1h\"\nbucket_1d = \"genesys_1d\"\n",
            influx.url
        ),
    )
    .unwrap();
    let (_sidecar, base) = workspace::start_sidecar(&sidecar_config).await;
    let (from, to) = (start + SignedDuration::from_hours(1), end);
    let skill = sim
        .skills()
        .into_iter()
        .find(|s| s.name == "Sales & Upsell");
    let queue = sim
        .queues()
        .into_iter()
        .find(|q| q.name == "Support France");
    let (skill, queue) = (skill.unwrap().id, queue.unwrap().id);
    // The day from the daily roll-up: everything the plugin collected, from its first
    // bucket to the last one closed.
    let (got, _) = answer(&base, day.0, day.1, "1d").await;
    assert_eq!(
        got,
        truth(&sim, start, end, 86_400),
        "1d: the daily roll-up"
    );
    // 15 minutes from the raw points, hours from the hourly roll-up.
    for (interval, window_s) in [("15m", 900), ("1h", 3600)] {
        let (got, names) = answer(&base, from, to, interval).await;
        let want = truth(&sim, from, to, window_s);
        assert!(want.len() > 100, "a day has data: {}", want.len());
        assert_eq!(got, want, "{interval}: sums per window and series");
        assert_eq!(names[&skill], BTreeSet::from(["Sales & Upsell".to_owned()]));
        assert_eq!(names[&queue], BTreeSet::from(["Support France".to_owned()]));
        assert!(names.values().all(|n| n.len() == 1), "{names:?}");
    }

    // The skill filter finds the renamed skill's whole day under its new name.
    let (from, to) = (from.to_string(), to.to_string());
    let range = [
        ("start_date", from.as_str()),
        ("end_date", to.as_str()),
        ("interval", "1h"),
        ("skill", "Sales & Upsell"),
    ];
    let body = workspace::get_json(&base, "/metrics/aht", &range).await;
    let hours: BTreeSet<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["timestamp"].as_str().unwrap())
        .collect();
    assert_eq!(hours.len(), 7, "{body}");
    let skills = workspace::get_json(&base, "/skills", &range[..2]).await;
    let listed: Vec<&str> = skills["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(listed.contains(&"Sales & Upsell"), "{listed:?}");
    assert!(!listed.contains(&"Sales"), "{listed:?}");
}
