//! A point of the contract and its line-protocol encoding.
//!
//! Encoding goes through `influxdb-line-protocol`'s type-state builder, so a line
//! without a field or a tag after a field cannot be written. What the builder
//! leaves to the caller is made impossible here, so that both Telegraf's parser
//! and InfluxDB 1.x accept every line (Telegraf's influx parser rules):
//!
//! - a backslash in a tag value would be kept doubled by InfluxDB 1.x and a
//!   trailing one is rejected by Telegraf, so backslashes become `/`;
//! - control characters in a tag value end or corrupt the line (`\n`, `\r`), or
//!   split it where Telegraf's grammar sees whitespace (`\t`, `\v`, `\f`), so every
//!   control character (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) becomes
//!   a space;
//! - an empty tag value is invalid, so the tag is left out;
//! - NaN and infinities are invalid floats, so such a point is refused;
//! - integers are signed (`i`), never `u`, which InfluxDB 1.x rejects.

use bytes::BufMut;
use influxdb_line_protocol::LineProtocolBuilder;

use crate::names::MEASUREMENT;

/// A field value: the contract only has signed integers and finite floats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FieldValue {
    /// Counts and millisecond sums.
    Integer(i64),
    /// Derived averages, in seconds.
    Float(f64),
}

/// One point of [`MEASUREMENT`]: an interval bucket of one group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Point {
    /// Start of the Genesys interval bucket, in nanoseconds since the Unix epoch.
    pub timestamp_ns: i64,
    /// Tag key and raw value; values are made line-protocol safe when encoded.
    pub tags: Vec<(&'static str, String)>,
    /// Field name and value, written in this order.
    pub fields: Vec<(String, FieldValue)>,
}

/// Why a point cannot be encoded.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PointError {
    /// Line protocol needs at least one field.
    #[error("point at {timestamp_ns} has no field")]
    NoField {
        /// The point's timestamp.
        timestamp_ns: i64,
    },
    /// NaN and infinities have no line-protocol form.
    #[error("field {field} is not a finite number")]
    NotFinite {
        /// The offending field.
        field: String,
    },
}

/// Makes a tag value safe for Telegraf and InfluxDB 1.x (see the module docs);
/// `None` when nothing is left of it.
pub fn sanitize_tag_value(value: &str) -> Option<String> {
    let safe: String = value
        .chars()
        .map(|c| match c {
            '\\' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    (!safe.is_empty()).then_some(safe)
}

impl Point {
    /// Appends the point as one line of [`MEASUREMENT`], ending in `\n`, to `out`.
    pub fn encode_into<B: BufMut>(&self, out: B) -> Result<B, PointError> {
        self.encode_as_into(MEASUREMENT, out)
    }

    /// Appends the point as one line of `measurement` (the plugin's own metrics, see
    /// [`crate::names::internal`]), ending in `\n`, to `out`.
    pub fn encode_as_into<B: BufMut>(&self, measurement: &str, out: B) -> Result<B, PointError> {
        let Some(((first_name, first_value), rest)) = self.fields.split_first() else {
            return Err(PointError::NoField {
                timestamp_ns: self.timestamp_ns,
            });
        };
        for (name, value) in &self.fields {
            if let FieldValue::Float(f) = value
                && !f.is_finite()
            {
                return Err(PointError::NotFinite {
                    field: name.clone(),
                });
            }
        }
        let mut tags: Vec<(&str, String)> = self
            .tags
            .iter()
            .filter_map(|(key, value)| Some((*key, sanitize_tag_value(value)?)))
            .collect();
        // InfluxDB stores series keys with sorted tags; writing them sorted saves it the work.
        tags.sort_by(|a, b| a.0.cmp(b.0));

        let mut line = LineProtocolBuilder::new_with(out).measurement(measurement);
        for (key, value) in &tags {
            line = line.tag(key, value);
        }
        let mut line = with_field(line, first_name, *first_value);
        for (name, value) in rest {
            line = match *value {
                FieldValue::Integer(i) => line.field(name, i),
                FieldValue::Float(f) => line.field(name, f),
            };
        }
        Ok(line.timestamp(self.timestamp_ns).close_line().build())
    }

    /// The point as one line of line protocol, ending in `\n`.
    pub fn to_line(&self) -> Result<String, PointError> {
        let bytes = self.encode_into(Vec::new())?;
        // The builder writes only the `&str`s it is given and ASCII around them.
        Ok(String::from_utf8(bytes).unwrap_or_default())
    }
}

fn with_field<B: BufMut>(
    line: LineProtocolBuilder<B, influxdb_line_protocol::builder::AfterMeasurement>,
    name: &str,
    value: FieldValue,
) -> LineProtocolBuilder<B, influxdb_line_protocol::builder::AfterField> {
    match value {
        FieldValue::Integer(i) => line.field(name, i),
        FieldValue::Float(f) => line.field(name, f),
    }
}

/// Encodes a batch of points of [`MEASUREMENT`] into one buffer of whole lines.
pub fn encode_batch(points: &[Point]) -> Result<Vec<u8>, PointError> {
    encode_batch_as(MEASUREMENT, points)
}

/// Encodes a batch of points of `measurement` into one buffer of whole lines.
pub fn encode_batch_as(measurement: &str, points: &[Point]) -> Result<Vec<u8>, PointError> {
    points
        .iter()
        .try_fold(Vec::with_capacity(points.len() * 160), |buf, point| {
            point.encode_as_into(measurement, buf)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use influxdb_line_protocol::{FieldValue as Parsed, parse_lines};

    fn point(tags: &[(&'static str, &str)]) -> Point {
        Point {
            timestamp_ns: 1_741_593_600_000_000_000,
            tags: tags.iter().map(|(k, v)| (*k, v.to_string())).collect(),
            fields: vec![
                ("handle_count".into(), FieldValue::Integer(3)),
                ("handle_sum_ms".into(), FieldValue::Integer(901_500)),
                ("avg_handle_time".into(), FieldValue::Float(300.5)),
            ],
        }
    }

    #[test]
    fn awkward_tag_values_parse_back_unchanged() {
        let awkward = [
            "Tech Support",
            "a,b",
            "x=y",
            "O'Brien \"Q\"",
            "Süßwaren ☎",
            "trailing ",
        ];
        for value in awkward {
            let line = point(&[("skill", value)]).to_line().unwrap();
            let parsed: Vec<_> = parse_lines(&line).collect();
            assert_eq!(parsed.len(), 1, "{line}");
            let parsed = parsed.into_iter().next().unwrap().unwrap();
            assert_eq!(
                parsed.tag_value("skill").map(|v| v.to_string()),
                Some(value.to_string())
            );
            assert_eq!(parsed.field_value("handle_count"), Some(&Parsed::I64(3)));
            assert_eq!(
                parsed.field_value("avg_handle_time"),
                Some(&Parsed::F64(300.5))
            );
            assert_eq!(parsed.timestamp, Some(1_741_593_600_000_000_000));
        }
    }

    #[test]
    fn backslashes_and_newlines_never_reach_a_tag() {
        let line = point(&[("skill", "back\\slash\nnext\\")])
            .to_line()
            .unwrap();
        assert_eq!(line.matches('\n').count(), 1, "{line}");
        // The only backslash left is the one escaping the space.
        assert_eq!(line.matches('\\').count(), 1, "{line}");
        let parsed = parse_lines(&line).next().unwrap().unwrap();
        assert_eq!(
            parsed.tag_value("skill").unwrap().to_string(),
            "back/slash next/"
        );
    }

    #[test]
    fn every_control_character_becomes_a_space() {
        let controls: String = ('\u{0}'..='\u{1f}').chain('\u{7f}'..='\u{9f}').collect();
        let value = format!("a{controls}b");
        let safe = sanitize_tag_value(&value).unwrap();
        assert_eq!(safe, format!("a{}b", " ".repeat(controls.chars().count())));
        assert_eq!(
            sanitize_tag_value("Tech\u{0b}Support\u{0c}2").unwrap(),
            "Tech Support 2"
        );
        let line = point(&[("skill", "x\u{0b}y\u{0c}z")]).to_line().unwrap();
        assert!(!line.contains(['\u{0b}', '\u{0c}']), "{line:?}");
    }

    #[test]
    fn empty_tags_are_left_out_and_tags_are_sorted() {
        let line = point(&[("skill", ""), ("queue", "Q1"), ("media_type", "voice")])
            .to_line()
            .unwrap();
        assert!(
            line.starts_with("genesys_conversation,media_type=voice,queue=Q1 "),
            "{line}"
        );
    }

    #[test]
    fn integers_are_signed_and_floats_finite() {
        let line = point(&[]).to_line().unwrap();
        assert!(line.contains("handle_count=3i"), "{line}");
        assert!(!line.contains("3u"));
        let mut bad = point(&[]);
        bad.fields.push(("x".into(), FieldValue::Float(f64::NAN)));
        assert_eq!(
            bad.to_line(),
            Err(PointError::NotFinite { field: "x".into() })
        );
        let empty = Point::default();
        assert!(matches!(empty.to_line(), Err(PointError::NoField { .. })));
    }

    #[test]
    fn a_batch_is_whole_lines() {
        let batch = encode_batch(&[point(&[("skill", "a")]), point(&[("skill", "b")])]).unwrap();
        let text = String::from_utf8(batch).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
    }
}
