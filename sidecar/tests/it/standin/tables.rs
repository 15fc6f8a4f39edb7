//! Runs the stages the sidecar writes over the test points, one stage after the
//! other on tables with group keys, as Flux's documentation describes each
//! function, and writes the result as annotated CSV.
//!
//! The model covers what those stages do to these points, nothing more: one table
//! per series and field from `from()` (every tag, `_measurement` and `_field` in the
//! group key), `range` adding `_start`/`_stop`, `filter` dropping emptied tables,
//! `aggregateWindow(fn: sum)` summing each table's rows per epoch-aligned window and
//! stamping them with the window start, keeping only the group key, `_time` and
//! `_value`, `group` regrouping rows (other columns kept), `pivot` turning `_field`
//! into columns per `_time`, `sum()` one row per table, `last()` each table's row
//! with the latest `_time` (all its columns). Order matters as in Flux:
//! a window sum before `group` sums each series on its own.

use std::collections::BTreeMap;

use super::StoredPoint;
use super::script::Stage;
use crate::support::rfc3339;

/// A cell; `Time` is nanoseconds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Cell {
    Str(String),
    Int(i64),
    Time(i64),
}

type Row = BTreeMap<String, Cell>;
type Key = BTreeMap<String, Cell>;
/// Tables by group key, in key order.
type Tables = BTreeMap<Key, Vec<Row>>;

/// Why a script cannot be answered.
#[derive(Debug)]
pub(crate) enum RunError {
    /// The bucket does not exist (InfluxDB: 404).
    NoBucket(String),
    /// Anything else the stand-in refuses (InfluxDB would say why, with a 400).
    Invalid(String),
}

/// A result: its name (from `yield`) and its tables.
#[derive(Debug)]
pub(crate) struct Answer {
    name: String,
    tables: Tables,
}

/// Runs `stages` over the buckets' points.
pub(crate) fn run(
    stages: &[Stage],
    buckets: &BTreeMap<String, Vec<StoredPoint>>,
) -> Result<Answer, RunError> {
    let invalid = |m: &str| RunError::Invalid(m.to_string());
    let (Some(Stage::From(bucket)), Some(Stage::Range { start_ns, stop_ns })) =
        (stages.first(), stages.get(1))
    else {
        return Err(invalid("a script must start with from() |> range()"));
    };
    let points = buckets
        .get(bucket)
        .ok_or_else(|| RunError::NoBucket(bucket.clone()))?;
    let mut tables = range(from(points), *start_ns, *stop_ns);
    let mut name = None;
    for stage in &stages[2..] {
        if name.is_some() {
            return Err(invalid("yield() must come last"));
        }
        tables = match stage {
            Stage::Filter(any) => filter(tables, any),
            Stage::WindowSum { every_ns } => window_sum(tables, *every_ns)?,
            Stage::Group(columns) => group(tables, columns),
            Stage::PivotFields => pivot_fields(tables)?,
            Stage::Sum => sum(tables)?,
            Stage::Last => last(tables)?,
            Stage::Yield(result) => {
                name = Some(result.clone());
                tables
            }
            other => return Err(RunError::Invalid(format!("{other:?} out of place"))),
        };
    }
    Ok(Answer {
        name: name.unwrap_or_else(|| "_result".into()),
        tables,
    })
}

fn from(points: &[StoredPoint]) -> Tables {
    let mut tables = Tables::new();
    for p in points {
        for (field, value) in &p.fields {
            let mut key: Key = p
                .tags
                .iter()
                .map(|(k, v)| (k.clone(), Cell::Str(v.clone())))
                .collect();
            key.insert("_measurement".into(), Cell::Str(p.measurement.clone()));
            key.insert("_field".into(), Cell::Str(field.clone()));
            let mut row = key.clone();
            row.insert("_time".into(), Cell::Time(p.t));
            row.insert("_value".into(), Cell::Int(*value));
            tables.entry(key).or_default().push(row);
        }
    }
    tables
}

fn range(tables: Tables, start_ns: i64, stop_ns: i64) -> Tables {
    let bounds = [
        ("_start".to_string(), Cell::Time(start_ns)),
        ("_stop".to_string(), Cell::Time(stop_ns)),
    ];
    let mut out = Tables::new();
    for (mut key, rows) in tables {
        key.extend(bounds.clone());
        let rows: Vec<Row> = rows
            .into_iter()
            .filter(|r| matches!(r["_time"], Cell::Time(t) if t >= start_ns && t < stop_ns))
            .map(|mut r| {
                r.extend(bounds.clone());
                r
            })
            .collect();
        if !rows.is_empty() {
            out.insert(key, rows);
        }
    }
    out
}

fn filter(tables: Tables, any: &[(String, String)]) -> Tables {
    let keeps = |row: &Row| {
        any.iter()
            .any(|(column, value)| row.get(column) == Some(&Cell::Str(value.clone())))
    };
    tables
        .into_iter()
        .map(|(key, rows)| (key, rows.into_iter().filter(keeps).collect::<Vec<_>>()))
        .filter(|(_, rows)| !rows.is_empty())
        .collect()
}

fn int(row: &Row, column: &str) -> Result<i64, RunError> {
    match row.get(column) {
        Some(Cell::Int(v)) => Ok(*v),
        other => Err(RunError::Invalid(format!(
            "{column} is {other:?}, not an integer"
        ))),
    }
}

fn time(row: &Row, column: &str) -> Result<i64, RunError> {
    match row.get(column) {
        Some(Cell::Time(t)) => Ok(*t),
        other => Err(RunError::Invalid(format!(
            "{column} is {other:?}, not a time"
        ))),
    }
}

/// `aggregateWindow(every, fn: sum, createEmpty: false, timeSrc: "_start")`.
fn window_sum(tables: Tables, every_ns: i64) -> Result<Tables, RunError> {
    let mut out = Tables::new();
    for (key, rows) in tables {
        let mut windows: BTreeMap<(i64, i64, i64), i64> = BTreeMap::new();
        for row in &rows {
            let (start, stop) = (time(row, "_start")?, time(row, "_stop")?);
            let window = time(row, "_time")?.div_euclid(every_ns) * every_ns;
            *windows.entry((start, stop, window.max(start))).or_default() += int(row, "_value")?;
        }
        for ((start, stop, window), total) in windows {
            let mut key = key.clone();
            key.insert("_start".into(), Cell::Time(start));
            key.insert("_stop".into(), Cell::Time(stop));
            let mut row = key.clone();
            row.insert("_time".into(), Cell::Time(window));
            row.insert("_value".into(), Cell::Int(total));
            out.entry(key).or_default().push(row);
        }
    }
    Ok(out)
}

fn group(tables: Tables, columns: &[String]) -> Tables {
    let mut out = Tables::new();
    for row in tables.into_values().flatten() {
        let key: Key = columns
            .iter()
            .filter_map(|c| Some((c.clone(), row.get(c)?.clone())))
            .collect();
        out.entry(key).or_default().push(row);
    }
    out
}

/// `pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`.
fn pivot_fields(tables: Tables) -> Result<Tables, RunError> {
    let mut out: BTreeMap<Key, BTreeMap<i64, Row>> = BTreeMap::new();
    for (mut key, rows) in tables {
        key.remove("_field");
        for row in rows {
            let Some(Cell::Str(field)) = row.get("_field") else {
                return Err(RunError::Invalid("pivot needs a _field column".into()));
            };
            let at = time(&row, "_time")?;
            let pivoted = out
                .entry(key.clone())
                .or_default()
                .entry(at)
                .or_insert_with(|| {
                    let mut r = key.clone();
                    r.insert("_time".into(), Cell::Time(at));
                    r
                });
            pivoted.insert(field.clone(), Cell::Int(int(&row, "_value")?));
        }
    }
    Ok(out
        .into_iter()
        .map(|(key, rows)| (key, rows.into_values().collect()))
        .collect())
}

fn sum(tables: Tables) -> Result<Tables, RunError> {
    let mut out = Tables::new();
    for (key, rows) in tables {
        let total = rows
            .iter()
            .map(|r| int(r, "_value"))
            .sum::<Result<i64, _>>()?;
        let mut row = key.clone();
        row.insert("_value".into(), Cell::Int(total));
        out.insert(key, vec![row]);
    }
    Ok(out)
}

fn last(tables: Tables) -> Result<Tables, RunError> {
    let mut out = Tables::new();
    for (key, rows) in tables {
        let mut newest: Option<(i64, Row)> = None;
        for row in rows {
            let at = time(&row, "_time")?;
            if newest.as_ref().is_none_or(|(t, _)| at >= *t) {
                newest = Some((at, row));
            }
        }
        if let Some((_, row)) = newest {
            out.insert(key, vec![row]);
        }
    }
    Ok(out)
}

impl Answer {
    /// Annotated CSV as InfluxDB writes it for the annotations `group`, `datatype`,
    /// `default`. Tables of chat list their columns in the opposite order and their
    /// non-key integers as doubles, so answers have a schema change (a second
    /// annotation block); with `fail_mid_stream`, an error table follows the first block.
    pub(crate) fn csv(&self, fail_mid_stream: bool) -> String {
        if self.tables.is_empty() {
            return "\r\n".into();
        }
        let mut out = String::new();
        let mut previous: Option<Vec<String>> = None;
        for (id, (key, rows)) in self.tables.iter().enumerate() {
            let chat = key.get("media_type") == Some(&Cell::Str("chat".into()));
            let mut columns: Vec<&String> = rows[0].keys().collect();
            if chat {
                columns.reverse();
            }
            let kind = |c: &String| match &rows[0][c] {
                Cell::Str(_) => "string",
                Cell::Time(_) => "dateTime:RFC3339",
                Cell::Int(_) if chat && !key.contains_key(c) => "double",
                Cell::Int(_) => "long",
            };
            let annotations = vec![
                format!(
                    "#group,false,false,{}",
                    join(columns.iter().map(|c| key.contains_key(*c).to_string()))
                ),
                format!(
                    "#datatype,string,long,{}",
                    join(columns.iter().map(|c| kind(c)))
                ),
                format!("#default,{},,{}", self.name, ",".repeat(columns.len() - 1)),
                format!(
                    ",result,table,{}",
                    join(columns.iter().map(|c| c.to_string()))
                ),
            ];
            if previous.as_ref() != Some(&annotations) {
                if previous.is_some() {
                    if fail_mid_stream {
                        out.push_str("\r\n#group,true,true\r\n#datatype,string,string\r\n#default,,\r\n,error,reference\r\n,\"panic: runtime error, index out of range\",\r\n\r\n");
                        return out;
                    }
                    out.push_str("\r\n");
                }
                for line in &annotations {
                    out.push_str(line);
                    out.push_str("\r\n");
                }
                previous = Some(annotations);
            }
            for row in rows {
                let cells = columns
                    .iter()
                    .map(|c| row.get(*c).map_or(String::new(), text));
                out.push_str(&format!(",,{id},{}\r\n", join(cells)));
            }
        }
        out.push_str("\r\n");
        out
    }
}

fn join(items: impl Iterator<Item = impl AsRef<str>>) -> String {
    items
        .map(|s| s.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
fn text(cell: &Cell) -> String {
    match cell {
        Cell::Int(v) => v.to_string(),
        Cell::Time(t) => rfc3339(*t),
        Cell::Str(s) if s.contains([',', '"', '\r', '\n']) => {
            format!("\"{}\"", s.replace('"', "\"\""))
        }
        Cell::Str(s) => s.clone(),
    }
}
