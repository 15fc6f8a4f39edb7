//! Flux scripts for `/api/v2/query` and how their annotated CSV becomes rows.
//!
//! User values enter a script only as string literals escaped by the language's
//! rules (`\` → `\\`, `"` → `\"`, `$` → `\x24`, so `${` cannot start an
//! interpolation; line breaks and tabs as `\n`, `\r`, `\t`); dates and durations are written by the sidecar from validated
//! numbers.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::{Row, fields};
use crate::answer::GROUP_TAGS;
use crate::csv::{CsvError, CsvRow};
use genesys_aht_contract::names::tags;

use crate::identity::AnyOf;
use crate::request::{AhtRequest, Range, SkillsRequest, rfc3339};

/// A Flux string literal holding exactly `value`.
pub fn string_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            // Flux's spec documents `\${` (a literal `${`), not a lone `\$`, and the
            // parser of the language server (flux-lsp 0.8.40) rejects `\$` unless `{`
            // follows. `\x24` is a `$` byte in any string literal and never starts a
            // `${` interpolation, whatever follows it.
            '$' => out.push_str("\\x24"),
            // Raw line breaks are allowed in Flux strings; escaping them keeps one
            // filter on one line of the script.
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Sums of the handle fields per window and group, one row per window with both
/// sums as columns.
///
/// The window sums come first, per series, straight after `range` and `filter`:
/// InfluxDB 2.x runs that window aggregate in its storage engine
/// (`PushDownWindowAggregateRule`, with `timeSrc: "_start"` by
/// `PushDownWindowAggregateByTimeRule`), so only one row per series and window
/// leaves storage. A `group()` before it would stop that push-down (transposing
/// them is behind the `groupWindowAggregateTranspose` flag, off by default) and
/// pull every raw point into the Flux engine. The series of a group (e.g. one skill
/// name under two IDs) are then merged and their sums added over the same windows.
pub fn aht(req: &AhtRequest, conditions: &[AnyOf], bucket: &str, measurement: &str) -> String {
    let (sum_ms, count) = fields();
    sums(&[sum_ms, count], req, conditions, bucket, measurement)
}

/// Sums of `fields` per window and group, as [`aht`] (whose comment says why the
/// stages are in this order).
pub fn sums(
    fields: &[String],
    req: &AhtRequest,
    conditions: &[AnyOf],
    bucket: &str,
    measurement: &str,
) -> String {
    let window_sums = format!(
        "aggregateWindow(every: {}s, fn: sum, createEmpty: false, timeSrc: \"_start\")",
        req.interval_s
    );
    let mut stages = source(bucket, req.range, measurement);
    let wanted: Vec<String> = fields
        .iter()
        .map(|f| format!("r._field == {}", string_literal(f)))
        .collect();
    stages.push(format!("filter(fn: (r) => {})", wanted.join(" or ")));
    stages.extend(conditions.iter().map(filter_any));
    stages.push(window_sums.clone());
    stages.push(format!("group(columns: [{}])", group_columns()));
    stages.push(window_sums);
    stages.push(
        "pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")".into(),
    );
    stages.push("yield(name: \"aht\")".into());
    pipeline(&stages)
}

/// The columns an answer's tables are grouped by: the answer's group tags, and
/// `_field` so the two sums stay apart until `pivot`.
fn group_columns() -> String {
    let mut columns: Vec<String> = GROUP_TAGS.iter().map(|t| string_literal(t)).collect();
    columns.push(string_literal("_field"));
    columns.join(", ")
}

/// One table per skill with data in the range, its `handle_count` summed (the
/// sidecar drops sums of 0).
pub fn skills(req: &SkillsRequest, bucket: &str, measurement: &str) -> String {
    let (_, count) = fields();
    let mut stages = source(bucket, req.range, measurement);
    stages.push(format!(
        "filter(fn: (r) => r._field == {})",
        string_literal(&count)
    ));
    stages.push(format!(
        "group(columns: [{}, {}])",
        string_literal(tags::SKILL),
        string_literal(tags::SKILL_ID)
    ));
    stages.push("sum()".into());
    stages.push("yield(name: \"skills\")".into());
    pipeline(&stages)
}

/// The newest point of every series in `range`: its `_time` and its tags (see
/// [`crate::identity::NameIndex`]). A bare `last()` straight after `range` and
/// `filter`, which InfluxDB 2.x runs in storage (`PushDownBareAggregateRule`).
pub fn names(range: Range, bucket: &str, measurement: &str) -> String {
    let (_, count) = fields();
    let mut stages = source(bucket, range, measurement);
    stages.push(format!(
        "filter(fn: (r) => r._field == {})",
        string_literal(&count)
    ));
    stages.push("last()".into());
    stages.push("yield(name: \"names\")".into());
    pipeline(&stages)
}

/// The newest point of every series of the live queue state in `range`, one row
/// per series with the contract's fields as columns (see [`crate::live`]). The
/// bare `last()` straight after `range` and `filter` runs in storage
/// (`PushDownBareAggregateRule`) and keeps one row per series and field; `pivot`
/// joins a series' fields by time, so a field its newest point lacks lands on an
/// older row, which the answer leaves out as the other backends do.
pub fn latest(queues: &[String], range: Range, bucket: &str, measurement: &str) -> String {
    let mut stages = source(bucket, range, measurement);
    let wanted: Vec<String> = crate::live::fields()
        .map(|f| format!("r._field == {}", string_literal(f)))
        .collect();
    stages.push(format!("filter(fn: (r) => {})", wanted.join(" or ")));
    stages.extend(crate::live::conditions(queues).iter().map(filter_any));
    stages.push("last()".into());
    stages.push(
        "pivot(rowKey: [\"_time\"], columnKey: [\"_field\"], valueColumn: \"_value\")".into(),
    );
    stages.push("yield(name: \"queues\")".into());
    pipeline(&stages)
}

/// `first\n  |> second\n  |> ...\n`
fn pipeline(stages: &[String]) -> String {
    let mut script = stages.join("\n  |> ");
    script.push('\n');
    script
}

fn source(bucket: &str, range: Range, measurement: &str) -> Vec<String> {
    vec![
        format!("from(bucket: {})", string_literal(bucket)),
        format!(
            "range(start: {}, stop: {})",
            rfc3339(range.start_ns),
            rfc3339(range.end_ns)
        ),
        format!(
            "filter(fn: (r) => r._measurement == {})",
            string_literal(measurement)
        ),
    ]
}

/// `filter(fn: (r) => r["a"] == "x" or r["b"] == "y")`.
fn filter_any(any: &AnyOf) -> String {
    let alternatives: Vec<String> = any
        .iter()
        .map(|(tag, value)| format!("r[{}] == {}", string_literal(tag), string_literal(value)))
        .collect();
    format!("filter(fn: (r) => {})", alternatives.join(" or "))
}

/// Reads the rows of an annotated CSV answer.
pub fn decode(body: &str) -> Result<Vec<Row>, CsvError> {
    crate::csv::parse(body)?.into_iter().map(to_row).collect()
}

fn to_row(csv: CsvRow) -> Result<Row, CsvError> {
    let (sum_ms, count) = fields();
    let time_ns = match csv.get("_time").filter(|t| !t.is_empty()) {
        Some(text) => Some(parse_time(text)?),
        None => None,
    };
    // The tags of the windowed answers and of the live state alike.
    let tags = GROUP_TAGS
        .iter()
        .chain(&crate::live::GROUP_TAGS)
        .filter_map(|tag| {
            let value = csv.get(*tag).filter(|v| !v.is_empty())?;
            Some((tag.to_string(), value.clone()))
        })
        .collect();
    let mut values = BTreeMap::new();
    let kpi_fields = crate::kpi::all_fields();
    let live_fields: Vec<&str> = crate::live::fields().collect();
    let names = [sum_ms.as_str(), count.as_str(), "_value"]
        .into_iter()
        .chain(kpi_fields.iter().map(String::as_str))
        .chain(live_fields.iter().copied());
    for name in names {
        if values.contains_key(name) {
            continue;
        }
        if let Some(text) = csv.get(name).filter(|v| !v.is_empty()) {
            let number = text.parse::<f64>().map_err(|_| {
                CsvError::Malformed(format!("column {name} holds {text:?}, not a number"))
            })?;
            values.insert(name.to_string(), number);
        }
    }
    Ok(Row {
        time_ns,
        tags,
        values,
    })
}

fn parse_time(text: &str) -> Result<i64, CsvError> {
    let ts: Timestamp = text
        .parse()
        .map_err(|_| CsvError::Malformed(format!("_time holds {text:?}, not an RFC 3339 time")))?;
    i64::try_from(ts.as_nanosecond())
        .map_err(|_| CsvError::Malformed(format!("_time {text:?} is out of range")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::Filters;

    #[test]
    fn string_literals_escape_what_flux_unescapes() {
        assert_eq!(string_literal(r#"a"b\c${x}"#), r#""a\"b\\c\x24{x}""#);
        assert_eq!(string_literal("Süß\n\t"), r#""Süß\n\t""#);
    }

    /// InfluxDB 2.x pushes a window aggregate down to storage only when it follows
    /// `range` and `filter` directly (`PushDownWindowAggregateRule`); see `aht`.
    #[test]
    fn the_window_sums_come_straight_after_range_and_filters() {
        let req = AhtRequest {
            range: Range {
                start_ns: 0,
                end_ns: 86_400_000_000_000,
            },
            interval_s: 3600,
            filters: Filters {
                skills: vec!["a".into()],
                queue: Some("q".into()),
                media_type: Some("voice".into()),
            },
        };
        let conditions = crate::identity::conditions(&req.filters, &Default::default());
        let script = aht(&req, &conditions, "b", "m");
        let stages: Vec<&str> = script
            .trim_end()
            .split("\n  |> ")
            .map(|stage| &stage[..stage.find('(').unwrap()])
            .collect();
        assert_eq!(
            stages,
            [
                "from",
                "range",
                "filter",
                "filter",
                "filter",
                "filter",
                "filter",
                "aggregateWindow",
                "group",
                "aggregateWindow",
                "pivot",
                "yield"
            ]
        );
        let windows: Vec<&str> = script
            .lines()
            .filter(|l| l.contains("aggregateWindow"))
            .collect();
        assert_eq!(windows[0], windows[1], "both sums over the same windows");
        assert!(windows[0].contains("every: 3600s") && windows[0].contains("timeSrc: \"_start\""));
    }

    #[test]
    fn rows_take_time_tags_and_sums() {
        let body = "#datatype,string,long,dateTime:RFC3339,string,long,long\r\n\
,result,table,_time,skill,handle_count,handle_sum_ms\r\n\
,aht,0,2026-03-10T01:00:00.5Z,a,3,901500\r\n\r\n";
        let rows = decode(body).unwrap();
        assert_eq!(rows[0].time_ns, Some(1_773_104_400_500_000_000));
        assert_eq!(rows[0].tags["skill"], "a");
        assert_eq!(rows[0].values["handle_sum_ms"], 901_500.0);
        let bad = body.replace(",3,", ",three,");
        assert!(matches!(decode(&bad), Err(CsvError::Malformed(_))));
    }
}
