//! Value types and parsers of the config: secrets, `${VAR}` expansion, durations
//! and byte sizes. Each parser's error says what was expected; toml adds the key.

use std::time::Duration;

use serde::{Deserialize, Deserializer, de::Error as _};

pub use genesys_aht_config::{Secret, expand_env};

pub(crate) fn env_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = String::deserialize(d)?;
    expand_env(&raw, |name| std::env::var(name).ok()).map_err(D::Error::custom)
}

pub(crate) fn env_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    env_string(d).map(Some)
}

pub(crate) fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = env_string(d)?;
    humantime::parse_duration(&text)
        .map_err(|e| D::Error::custom(format!("expected a duration like \"30s\" or \"1h\": {e}")))
}

pub(crate) fn byte_size<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let text = env_string(d)?;
    parse_byte_size(&text).ok_or_else(|| {
        D::Error::custom(format!(
            "expected a size like \"64MiB\", \"512KiB\" or \"1000000\", got {text:?}"
        ))
    })
}

/// `123`, `64KiB`, `64MiB`, `1GiB` (also `KB`/`MB`/`GB`, powers of 1000).
pub fn parse_byte_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits.parse().ok()?;
    let factor: u64 = match unit.trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "KB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        _ => return None,
    };
    n.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_byte_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_byte_size("1000"), Some(1000));
        assert_eq!(parse_byte_size("2KB"), Some(2000));
        assert_eq!(parse_byte_size("MiB"), None);
        assert_eq!(parse_byte_size("1TiB"), None);
    }
}
