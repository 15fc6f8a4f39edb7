//! Whitespace as Telegraf's line-protocol grammar has it, before the crate's parser.
//!
//! Telegraf's `machine.go.rl` defines `ws = [\t\v\f ]`: a tab, vertical tab or form
//! feed outside a quoted string separates the sections of a line exactly as a space
//! does, runs of them are one separator, and leading and trailing ones are ignored.
//! A carriage return is only accepted as part of `\r\n`. The `influxdb-line-protocol`
//! crate knows only single spaces, so a line is rewritten here to what Telegraf
//! would have seen; a tag value holding `\t`, `\v` or `\f` then splits the line, and
//! the line is rejected.
//!
//! For `\t` and `\f` that is certain: the grammar's tag, field-key and measurement
//! characters exclude them. `\v` is excluded from none of those classes while being
//! whitespace, an ambiguity of the grammar this stand-in resolves as whitespace, the
//! stricter reading (Telegraf's generated parser was not run here). The contract
//! writes neither.

use std::borrow::Cow;

/// Telegraf's separators.
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{0b}' | '\u{0c}')
}

/// Why a line is rejected before parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhitespaceError {
    /// A `\r` that is not the end of the line.
    #[error("parse error: carriage return inside the line")]
    CarriageReturn,
}

/// The line with each run of Telegraf whitespace outside strings turned into one
/// space, and none at the start or end.
pub fn normalise(line: &str) -> Result<Cow<'_, str>, WhitespaceError> {
    let plain = line
        .bytes()
        .all(|b| b != b'\r' && b != b'\t' && b != 0x0b && b != 0x0c)
        && !line.starts_with(' ')
        && !line.ends_with(' ')
        && !line.contains("  ");
    if plain {
        return Ok(Cow::Borrowed(line));
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    // The field set is the second section; a `"` right after `=` there opens a string.
    let mut section = 0;
    let mut separator_pending = false;
    while let Some(c) = chars.next() {
        if is_ws(c) {
            separator_pending = !out.is_empty();
            continue;
        }
        if c == '\r' {
            return Err(WhitespaceError::CarriageReturn);
        }
        if separator_pending {
            out.push(' ');
            section += 1;
            separator_pending = false;
        }
        out.push(c);
        if c == '\\' {
            // An escape pair is never a separator (`\ ` is an escaped space).
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else if c == '"' && section == 1 && out.ends_with("=\"") {
            copy_string(&mut chars, &mut out);
        }
    }
    Ok(Cow::Owned(out))
}

/// Copies a string field's body and its closing quote; inside it, whitespace and
/// `\r` are data.
fn copy_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, out: &mut String) {
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '\\' => {
                if let Some(next) = chars.next() {
                    out.push(next);
                }
            }
            '"' => return,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegraf_whitespace_separates_sections() {
        for (line, want) in [
            ("m v=1i 5", "m v=1i 5"),
            ("\tm\x0b v=1i\x0c5 ", "m v=1i 5"),
            ("m,t=a\x0bb v=1i", "m,t=a b v=1i"),
            ("m,t=a\\ b v=1i", "m,t=a\\ b v=1i"),
            ("m  s=\"a\tb  c\"  1", "m s=\"a\tb  c\" 1"),
        ] {
            assert_eq!(normalise(line).expect("normalised"), want, "{line:?}");
        }
        assert!(normalise("m,t=a\rb v=1i").is_err());
    }
}
