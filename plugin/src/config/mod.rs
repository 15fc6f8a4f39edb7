//! Configuration: the TOML file as documented serde structs ([`FileConfig`] and one
//! struct per section), and its one validation step into [`Settings`], whose parts
//! go each to the code that uses it, before any network call.
//!
//! - `file`: the sections as written, values read into their types (durations,
//!   [`Source`], [`Signal`], dimensions, metrics);
//! - `env`: `${VAR}` expansion; `duration`: humantime and ISO-8601 durations;
//!   `region`: the 18 Genesys regions; `vocabulary`: Genesys metric and dimension names;
//! - `settings`: validation into [`Genesys`], [`Collect`] (with [`Details`]),
//!   [`Backfill`] and [`ExecdConfig`]; `limits`: undocumented Genesys limits, warned about.

mod duration;
mod env;
mod file;
pub mod limits;
pub mod region;
mod settings;
mod vocabulary;

use std::path::{Path, PathBuf};

pub use duration::to_iso;
pub use file::{CollectConfig, ExecdConfig, FileConfig, GenesysConfig, Signal, Source};
pub use settings::{Backfill, Collect, Details, Genesys, Settings};

/// The documented sample configuration (`genesys-aht --sample-config`).
pub const SAMPLE: &str = include_str!("sample.toml");

/// A configuration mistake: every variant names the key and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is malformed, or a key is unknown or holds a value of the wrong shape.
    #[error("config file {path}: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The line, the key and what was expected (never the line itself).
        message: String,
    },
    /// A value is wrong.
    #[error("{key}: expected {expected}")]
    Invalid {
        /// The key, e.g. `collect.granularity`.
        key: String,
        /// What was expected.
        expected: String,
    },
    /// A `${VAR}` reference to an unset variable.
    #[error(
        "{key}: environment variable {variable} is not set (use ${{{variable}:-default}} for a default)"
    )]
    UnsetVariable {
        /// The key.
        key: String,
        /// The variable.
        variable: String,
    },
}

impl ConfigError {
    pub(crate) fn invalid(key: &str, expected: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: key.to_owned(),
            expected: expected.into(),
        }
    }
}

impl FileConfig {
    /// Parses TOML text; `path` only names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
        // The parser's own rendering quotes the offending line, which may hold a
        // secret: report the line number, the key and the message only.
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text.get(..span.start).unwrap_or(text).matches('\n').count() + 1);
            let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
            let key = key_of(&e).map(|k| format!("{k}: ")).unwrap_or_default();
            ConfigError::Toml {
                path: path.to_owned(),
                message: format!("{at}{key}{}", without_values(e.message().trim())),
            }
        })
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<FileConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        FileConfig::parse(&text, path)
    }
}

/// The dotted key a TOML error is about (`collect.granularity`). The parser keeps it
/// and shows it (`in `key``) only in the rendering without the document.
fn key_of(error: &toml::de::Error) -> Option<String> {
    let mut bare = error.clone();
    bare.set_input(None);
    let text = bare.to_string();
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("in `")?.strip_suffix('`'))?;
    Some(key.to_owned())
}

/// Drops the offending value from serde's "invalid type: string `...`, expected ..."
/// messages: a value in the wrong place may be a secret.
fn without_values(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(start) = message.find(prefix)
            && let Some(end) = message[start..].find(", expected")
        {
            let detail = &message[start + prefix.len()..start + end];
            let kind = detail.split(' ').next().unwrap_or_default();
            return format!(
                "{}{prefix}{kind}{}",
                &message[..start],
                &message[start + end..]
            );
        }
    }
    message.to_owned()
}

/// Loads, expands and validates a configuration file with the process environment.
pub fn load_settings(path: &Path) -> Result<Settings, ConfigError> {
    Settings::from_file(FileConfig::load(path)?, &|name| std::env::var(name).ok())
}
