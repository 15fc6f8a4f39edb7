//! The one check that no secret of the test run shows in what a process printed.
//!
//! Every secret the tests hand to a process comes from here ([`SIDECAR_TOKENS`],
//! [`INFLUX_TOKEN`], the simulator's client secret) or is [`register`]ed, and every
//! stream the helpers capture passes through [`check`]: the Telegraf harness's
//! stderr lines of the plugin, the stderr of servers started by
//! [`crate::workspace::start_printing_url`], and the output of the sidecar binary in
//! its own tests. A leak is reported naming the stream and which secret (by its
//! place in the list, never its value), and fails the test run.

use std::sync::Mutex;

/// The simulator's default OAuth client secret (`genesys-sim`), which every plugin
/// test logs in with.
pub const SIM_CLIENT_SECRET: &str = "sim-secret";
/// Bearer tokens the sidecar tests give their sidecars.
pub const SIDECAR_TOKENS: [&str; 4] = [
    "dashboard-token-0c7d1f9e",
    "wallboard-token-5a2b8e31",
    "rotated-token-9f4e6d27",
    "retired-token-3b1a7c55",
];
/// The InfluxDB token the sidecar tests configure.
pub const INFLUX_TOKEN: &str = "influx-token-6e0f2a94";

static REGISTERED: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Adds a secret made at run time (a generated key, a token read from a file).
pub fn register(secret: &str) {
    if !secret.is_empty() {
        REGISTERED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(secret.to_owned());
    }
}

/// Every secret of the run so far.
pub fn known() -> Vec<String> {
    let mut all: Vec<String> = [SIM_CLIENT_SECRET, INFLUX_TOKEN]
        .into_iter()
        .chain(SIDECAR_TOKENS)
        .map(str::to_owned)
        .collect();
    all.extend(
        REGISTERED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned(),
    );
    all
}

/// Which known secret (its place in [`known`]) appears in `text`, if any.
pub fn find(text: &str) -> Option<usize> {
    known()
        .iter()
        .position(|secret| text.contains(secret.as_str()))
}

/// Panics, naming `stream` but not the secret, when `text` holds a known secret.
pub fn check(stream: &str, text: &str) {
    if let Some(index) = find(text) {
        panic!("secret #{index} of the test run appears in {stream}");
    }
}

/// [`check`] for a line read in the background, where a panic would only end the
/// reading task: the test binary exits at once with a failure instead.
pub fn check_or_exit(stream: &str, text: &str) {
    if let Some(index) = find(text) {
        eprintln!("secret #{index} of the test run appears in {stream}; failing the run");
        std::process::exit(101);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_is_found_and_named_by_its_place_only() {
        register("made-at-run-time-1234");
        assert_eq!(find("nothing here"), None);
        assert!(find(&format!("E! login with {SIM_CLIENT_SECRET} failed")).is_some());
        let leak = std::panic::catch_unwind(|| check("stderr", "token made-at-run-time-1234"));
        let message = leak.unwrap_err();
        let message = message.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("stderr") && !message.contains("made-at"),
            "{message}"
        );
    }
}
