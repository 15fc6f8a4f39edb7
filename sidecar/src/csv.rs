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
///
/// The `csv` crate does the RFC 4180 part (quoting, doubled quotes, line breaks
/// inside cells, CRLF); this function adds what annotated CSV puts on top: blocks of
/// annotations, a header and rows, ended by an empty line.
pub fn parse(text: &str) -> Result<Vec<CsvRow>, CsvError> {
    // RFC 4180 quotes come in pairs (open and close, or doubled inside a quoted cell).
    // The crate is lenient and would read an unclosed quote to the end of the input
    // as one cell, so an odd count is caught here.
    if text.bytes().filter(|b| *b == b'"').count() % 2 == 1 {
        return Err(CsvError::Malformed("a quoted cell never ends".into()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        // Annotation, header and data rows of different blocks differ in width.
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut block = Block::default();
    let mut rows = Vec::new();
    while reader.read_record(&mut record).map_err(malformed)? {
        if follows_empty_line(text, &record) {
            // An empty line ends a block: what follows brings its own annotations.
            block = Block::default();
        }
        if let Some(row) = block.take(&record)? {
            rows.push(row);
        }
    }
    Ok(rows)
}

/// Whether empty lines came before this record. The crate skips them, and the
/// position it gives a record is where the skipped line ends began (for CRLF, the
/// `\n` of the previous record's end); the record itself never starts with one.
fn follows_empty_line(text: &str, record: &csv::StringRecord) -> bool {
    let Some(start) = record
        .position()
        .and_then(|p| usize::try_from(p.byte()).ok())
    else {
        return false;
    };
    let bytes = text.as_bytes();
    let ends_crlf = start > 0 && bytes.get(start - 1) == Some(&b'\r');
    let gap = bytes
        .get(start..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count();
    let rest_of_crlf = usize::from(ends_crlf && bytes.get(start) == Some(&b'\n'));
    gap > rest_of_crlf
}

fn malformed(error: csv::Error) -> CsvError {
    CsvError::Malformed(error.to_string())
}

/// What the rows of one block share: their `#default` annotation and their header.
#[derive(Debug, Default)]
struct Block {
    defaults: Vec<String>,
    header: Option<Vec<String>>,
}

impl Block {
    /// Takes in one record: an annotation or the header (no row), or a data row.
    fn take(&mut self, record: &csv::StringRecord) -> Result<Option<CsvRow>, CsvError> {
        let first = record.get(0).unwrap_or_default();
        if first.starts_with('#') {
            if first == "#default" {
                self.defaults = record.iter().map(str::to_owned).collect();
            }
            self.header = None;
            return Ok(None);
        }
        let Some(columns) = &self.header else {
            self.header = Some(record.iter().map(str::to_owned).collect());
            return Ok(None);
        };
        if columns.len() != record.len() {
            return Err(CsvError::Malformed(format!(
                "a row has {} cells under a header of {}",
                record.len(),
                columns.len()
            )));
        }
        let row = to_row(columns, &self.defaults, record);
        if columns
            .iter()
            .skip(1)
            .map(String::as_str)
            .eq(["error", "reference"])
        {
            let message = row.get("error").cloned().unwrap_or_default();
            return Err(CsvError::QueryFailed(message));
        }
        Ok(Some(row))
    }
}

fn to_row(columns: &[String], defaults: &[String], record: &csv::StringRecord) -> CsvRow {
    columns
        .iter()
        .zip(record)
        .enumerate()
        .skip(1)
        .map(|(i, (name, cell))| {
            let value = match (cell.is_empty(), defaults.get(i)) {
                (true, Some(default)) => default.as_str(),
                _ => cell,
            };
            (name.clone(), value.to_owned())
        })
        .collect()
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
    fn line_breaks_inside_a_quoted_cell_stay_in_the_cell() {
        let text = ",result,table,skill\r\n,,0,\"two\r\nlines\"\r\n,,0,\"lf\nonly\"\r\n\r\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["skill"], "two\r\nlines");
        assert_eq!(rows[1]["skill"], "lf\nonly");
    }

    #[test]
    fn an_empty_line_ends_a_block_even_without_annotations() {
        // LF line ends too: the second block's first line is its header, not a row
        // under the first block's header.
        let text = ",skill,n\n,a,1\n\n,queue\n,Q\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["skill"], "a");
        assert_eq!(rows[1]["queue"], "Q");
    }

    #[test]
    fn defaults_end_with_their_block() {
        let text = "#default,x,\r\n,result,n\r\n,,1\r\n\r\n,result,n\r\n,,2\r\n";
        let rows = parse(text).unwrap();
        assert_eq!(rows[0]["result"], "x");
        assert_eq!(rows[1]["result"], "");
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
