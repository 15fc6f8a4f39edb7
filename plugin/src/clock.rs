//! "Now" for a poll: the system clock; or, when the environment variable
//! [`NOW_FILE_VAR`] names a file, the RFC 3339 instant written in it. The tests use the
//! file to run a simulated day of polls in seconds against the simulator's clock.

use jiff::Timestamp;

/// The environment variable naming a file that holds "now".
pub const NOW_FILE_VAR: &str = "GENESYS_AHT_NOW_FILE";

/// The current instant.
pub fn now() -> Timestamp {
    let Some(path) = std::env::var_os(NOW_FILE_VAR) else {
        return Timestamp::now();
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    text.trim().parse().unwrap_or_else(|_| {
        crate::warn!(
            "{NOW_FILE_VAR}: {} holds no RFC 3339 instant; using the system clock",
            std::path::Path::new(&path).display()
        );
        Timestamp::now()
    })
}
