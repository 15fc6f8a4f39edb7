//! `${VAR}` expansion in configuration values, as Telegraf does in its own config.
//!
//! `${VAR}` is replaced by the variable's value and `${VAR:-default}` falls back to
//! `default` when `VAR` is unset or empty. An unset variable without a default is an
//! error naming the key and the variable: silently substituting an empty string
//! would send an empty secret to the login and fail far from the cause.

use super::ConfigError;

/// Expands every `${...}` in `value`, the value of config key `key`; `lookup` reads
/// the environment (a parameter so that tests need not change the process environment).
pub(super) fn expand(
    key: &str,
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or_else(|| ConfigError::Invalid {
            key: key.to_owned(),
            expected: "a closed ${VAR} reference".to_owned(),
        })?;
        let (name, default) = match after[..end].split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (&after[..end], None),
        };
        let found = lookup(name).filter(|v| !v.is_empty());
        match (found, default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => {
                return Err(ConfigError::UnsetVariable {
                    key: key.to_owned(),
                    variable: name.to_owned(),
                });
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "ID" => Some("abc".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn variables_and_defaults_expand() {
        assert_eq!(expand("k", "x-${ID}-y", &env).ok(), Some("x-abc-y".into()));
        assert_eq!(expand("k", "${NOPE:-d}", &env).ok(), Some("d".into()));
        assert_eq!(expand("k", "${EMPTY:-d}", &env).ok(), Some("d".into()));
        assert_eq!(expand("k", "plain", &env).ok(), Some("plain".into()));
    }

    #[test]
    fn unset_variables_name_key_and_variable() {
        let err = expand("genesys.client_secret", "${NOPE}", &env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("genesys.client_secret"), "{err}");
        assert!(err.contains("NOPE"), "{err}");
        assert!(expand("k", "${EMPTY}", &env).is_err());
        assert!(expand("k", "${ID", &env).is_err());
    }
}
