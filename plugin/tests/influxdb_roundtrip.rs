//! Awkward skill and queue names from the simulator: the binary's output parses, writes
//! into the real InfluxDB 1.x and reads back with the original names and values; a
//! name with control characters goes through the Telegraf stand-in and reads back
//! sanitised.
// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{TestConfig, parse, run, sim};
use genesys_aht_tests::influxdb::InfluxDb;
use genesys_aht_tests::telegraf::{Execd, ExecdConfig, Metric, Signal, Value as TelegrafValue};
use genesys_sim::SimConfig;
use serde_json::{Value, json};

#[tokio::test]
async fn awkward_names_reach_influxdb_unchanged() {
    let sim = sim(SimConfig::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .collect("lookback", "6h")
        .collect("group_by", vec!["queueId", "requestedRoutingSkillId"])
        .write(&dir);
    let output = run(&["--config", config.to_str().unwrap(), "--once"]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = parse(&output.stdout);

    // Every name printed is the simulator's name for the printed ID (or the ID itself
    // for a deleted queue the routing API no longer knows).
    let skills: BTreeMap<String, String> =
        sim.skills().into_iter().map(|e| (e.id, e.name)).collect();
    let queues: BTreeMap<String, String> =
        sim.queues().into_iter().map(|e| (e.id, e.name)).collect();
    for line in &lines {
        let skill_id = &line.tags["skill_id"];
        if skill_id != "(none)" {
            assert_eq!(&line.tags["skill"], &skills[skill_id], "{line:?}");
        }
        let queue_id = &line.tags["queue_id"];
        if queue_id != "(none)" {
            let expected = queues.get(queue_id).unwrap();
            assert!(
                &line.tags["queue"] == expected || &line.tags["queue"] == queue_id,
                "{line:?}"
            );
        }
    }
    let printed: BTreeSet<&str> = lines.iter().map(|l| l.tags["skill"].as_str()).collect();
    for awkward in [
        "Billing, Tier 2",
        "a=b",
        "\"VIP\" Care",
        "O'Brien Desk",
        "日本語",
    ] {
        assert!(
            printed.contains(awkward),
            "{awkward} missing from {printed:?}"
        );
    }

    let influx = InfluxDb::start().await.expect("the real influxd starts");
    influx
        .write(std::str::from_utf8(&output.stdout).unwrap())
        .await
        .expect("InfluxDB accepts every line");
    for (name, expected) in expected_sums(&lines) {
        let answer = influx
            .query(
                "SELECT sum(handle_sum_ms), count(offered) FROM genesys_conversation WHERE skill = $skill",
                &json!({ "skill": name }),
            )
            .await
            .expect("query");
        let row = &answer["results"][0]["series"][0]["values"][0];
        assert_eq!(row[1].as_i64().unwrap_or(0), expected.0, "{name}: {answer}");
        assert_eq!(row[2].as_i64().unwrap_or(0), expected.1, "{name}: {answer}");
    }
    let tags = influx
        .query(
            "SHOW TAG VALUES FROM genesys_conversation WITH KEY = \"queue\"",
            &Value::Null,
        )
        .await
        .expect("tag values");
    let stored: BTreeSet<String> = tags["results"][0]["series"][0]["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[1].as_str().unwrap().to_owned())
        .collect();
    let printed: BTreeSet<String> = lines.iter().map(|l| l.tags["queue"].clone()).collect();
    assert_eq!(stored, printed);
}

/// Per skill name: the sum of `handle_sum_ms` and the number of lines with `offered`.
fn expected_sums(lines: &[common::Line]) -> BTreeMap<String, (i64, i64)> {
    let mut sums = BTreeMap::new();
    for line in lines {
        let entry = sums.entry(line.tags["skill"].clone()).or_insert((0, 0));
        entry.0 += line.integers.get("handle_sum_ms").copied().unwrap_or(0);
        entry.1 += i64::from(line.integers.contains_key("offered"));
    }
    sums
}

/// A skill name holding a vertical tab and a form feed, which Telegraf's grammar reads
/// as whitespace.
const CONTROL_NAME: &str = "Tech\u{0b}Support\u{0c}Tier 1";
/// The name as the contract writes it: each control character a space.
const SANITISED_NAME: &str = "Tech Support Tier 1";

#[tokio::test]
async fn a_name_with_vertical_tab_and_form_feed_reaches_influxdb_sanitised() {
    let sim = sim(SimConfig {
        skill_names: vec![CONTROL_NAME.to_owned()],
        ..SimConfig::default()
    })
    .await;
    let skill_id = sim.skills()[0].id.clone();
    let dir = tempfile::tempdir().unwrap();
    let config = TestConfig::new(&sim.base_url())
        .collect("lookback", "6h")
        .collect("group_by", vec!["requestedRoutingSkillId"])
        .write(&dir);
    let mut execd = ExecdConfig::new(common::BIN);
    execd.args = vec!["--config".into(), config.to_str().unwrap().into()];
    execd.signal = Signal::Stdin;
    let telegraf = Execd::start(execd).await.unwrap();
    telegraf.gather().await.unwrap();
    let own = genesys_aht_contract::names::internal::MEASUREMENT;
    let polled = telegraf
        .wait_until(Duration::from_secs(30), |r| {
            r.metrics.iter().any(|(_, m)| m.measurement == own)
        })
        .await;
    assert!(polled, "{:?}", telegraf.recorded().logs);
    let (_, recorded) = telegraf.stop().await;
    assert!(
        recorded.parse_errors.is_empty(),
        "{:?}",
        recorded.parse_errors
    );

    let conversations: Vec<&Metric> = recorded
        .metrics
        .iter()
        .map(|(_, m)| m)
        .filter(|m| m.measurement == genesys_aht_contract::MEASUREMENT)
        .collect();
    assert!(
        conversations
            .iter()
            .any(|m| m.tags.get("skill_id") == Some(&skill_id)),
        "the renamed skill has points"
    );
    let body: String = conversations.iter().map(|m| serialize(m)).collect();
    let influx = InfluxDb::start().await.expect("the real influxd starts");
    influx
        .write(&body)
        .await
        .expect("InfluxDB accepts every line");
    let answer = influx
        .query(
            "SELECT count(offered) FROM genesys_conversation WHERE skill_id = $id GROUP BY skill",
            &json!({ "id": skill_id }),
        )
        .await
        .expect("query");
    let series = answer["results"][0]["series"].as_array().unwrap();
    let names: Vec<&str> = series
        .iter()
        .map(|s| s["tags"]["skill"].as_str().unwrap())
        .collect();
    assert_eq!(names, [SANITISED_NAME], "{answer}");
}

/// A metric as Telegraf's influx serializer writes it on to InfluxDB: tag values and
/// keys escaped for space, comma and `=` only, so any control character left in a
/// value would reach InfluxDB as it is.
fn serialize(metric: &Metric) -> String {
    let escape = |text: &str| {
        text.replace(',', "\\,")
            .replace('=', "\\=")
            .replace(' ', "\\ ")
    };
    let mut line = metric.measurement.clone();
    for (key, value) in &metric.tags {
        line.push_str(&format!(",{}={}", escape(key), escape(value)));
    }
    let fields: Vec<String> = metric
        .fields
        .iter()
        .map(|(key, value)| match value {
            TelegrafValue::Integer(i) => format!("{}={i}i", escape(key)),
            TelegrafValue::Float(f) => format!("{}={f}", escape(key)),
            other => panic!("unexpected field type {other:?}"),
        })
        .collect();
    format!(
        "{line} {} {}\n",
        fields.join(","),
        metric.timestamp.unwrap()
    )
}
