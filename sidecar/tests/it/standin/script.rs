//! The stages of a script as the sidecar writes them: `name(arguments)` joined by
//! `\n  |> `, string literals unescaped by Flux's rules (any other escape, and an
//! unescaped `${`, is an error as in Flux's parser).
//!
//! Only the stages and argument shapes the sidecar uses are read; anything else is
//! refused with a message, so a change in the sidecar's scripts shows up here
//! instead of being answered as if it were understood.

/// One stage of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Stage {
    /// `from(bucket: "...")`.
    From(String),
    /// `range(start: <RFC 3339>, stop: <RFC 3339>)`.
    Range { start_ns: i64, stop_ns: i64 },
    /// `filter(fn: (r) => r.a == "x" or r["b"] == "y" ...)`: any of these equalities.
    Filter(Vec<(String, String)>),
    /// `aggregateWindow(every: <n>s, fn: sum, createEmpty: false, timeSrc: "_start")`.
    WindowSum { every_ns: i64 },
    /// `group(columns: ["a", "b"])`.
    Group(Vec<String>),
    /// `pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`.
    PivotFields,
    /// `sum()`.
    Sum,
    /// `last()`.
    Last,
    /// `yield(name: "...")`.
    Yield(String),
}

/// Reads every stage of `script`.
pub(crate) fn stages(script: &str) -> Result<Vec<Stage>, String> {
    let body = script
        .strip_suffix('\n')
        .ok_or("the script does not end with a line break")?;
    body.split("\n  |> ").map(stage).collect()
}

fn stage(text: &str) -> Result<Stage, String> {
    let open = text
        .find('(')
        .ok_or_else(|| format!("not a call: {text}"))?;
    let args = text[open + 1..]
        .strip_suffix(')')
        .ok_or_else(|| format!("not a call: {text}"))?;
    let mut c = Cursor(args);
    let stage = match &text[..open] {
        "from" => {
            c.expect("bucket: ")?;
            Stage::From(c.literal()?)
        }
        "range" => {
            c.expect("start: ")?;
            let start_ns = c.time(',')?;
            c.expect(", stop: ")?;
            let stop_ns = c.time(')')?;
            Stage::Range { start_ns, stop_ns }
        }
        "filter" => {
            c.expect("fn: (r) => ")?;
            Stage::Filter(c.any_equal()?)
        }
        "aggregateWindow" => {
            c.expect("every: ")?;
            let seconds = c.number()?;
            c.expect("s, fn: sum, createEmpty: false, timeSrc: \"_start\"")?;
            Stage::WindowSum {
                every_ns: seconds * 1_000_000_000,
            }
        }
        "group" => {
            c.expect("columns: [")?;
            let mut columns = vec![c.literal()?];
            while c.eat(", ") {
                columns.push(c.literal()?);
            }
            c.expect("]")?;
            Stage::Group(columns)
        }
        "pivot" => {
            c.expect(r#"rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value""#)?;
            Stage::PivotFields
        }
        "sum" => Stage::Sum,
        "last" => Stage::Last,
        "yield" => {
            c.expect("name: ")?;
            Stage::Yield(c.literal()?)
        }
        other => return Err(format!("the stand-in does not run {other}()")),
    };
    if !c.0.is_empty() {
        return Err(format!("unexpected arguments {:?} in {text}", c.0));
    }
    Ok(stage)
}

/// What is left of the text being read.
struct Cursor<'a>(&'a str);

impl Cursor<'_> {
    fn eat(&mut self, prefix: &str) -> bool {
        match self.0.strip_prefix(prefix) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, prefix: &str) -> Result<(), String> {
        if self.eat(prefix) {
            Ok(())
        } else {
            Err(format!("expected {prefix:?} at {:?}", self.0))
        }
    }

    fn number(&mut self) -> Result<i64, String> {
        let digits = self.0.bytes().take_while(u8::is_ascii_digit).count();
        let number = self.0[..digits]
            .parse()
            .map_err(|_| format!("expected a number at {:?}", self.0))?;
        self.0 = &self.0[digits..];
        Ok(number)
    }

    /// An RFC 3339 time ending before `end`.
    fn time(&mut self, end: char) -> Result<i64, String> {
        let len = self.0.find(end).unwrap_or(self.0.len());
        let ts: jiff::Timestamp = self.0[..len]
            .parse()
            .map_err(|e| format!("{:?} is not a time: {e}", &self.0[..len]))?;
        self.0 = &self.0[len..];
        Ok(ts.as_nanosecond() as i64)
    }

    /// `r.column == "value"` or `r["column"] == "value"`, joined by ` or `.
    fn any_equal(&mut self) -> Result<Vec<(String, String)>, String> {
        let mut terms = Vec::new();
        loop {
            let column = if self.eat("r[") {
                let column = self.literal()?;
                self.expect("]")?;
                column
            } else {
                self.expect("r.")?;
                let len = self
                    .0
                    .bytes()
                    .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                    .count();
                let column = self.0[..len].to_string();
                self.0 = &self.0[len..];
                column
            };
            self.expect(" == ")?;
            terms.push((column, self.literal()?));
            if !self.eat(" or ") {
                return Ok(terms);
            }
        }
    }

    /// A string literal, unescaped.
    fn literal(&mut self) -> Result<String, String> {
        self.expect("\"")?;
        // Bytes, because `\xHH` escapes are bytes of UTF-8.
        let mut out: Vec<u8> = Vec::new();
        let mut chars = self.0.char_indices();
        let push = |out: &mut Vec<u8>, c: char| {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        };
        loop {
            let (at, c) = chars.next().ok_or("unterminated string literal")?;
            match c {
                '"' => {
                    self.0 = &self.0[at + 1..];
                    break;
                }
                '\\' => match chars.next().ok_or("dangling escape")?.1 {
                    'n' => push(&mut out, '\n'),
                    'r' => push(&mut out, '\r'),
                    't' => push(&mut out, '\t'),
                    'x' => {
                        let hex: String = chars.by_ref().take(2).map(|(_, c)| c).collect();
                        let byte = u8::from_str_radix(&hex, 16)
                            .map_err(|_| format!("bad \\x escape {hex:?}"))?;
                        out.push(byte);
                    }
                    '$' if chars.clone().next().map(|(_, c)| c) == Some('{') => push(&mut out, '$'),
                    c @ ('\\' | '"') => push(&mut out, c),
                    other => return Err(format!("invalid escape \\{other}")),
                },
                '$' if chars.clone().next().map(|(_, c)| c) == Some('{') => {
                    return Err("an unescaped ${ interpolation".into());
                }
                c => push(&mut out, c),
            }
        }
        String::from_utf8(out).map_err(|_| "\\x escapes that do not form UTF-8".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_unescape_as_flux_does_and_refuse_what_flux_refuses() {
        let read = |text: &str| Cursor(text).literal();
        assert_eq!(read(r#""a\"b\\c\x24{x}\n""#).unwrap(), "a\"b\\c${x}\n");
        assert_eq!(read(r#""\xc3\xbc""#).unwrap(), "ü");
        assert_eq!(read(r#""\${x}""#).unwrap(), "${x}");
        for bad in [r#""\$x""#, r#""${x}""#, r#""\q""#, r#""open"#, r#""\xc3""#] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn unknown_stages_and_arguments_are_refused() {
        assert!(stages("from(bucket: \"b\")\n  |> map(fn: (r) => r)\n").is_err());
        assert!(stages("from(bucket: \"b\")\n  |> aggregateWindow(every: 60s, fn: mean, createEmpty: false, timeSrc: \"_start\")\n").is_err());
        assert_eq!(
            stages("from(bucket: \"b\")\n  |> sum()\n").unwrap(),
            [Stage::From("b".into()), Stage::Sum]
        );
    }
}
