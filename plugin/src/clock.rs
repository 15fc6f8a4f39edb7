//! "Now" for a poll: the system clock. Builds with the `test-clock` feature (test
//! builds: the package's dev-dependency on itself turns it on) read it instead, when
//! the environment variable `NOW_FILE_VAR` names a file, from the RFC 3339 instant
//! written there: the tests use the file to run a simulated day of polls in seconds
//! against the simulator's clock. The same builds read the request budget's window
//! from [`RATE_WINDOW_VAR`] when it is set, so that a test of the budget through the
//! real binary waits seconds, not minutes. Release builds have no such hooks.

use std::time::Duration;

use jiff::Timestamp;

/// The environment variable naming a file that holds "now" (`test-clock` builds only).
#[cfg(feature = "test-clock")]
pub const NOW_FILE_VAR: &str = "GENESYS_AHT_NOW_FILE";

/// The environment variable holding the request budget's window in milliseconds,
/// instead of a minute (`test-clock` builds only).
#[cfg(feature = "test-clock")]
pub const RATE_WINDOW_VAR: &str = "GENESYS_AHT_RATE_WINDOW_MS";

/// The window `requests_per_minute` counts over: a minute, as Genesys counts.
#[cfg(not(feature = "test-clock"))]
pub(crate) fn rate_window() -> Duration {
    crate::genesys::pacer::WINDOW
}

/// The window `requests_per_minute` counts over: [`RATE_WINDOW_VAR`]'s milliseconds
/// when it is set to a positive number, else a minute.
#[cfg(feature = "test-clock")]
pub(crate) fn rate_window() -> Duration {
    let Some(text) = std::env::var_os(RATE_WINDOW_VAR) else {
        return crate::genesys::pacer::WINDOW;
    };
    match text.to_str().and_then(|t| t.trim().parse::<u64>().ok()) {
        Some(ms) if ms > 0 => Duration::from_millis(ms),
        _ => {
            crate::warn!(
                "{RATE_WINDOW_VAR}: not a positive number of milliseconds; using a minute"
            );
            crate::genesys::pacer::WINDOW
        }
    }
}

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
