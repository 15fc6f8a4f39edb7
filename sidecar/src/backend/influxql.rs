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

use super::{Row, fields};
use crate::answer::GROUP_TAGS;
use crate::identity::{AnyOf, LABELLED};
use crate::request::{AhtRequest, Range, SkillsRequest};

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

/// Sums of the handle fields per window and series, under `conditions` (the
/// request's filters, resolved by [`crate::identity::conditions`]).
pub fn aht(req: &AhtRequest, conditions: &[AnyOf], db: &str, measurement: &str) -> Statement {
    let (sum_ms, count) = fields();
    sums(&[sum_ms, count], req, conditions, db, measurement)
}

/// Sums of `fields` per window and series, under `conditions`. A field the
/// measurement never had comes back as no column, which reads as absent.
pub fn sums(
    fields: &[String],
    req: &AhtRequest,
    conditions: &[AnyOf],
    db: &str,
    measurement: &str,
) -> Statement {
    let mut params = Map::new();
    let group: Vec<String> = GROUP_TAGS.iter().map(|t| quote_ident(t)).collect();
    let selected: Vec<String> = fields
        .iter()
        .map(|f| format!("sum({f}) AS {f}", f = quote_ident(f)))
        .collect();
    let q = format!(
        "SELECT {s} FROM {m} WHERE {w} GROUP BY time({i}s), {g} fill(none)",
        s = selected.join(", "),
        m = quote_ident(measurement),
        w = condition(req.range, conditions, &mut params),
        i = req.interval_s,
        g = group.join(", "),
    );
    Statement {
        db: db.into(),
        q,
        params,
    }
}

/// One series per skill (name and ID) with data in the range, its `handle_count`
/// summed (the sidecar drops sums of 0 and merges the names of one ID).
pub fn skills(req: &SkillsRequest, db: &str, measurement: &str) -> Statement {
    use genesys_aht_contract::names::tags;
    let (_, count) = fields();
    let mut params = Map::new();
    let q = format!(
        "SELECT sum({c}) AS {c} FROM {m} WHERE {w} GROUP BY {skill}, {skill_id}",
        c = quote_ident(&count),
        m = quote_ident(measurement),
        w = condition(req.range, &[], &mut params),
        skill = quote_ident(tags::SKILL),
        skill_id = quote_ident(tags::SKILL_ID),
    );
    Statement {
        db: db.into(),
        q,
        params,
    }
}

/// The newest point of every series in `range`: its time and its name and ID tags
/// (see [`crate::identity::NameIndex`]). A bare `last()` per series, which InfluxDB
/// reads from the end of each series.
pub fn names(range: Range, db: &str, measurement: &str) -> Statement {
    let (_, count) = fields();
    let mut params = Map::new();
    let group: Vec<String> = LABELLED
        .iter()
        .flat_map(|(name, id)| [quote_ident(name), quote_ident(id)])
        .collect();
    let q = format!(
        "SELECT last({c}) AS {c} FROM {m} WHERE {w} GROUP BY {g}",
        c = quote_ident(&count),
        m = quote_ident(measurement),
        w = condition(range, &[], &mut params),
        g = group.join(", "),
    );
    Statement {
        db: db.into(),
        q,
        params,
    }
}

/// The newest point of every series of the live queue state in `range`: the
/// contract's fields (a field a point lacks is null, read as absent), grouped by
/// every tag of [`crate::live::GROUP_TAGS`] (a tag a series lacks is empty),
/// newest first, one per series. `queues`: only these queue names.
pub fn latest(queues: &[String], range: Range, db: &str, measurement: &str) -> Statement {
    let mut params = Map::new();
    let selected: Vec<String> = crate::live::fields().map(quote_ident).collect();
    let group: Vec<String> = crate::live::GROUP_TAGS
        .iter()
        .map(|t| quote_ident(t))
        .collect();
    let conditions = crate::live::conditions(queues);
    let q = format!(
        "SELECT {s} FROM {m} WHERE {w} GROUP BY {g} ORDER BY time DESC LIMIT 1",
        s = selected.join(", "),
        m = quote_ident(measurement),
        w = condition(range, &conditions, &mut params),
        g = group.join(", "),
    );
    Statement {
        db: db.into(),
        q,
        params,
    }
}

/// The `WHERE` clause: the time bounds are integers the sidecar computed; every
/// tag value becomes a bound parameter.
fn condition(range: Range, conditions: &[AnyOf], params: &mut Map<String, Value>) -> String {
    let time = format!("time >= {} AND time < {}", range.start_ns, range.end_ns);
    where_clause(time, conditions, |_| true, params)
}

/// `time AND (tag = $p0 OR tag = $p1) AND ...`, one parenthesis per [`AnyOf`], for
/// InfluxQL and InfluxDB 3's SQL alike (both quote identifiers the same way and bind
/// `$name` placeholders). Every tag value becomes a bound parameter, named after
/// the parameters already in `params`. An alternative on a tag `has_column` denies
/// never holds: a condition left with none is `FALSE`.
pub(super) fn where_clause(
    time: String,
    conditions: &[AnyOf],
    has_column: impl Fn(&str) -> bool,
    params: &mut Map<String, Value>,
) -> String {
    let mut parts = vec![time];
    for any in conditions {
        let alternatives: Vec<String> = any
            .iter()
            .filter(|(tag, _)| has_column(tag))
            .map(|(tag, value)| {
                let name = format!("p{}", params.len());
                params.insert(name.clone(), Value::from(value.as_str()));
                format!("{} = ${name}", quote_ident(tag))
            })
            .collect();
        if alternatives.is_empty() {
            parts.push("FALSE".into());
        } else {
            parts.push(format!("({})", alternatives.join(" OR ")));
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
