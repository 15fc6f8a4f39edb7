//! "Now" for a poll: the system clock. Builds with the `test-clock` feature (test
//! builds: the package's dev-dependency on itself turns it on) read it instead, when
//! the environment variable `NOW_FILE_VAR` names a file, from the RFC 3339 instant
//! written there: the tests use the file to run a simulated day of polls in seconds
//! against the simulator's clock. Release builds have no such hook.

use jiff::Timestamp;

/// The environment variable naming a file that holds "now" (`test-clock` builds only).
#[cfg(feature = "test-clock")]
pub const NOW_FILE_VAR: &str = "GENESYS_AHT_NOW_FILE";

/// The current instant.
#[cfg(not(feature = "test-clock"))]
pub(crate) fn now() -> Timestamp {
    Timestamp::now()
}

/// The current instant: the one in the file [`NOW_FILE_VAR`] names, when it is set.
#[cfg(feature = "test-clock")]
pub(crate) fn now() -> Timestamp {
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
