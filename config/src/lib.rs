//! Configuration building blocks shared by the plugin and the sidecar, so that both
//! config files behave the same way:
//!
//! - [`expand_env`]: `${VAR}` and `${VAR:-default}` expansion, as Telegraf does in
//!   its own config, with an error (never a silent empty string) for an unset
//!   variable without a default;
//! - [`Secret`]: a string whose `Debug` and `Display` print `[REDACTED]`;
//! - [`read_private_file`]: a secret's file, refused when other users may read it.

mod env;
mod private_file;
mod secret;

pub use env::{ExpandError, expand_env};
pub use private_file::{PrivateFileError, check_private_file, read_private_file};
pub use secret::Secret;
