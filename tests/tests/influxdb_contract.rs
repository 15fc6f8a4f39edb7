//! The contract's line protocol against the real InfluxDB 1.x write path.

use genesys_aht_contract::names::tags;
use genesys_aht_contract::{FieldValue, MEASUREMENT, Point, encode_batch};
use genesys_aht_tests::influxdb::InfluxDb;
use serde_json::json;

const AWKWARD: [&str; 7] = [
    "Tech Support",
    "Billing, Tier 2",
    "a=b",
    "O'Brien \"VIP\"",
    "Süßwaren ☎ 日本語",
    "' OR 1=1 --",
    "${INJECT}",
];

#[tokio::test]
async fn awkward_names_write_and_read_back_unchanged() {
    let influx = InfluxDb::start().await.expect("start influxd");
    let points: Vec<Point> = AWKWARD
        .iter()
        .enumerate()
        .map(|(i, name)| Point {
            timestamp_ns: 1_741_593_600_000_000_000 + i as i64 * 900_000_000_000,
            tags: vec![
                (tags::SKILL, name.to_string()),
                (tags::MEDIA_TYPE, "voice".into()),
            ],
            fields: vec![
                ("handle_count".into(), FieldValue::Integer(i as i64 + 1)),
                (
                    "handle_sum_ms".into(),
                    FieldValue::Integer(1000 * (i as i64 + 7)),
                ),
                ("avg_handle_time".into(), FieldValue::Float(0.5 + i as f64)),
            ],
        })
        .collect();
    let body = String::from_utf8(encode_batch(&points).unwrap()).unwrap();
    influx
        .write(&body)
        .await
        .expect("InfluxDB accepts every line");

    for (i, name) in AWKWARD.iter().enumerate() {
        let answer = influx
            .query(
                &format!(r#"SELECT "handle_count", "handle_sum_ms" FROM "{MEASUREMENT}" WHERE "skill" = $skill"#),
                &json!({ "skill": name }),
            )
            .await
            .unwrap();
        let values = &answer["results"][0]["series"][0]["values"];
        assert_eq!(
            values,
            &json!([[points[i].timestamp_ns, i + 1, 1000 * (i + 7)]]),
            "skill {name:?}: {answer}"
        );
    }
}

#[tokio::test]
async fn rewriting_a_bucket_overwrites_it() {
    let influx = InfluxDb::start().await.expect("start influxd");
    let mut point = Point {
        timestamp_ns: 1_741_593_600_000_000_000,
        tags: vec![(tags::SKILL, "Billing".into())],
        fields: vec![("handle_count".into(), FieldValue::Integer(2))],
    };
    influx.write(&point.to_line().unwrap()).await.unwrap();
    point.fields[0].1 = FieldValue::Integer(5);
    influx.write(&point.to_line().unwrap()).await.unwrap();
    let answer = influx
        .query(
            &format!(r#"SELECT count("handle_count"), sum("handle_count") FROM "{MEASUREMENT}""#),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(answer["results"][0]["series"][0]["values"][0][1], json!(1));
    assert_eq!(answer["results"][0]["series"][0]["values"][0][2], json!(5));
}
