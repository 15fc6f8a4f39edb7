//! The configuration file as written: one serde struct per section, whose doc
//! comments are the user documentation of each key. Values with a shape of their own
//! (durations, the granularity, `source`, `signal`, dimensions, metrics) are read into
//! their types here, so a mistake names its key and line (see [`super::FileConfig`]).
//! Strings that may hold `${VAR}` (URLs, credentials, the state file) are expanded by
//! the validation step ([`super::settings`]).

use std::time::Duration;

use genesys_aht_contract::Dimension;
use genesys_aht_contract::names::AHT_METRICS;
use genesys_aht_contract::names::kpi_metrics::{FLOW_OUT, OVER_SLA, SHORT_ABANDON, TRANSFERRED};
use serde::Deserialize;

use super::duration::{granularity, nonzero_duration, plain_duration};
use super::vocabulary;

/// The configuration file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
    /// The live queue state.
    #[serde(default)]
    pub observations: crate::observations::ObservationsConfig,
}

/// `[genesys]`: where and who.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesysConfig {
    /// One of the 18 Genesys Cloud regions ([`super::region::REGIONS`]); or `api_url`.
    pub region: Option<String>,
    /// API base URL instead of a region (a proxy, a test server).
    pub api_url: Option<String>,
    /// Login base URL; derived from the API URL when unset (`//api.` becomes
    /// `//login.`, any other host serves the login itself).
    pub login_url: Option<String>,
    /// OAuth client id (client-credentials grant).
    pub client_id: String,
    /// OAuth client secret; or `client_secret_file`, exactly one of the two.
    pub client_secret: Option<String>,
    /// A file holding the client secret (trailing whitespace ignored).
    pub client_secret_file: Option<String>,
    /// The request budget per minute, logins included (default 200).
    #[serde(default = "default_requests_per_minute")]
    pub requests_per_minute: u32,
    /// Timeout of every HTTP request (default `"30s"`).
    #[serde(
        default = "default_request_timeout",
        deserialize_with = "nonzero_duration"
    )]
    pub request_timeout: Duration,
    /// Retries of a failed request (429, 408, 5xx, timeout, reset, damaged answer)
    /// before its error is final (default 8).
    #[serde(default = "default_max_retries")]
    pub max_retries: u32,
    /// First wait before a retry after a 5xx or a timeout; doubled each time, with
    /// jitter (default `"1s"`). A 429 waits exactly its `Retry-After`.
    #[serde(
        default = "default_backoff_initial",
        deserialize_with = "nonzero_duration"
    )]
    pub backoff_initial: Duration,
    /// Longest wait before a retry (default `"30s"`).
    #[serde(default = "default_backoff_max", deserialize_with = "nonzero_duration")]
    pub backoff_max: Duration,
}

/// Where the numbers come from (`collect.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// `"aggregates"`: the conversation aggregates query.
    #[default]
    Aggregates,
    /// `"details"`: conversation details, summed by the plugin.
    Details,
}

/// `[collect]`: what.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CollectConfig {
    /// `"aggregates"` (default) or `"details"`.
    pub source: Source,
    /// Bucket length, whole minutes, humantime or ISO-8601 (default `"15m"`).
    #[serde(deserialize_with = "granularity")]
    pub granularity: Duration,
    /// Genesys dimensions to group by.
    #[serde(deserialize_with = "group_by")]
    pub group_by: Vec<Dimension>,
    /// Genesys `t*` and `n*` metrics.
    #[serde(deserialize_with = "metrics")]
    pub metrics: Vec<String>,
    /// Closed buckets re-read on each poll, rounded up to whole buckets (default `"1h"`).
    #[serde(deserialize_with = "plain_duration")]
    pub lookback: Duration,
    /// Also emit the bucket in progress (default false).
    pub include_open_bucket: bool,
    /// Genesys `flattenMultivaluedDimensions` (default false).
    pub flatten_multivalued_dimensions: bool,
    /// Media type filter; empty: all.
    pub media_types: Vec<String>,
    /// Queue ID filter; empty: all.
    pub queue_ids: Vec<String>,
    /// Where the watermark is kept; unset: no backfill after downtime.
    pub state_file: Option<String>,
    /// How far back a restart catches up from the watermark (default `"7d"`).
    #[serde(deserialize_with = "plain_duration")]
    pub max_backfill: Duration,
    /// Length of one backfill request, whole buckets (default `"6h"`).
    #[serde(deserialize_with = "nonzero_duration")]
    pub backfill_chunk: Duration,
    /// Details mode: the longest conversation to expect (default `"2h"`).
    #[serde(deserialize_with = "plain_duration")]
    pub details_lookbehind: Duration,
    /// Details mode: windows at least this long use async jobs (default `"1d"`).
    #[serde(deserialize_with = "nonzero_duration")]
    pub details_jobs_min_window: Duration,
}

impl Default for CollectConfig {
    fn default() -> Self {
        CollectConfig {
            source: Source::Aggregates,
            granularity: Duration::from_secs(15 * 60),
            group_by: vec![Dimension::RequestedRoutingSkillId, Dimension::MediaType],
            // AHT and its parts, then what the KPIs beside it (service level,
            // abandonment, transfer rate) need besides.
            metrics: AHT_METRICS
                .into_iter()
                .chain([OVER_SLA, SHORT_ABANDON, FLOW_OUT, TRANSFERRED])
                .map(String::from)
                .collect(),
            lookback: Duration::from_secs(3600),
            include_open_bucket: false,
            flatten_multivalued_dimensions: false,
            media_types: Vec::new(),
            queue_ids: Vec::new(),
            state_file: None,
            max_backfill: Duration::from_secs(7 * 86_400),
            backfill_chunk: Duration::from_secs(6 * 3600),
            details_lookbehind: Duration::from_secs(2 * 3600),
            details_jobs_min_window: Duration::from_secs(86_400),
        }
    }
}

/// How collections are triggered (`execd.signal`), named as Telegraf's execd
/// `signal` option names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signal {
    /// `"STDIN"`: each newline on stdin triggers one collection.
    #[default]
    Stdin,
    /// `"none"`: the plugin polls every `execd.interval`.
    None,
    /// `"SIGHUP"`: each SIGHUP triggers one collection (Unix only).
    Sighup,
    /// `"SIGUSR1"` (Unix only).
    Sigusr1,
    /// `"SIGUSR2"` (Unix only).
    Sigusr2,
}

impl Signal {
    /// Every accepted value of `execd.signal`, as written in the config.
    pub const NAMES: [&str; 5] = ["STDIN", "none", "SIGHUP", "SIGUSR1", "SIGUSR2"];

    /// The value as written in the config (and in Telegraf's).
    pub fn name(self) -> &'static str {
        match self {
            Signal::Stdin => "STDIN",
            Signal::None => "none",
            Signal::Sighup => "SIGHUP",
            Signal::Sigusr1 => "SIGUSR1",
            Signal::Sigusr2 => "SIGUSR2",
        }
    }

    /// The signal named `text`, exactly as Telegraf spells it.
    fn parse(text: &str) -> Result<Signal, String> {
        let all = [
            Signal::Stdin,
            Signal::None,
            Signal::Sighup,
            Signal::Sigusr1,
            Signal::Sigusr2,
        ];
        let Some(signal) = all.into_iter().find(|s| s.name() == text) else {
            return Err(format!(
                "expected one of {} (as in the [[inputs.execd]] block), not {text:?}",
                Signal::NAMES.map(|n| format!("{n:?}")).join(", ")
            ));
        };
        if cfg!(not(unix)) && !matches!(signal, Signal::Stdin | Signal::None) {
            return Err(format!(
                "{text:?} needs Unix signals; use \"STDIN\" or \"none\""
            ));
        }
        Ok(signal)
    }
}

impl<'de> Deserialize<'de> for Signal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Signal, D::Error> {
        Signal::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// `[execd]`: when.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecdConfig {
    /// `"STDIN"` (default), `"none"`, `"SIGHUP"`, `"SIGUSR1"` or `"SIGUSR2"`.
    pub signal: Signal,
    /// Poll interval when `signal = "none"`, else the expected pace of triggers
    /// (default `"60s"`).
    #[serde(deserialize_with = "nonzero_duration")]
    pub interval: Duration,
    /// A poll still running after this is abandoned (default `"2m"`).
    #[serde(deserialize_with = "nonzero_duration")]
    pub poll_timeout: Duration,
    /// Also write the plugin's own metrics after each poll (default true).
    pub self_metrics: bool,
}

impl Default for ExecdConfig {
    fn default() -> Self {
        ExecdConfig {
            signal: Signal::Stdin,
            interval: Duration::from_secs(60),
            poll_timeout: Duration::from_secs(120),
            self_metrics: true,
        }
    }
}

fn default_requests_per_minute() -> u32 {
    200
}

fn default_request_timeout() -> Duration {
    Duration::from_secs(30)
}

fn default_max_retries() -> u32 {
    8
}

fn default_backoff_initial() -> Duration {
    Duration::from_secs(1)
}

fn default_backoff_max() -> Duration {
    Duration::from_secs(30)
}

/// `collect.group_by`: dimensions the plugin supports, each once.
fn group_by<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Dimension>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    let supported = Dimension::ALL.map(Dimension::genesys_name).join(", ");
    let mut dims = Vec::with_capacity(names.len());
    for name in &names {
        let dim = Dimension::from_genesys_name(name).ok_or_else(|| {
            let what = if vocabulary::DIMENSIONS.contains(&name.as_str()) {
                "a Genesys dimension the plugin does not support"
            } else {
                "not a Genesys dimension"
            };
            serde::de::Error::custom(format!("expected one of {supported}; {name:?} is {what}"))
        })?;
        if dims.contains(&dim) {
            return Err(serde::de::Error::custom(format!(
                "expected each dimension once; {name:?} repeats"
            )));
        }
        dims.push(dim);
    }
    Ok(dims)
}

/// `collect.metrics`: Genesys `t*` and `n*` metric names, at least one, each once.
fn metrics<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let names = Vec::<String>::deserialize(d)?;
    vocabulary::check_metrics(&names).map_err(serde::de::Error::custom)?;
    Ok(names)
}
