//! InfluxQL statements (user values bound as `params`, never pasted) and the
//! `/query` JSON answer.
//!
//! The statement sums the two contract fields per window and group; the average
//! is computed by the sidecar because InfluxQL answers `x / 0` with 0.
//! Statement errors arrive inside an HTTP 200 (`results[0].error`); a statement
//! without data has no `series`; `fill(none)` leaves out empty windows.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::answer::GROUP_TAGS;
use crate::backend::{Row, fields};
use crate::request::{AhtRequest, Filters, Range, SkillsRequest};

/// A statement and the values bound to its `$name` placeholders.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The database (InfluxDB 2.x/3.x: the bucket name).
    pub db: String,
    /// InfluxQL text; user values appear only as `$name`.
    pub q: String,
    /// The `params` JSON object.
    pub params: Map<String, Value>,
}

/// `"name"` with `\` and `"` escaped: an InfluxQL identifier.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Sums of the handle fields per window and group.
pub fn aht(req: &AhtRequest, db: &str, measurement: &str) -> Statement {
    let (sum_ms, count) = fields();
    let mut params = Map::new();
    let group: Vec<String> = GROUP_TAGS.iter().map(|t| quote_ident(t)).collect();
    let q = format!(
        "SELECT sum({s}) AS {s}, sum({c}) AS {c} FROM {m} WHERE {w} GROUP BY time({i}s), {g} fill(none)",
        s = quote_ident(&sum_ms),
        c = quote_ident(&count),
        m = quote_ident(measurement),
        w = condition(req.range, &req.filters, &mut params),
        i = req.interval_s,
        g = group.join(", "),
    );
    Statement {
        db: db.into(),
        q,
        params,
    }
}

/// One series per skill with data in the range, its `handle_count` summed (the
/// sidecar drops sums of 0).
pub fn skills(req: &SkillsRequest, db: &str, measurement: &str) -> Statement {
    let (_, count) = fields();
    let mut params = Map::new();
    let q = format!(
        "SELECT sum({c}) AS {c} FROM {m} WHERE {w} GROUP BY {skill}",
        c = quote_ident(&count),
        m = quote_ident(measurement),
        w = condition(req.range, &Filters::default(), &mut params),
        skill = quote_ident(genesys_aht_contract::names::tags::SKILL),
    );
    Statement {
        db: db.into(),
        q,
        params,
    }
}

/// The `WHERE` clause: the time bounds are integers the sidecar computed; every
/// user value becomes a bound parameter.
fn condition(range: Range, filters: &Filters, params: &mut Map<String, Value>) -> String {
    use genesys_aht_contract::names::tags;
    let mut parts = vec![format!(
        "time >= {} AND time < {}",
        range.start_ns, range.end_ns
    )];
    if !filters.skills.is_empty() {
        let any: Vec<String> = filters
            .skills
            .iter()
            .enumerate()
            .map(|(i, skill)| {
                params.insert(format!("skill{i}"), Value::from(skill.as_str()));
                format!("{} = $skill{i}", quote_ident(tags::SKILL))
            })
            .collect();
        parts.push(format!("({})", any.join(" OR ")));
    }
    for (tag, value) in [
        (tags::QUEUE, &filters.queue),
        (tags::MEDIA_TYPE, &filters.media_type),
    ] {
        if let Some(value) = value {
            params.insert(tag.into(), Value::from(value.as_str()));
            parts.push(format!("{} = ${tag}", quote_ident(tag)));
        }
    }
    parts.join(" AND ")
}

#[derive(Debug, Deserialize)]
struct Response {
    #[serde(default)]
    results: Vec<StatementResult>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct StatementResult {
    #[serde(default)]
    series: Vec<Series>,
    #[serde(default)]
    error: Option<String>,
    /// Set when the server cut the answer short (`max-row-limit`).
    #[serde(default)]
    partial: bool,
}

#[derive(Debug, Deserialize)]
struct Series {
    #[serde(default)]
    partial: bool,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    columns: Vec<String>,
    #[serde(default)]
    values: Vec<Vec<Value>>,
}

/// Why a `/query` answer yields no rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// `results[0].error` or a top-level `error`.
    #[error("{0}")]
    Statement(String),
    /// Not the JSON `/query` answers with.
    #[error("unexpected /query answer: {0}")]
    Malformed(String),
}

/// Reads a `/query` answer (requested with `epoch=ns`) into rows.
pub fn decode(body: &str) -> Result<Vec<Row>, DecodeError> {
    let response: Response =
        serde_json::from_str(body).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    if let Some(error) = response.error {
        return Err(DecodeError::Statement(error));
    }
    let mut rows = Vec::new();
    for result in response.results {
        if let Some(error) = result.error {
            return Err(DecodeError::Statement(error));
        }
        // A truncated answer would read as missing windows: refuse it instead.
        if result.partial || result.series.iter().any(|s| s.partial) {
            return Err(DecodeError::Statement(
                "the answer was truncated (partial); raise InfluxDB's [http] max-row-limit or ask for fewer windows".into(),
            ));
        }
        for series in result.series {
            rows.extend(series_rows(series));
        }
    }
    Ok(rows)
}

fn series_rows(series: Series) -> impl Iterator<Item = Row> {
    let tags: BTreeMap<String, String> = series
        .tags
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let columns = series.columns;
    series.values.into_iter().map(move |cells| {
        let mut row = Row {
            time_ns: None,
            tags: tags.clone(),
            values: BTreeMap::new(),
        };
        for (name, cell) in columns.iter().zip(cells) {
            if name == "time" {
                row.time_ns = cell.as_i64();
            } else if let Some(number) = cell.as_f64() {
                row.values.insert(name.clone(), number);
            }
        }
        row
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }

    #[test]
    fn statement_errors_inside_a_200_are_errors() {
        let body = r#"{"results":[{"statement_id":0,"error":"database not found: nosuch"}]}"#;
        assert_eq!(
            decode(body).unwrap_err(),
            DecodeError::Statement("database not found: nosuch".into())
        );
        assert!(matches!(decode("<html>"), Err(DecodeError::Malformed(_))));
    }

    #[test]
    fn every_truncation_of_an_answer_errs_without_panicking() {
        let body = r#"{"results":[{"statement_id":0,"series":[{"name":"m","tags":{"skill":"a"},"columns":["time","handle_count"],"values":[[5,2]]}]}]}"#;
        for cut in 0..body.len() {
            assert!(decode(&body[..cut]).is_err(), "{}", &body[..cut]);
        }
        assert_eq!(decode(body).unwrap().len(), 1);
    }

    #[test]
    fn a_truncated_answer_is_an_error() {
        let body = r#"{"results":[{"statement_id":0,"series":[{"name":"m","columns":["time","x"],
            "values":[[1,2]],"partial":true}]}]}"#;
        assert!(matches!(decode(body), Err(DecodeError::Statement(m)) if m.contains("truncated")));
    }

    #[test]
    fn no_series_is_no_rows_and_nulls_are_absent() {
        assert!(
            decode(r#"{"results":[{"statement_id":0}]}"#)
                .unwrap()
                .is_empty()
        );
        let body = r#"{"results":[{"statement_id":0,"series":[{"name":"m","tags":{"skill":"a","queue":""},
            "columns":["time","handle_sum_ms","handle_count"],"values":[[5,null,2]]}]}]}"#;
        let rows = decode(body).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].time_ns, Some(5));
        assert_eq!(rows[0].tags.len(), 1);
        assert_eq!(rows[0].values.get("handle_count"), Some(&2.0));
        assert!(!rows[0].values.contains_key("handle_sum_ms"));
    }
}
