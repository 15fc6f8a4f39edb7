//! Raw points as the plugin writes them, from a small deterministic generator, for
//! the roll-up tests (InfluxQL backfill and continuous queries, the InfluxDB 3
//! plugin): every quarter hour, for groups that differ in tags and in fields:
//! awkward names, an extra tag (Telegraf's `host`), a group without handle metrics,
//! empty quarters, handle counts of 0.

use std::path::Path;

use genesys_aht_contract::names::{self, AVG_HANDLE_TIME, tags};
use genesys_aht_contract::{FieldValue, Point};

/// One quarter hour in nanoseconds: the plugin's default interval bucket.
pub const QUARTER_NS: i64 = 15 * 60 * 1_000_000_000;

/// The plugin's default metrics, as the README's configuration reference lists them.
pub fn default_metrics() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(&path).unwrap_or_default();
    let line = readme
        .lines()
        .find_map(|l| l.trim().strip_prefix("# metrics = ["))
        .unwrap_or_else(|| panic!("{} shows the default metrics", path.display()));
    line.trim_end_matches(']')
        .split(',')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .collect()
}

/// A small deterministic generator (xorshift), so that failures reproduce.
#[derive(Debug)]
struct Numbers(u64);

impl Numbers {
    fn below(&mut self, n: u64) -> i64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n) as i64
    }
}

/// The groups points are generated for; the last one has no handle metrics.
fn groups() -> [Vec<(&'static str, &'static str)>; 4] {
    [
        vec![
            (tags::SKILL, "Billing, Tier 2"),
            (tags::MEDIA_TYPE, "voice"),
        ],
        vec![
            (tags::SKILL, "O'Brien \"VIP\""),
            (tags::MEDIA_TYPE, "voice"),
            ("host", "collector-1"),
        ],
        vec![
            (tags::SKILL, "Sales"),
            (tags::MEDIA_TYPE, "chat"),
            (tags::QUEUE, "Süßwaren ☎"),
        ],
        vec![
            (tags::SKILL, "no handle metrics"),
            (tags::MEDIA_TYPE, "email"),
        ],
    ]
}

/// Raw points every quarter hour in `[start_ns, stop_ns)` (quarter-aligned `start_ns`
/// gives points at quarter starts, as the plugin writes them), the same for the same
/// arguments. Every point with a handle count above 0 also carries the plugin's own
/// `avg_handle_time`, which a roll-up must never sum or average.
pub fn raw_points(start_ns: i64, stop_ns: i64) -> Vec<Point> {
    let metrics = default_metrics();
    let mut numbers = Numbers(0x9e37_79b9_7f4a_7c15);
    let mut points = Vec::new();
    let mut time = start_ns;
    while time < stop_ns {
        for (g, group) in groups().iter().enumerate() {
            if numbers.below(5) == 0 {
                continue; // a quarter without conversations for this group
            }
            let mut fields = Vec::new();
            for metric in &metrics {
                if g == 3 && metric != "nOffered" {
                    continue;
                }
                let count = numbers.below(6);
                match names::fields_of(metric).as_slice() {
                    [count_field, sum_field] => {
                        fields.push((count_field.clone(), FieldValue::Integer(count)));
                        let sum = count * (1 + numbers.below(900_000));
                        fields.push((sum_field.clone(), FieldValue::Integer(sum)));
                    }
                    [field] => fields.push((field.clone(), FieldValue::Integer(count))),
                    _ => panic!("{metric} has no fields"),
                }
            }
            if let Some(average) = plugin_average(&fields) {
                fields.push((AVG_HANDLE_TIME.to_owned(), FieldValue::Float(average)));
            }
            let tags = group.iter().map(|(k, v)| (*k, v.to_string())).collect();
            points.push(Point {
                timestamp_ns: time,
                tags,
                fields,
            });
        }
        time += QUARTER_NS;
    }
    points
}

/// The point re-emitted later with more conversations counted (every count field
/// raised by 2), as the plugin re-emits a bucket that Genesys reported late data for.
pub fn re_emitted(point: &Point) -> Point {
    let mut late = point.clone();
    for (field, value) in &mut late.fields {
        if let FieldValue::Integer(n) = value
            && field.ends_with(names::COUNT_SUFFIX)
        {
            *n += 2;
        }
    }
    late
}

/// The raw point's own average, as the plugin writes it.
fn plugin_average(fields: &[(String, FieldValue)]) -> Option<f64> {
    let get = |name: &str| {
        fields.iter().find_map(|(f, v)| match v {
            FieldValue::Integer(n) if f == name => Some(*n),
            _ => None,
        })
    };
    let count = get("handle_count").filter(|c| *c > 0)?;
    Some(get("handle_sum_ms")? as f64 / count as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_range_gives_the_same_points_and_late_ones_count_more() {
        let points = raw_points(0, 8 * QUARTER_NS);
        assert_eq!(points, raw_points(0, 8 * QUARTER_NS));
        assert!(points.len() > 8, "{}", points.len());
        let late = re_emitted(&points[0]);
        assert_eq!(late.timestamp_ns, points[0].timestamp_ns);
        assert_eq!(late.tags, points[0].tags);
        assert_ne!(late.fields, points[0].fields);
    }
}
