//! `${VAR}` expansion in configuration values (the rules live in
//! `genesys-aht-config`, shared with the sidecar); this adds the config key to errors.

use genesys_aht_config::{ExpandError, expand_env};

use super::ConfigError;

/// Expands every `${...}` in `value`, the value of config key `key`; `lookup` reads
/// the environment (a parameter so that tests need not change the process environment).
pub(super) fn expand(
    key: &str,
    value: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, ConfigError> {
    expand_env(value, lookup).map_err(|e| match e {
        ExpandError::Unset(variable) => ConfigError::UnsetVariable {
            key: key.to_owned(),
            variable,
        },
        other => ConfigError::Invalid {
            key: key.to_owned(),
            expected: other.to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_key_and_the_variable() {
        let env = |_: &str| None;
        let err = expand("genesys.client_secret", "${NOPE}", &env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("genesys.client_secret"), "{err}");
        assert!(err.contains("NOPE"), "{err}");
        let err = expand("genesys.client_id", "${ID", &env)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("genesys.client_id"), "{err}");
    }
}
