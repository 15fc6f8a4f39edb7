//! `${VAR}` expansion in configuration values.

/// Why a value could not be expanded; the caller adds the config key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExpandError {
    /// `${` without its `}`.
    #[error("expected a closed ${{VAR}} reference")]
    Unclosed,
    /// `${}` or a name that is not letters, digits and `_` (not starting with a digit).
    #[error("invalid variable name in ${{{0}}}")]
    InvalidName(String),
    /// An unset (or empty) variable without a `:-default`.
    #[error("environment variable {0} is not set (use ${{{0}:-default}} for a default)")]
    Unset(String),
}

/// Expands every `${VAR}` (the variable's value) and `${VAR:-default}` (`default`
/// when `VAR` is unset or empty) in `value`. `lookup` reads the environment; it is a
/// parameter so that tests need not change the process environment.
///
/// An unset variable without a default is an error: substituting an empty string
/// would, for example, send an empty secret to a login and fail far from the cause.
pub fn expand_env(
    value: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, ExpandError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(ExpandError::Unclosed)?;
        let (name, default) = match after[..end].split_once(":-") {
            Some((name, default)) => (name, Some(default)),
            None => (&after[..end], None),
        };
        if !is_variable_name(name) {
            return Err(ExpandError::InvalidName(name.to_owned()));
        }
        match (lookup(name).filter(|v| !v.is_empty()), default) {
            (Some(found), _) => out.push_str(&found),
            (None, Some(default)) => out.push_str(default),
            (None, None) => return Err(ExpandError::Unset(name.to_owned())),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
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
        assert_eq!(expand_env("x-${ID}-y", env), Ok("x-abc-y".into()));
        assert_eq!(expand_env("${NOPE:-d}", env), Ok("d".into()));
        assert_eq!(expand_env("${EMPTY:-d}", env), Ok("d".into()));
        assert_eq!(expand_env("${ID}${ID}", env), Ok("abcabc".into()));
        assert_eq!(expand_env("plain $ID {x}", env), Ok("plain $ID {x}".into()));
    }

    #[test]
    fn mistakes_are_errors_naming_the_variable() {
        assert_eq!(
            expand_env("${NOPE}", env),
            Err(ExpandError::Unset("NOPE".into()))
        );
        assert_eq!(
            expand_env("${EMPTY}", env),
            Err(ExpandError::Unset("EMPTY".into()))
        );
        assert_eq!(expand_env("${ID", env), Err(ExpandError::Unclosed));
        assert_eq!(
            expand_env("${1X}", env),
            Err(ExpandError::InvalidName("1X".into()))
        );
        assert_eq!(
            expand_env("${}", env),
            Err(ExpandError::InvalidName(String::new()))
        );
        assert!(
            ExpandError::Unset("NOPE".into())
                .to_string()
                .contains("NOPE")
        );
    }
}
