//! Bearer tokens: several, from `[http]` (in clear or as SHA-256 digests) and from a
//! file, kept only as SHA-256 digests and compared in constant time. The set is
//! replaced whole on reload; a request sees the old set or the new one, never a mix.
//!
//! A token never reaches a log line, an error or `/metrics`: errors name the file
//! and the line number, and a client is known by the digest of its token.

use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::config::HttpConfig;
use crate::config::parse_sha256;

/// The SHA-256 digest of a token.
pub type TokenDigest = [u8; 32];

/// The SHA-256 digest of `token`.
pub fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

/// Why the tokens could not be loaded. Never holds a token.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The file could not be read, or others may read it.
    #[error("http.bearer_token_file: {0}")]
    File(#[from] genesys_aht_config::PrivateFileError),
    /// A line of the file is a `sha256:` digest that is not 64 hex digits.
    #[error("http.bearer_token_file {path}, line {line}: expected sha256: and 64 hex digits")]
    BadDigest {
        /// The file.
        path: String,
        /// The line number, from 1.
        line: usize,
    },
    /// No token at all: every data request would be refused.
    #[error("http.bearer_token_file {0} holds no token")]
    Empty(String),
}

/// The digests of every accepted token.
#[derive(Debug, Default)]
pub struct TokenSet {
    digests: Vec<TokenDigest>,
}

impl TokenSet {
    /// The tokens `[http]` configures: `bearer_token`, `bearer_token_sha256` (checked
    /// by `Config::parse`) and the lines of `bearer_token_file`.
    pub fn load(http: &HttpConfig) -> Result<TokenSet, TokenError> {
        let mut digests: Vec<TokenDigest> = http
            .bearer_token_sha256
            .iter()
            .filter_map(|text| parse_sha256(text))
            .collect();
        if let Some(token) = &http.bearer_token {
            digests.push(digest(token.expose()));
        }
        if let Some(path) = &http.bearer_token_file {
            let text = genesys_aht_config::read_private_file(Path::new(path))?;
            let from_file = parse_file(path, &text)?;
            if from_file.is_empty() {
                return Err(TokenError::Empty(path.clone()));
            }
            digests.extend(from_file);
        }
        Ok(TokenSet { digests })
    }

    /// How many tokens are accepted.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether no token is accepted.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `given` is one of the tokens. Every digest is compared, each in
    /// constant time: neither which token matched nor how much of one did shows
    /// in the time taken.
    pub fn accepts(&self, given: &TokenDigest) -> bool {
        let mut found = subtle::Choice::from(0);
        for known in &self.digests {
            found |= known.ct_eq(given);
        }
        found.into()
    }
}

/// The digests in a token file: one token a line, or `sha256:<hex>`; blank lines and
/// lines starting with `#` are skipped; surrounding whitespace is not part of a token.
fn parse_file(path: &str, text: &str) -> Result<Vec<TokenDigest>, TokenError> {
    let mut digests = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("sha256:") {
            let parsed = parse_sha256(line).ok_or_else(|| TokenError::BadDigest {
                path: path.to_owned(),
                line: index + 1,
            })?;
            digests.push(parsed);
        } else {
            digests.push(digest(line));
        }
    }
    Ok(digests)
}

/// The tokens in force, swapped whole on reload.
#[derive(Debug)]
pub struct Tokens {
    current: ArcSwap<TokenSet>,
}

impl Tokens {
    /// Starts with `set`.
    pub fn new(set: TokenSet) -> Tokens {
        Tokens {
            current: ArcSwap::from_pointee(set),
        }
    }

    /// Whether `token` is accepted now.
    pub fn accepts(&self, token: &str) -> bool {
        self.current.load().accepts(&digest(token))
    }

    /// Puts `set` in force for the next requests.
    pub fn replace(&self, set: TokenSet) {
        self.current.store(Arc::new(set));
    }

    /// How many tokens are in force.
    pub fn len(&self) -> usize {
        self.current.load().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.current.load().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_digests_from_a_file_are_accepted_and_nothing_else() {
        let hashed = "second-token-value";
        let text = format!(
            "# dashboards\nfirst-token-value\n\n  sha256:{}  \n",
            hex(&digest(hashed))
        );
        let set = TokenSet {
            digests: parse_file("f", &text).unwrap(),
        };
        assert_eq!(set.len(), 2);
        assert!(set.accepts(&digest("first-token-value")));
        assert!(set.accepts(&digest(hashed)));
        for wrong in [
            "first-token-valuE",
            "first-token-value ",
            "",
            "# dashboards",
        ] {
            assert!(!set.accepts(&digest(wrong)), "{wrong:?}");
        }
    }

    #[test]
    fn a_bad_digest_names_the_line_not_the_value() {
        let error = parse_file("tokens", "ok-token\nsha256:abc123\n").unwrap_err();
        let shown = error.to_string();
        assert!(
            shown.contains("line 2") && !shown.contains("abc123"),
            "{shown}"
        );
    }

    #[test]
    fn the_set_in_force_is_replaced_whole() {
        let tokens = Tokens::new(TokenSet {
            digests: vec![digest("old")],
        });
        assert!(tokens.accepts("old") && !tokens.accepts("new"));
        tokens.replace(TokenSet {
            digests: vec![digest("new")],
        });
        assert!(!tokens.accepts("old") && tokens.accepts("new"));
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}
