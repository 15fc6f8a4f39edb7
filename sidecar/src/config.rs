//! `sidecar.toml`: documented serde structs, `${VAR}` expansion, redacted secrets.
//!
//! Every string value may hold `${NAME}` references to environment variables; they
//! are expanded while the value is read, so a parse error points at the line in the
//! file (showing `${NAME}`, never the secret it expands to).

use std::time::Duration;

use serde::Deserialize;

mod security;
mod values;

pub use security::TlsConfig;
pub(crate) use security::parse_sha256;
use security::{check_security, default_reload_check};
pub use values::{Secret, expand_env, parse_byte_size};
use values::{byte_size, duration, env_opt_string, env_string};

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// TOML syntax, an unknown key, or a value of the wrong shape (the message names the key).
    #[error(transparent)]
    Parse(#[from] toml::de::Error),
    /// Values that parse but do not make sense together.
    #[error("{key}: {reason}")]
    Invalid {
        /// The dotted key, e.g. `influx.org`.
        key: &'static str,
        /// What was expected.
        reason: String,
    },
}

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0 picks a free port).
    #[serde(default = "default_listen", deserialize_with = "env_string")]
    pub listen: String,
    /// Where the data is and how to ask for it.
    pub influx: InfluxConfig,
    /// The answer cache.
    #[serde(default)]
    pub cache: CacheConfig,
    /// Authentication and CORS.
    #[serde(default)]
    pub http: HttpConfig,
    /// Bounds on what one request, and one client, may ask for.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// HTTPS: the sidecar's own certificate (and the CA its clients' come from).
    #[serde(default)]
    pub tls: Option<TlsConfig>,
    /// The file this config was read from, re-read on reload (none when parsed from text).
    #[serde(skip)]
    pub source: Option<std::path::PathBuf>,
    /// What the service level's denominator counts (the org's analytics setting).
    #[serde(default)]
    pub service_level: crate::kpi::ServiceLevelConfig,
    /// The live queue state (`GET /metrics/queues`).
    #[serde(default)]
    pub live: LiveConfig,
}

/// `[live]`: the live queue state the plugin writes with `[observations]` on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiveConfig {
    /// How old the newest observation of a queue may be to be answered (a queue
    /// the plugin stopped observing drops out after this).
    #[serde(default = "default_live_window", deserialize_with = "duration")]
    pub window: Duration,
    /// How long an answer is cached: about the plugin's interval, as nothing newer
    /// can be there sooner.
    #[serde(default = "default_live_ttl", deserialize_with = "duration")]
    pub ttl: Duration,
    /// The measurement of the live queue state.
    #[serde(default = "default_live_measurement", deserialize_with = "env_string")]
    pub measurement: String,
}

impl Default for LiveConfig {
    fn default() -> Self {
        LiveConfig {
            window: default_live_window(),
            ttl: default_live_ttl(),
            measurement: default_live_measurement(),
        }
    }
}

fn default_live_window() -> Duration {
    Duration::from_secs(300)
}
fn default_live_ttl() -> Duration {
    Duration::from_secs(10)
}
fn default_live_measurement() -> String {
    genesys_aht_contract::queue::MEASUREMENT.to_owned()
}

/// Which query language and endpoint the sidecar speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// Flux over `POST /api/v2/query` (InfluxDB 2.x, Cloud).
    Flux,
    /// InfluxQL over `/query` (InfluxDB 1.x, 2.x through DBRP). Not for InfluxDB 3,
    /// whose `/query` ignores the bound `params`.
    Influxql,
    /// SQL over `POST /api/v3/query_sql` with bound `params` (InfluxDB 3 Core and
    /// Enterprise); `bucket`, `bucket_1h`, `bucket_1d` are databases.
    Sql,
}

/// `[influx]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InfluxConfig {
    /// `flux`, `influxql` or `sql`.
    pub backend: BackendKind,
    /// Base URL, e.g. `http://127.0.0.1:8086`.
    #[serde(deserialize_with = "env_string")]
    pub url: String,
    /// Sent as `Authorization: Token <token>` (`Bearer <token>` with `sql`, as
    /// InfluxDB 3 documents); optional for an InfluxDB 1.x without auth.
    #[serde(default)]
    pub token: Option<Secret>,
    /// Organisation name or ID (Flux only, required there). Exactly 16 hex digits is
    /// an ID to InfluxDB, sent as `orgID`.
    #[serde(default, deserialize_with = "env_opt_string")]
    pub org: Option<String>,
    /// The raw bucket (InfluxQL and SQL: the database).
    #[serde(deserialize_with = "env_string")]
    pub bucket: String,
    /// Hourly roll-up (Flux tasks, continuous queries or the InfluxDB 3 plugin);
    /// answers intervals that are whole hours.
    #[serde(default, deserialize_with = "env_opt_string")]
    pub bucket_1h: Option<String>,
    /// Daily roll-up (Flux tasks, continuous queries or the InfluxDB 3 plugin);
    /// answers intervals that are whole days.
    #[serde(default, deserialize_with = "env_opt_string")]
    pub bucket_1d: Option<String>,
    /// The measurement the plugin writes.
    #[serde(default = "default_measurement", deserialize_with = "env_string")]
    pub measurement: String,
    /// Time limit for one upstream query, from connect to the last byte (e.g. `10s`).
    #[serde(default = "default_timeout", deserialize_with = "duration")]
    pub timeout: Duration,
    /// Most queries sent to InfluxDB at once, all clients together; more wait their turn.
    #[serde(default = "default_max_concurrent_queries")]
    pub max_concurrent_queries: usize,
}

/// `[cache]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Lifetime of an answer whose range reaches into the late-data horizon.
    #[serde(default = "default_ttl", deserialize_with = "duration")]
    pub ttl: Duration,
    /// Lifetime of an answer whose range ended before the late-data horizon.
    #[serde(default = "default_immutable_ttl", deserialize_with = "duration")]
    pub immutable_ttl: Duration,
    /// How far back data may still change (plugin `lookback` plus roll-up lag).
    #[serde(default = "default_horizon", deserialize_with = "duration")]
    pub late_data_horizon: Duration,
    /// Upper bound on the cached answers' size (keys plus JSON bodies), e.g. `64MiB`.
    #[serde(default = "default_max_bytes", deserialize_with = "byte_size")]
    pub max_bytes: u64,
}

/// `[http]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// When set, `/metrics/aht`, `/metrics/kpi` and `/skills` need `Authorization: Bearer <token>`.
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    /// Tokens as SHA-256 digests (64 hex digits, `sha256:` prefix optional), so the
    /// config holds none in clear: `printf %s "$TOKEN" | sha256sum`.
    #[serde(default)]
    pub bearer_token_sha256: Vec<String>,
    /// A file of tokens, one a line (a token, or `sha256:<hex>`; `#` comments),
    /// re-read when it changes. It must not be readable by others.
    #[serde(default, deserialize_with = "env_opt_string")]
    pub bearer_token_file: Option<String>,
    /// How often the token and TLS files (and this config's tokens) are checked for
    /// changes; SIGHUP reloads at once.
    #[serde(default = "default_reload_check", deserialize_with = "duration")]
    pub reload_check: Duration,
    /// Origins allowed by CORS (`["*"]` for any); empty: no CORS headers.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            bearer_token: None,
            bearer_token_sha256: Vec::new(),
            bearer_token_file: None,
            reload_check: default_reload_check(),
            cors_origins: Vec::new(),
        }
    }
}

impl HttpConfig {
    /// Whether any bearer token is configured (the data routes then require one).
    pub fn has_tokens(&self) -> bool {
        self.bearer_token.is_some()
            || !self.bearer_token_sha256.is_empty()
            || self.bearer_token_file.is_some()
    }
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Longest `end_date - start_date` accepted.
    #[serde(default = "default_max_range", deserialize_with = "duration")]
    pub max_range: Duration,
    /// Most windows one answer may have per group (range / interval).
    #[serde(default = "default_max_points")]
    pub max_points: u64,
    /// Most `skill` values in one request.
    #[serde(default = "default_max_skills")]
    pub max_skills: usize,
    /// Longest accepted `skill`, `queue` or `media_type` value, in characters.
    #[serde(default = "default_max_value_chars")]
    pub max_value_chars: usize,
    /// Longest accepted query string, in bytes (longer: 414).
    #[serde(default = "default_max_query_bytes")]
    pub max_query_bytes: usize,
    /// Cache misses one client (a token, or an address without one) may cause per
    /// second, on average; 0: no limit. Hits are not counted.
    #[serde(default = "default_client_misses_per_second")]
    pub client_misses_per_second: f64,
    /// Misses one client may cause in a burst above that rate.
    #[serde(default = "default_client_miss_burst")]
    pub client_miss_burst: u32,
    /// Upstream queries one client may have running at once; more wait for one to
    /// finish (up to `influx.timeout`, then 429); 0: no limit.
    #[serde(default = "default_client_concurrent_queries")]
    pub client_concurrent_queries: usize,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl: default_ttl(),
            immutable_ttl: default_immutable_ttl(),
            late_data_horizon: default_horizon(),
            max_bytes: default_max_bytes(),
        }
    }
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_range: default_max_range(),
            max_points: default_max_points(),
            max_skills: default_max_skills(),
            max_value_chars: default_max_value_chars(),
            max_query_bytes: default_max_query_bytes(),
            client_misses_per_second: default_client_misses_per_second(),
            client_miss_burst: default_client_miss_burst(),
            client_concurrent_queries: default_client_concurrent_queries(),
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_measurement() -> String {
    genesys_aht_contract::MEASUREMENT.into()
}
fn default_timeout() -> Duration {
    Duration::from_secs(10)
}
fn default_ttl() -> Duration {
    Duration::from_secs(30)
}
fn default_immutable_ttl() -> Duration {
    Duration::from_secs(3600)
}
fn default_horizon() -> Duration {
    Duration::from_secs(3 * 3600)
}
fn default_max_bytes() -> u64 {
    64 << 20
}
fn default_max_range() -> Duration {
    Duration::from_secs(400 * 86_400)
}
fn default_max_points() -> u64 {
    5_000
}
fn default_max_skills() -> usize {
    100
}
fn default_max_value_chars() -> usize {
    256
}
fn default_max_concurrent_queries() -> usize {
    16
}
fn default_max_query_bytes() -> usize {
    4096
}
fn default_client_misses_per_second() -> f64 {
    20.0
}
fn default_client_miss_burst() -> u32 {
    200
}
fn default_client_concurrent_queries() -> usize {
    4
}

impl Config {
    /// Reads and checks a config file.
    pub fn load(path: &str) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        let mut config = Config::parse(&text)?;
        config.source = Some(path.into());
        Ok(config)
    }

    /// Parses and checks config text.
    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text)?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key, reason: &str| {
            Err(ConfigError::Invalid {
                key,
                reason: reason.into(),
            })
        };
        if self
            .influx
            .org
            .as_deref()
            .is_some_and(|org| org.trim().is_empty())
        {
            return invalid(
                "influx.org",
                "expected an organisation name or ID, not an empty value",
            );
        }
        if self.live.window < Duration::from_secs(1)
            || self.live.window > Duration::from_secs(86_400)
        {
            return invalid(
                "live.window",
                "expected a duration from 1s to 24h, e.g. \"5m\"",
            );
        }
        if self.live.ttl > self.live.window {
            return invalid("live.ttl", "expected a duration no longer than live.window");
        }
        if self.influx.backend == BackendKind::Flux && self.influx.org.is_none() {
            return invalid("influx.org", "required when influx.backend = \"flux\"");
        }
        if !(self.influx.url.starts_with("http://") || self.influx.url.starts_with("https://")) {
            return invalid("influx.url", "expected an http:// or https:// URL");
        }
        if self.influx.timeout.is_zero() {
            return invalid("influx.timeout", "expected a duration above zero");
        }
        for origin in &self.http.cors_origins {
            let valid = !origin.is_empty() && origin.bytes().all(|b| (0x21..0x7f).contains(&b));
            if !valid {
                return invalid(
                    "http.cors_origins",
                    "expected \"*\" or origins like \"https://grafana.example.com\"",
                );
            }
        }
        if self.limits.max_points == 0 || self.limits.max_skills == 0 {
            return invalid("limits", "max_points and max_skills must be at least 1");
        }
        if self.influx.max_concurrent_queries == 0 {
            return invalid("influx.max_concurrent_queries", "expected at least 1");
        }
        check_security(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[influx]
backend = "influxql"
url = "http://127.0.0.1:8086"
bucket = "genesys"
"#;

    #[test]
    fn defaults_fill_what_is_left_out() {
        let c = Config::parse(MINIMAL).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.influx.measurement, "genesys_conversation");
        assert_eq!(c.cache.max_bytes, 64 << 20);
        assert_eq!(c.cache.ttl, Duration::from_secs(30));
        assert!(c.http.bearer_token.is_none());
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Config::parse(&format!("{MINIMAL}bukket = \"x\"\n")).unwrap_err();
        assert!(err.to_string().contains("bukket"), "{err}");
    }

    #[test]
    fn bad_durations_and_sizes_say_what_was_expected() {
        let text = format!("{MINIMAL}[cache]\nttl = \"soon\"\n");
        let err = Config::parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("ttl") && err.contains("expected a duration"),
            "{err}"
        );
        let text = format!("{MINIMAL}[cache]\nmax_bytes = \"lots\"\n");
        let err = Config::parse(&text).unwrap_err().to_string();
        assert!(err.contains("max_bytes") && err.contains("64MiB"), "{err}");
    }

    #[test]
    fn flux_needs_an_org() {
        let text = MINIMAL.replace("influxql", "flux");
        let err = Config::parse(&text).unwrap_err().to_string();
        assert!(err.starts_with("influx.org:"), "{err}");
    }

    #[test]
    fn an_empty_org_is_refused_naming_the_key() {
        for backend in ["flux", "influxql", "sql"] {
            for org in ["", "  "] {
                let text = format!("{}org = \"{org}\"\n", MINIMAL.replace("influxql", backend));
                let err = Config::parse(&text).unwrap_err().to_string();
                assert!(
                    err.starts_with("influx.org:") && err.contains("empty"),
                    "{err}"
                );
            }
        }
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let text = format!("{MINIMAL}token = \"hunter2\"\n[http]\nbearer_token = \"opensesame\"\n");
        let c = Config::parse(&text).unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("opensesame"),
            "{shown}"
        );
        assert_eq!(c.influx.token.unwrap().expose(), "hunter2");
    }

    #[test]
    fn the_example_file_parses_with_its_documented_defaults() {
        let text = include_str!("../sidecar.toml.example").replace("${INFLUX_TOKEN}", "t");
        let c = Config::parse(&text).unwrap();
        assert_eq!(c.influx.backend, BackendKind::Flux);
        assert_eq!(c.http.cors_origins, ["*"]);
        assert_eq!(c.limits.max_range, Duration::from_secs(400 * 86_400));
        assert_eq!(c.cache.late_data_horizon, Duration::from_secs(3 * 3600));
        assert!(text.contains("# max_range = \"400days\""));
        assert_eq!(c.service_level, crate::kpi::ServiceLevelConfig::default());
        assert!(text.contains("# include_flow_outs = false"));
        assert!(text.contains("# late_data_horizon = \"3h\""));
    }
}
