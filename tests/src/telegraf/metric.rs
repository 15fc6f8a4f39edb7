//! Metrics as Telegraf's influx parser hands them on, and InfluxDB's point identity.

use std::collections::BTreeMap;

use influxdb_line_protocol::{FieldValue, ParsedLine};

/// A field value, typed as line protocol types it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `1i`
    Integer(i64),
    /// `1u`
    Unsigned(u64),
    /// `1.5`
    Float(f64),
    /// `true`
    Boolean(bool),
    /// `"text"`
    String(String),
}

/// One parsed metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Measurement name.
    pub measurement: String,
    /// Tags, unescaped.
    pub tags: BTreeMap<String, String>,
    /// Fields, typed.
    pub fields: BTreeMap<String, Value>,
    /// Timestamp in nanoseconds, if the line had one.
    pub timestamp: Option<i64>,
}

impl Metric {
    pub(crate) fn from_parsed(line: &ParsedLine<'_>) -> Metric {
        let tags = line
            .series
            .tag_set
            .iter()
            .flatten()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let fields = line
            .field_set
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(v)))
            .collect();
        Metric {
            measurement: line.series.measurement.to_string(),
            tags,
            fields,
            timestamp: line.timestamp,
        }
    }

    /// An integer field, if present and an integer.
    pub fn int(&self, field: &str) -> Option<i64> {
        match self.fields.get(field) {
            Some(Value::Integer(i)) => Some(*i),
            _ => None,
        }
    }

    /// A float field, if present and a float.
    pub fn float(&self, field: &str) -> Option<f64> {
        match self.fields.get(field) {
            Some(Value::Float(f)) => Some(*f),
            _ => None,
        }
    }

    /// The metric as a contract point, for InfluxDB's `/write`: tags the contract
    /// does not name and fields that are not integers or floats are left out.
    pub fn to_point(&self) -> genesys_aht_contract::Point {
        use genesys_aht_contract::FieldValue as Field;
        use genesys_aht_contract::names::{internal, tags};
        use genesys_aht_contract::queue::tags::{PRESENCE, ROUTING_STATUS};
        // The queue state's breakdowns and the request counter's: without them the
        // points of one poll would be one point in InfluxDB.
        let known = tags::ALL.into_iter().chain([
            ROUTING_STATUS,
            PRESENCE,
            internal::ENDPOINT,
            internal::STATUS,
        ]);
        genesys_aht_contract::Point {
            timestamp_ns: self.timestamp.unwrap_or_default(),
            tags: self
                .tags
                .iter()
                .filter_map(|(k, v)| Some((known.clone().find(|t| t == k)?, v.clone())))
                .collect(),
            fields: self
                .fields
                .iter()
                .filter_map(|(k, v)| match v {
                    Value::Integer(i) => Some((k.clone(), Field::Integer(*i))),
                    Value::Float(f) => Some((k.clone(), Field::Float(*f))),
                    _ => None,
                })
                .collect(),
        }
    }
}

/// What Telegraf's InfluxDB output would write for these metrics (as the harness
/// records them, with the plugin instance), as line protocol, each metric through
/// [`Metric::to_point`].
pub fn line_protocol(
    metrics: &[(usize, Metric)],
) -> Result<String, genesys_aht_contract::PointError> {
    let mut out = Vec::new();
    for (_, m) in metrics {
        out.extend(genesys_aht_contract::encode_batch_as(
            &m.measurement,
            &[m.to_point()],
        )?);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

impl From<&FieldValue<'_>> for Value {
    fn from(value: &FieldValue<'_>) -> Value {
        match value {
            FieldValue::I64(i) => Value::Integer(*i),
            FieldValue::U64(u) => Value::Unsigned(*u),
            FieldValue::F64(f) => Value::Float(*f),
            FieldValue::Boolean(b) => Value::Boolean(*b),
            FieldValue::String(s) => Value::String(s.to_string()),
        }
    }
}

/// InfluxDB's identity of a point: measurement, tag set and timestamp.
pub type PointKey = (String, BTreeMap<String, String>, Option<i64>);

/// A store with InfluxDB 1.x/2.x semantics for rewritten points: the same
/// measurement, tags and timestamp is the same point, and a rewrite merges the
/// field sets with the new values winning.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Store {
    /// Point identity → fields.
    pub points: BTreeMap<PointKey, BTreeMap<String, Value>>,
}

impl Store {
    /// Applies metrics in the order they were written.
    pub fn apply<'a>(&mut self, metrics: impl IntoIterator<Item = &'a Metric>) {
        for m in metrics {
            let key = (m.measurement.clone(), m.tags.clone(), m.timestamp);
            let fields = self.points.entry(key).or_default();
            for (name, value) in &m.fields {
                fields.insert(name.clone(), value.clone());
            }
        }
    }

    /// The store after applying `metrics` to an empty one.
    pub fn from_metrics<'a>(metrics: impl IntoIterator<Item = &'a Metric>) -> Store {
        let mut store = Store::default();
        store.apply(metrics);
        store
    }
}
