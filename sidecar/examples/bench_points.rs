//! Prints line protocol for benchmarks: `days` days (default 7) of 15-minute points
//! for 20 skills, 5 queues and 2 media types, through the contract's encoder.
//!
//! `cargo run --release -p genesys-aht-sidecar --example bench_points -- 7 > points.lp`

use std::io::Write as _;

use genesys_aht_contract::names::{HANDLE_METRIC, count_field, sum_ms_field, tags};
use genesys_aht_contract::{FieldValue, Point, encode_batch};

/// 2026-03-01T00:00:00Z.
const START_NS: i64 = 1_772_323_200_000_000_000;
const SLOT_NS: i64 = 15 * 60 * 1_000_000_000;

fn main() -> anyhow::Result<()> {
    let days: i64 = std::env::args().nth(1).map_or(Ok(7), |d| d.parse())?;
    let mut out = std::io::stdout().lock();
    for slot in 0..days * 96 {
        let mut points = Vec::new();
        for skill in 0..20i64 {
            for queue in 0..5i64 {
                for (m, media) in ["voice", "chat"].into_iter().enumerate() {
                    let count = (slot + skill * 3 + queue + m as i64) % 7;
                    points.push(Point {
                        timestamp_ns: START_NS + slot * SLOT_NS,
                        tags: vec![
                            (tags::SKILL, format!("Skill {skill}")),
                            (tags::QUEUE, format!("Queue {queue}")),
                            (tags::MEDIA_TYPE, media.to_string()),
                        ],
                        fields: vec![
                            (count_field(HANDLE_METRIC), FieldValue::Integer(count)),
                            (
                                sum_ms_field(HANDLE_METRIC),
                                FieldValue::Integer(count * (120_000 + 997 * skill)),
                            ),
                        ],
                    });
                }
            }
        }
        out.write_all(&encode_batch(&points)?)?;
    }
    Ok(())
}
