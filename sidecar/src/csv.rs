//! InfluxDB 2.x annotated CSV (`/api/v2/query` with `dialect.annotations`).
//!
//! What the encoder writes: CRLF line ends; every row starts with an empty
//! annotation column; `#group`/`#datatype`/`#default` rows, then a header row,
//! then data rows; a new annotation and header block, after one empty line,
//! whenever the schema changes; an empty line after each result; an empty table
//! as annotations and header only. An error after streaming began keeps HTTP 200
//! and appends a block whose header is `,error,reference`.

use std::collections::BTreeMap;

/// Why an annotated CSV answer yields no rows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsvError {
    /// The `error,reference` table InfluxDB appends when a query fails mid-stream.
    #[error("{0}")]
    QueryFailed(String),
    /// Not annotated CSV as InfluxDB writes it.
    #[error("malformed annotated CSV: {0}")]
    Malformed(String),
}

/// One data row: column name → cell text, `#default` applied to empty cells.
pub type CsvRow = BTreeMap<String, String>;

/// Parses every data row of every table of every result.
pub fn parse(text: &str) -> Result<Vec<CsvRow>, CsvError> {
    let mut rows = Vec::new();
    let mut defaults: Vec<String> = Vec::new();
    let mut header: Option<Vec<String>> = None;
    for record in records(text)? {
        let first = record.first().map_or("", String::as_str);
        if record.len() == 1 && first.is_empty() {
            // An empty line ends a block: what follows brings its own annotations.
            header = None;
            defaults.clear();
            continue;
        }
        if first.starts_with('#') {
            if first == "#default" {
                defaults = record;
            }
            header = None;
            continue;
        }
        let Some(columns) = &header else {
            header = Some(record);
            continue;
        };
        if columns.len() != record.len() {
            return Err(CsvError::Malformed(format!(
                "a row has {} cells under a header of {}",
                record.len(),
                columns.len()
            )));
        }
        let row = to_row(columns, &defaults, record);
        if columns
            .iter()
            .skip(1)
            .map(String::as_str)
            .eq(["error", "reference"])
        {
            let message = row.get("error").cloned().unwrap_or_default();
            return Err(CsvError::QueryFailed(message));
        }
        rows.push(row);
    }
    Ok(rows)
}

fn to_row(columns: &[String], defaults: &[String], record: Vec<String>) -> CsvRow {
    columns
        .iter()
        .zip(record)
        .enumerate()
        .skip(1)
        .map(|(i, (name, cell))| {
            let value = match (cell.is_empty(), defaults.get(i)) {
                (true, Some(default)) => default.clone(),
                _ => cell,
            };
            (name.clone(), value)
        })
        .collect()
}

/// Splits CSV text into records (RFC 4180 quoting; CRLF or LF line ends).
fn records(text: &str) -> Result<Vec<Vec<String>>, CsvError> {
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut cell = String::new();
    let mut chars = text.chars().peekable();
    let mut in_quotes = false;
    while let Some(c) = chars.next() {
        match (in_quotes, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => in_quotes = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => in_quotes = true,
            (false, ',') => record.push(std::mem::take(&mut cell)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut cell));
                out.push(std::mem::take(&mut record));
            }
            (false, c) => cell.push(c),
        }
    }
    if in_quotes {
        return Err(CsvError::Malformed("a quoted cell never ends".into()));
    }
    if !cell.is_empty() || !record.is_empty() {
        record.push(cell);
        out.push(record);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two tables sharing a header block, then a schema change, as the encoder writes them.
    const TWO_BLOCKS: &str = "#group,false,false,true,false,false\r\n\
#datatype,string,long,string,dateTime:RFC3339,long\r\n\
#default,aht,,,,\r\n\
,result,table,skill,_time,handle_count\r\n\
,,0,\"a,b\",2026-03-10T00:00:00Z,3\r\n\
,,1,\"say \"\"hi\"\"\",2026-03-10T00:00:00Z,4\r\n\
\r\n\
#group,false,false,true,false,false\r\n\
#datatype,string,long,string,dateTime:RFC3339,double\r\n\
#default,aht,,,,\r\n\
,result,table,queue,_time,_value\r\n\
,,2,Q1,2026-03-10T01:00:00Z,2.5\r\n\
\r\n";

    #[test]
    fn tables_blocks_quotes_and_defaults() {
        let rows = parse(TWO_BLOCKS).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0]["skill"], "a,b");
        assert_eq!(rows[0]["result"], "aht");
        assert_eq!(rows[1]["skill"], "say \"hi\"");
        assert_eq!(rows[1]["handle_count"], "4");
        assert_eq!(rows[2]["queue"], "Q1");
        assert_eq!(rows[2]["_value"], "2.5");
        assert!(!rows[2].contains_key("skill"));
    }

    #[test]
    fn empty_results_and_empty_tables_have_no_rows() {
        assert_eq!(parse("\r\n").unwrap(), Vec::<CsvRow>::new());
        assert_eq!(parse("").unwrap(), Vec::<CsvRow>::new());
        let empty_table = "#group,false,false,true\r\n#datatype,string,long,string\r\n\
#default,_result,0,x\r\n,result,table,skill\r\n\r\n";
        assert!(parse(empty_table).unwrap().is_empty());
    }

    #[test]
    fn a_mid_stream_error_is_an_error() {
        let text = format!(
            "{TWO_BLOCKS}#datatype,string,string\r\n#group,true,true\r\n#default,,\r\n\
,error,reference\r\n,\"panic: boom, really\",\r\n\r\n"
        );
        assert_eq!(
            parse(&text),
            Err(CsvError::QueryFailed("panic: boom, really".into()))
        );
    }

    #[test]
    fn every_truncation_of_an_answer_parses_or_errs_without_panicking() {
        let text = format!("{TWO_BLOCKS},error,reference\r\n,\"x\",\r\n");
        for (cut, _) in text.char_indices() {
            let _ = parse(&text[..cut]);
        }
        assert_eq!(parse(&TWO_BLOCKS[..TWO_BLOCKS.len() - 2]).unwrap().len(), 3);
    }

    #[test]
    fn ragged_rows_and_open_quotes_are_malformed() {
        assert!(matches!(
            parse(",a,b\r\n,1\r\n"),
            Err(CsvError::Malformed(_))
        ));
        assert!(matches!(
            parse(",a\r\n,\"open\r\n"),
            Err(CsvError::Malformed(_))
        ));
    }
}
