//! Log lines on stderr in the form Telegraf's execd input understands: one line each,
//! prefixed `E! `, `W! `, `I! ` or `D! ` (Telegraf maps them to its own levels).

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

/// Formats one log line: the prefix, then the message with line breaks turned into
/// spaces so that a multi-line error still reaches Telegraf as one line.
pub fn format_line(level: Level, message: fmt::Arguments<'_>) -> String {
    let text = message.to_string().replace(['\n', '\r'], " ");
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
}
