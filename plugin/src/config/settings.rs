//! The one validation step: [`FileConfig`] → [`Settings`], before any network call.

use std::path::PathBuf;
use std::time::Duration;

use genesys_aht_contract::{Dimension, MetricKind};

use super::duration::{parse_human, parse_human_or_iso};
use super::{ConfigError, FileConfig, GenesysConfig, env, region, vocabulary};
use crate::genesys::retry::RetryPolicy;
use crate::secret::Secret;

/// How collections are triggered (`execd.signal`), named as Telegraf's execd
/// `signal` option names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `"STDIN"`: each newline on stdin triggers one collection.
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
}

/// Where the numbers come from (`collect.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The conversation aggregates query.
    Aggregates,
    /// Conversation details, summed by the plugin.
    Details,
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// API base URL, without a trailing slash.
    pub api_url: String,
    /// Login base URL, without a trailing slash.
    pub login_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
    /// Request budget per minute.
    pub requests_per_minute: u32,
    /// Timeout of every HTTP request.
    pub request_timeout: Duration,
    /// When and how long to wait before sending a failed request again.
    pub retry: RetryPolicy,
    /// Where the numbers come from.
    pub source: Source,
    /// Details mode: the longest conversation to expect.
    pub details_lookbehind: Duration,
    /// Details mode: windows at least this long use async jobs.
    pub details_jobs_min_window: Duration,
    /// Bucket length.
    pub granularity: Duration,
    /// Dimensions to group by, in configured order.
    pub group_by: Vec<Dimension>,
    /// Genesys metric names (`t*` and `n*` only), in configured order.
    pub metrics: Vec<String>,
    /// Closed buckets re-read on each poll.
    pub lookback_buckets: u32,
    /// Also emit the bucket in progress.
    pub include_open_bucket: bool,
    /// Genesys `flattenMultivaluedDimensions`.
    pub flatten: bool,
    /// Media type filter; empty: all.
    pub media_types: Vec<String>,
    /// Queue ID filter; empty: all.
    pub queue_ids: Vec<String>,
    /// How collections are triggered.
    pub signal: Signal,
    /// Poll interval when `signal` is [`Signal::None`].
    pub interval: Duration,
    /// A poll still running after this is abandoned.
    pub poll_timeout: Duration,
    /// Write the plugin's own metrics after each poll.
    pub self_metrics: bool,
    /// Where the watermark is kept; `None`: no backfill.
    pub state_file: Option<PathBuf>,
    /// How far back a backfill reaches, in buckets.
    pub max_backfill_buckets: u32,
    /// Buckets per backfill request.
    pub backfill_chunk_buckets: u32,
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Settings {
    /// Expands `${VAR}`s with `lookup` and validates every key.
    pub fn from_file(file: FileConfig, lookup: Lookup<'_>) -> Result<Settings, ConfigError> {
        let (api_url, login_url) = urls(&file.genesys, lookup)?;
        let g = &file.genesys;
        let c = &file.collect;
        let client_id = env::expand("genesys.client_id", &g.client_id, lookup)?;
        if client_id.trim().is_empty() {
            return Err(ConfigError::invalid(
                "genesys.client_id",
                "a non-empty OAuth client id",
            ));
        }
        let source = match c.source.as_str() {
            "aggregates" => Source::Aggregates,
            "details" => Source::Details,
            other => {
                return Err(ConfigError::invalid(
                    "collect.source",
                    format!("\"aggregates\" or \"details\", not {other:?}"),
                ));
            }
        };
        let granularity = parse_human_or_iso(&c.granularity)
            .filter(|d| d.as_secs() >= 60 && d.subsec_nanos() == 0)
            .ok_or_else(|| {
                ConfigError::invalid(
                    "collect.granularity",
                    format!(
                        "a whole number of minutes such as \"15m\" or \"PT15M\", not {:?}",
                        c.granularity
                    ),
                )
            })?;
        let lookback = duration("collect.lookback", &c.lookback)?;
        let buckets = |d: Duration| d.as_secs().div_ceil(granularity.as_secs()).max(1) as u32;
        let max_backfill = duration("collect.max_backfill", &c.max_backfill)?;
        let backfill_chunk = positive("collect.backfill_chunk", &c.backfill_chunk)?;
        if g.requests_per_minute == 0 {
            return Err(ConfigError::invalid(
                "genesys.requests_per_minute",
                "a positive number",
            ));
        }
        Ok(Settings {
            api_url,
            login_url,
            client_id,
            client_secret: secret(g, lookup)?,
            requests_per_minute: g.requests_per_minute,
            request_timeout: positive("genesys.request_timeout", &g.request_timeout)?,
            retry: RetryPolicy {
                max_retries: g.max_retries,
                initial: positive("genesys.backoff_initial", &g.backoff_initial)?,
                max: positive("genesys.backoff_max", &g.backoff_max)?,
            },
            source,
            details_lookbehind: duration("collect.details_lookbehind", &c.details_lookbehind)?,
            details_jobs_min_window: positive(
                "collect.details_jobs_min_window",
                &c.details_jobs_min_window,
            )?,
            granularity,
            group_by: group_by(&c.group_by)?,
            metrics: metrics(&c.metrics)?,
            lookback_buckets: buckets(lookback),
            include_open_bucket: c.include_open_bucket,
            flatten: c.flatten_multivalued_dimensions,
            media_types: c.media_types.clone(),
            queue_ids: c.queue_ids.clone(),
            signal: signal(&file.execd.signal)?,
            interval: positive("execd.interval", &file.execd.interval)?,
            poll_timeout: positive("execd.poll_timeout", &file.execd.poll_timeout)?,
            self_metrics: file.execd.self_metrics,
            state_file: state_file(c.state_file.as_deref(), lookup)?,
            max_backfill_buckets: u32::try_from(max_backfill.as_secs() / granularity.as_secs())
                .unwrap_or(u32::MAX),
            backfill_chunk_buckets: buckets(backfill_chunk),
        })
    }
}

/// The state file's path; its directory must exist, so that a typo shows at start,
/// not as a lost watermark after the first poll.
fn state_file(path: Option<&str>, lookup: Lookup<'_>) -> Result<Option<PathBuf>, ConfigError> {
    let Some(path) = path else {
        return Ok(None);
    };
    let path = PathBuf::from(env::expand("collect.state_file", path, lookup)?);
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    };
    if path.file_name().is_none() || !dir.is_dir() {
        return Err(ConfigError::invalid(
            "collect.state_file",
            format!(
                "a file path in an existing directory, not {:?}",
                path.display()
            ),
        ));
    }
    Ok(Some(path))
}

fn duration(key: &str, text: &str) -> Result<Duration, ConfigError> {
    parse_human(text).ok_or_else(|| {
        ConfigError::invalid(
            key,
            format!("a duration such as \"90s\", \"15m\", \"1h\" or \"7d\", not {text:?}"),
        )
    })
}

fn positive(key: &str, text: &str) -> Result<Duration, ConfigError> {
    let value = duration(key, text)?;
    if value.is_zero() {
        return Err(ConfigError::invalid(key, "a duration greater than zero"));
    }
    Ok(value)
}

fn urls(g: &GenesysConfig, lookup: Lookup<'_>) -> Result<(String, String), ConfigError> {
    let api_url = match (&g.region, &g.api_url) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::invalid(
                "genesys.region",
                "either region or api_url, not both",
            ));
        }
        (None, None) => {
            return Err(ConfigError::invalid(
                "genesys.region",
                "a region name or genesys.api_url",
            ));
        }
        (Some(name), None) => {
            let name = env::expand("genesys.region", name, lookup)?;
            region::api_url(&name).ok_or_else(|| {
                ConfigError::invalid(
                    "genesys.region",
                    format!("one of {}, not {name:?}", region::known_names()),
                )
            })?
        }
        (None, Some(url)) => http_url(
            "genesys.api_url",
            &env::expand("genesys.api_url", url, lookup)?,
        )?,
    };
    let login_url = match &g.login_url {
        Some(url) => http_url(
            "genesys.login_url",
            &env::expand("genesys.login_url", url, lookup)?,
        )?,
        None => region::login_url_for(&api_url),
    };
    Ok((api_url, login_url))
}

fn http_url(key: &str, url: &str) -> Result<String, ConfigError> {
    let url = url.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() => Ok(url.to_owned()),
        _ => Err(ConfigError::invalid(
            key,
            format!("an http:// or https:// URL, not {url:?}"),
        )),
    }
}

fn secret(g: &GenesysConfig, lookup: Lookup<'_>) -> Result<Secret, ConfigError> {
    let value = match (&g.client_secret, &g.client_secret_file) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::invalid(
                "genesys.client_secret",
                "either client_secret or client_secret_file, not both",
            ));
        }
        (None, None) => {
            return Err(ConfigError::invalid(
                "genesys.client_secret",
                "the OAuth client secret, or genesys.client_secret_file",
            ));
        }
        (Some(text), None) => Secret::new(env::expand("genesys.client_secret", text, lookup)?),
        (None, Some(path)) => {
            let path = env::expand("genesys.client_secret_file", path, lookup)?;
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ConfigError::invalid(
                    "genesys.client_secret_file",
                    format!("a readable file ({path}: {e})"),
                )
            })?;
            Secret::new(text.trim_end())
        }
    };
    if value.is_blank() {
        return Err(ConfigError::invalid(
            "genesys.client_secret",
            "a non-empty secret",
        ));
    }
    Ok(value)
}

fn group_by(names: &[String]) -> Result<Vec<Dimension>, ConfigError> {
    let supported = Dimension::ALL.map(Dimension::genesys_name).join(", ");
    let mut dims = Vec::with_capacity(names.len());
    for name in names {
        let dim = Dimension::from_genesys_name(name).ok_or_else(|| {
            let what = if vocabulary::DIMENSIONS.contains(&name.as_str()) {
                "a Genesys dimension the plugin does not support"
            } else {
                "not a Genesys dimension"
            };
            ConfigError::invalid(
                "collect.group_by",
                format!("one of {supported}; {name:?} is {what}"),
            )
        })?;
        if dims.contains(&dim) {
            return Err(ConfigError::invalid(
                "collect.group_by",
                format!("each dimension once; {name:?} repeats"),
            ));
        }
        dims.push(dim);
    }
    Ok(dims)
}

fn metrics(names: &[String]) -> Result<Vec<String>, ConfigError> {
    let known: Vec<&str> = vocabulary::QUERY_METRICS
        .into_iter()
        .filter(|m| MetricKind::of(m).is_some())
        .collect();
    if names.is_empty() {
        return Err(ConfigError::invalid(
            "collect.metrics",
            format!("at least one of {}", known.join(", ")),
        ));
    }
    for (i, name) in names.iter().enumerate() {
        if vocabulary::METRICS.contains(&name.as_str())
            && !vocabulary::QUERY_METRICS.contains(&name.as_str())
        {
            return Err(ConfigError::invalid(
                "collect.metrics",
                format!(
                    "metrics the aggregates query accepts; {name:?} is a view target only, which Genesys answers with HTTP 400"
                ),
            ));
        }
        if !known.contains(&name.as_str()) {
            return Err(ConfigError::invalid(
                "collect.metrics",
                format!(
                    "Genesys t* or n* metrics: one of {}; not {name:?}",
                    known.join(", ")
                ),
            ));
        }
        if names[..i].contains(name) {
            return Err(ConfigError::invalid(
                "collect.metrics",
                format!("each metric once; {name:?} repeats"),
            ));
        }
    }
    Ok(names.to_vec())
}

fn signal(text: &str) -> Result<Signal, ConfigError> {
    let signal = match text {
        "STDIN" => Signal::Stdin,
        "none" => Signal::None,
        "SIGHUP" => Signal::Sighup,
        "SIGUSR1" => Signal::Sigusr1,
        "SIGUSR2" => Signal::Sigusr2,
        other => {
            return Err(ConfigError::invalid(
                "execd.signal",
                format!(
                    "one of {} (as in the [[inputs.execd]] block), not {other:?}",
                    Signal::NAMES.map(|n| format!("{n:?}")).join(", ")
                ),
            ));
        }
    };
    if cfg!(not(unix)) && !matches!(signal, Signal::Stdin | Signal::None) {
        return Err(ConfigError::invalid(
            "execd.signal",
            format!("{text:?} needs Unix signals; use \"STDIN\" or \"none\""),
        ));
    }
    Ok(signal)
}

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
