//! Log lines on stderr in the form Telegraf's execd input understands: one line each,
//! prefixed `E! `, `W! `, `I! ` or `D! ` (Telegraf maps them to its own levels), and
//! at most [`MAX_LINE`] bytes long: Telegraf reads stderr with a 64 KiB line limit,
//! and one longer line ends its stderr reader for good, after which the plugin's
//! next 64 KiB of logs would block it.

use std::fmt;
use std::io::Write;

/// A Telegraf log level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `E! `
    Error,
    /// `W! `
    Warn,
    /// `I! `
    Info,
    /// `D! `
    Debug,
}

impl Level {
    /// The prefix Telegraf recognises.
    pub fn prefix(self) -> &'static str {
        match self {
            Level::Error => "E! ",
            Level::Warn => "W! ",
            Level::Info => "I! ",
            Level::Debug => "D! ",
        }
    }
}

/// The longest log line written, prefix and newline included: far below Telegraf's
/// 64 KiB, long enough for any message of the plugin and the start of an error body.
pub const MAX_LINE: usize = 8 * 1024;

/// Formats one log line: the prefix, then the message with line breaks turned into
/// spaces so that a multi-line error still reaches Telegraf as one line, cut to
/// [`MAX_LINE`] bytes with a marker saying how much was left out.
pub fn format_line(level: Level, message: fmt::Arguments<'_>) -> String {
    let mut text = message.to_string().replace(['\n', '\r'], " ");
    let room = MAX_LINE - level.prefix().len() - 1;
    if text.len() > room {
        // Room for the marker, whose number has at most 20 digits.
        let mut cut = room - " [... 00000000000000000000 bytes cut]".len();
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        let left_out = text.len() - cut;
        text.truncate(cut);
        text.push_str(&format!(" [... {left_out} bytes cut]"));
    }
    format!("{}{text}\n", level.prefix())
}

/// Writes one log line to stderr. A failing stderr is ignored: there is nowhere left to report it.
pub fn write(level: Level, message: fmt::Arguments<'_>) {
    let line = format_line(level, message);
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `error!("...")`: an `E! ` line on stderr.
#[macro_export]
macro_rules! error {
    ($($arg:tt)*) => { $crate::log::write($crate::log::Level::Error, format_args!($($arg)*)) };
}

/// `warn!("...")`: a `W! ` line on stderr.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::write($crate::log::Level::Warn, format_args!($($arg)*)) };
}

/// `info!("...")`: an `I! ` line on stderr.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::write($crate::log::Level::Info, format_args!($($arg)*)) };
}

/// `debug!("...")`: a `D! ` line on stderr.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::write($crate::log::Level::Debug, format_args!($($arg)*)) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_prefixed_and_single() {
        let line = format_line(Level::Warn, format_args!("a\nb\r\nc"));
        assert_eq!(line, "W! a b  c\n");
        assert!(format_line(Level::Error, format_args!("x")).starts_with("E! "));
    }

    #[test]
    fn long_lines_are_cut_with_a_marker() {
        let body = "é".repeat(50_000);
        let line = format_line(Level::Error, format_args!("HTTP 500: {body}"));
        assert!(line.len() <= MAX_LINE, "{}", line.len());
        assert!(line.starts_with("E! HTTP 500: é"));
        assert_eq!(line.matches('\n').count(), 1);
        let marker = line.rsplit(" [... ").next().unwrap();
        let left_out: usize = marker.split(' ').next().unwrap().parse().unwrap();
        let kept = line.len() - "E! ".len() - " [... ".len() - marker.len();
        assert_eq!(kept + left_out, "HTTP 500: ".len() + body.len());
        let short = format_line(Level::Info, format_args!("{}", "x".repeat(MAX_LINE - 4)));
        assert_eq!(short.len(), MAX_LINE, "a line that fits is kept whole");
    }
}
