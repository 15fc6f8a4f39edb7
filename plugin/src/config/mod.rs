//! Configuration: the TOML file as documented serde structs ([`FileConfig`]), and its
//! one validation step into [`Settings`] before any network call.
//!
//! - `env`: `${VAR}` expansion; `duration`: humantime and ISO-8601 durations;
//!   `region`: the 18 Genesys regions; `vocabulary`: Genesys metric and dimension names;
//!   `settings`: validation.

mod duration;
mod env;
pub mod region;
mod settings;
mod vocabulary;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use duration::to_iso;
pub use settings::{Settings, Signal, Source};

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
    /// The TOML is malformed or has an unknown or mistyped key.
    #[error("config file {path}: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (names the key and the line).
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

/// The configuration file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// How to reach and log in to Genesys Cloud.
    pub genesys: GenesysConfig,
    /// What to collect.
    #[serde(default)]
    pub collect: CollectConfig,
    /// How Telegraf triggers collections.
    #[serde(default)]
    pub execd: ExecdConfig,
}

/// `[genesys]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesysConfig {
    /// Region name (table in [`region::REGIONS`]); or `api_url`.
    pub region: Option<String>,
    /// API base URL instead of a region.
    pub api_url: Option<String>,
    /// Login base URL; derived from the API URL when unset.
    pub login_url: Option<String>,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret (or `client_secret_file`).
    pub client_secret: Option<String>,
    /// File holding the client secret.
    pub client_secret_file: Option<String>,
    /// Request budget per minute (default 200).
    #[serde(default = "default_requests_per_minute")]
    pub requests_per_minute: u32,
    /// Timeout of each HTTP request (default `"30s"`).
    #[serde(default = "default_request_timeout")]
    pub request_timeout: String,
    /// Retries of a failed request (429, 5xx, timeout, reset) before it fails (default 8).
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// First wait before a retry after a 5xx or a timeout; doubled each time, with
    /// jitter (default `"1s"`). A 429 waits exactly its `Retry-After`.
    #[serde(default = "default_backoff_initial")]
    pub backoff_initial: String,
    /// Longest wait before a retry (default `"30s"`).
    #[serde(default = "default_backoff_max")]
    pub backoff_max: String,
}

/// `[collect]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CollectConfig {
    /// `"aggregates"` (default) or `"details"`.
    pub source: String,
    /// Bucket length, humantime or ISO-8601 (default `"15m"`).
    pub granularity: String,
    /// Genesys dimensions to group by.
    pub group_by: Vec<String>,
    /// Genesys metrics.
    pub metrics: Vec<String>,
    /// Closed buckets re-read on each poll (default `"1h"`).
    pub lookback: String,
    /// Also emit the bucket in progress (default false).
    pub include_open_bucket: bool,
    /// Genesys `flattenMultivaluedDimensions` (default false).
    pub flatten_multivalued_dimensions: bool,
    /// Media type filter; empty: all.
    pub media_types: Vec<String>,
    /// Queue ID filter; empty: all.
    pub queue_ids: Vec<String>,
    /// How far back a restart catches up from the state file's watermark (default `"7d"`).
    pub max_backfill: String,
    /// Length of one backfill request (default `"6h"`, whole buckets).
    pub backfill_chunk: String,
    /// Where the watermark is kept; unset: no backfill after downtime.
    pub state_file: Option<String>,
    /// Details mode: the longest conversation to expect (default `"2h"`).
    pub details_lookbehind: String,
    /// Details mode: windows at least this long use async jobs (default `"1d"`).
    pub details_jobs_min_window: String,
}

impl Default for CollectConfig {
    fn default() -> Self {
        CollectConfig {
            source: "aggregates".into(),
            granularity: "15m".into(),
            group_by: ["requestedRoutingSkillId", "mediaType"]
                .map(String::from)
                .into(),
            metrics: [
                "tHandle",
                "tTalk",
                "tHeld",
                "tAcw",
                "tAnswered",
                "tAbandon",
                "nOffered",
                // The KPIs beside AHT (service level, abandonment, transfer rate).
                "nOverSla",
                "tShortAbandon",
                "tFlowOut",
                "nTransferred",
            ]
            .map(String::from)
            .into(),
            lookback: "1h".into(),
            include_open_bucket: false,
            flatten_multivalued_dimensions: false,
            media_types: Vec::new(),
            queue_ids: Vec::new(),
            max_backfill: "7d".into(),
            backfill_chunk: "6h".into(),
            state_file: None,
            details_lookbehind: "2h".into(),
            details_jobs_min_window: "1d".into(),
        }
    }
}

/// `[execd]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecdConfig {
    /// `"STDIN"` (default), `"none"`, `"SIGHUP"`, `"SIGUSR1"` or `"SIGUSR2"`.
    pub signal: String,
    /// Poll interval when `signal = "none"`, else the expected pace of triggers
    /// (default `"60s"`).
    pub interval: String,
    /// A poll still running after this is abandoned (default `"2m"`).
    pub poll_timeout: String,
    /// Also write the plugin's own metrics after each poll (default true).
    pub self_metrics: bool,
}

impl Default for ExecdConfig {
    fn default() -> Self {
        ExecdConfig {
            signal: "STDIN".into(),
            interval: "60s".into(),
            poll_timeout: "2m".into(),
            self_metrics: true,
        }
    }
}

fn default_requests_per_minute() -> u32 {
    200
}

fn default_request_timeout() -> String {
    "30s".into()
}

fn default_max_retries() -> u32 {
    8
}

fn default_backoff_initial() -> String {
    "1s".into()
}

fn default_backoff_max() -> String {
    "30s".into()
}

impl FileConfig {
    /// Parses TOML text; `path` only names the source in errors.
    pub fn parse(text: &str, path: &Path) -> Result<FileConfig, ConfigError> {
        // The parser's own rendering quotes the offending line, which may hold a
        // secret: report its message and the line number only.
        toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text.get(..span.start).unwrap_or(text).matches('\n').count() + 1);
            let at = line.map(|l| format!("line {l}: ")).unwrap_or_default();
            ConfigError::Toml {
                path: path.to_owned(),
                message: format!("{at}{}", without_values(e.message().trim())),
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
