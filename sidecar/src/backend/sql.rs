//! SQL for InfluxDB 3 (`POST /api/v3/query_sql`, `format: "json"`), user values
//! bound as `params`, and its JSON answer.
//!
//! InfluxDB 3 documents the request as a JSON object `{"db", "q", "params",
//! "format"}`, `params` binding the query's `$name` placeholders, and `format:
//! "json"` answering one JSON array of row objects (docs.influxdata.com,
//! influxdb3/core "Use the InfluxDB v3 HTTP query API", "Query using SQL and the
//! HTTP API"). Its v1-compatible `/query` ignores `params` (influxdb issue #24805),
//! which is why InfluxDB 3 has this backend and not the InfluxQL one.
//!
//! In InfluxDB 3 a tag is a column of the table, and a tag never written to the
//! table is no column at all: naming it is an error, not a null. So every query is
//! built for the table's columns, read first from `information_schema.columns`
//! ([`columns`]): group tags the table lacks are left out of `SELECT` and `GROUP
//! BY` (they would be null on every row, which the answer leaves out anyway), and a
//! filter alternative on a missing tag is dropped (a missing tag equals nothing);
//! a filter left with no alternative is `FALSE`. A table that does not exist (no
//! columns; e.g. no live queue state written yet) is no rows, without a query.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::influxql::{quote_ident, where_clause};
use super::{Row, fields};
use crate::answer::GROUP_TAGS;
use crate::identity::{AnyOf, LABELLED};
use crate::request::Range;

/// A statement for `/api/v3/query_sql` and the values bound to its `$name` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The database.
    pub db: String,
    /// SQL text; user values appear only as `$name`.
    pub q: String,
    /// The `params` JSON object.
    pub params: Map<String, Value>,
}

/// What to ask, before the table's columns are known.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Sums of `fields` per window and series, under the resolved filters.
    Aht {
        /// The fields to add up (a column the table lacks reads as absent).
        fields: Vec<String>,
        /// Whole windows.
        range: Range,
        /// Window length in seconds.
        interval_s: u64,
        /// The request's filters, resolved by [`crate::identity::conditions`].
        conditions: Vec<AnyOf>,
    },
    /// `handle_count` summed per skill name and ID.
    Skills {
        /// The range.
        range: Range,
    },
    /// The newest time of every series with its name and ID tags.
    Names {
        /// The range.
        range: Range,
    },
    /// The newest point of every series of the live queue state (see [`crate::live`]).
    Latest {
        /// The range.
        range: Range,
        /// Only these queue names; empty: every queue.
        queues: Vec<String>,
    },
}

/// A plan on one table of one database.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// The database.
    pub db: String,
    /// The table (the measurement).
    pub table: String,
    /// What to ask.
    pub plan: Plan,
}

/// The statement listing the columns of `table` in `db`.
pub fn columns(db: &str, table: &str) -> Statement {
    let mut params = Map::new();
    params.insert("table".into(), Value::from(table));
    Statement {
        db: db.into(),
        q: "SELECT column_name FROM information_schema.columns WHERE table_name = $table".into(),
        params,
    }
}

/// The column names in the answer to [`columns`].
pub fn column_names(rows: &[Row]) -> BTreeSet<String> {
    rows.iter()
        .filter_map(|r| r.tags.get("column_name").cloned())
        .collect()
}

impl Query {
    /// The statement for a table with `columns`; `None` when the table does not exist
    /// (no columns), whose answer is no rows.
    pub fn render(&self, columns: &BTreeSet<String>) -> Option<Statement> {
        if columns.is_empty() {
            return None;
        }
        let present = |tags: &mut dyn Iterator<Item = &str>| -> Vec<String> {
            tags.filter(|t| columns.contains(*t))
                .map(quote_ident)
                .collect()
        };
        let (_, count) = fields();
        let sum = |field: &str| {
            if columns.contains(field) {
                format!("sum({f}) AS {f}", f = quote_ident(field))
            } else {
                format!("CAST(NULL AS BIGINT) AS {}", quote_ident(field))
            }
        };
        let table = quote_ident(&self.table);
        let mut params = Map::new();
        let q = match &self.plan {
            Plan::Aht {
                fields,
                range,
                interval_s,
                conditions,
            } => {
                let window = format!(
                    "date_bin(INTERVAL '{interval_s} seconds', time, TIMESTAMP '1970-01-01T00:00:00Z')"
                );
                let tags = present(&mut GROUP_TAGS.iter().copied());
                let mut group = vec![window.clone()];
                group.extend(tags.iter().cloned());
                format!(
                    "SELECT CAST({window} AS BIGINT) AS time_ns, {s}{t} FROM {table} WHERE {w} GROUP BY {g}",
                    s = fields.iter().map(|f| sum(f)).collect::<Vec<_>>().join(", "),
                    t = tags.iter().map(|t| format!(", {t}")).collect::<String>(),
                    w = condition(*range, conditions, columns, &mut params),
                    g = group.join(", "),
                )
            }
            Plan::Skills { range } => {
                use genesys_aht_contract::names::tags;
                let tags = present(&mut [tags::SKILL, tags::SKILL_ID].into_iter());
                format!(
                    "SELECT {c}{t} FROM {table} WHERE {w}{g}",
                    c = sum(&count),
                    t = tags.iter().map(|t| format!(", {t}")).collect::<String>(),
                    w = condition(*range, &[], columns, &mut params),
                    g = group_by(&tags),
                )
            }
            Plan::Names { range } => {
                let tags = present(&mut LABELLED.iter().flat_map(|(name, id)| [*name, *id]));
                if tags.is_empty() || !columns.contains(&count) {
                    return None;
                }
                format!(
                    "SELECT CAST(max(time) AS BIGINT) AS time_ns, {t} FROM {table} WHERE {w} AND {c} IS NOT NULL GROUP BY {t}",
                    t = tags.join(", "),
                    w = condition(*range, &[], columns, &mut params),
                    c = quote_ident(&count),
                )
            }
            Plan::Latest { range, queues } => {
                let fields = present(&mut crate::live::fields());
                if fields.is_empty() {
                    return None;
                }
                let tags = present(&mut crate::live::GROUP_TAGS.iter().copied());
                let partition = if tags.is_empty() {
                    String::new()
                } else {
                    format!("PARTITION BY {} ", tags.join(", "))
                };
                let conditions = crate::live::conditions(queues);
                let columns_out = [fields, tags].concat().join(", ");
                // A series is its tags: a tag the point lacks is null, one group.
                format!(
                    "SELECT time_ns, {c} FROM (SELECT CAST(time AS BIGINT) AS time_ns, {c}, \
                     row_number() OVER ({partition}ORDER BY time DESC) AS newest \
                     FROM {table} WHERE {w}) WHERE newest = 1",
                    c = columns_out,
                    w = condition(*range, &conditions, columns, &mut params),
                )
            }
        };
        Some(Statement {
            db: self.db.clone(),
            q,
            params,
        })
    }
}

fn group_by(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(" GROUP BY {}", tags.join(", "))
    }
}

/// The `WHERE` clause: the time bounds are integers the sidecar computed; every
/// tag value becomes a bound parameter; an alternative on a column the table lacks
/// never holds.
fn condition(
    range: Range,
    conditions: &[AnyOf],
    columns: &BTreeSet<String>,
    params: &mut Map<String, Value>,
) -> String {
    let time = format!(
        "time >= to_timestamp_nanos({}) AND time < to_timestamp_nanos({})",
        range.start_ns, range.end_ns
    );
    where_clause(time, conditions, |tag| columns.contains(tag), params)
}

/// Why a `/api/v3/query_sql` answer yields no rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected /api/v3/query_sql answer: {0}")]
pub struct DecodeError(String);

/// Reads a `format: "json"` answer: an array of objects, one per row, a null
/// column left out. `time_ns` is the row's time; other strings are tags (empty
/// ones left out), numbers are values.
pub fn decode(body: &str) -> Result<Vec<Row>, DecodeError> {
    let rows: Vec<BTreeMap<String, Value>> =
        serde_json::from_str(body).map_err(|e| DecodeError(e.to_string()))?;
    Ok(rows
        .into_iter()
        .map(|cells| {
            let mut row = Row::default();
            for (name, cell) in cells {
                match cell {
                    Value::Number(n) if name == "time_ns" => row.time_ns = n.as_i64(),
                    Value::Number(n) => {
                        if let Some(x) = n.as_f64() {
                            row.values.insert(name, x);
                        }
                    }
                    Value::String(s) if !s.is_empty() => {
                        row.tags.insert(name, s);
                    }
                    _ => {}
                }
            }
            row
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    fn aht(conditions: Vec<AnyOf>) -> Query {
        Query {
            db: "genesys".into(),
            table: "genesys_conversation".into(),
            plan: Plan::Aht {
                fields: vec!["handle_sum_ms".into(), "handle_count".into()],
                range: Range {
                    start_ns: 0,
                    end_ns: 3_600_000_000_000,
                },
                interval_s: 900,
                conditions,
            },
        }
    }

    #[test]
    fn user_values_are_bound_and_missing_tags_left_out() {
        let columns = cols(&[
            "time",
            "skill",
            "media_type",
            "handle_count",
            "handle_sum_ms",
        ]);
        let hostile = "x' OR '1'='1";
        let s = aht(vec![vec![
            ("skill", hostile.into()),
            ("skill_id", "s-1".into()),
        ]])
        .render(&columns)
        .unwrap();
        assert!(!s.q.contains(hostile), "{}", s.q);
        assert!(s.q.contains("(\"skill\" = $p0)"), "{}", s.q);
        assert_eq!(s.params.get("p0"), Some(&Value::from(hostile)));
        assert_eq!(s.params.len(), 1);
        assert!(!s.q.contains("queue"), "{}", s.q);
        assert!(
            s.q.contains("GROUP BY date_bin(INTERVAL '900 seconds'"),
            "{}",
            s.q
        );
    }

    #[test]
    fn a_filter_only_on_missing_tags_matches_nothing() {
        let columns = cols(&["time", "skill", "handle_count"]);
        let s = aht(vec![vec![("queue", "Q".into())]])
            .render(&columns)
            .unwrap();
        assert!(s.q.contains(" AND FALSE"), "{}", s.q);
        assert!(
            s.q.contains("CAST(NULL AS BIGINT) AS \"handle_sum_ms\""),
            "{}",
            s.q
        );
        assert_eq!(aht(vec![]).render(&BTreeSet::new()), None);
    }

    #[test]
    fn the_live_state_binds_queues_and_skips_missing_columns() {
        let latest = |queues: Vec<String>| Query {
            db: "genesys".into(),
            table: "genesys_queue".into(),
            plan: Plan::Latest {
                range: Range {
                    start_ns: 0,
                    end_ns: 1,
                },
                queues,
            },
        };
        let hostile = "x' OR '1'='1";
        let columns = cols(&["time", "queue", "queue_id", "waiting"]);
        let s = latest(vec![hostile.into()]).render(&columns).unwrap();
        assert!(!s.q.contains(hostile), "{}", s.q);
        assert_eq!(s.params.get("p0"), Some(&Value::from(hostile)));
        assert!(
            s.q.contains("PARTITION BY \"queue\", \"queue_id\" ORDER BY time DESC"),
            "{}",
            s.q
        );
        assert!(
            !s.q.contains("presence") && !s.q.contains("alerting"),
            "{}",
            s.q
        );
        // No queue tag: a queue filter matches nothing; no field: no query.
        let s = latest(vec!["Q".into()])
            .render(&cols(&["time", "waiting"]))
            .unwrap();
        assert!(s.q.contains(" AND FALSE)"), "{}", s.q);
        assert_eq!(latest(vec![]).render(&cols(&["time", "queue"])), None);
    }

    #[test]
    fn rows_are_read_from_the_json_array() {
        let body =
            r#"[{"time_ns":5,"skill":"a","queue":"","handle_count":2},{"column_name":"skill"}]"#;
        let rows = decode(body).unwrap();
        assert_eq!(rows[0].time_ns, Some(5));
        assert_eq!(rows[0].tags.len(), 1);
        assert_eq!(rows[0].values.get("handle_count"), Some(&2.0));
        assert_eq!(column_names(&rows), cols(&["skill"]));
        assert!(decode(r#"{"error":"x"}"#).is_err());
        assert!(decode("[]").unwrap().is_empty());
    }
}
