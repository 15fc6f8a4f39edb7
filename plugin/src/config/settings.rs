//! The one validation step: [`FileConfig`] → [`Settings`], before any network call:
//! `${VAR}`s expanded, the region resolved to URLs, the secret read, durations
//! counted in buckets. Each part of [`Settings`] goes only to the code that uses it.

use std::path::PathBuf;
use std::time::Duration;

use genesys_aht_contract::Dimension;

use super::{ConfigError, ExecdConfig, FileConfig, GenesysConfig, Source, env, region};
use crate::secret::Secret;

/// A validated configuration, in the parts its users take.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// For the Genesys client.
    pub genesys: Genesys,
    /// For the collector.
    pub collect: Collect,
    /// For the poller: the watermark and the backfill.
    pub backfill: Backfill,
    /// For the loop.
    pub execd: ExecdConfig,
    /// For the observer of the live queue state.
    pub observations: crate::observations::ObservationsConfig,
}

/// `[genesys]`, resolved: where to connect and with which credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct Genesys {
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
    /// Retries of one request before its error is final.
    pub max_retries: u32,
    /// The first backoff; doubled after each failure.
    pub backoff_initial: Duration,
    /// The longest backoff.
    pub backoff_max: Duration,
}

/// `[collect]`, resolved: what one collection reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Collect {
    /// Where the numbers come from.
    pub source: Source,
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
    /// The details mode's part.
    pub details: Details,
}

/// The `details_*` keys of `[collect]`: what `source = "details"` needs besides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Details {
    /// The longest conversation to expect.
    pub lookbehind: Duration,
    /// Windows at least this long use async jobs.
    pub jobs_min_window: Duration,
}

/// The state file and backfill keys of `[collect]`, in buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backfill {
    /// Where the watermark is kept; `None`: no backfill.
    pub state_file: Option<PathBuf>,
    /// How far back a backfill reaches, in buckets.
    pub max_buckets: u32,
    /// Buckets per backfill request.
    pub chunk_buckets: u32,
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Settings {
    /// Expands `${VAR}`s with `lookup` and validates every key.
    pub fn from_file(file: FileConfig, lookup: Lookup<'_>) -> Result<Settings, ConfigError> {
        let c = &file.collect;
        let bucket = c.granularity.as_secs().max(1);
        let buckets = |d: Duration| d.as_secs().div_ceil(bucket).max(1) as u32;
        Ok(Settings {
            genesys: genesys(&file.genesys, lookup)?,
            collect: Collect {
                source: c.source,
                granularity: c.granularity,
                group_by: c.group_by.clone(),
                metrics: c.metrics.clone(),
                lookback_buckets: buckets(c.lookback),
                include_open_bucket: c.include_open_bucket,
                flatten: c.flatten_multivalued_dimensions,
                media_types: c.media_types.clone(),
                queue_ids: c.queue_ids.clone(),
                details: Details {
                    lookbehind: c.details_lookbehind,
                    jobs_min_window: c.details_jobs_min_window,
                },
            },
            backfill: Backfill {
                state_file: state_file(c.state_file.as_deref(), lookup)?,
                max_buckets: u32::try_from(c.max_backfill.as_secs() / bucket).unwrap_or(u32::MAX),
                chunk_buckets: buckets(c.backfill_chunk),
            },
            execd: file.execd,
            observations: file.observations,
        })
    }
}

fn genesys(g: &GenesysConfig, lookup: Lookup<'_>) -> Result<Genesys, ConfigError> {
    let (api_url, login_url) = urls(g, lookup)?;
    let client_id = env::expand("genesys.client_id", &g.client_id, lookup)?;
    if client_id.trim().is_empty() {
        return Err(ConfigError::invalid(
            "genesys.client_id",
            "a non-empty OAuth client id",
        ));
    }
    if g.requests_per_minute == 0 {
        return Err(ConfigError::invalid(
            "genesys.requests_per_minute",
            "a positive number",
        ));
    }
    Ok(Genesys {
        api_url,
        login_url,
        client_id,
        client_secret: secret(g, lookup)?,
        requests_per_minute: g.requests_per_minute,
        request_timeout: g.request_timeout,
        max_retries: g.max_retries,
        backoff_initial: g.backoff_initial,
        backoff_max: g.backoff_max,
    })
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
            crate::secret::read_secret_file(&path).map_err(|e| {
                ConfigError::invalid(
                    "genesys.client_secret_file",
                    format!("a file only its owner and group can read ({e})"),
                )
            })?
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

#[cfg(test)]
#[path = "settings_tests.rs"]
mod tests;
