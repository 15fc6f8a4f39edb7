//! `[tls]`, and the checks of the keys that guard the sidecar on a network: TLS
//! files, token digests, per-client limits.

use std::time::Duration;

use serde::Deserialize;

use super::values::{env_opt_string, env_string};
use super::{Config, ConfigError};

/// `[tls]`: HTTPS with the sidecar's own certificate. The files are read again when
/// they change (checked every `http.reload_check`) or on SIGHUP; connections already
/// open keep the certificate they started with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM certificate chain, the server's own certificate first.
    #[serde(deserialize_with = "env_string")]
    pub cert_file: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1). It must not be readable by others.
    #[serde(deserialize_with = "env_string")]
    pub key_file: String,
    /// PEM CA certificates: when set, a client must present a certificate issued by
    /// one of them, or the handshake fails.
    #[serde(default, deserialize_with = "env_opt_string")]
    pub client_ca_file: Option<String>,
}

pub(super) fn default_reload_check() -> Duration {
    Duration::from_secs(5)
}

/// A SHA-256 digest as the config spells it: 64 hex digits, `sha256:` optional.
pub(crate) fn parse_sha256(text: &str) -> Option<[u8; 32]> {
    let hex = text.trim();
    let hex = hex.strip_prefix("sha256:").unwrap_or(hex);
    if hex.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(hex.as_bytes().chunks(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

pub(super) fn check_security(config: &Config) -> Result<(), ConfigError> {
    let invalid = |key, reason: &str| {
        Err(ConfigError::Invalid {
            key,
            reason: reason.into(),
        })
    };
    if let Some(tls) = &config.tls {
        if tls.cert_file.trim().is_empty() || tls.key_file.trim().is_empty() {
            return invalid("tls", "cert_file and key_file must name PEM files");
        }
        if tls
            .client_ca_file
            .as_deref()
            .is_some_and(|f| f.trim().is_empty())
        {
            return invalid(
                "tls.client_ca_file",
                "expected a PEM file of CA certificates",
            );
        }
    }
    let http = &config.http;
    if http.bearer_token.as_ref().is_some_and(|t| t.is_blank()) {
        return invalid("http.bearer_token", "expected a token, not an empty value");
    }
    if http
        .bearer_token_sha256
        .iter()
        .any(|d| parse_sha256(d).is_none())
    {
        return invalid(
            "http.bearer_token_sha256",
            "expected SHA-256 digests of 64 hex digits (printf %s \"$TOKEN\" | sha256sum)",
        );
    }
    if http.reload_check.is_zero() {
        return invalid("http.reload_check", "expected a duration above zero");
    }
    let limits = &config.limits;
    if !(limits.client_misses_per_second.is_finite() && limits.client_misses_per_second >= 0.0) {
        return invalid(
            "limits.client_misses_per_second",
            "expected a number of requests per second, 0 for no limit",
        );
    }
    if limits.client_misses_per_second > 0.0 && limits.client_miss_burst == 0 {
        return invalid("limits.client_miss_burst", "expected at least 1");
    }
    if limits.max_query_bytes == 0 {
        return invalid("limits.max_query_bytes", "expected at least 1");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "[influx]\nbackend = \"influxql\"\nurl = \"http://127.0.0.1:8086\"\nbucket = \"genesys\"\n";

    fn error(extra: &str) -> String {
        Config::parse(&format!("{MINIMAL}{extra}"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn digests_are_64_hex_digits() {
        let hex = "ab".repeat(32);
        assert_eq!(parse_sha256(&hex), Some([0xab; 32]));
        assert_eq!(parse_sha256(&format!("sha256:{hex}")), Some([0xab; 32]));
        assert_eq!(parse_sha256(&hex[2..]), None);
        assert_eq!(parse_sha256(&"zz".repeat(32)), None);
    }

    #[test]
    fn mistakes_name_the_key() {
        let e = error("[http]\nbearer_token_sha256 = [\"abc\"]\n");
        assert!(e.starts_with("http.bearer_token_sha256:"), "{e}");
        let e = error("[limits]\nclient_misses_per_second = -1.0\n");
        assert!(e.starts_with("limits.client_misses_per_second:"), "{e}");
        let e = error("[tls]\ncert_file = \"\"\nkey_file = \"k\"\n");
        assert!(e.starts_with("tls:"), "{e}");
        let e = error("[tls]\ncert_file = \"c\"\n");
        assert!(e.contains("key_file"), "{e}");
        let e = error("[http]\nbearer_token = \" \"\n");
        assert!(e.starts_with("http.bearer_token:"), "{e}");
    }
}
