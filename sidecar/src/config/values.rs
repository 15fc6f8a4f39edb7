//! Value types and parsers of the config: secrets, `${VAR}` expansion, durations
//! and byte sizes. Each parser's error says what was expected; toml adds the key.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer, de::Error as _};

/// A secret from the config: its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
        env_string(d).map(Secret)
    }
}

/// Replaces every `${NAME}` with the environment variable `NAME`.
pub fn expand_env(value: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            return Err("unclosed ${ (expected ${NAME})".into());
        };
        let name = &after[..end];
        let valid = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            return Err(format!("invalid variable name in ${{{name}}}"));
        }
        let Some(found) = lookup(name) else {
            return Err(format!("environment variable {name} is not set"));
        };
        out.push_str(&found);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

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
    fn variables_expand_and_missing_ones_are_named() {
        let env = |name: &str| (name == "TOKEN").then(|| "s3cr3t".to_string());
        assert_eq!(expand_env("a${TOKEN}b", env).unwrap(), "as3cr3tb");
        assert_eq!(expand_env("plain", env).unwrap(), "plain");
        let err = expand_env("${NOPE}", env).unwrap_err();
        assert!(err.contains("NOPE"), "{err}");
        assert!(expand_env("${TOKEN", env).is_err());
        assert!(expand_env("${1X}", env).is_err());
    }

    #[test]
    fn byte_sizes() {
        assert_eq!(parse_byte_size("64MiB"), Some(64 << 20));
        assert_eq!(parse_byte_size("1000"), Some(1000));
        assert_eq!(parse_byte_size("2KB"), Some(2000));
        assert_eq!(parse_byte_size("MiB"), None);
        assert_eq!(parse_byte_size("1TiB"), None);
    }
}
