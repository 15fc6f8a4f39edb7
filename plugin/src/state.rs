//! The state file: the watermark, the end of the last bucket known to be written,
//! and the name pins ([`crate::pins`]).
//!
//! Written to a temporary file in the same directory, synced, then renamed over the
//! old one, so that a crash (or SIGKILL) at any moment leaves either the old or the
//! new watermark, never a torn file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::pins::NamePins;

/// What the state file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// Every closed bucket that ends at or before this instant has been written.
    pub watermark: Timestamp,
    /// The names each ID's buckets were written under (absent in older files).
    #[serde(default)]
    pub pins: NamePins,
}

/// Why the state file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[error("state file {path}: {reason}")]
pub struct StateError {
    path: PathBuf,
    reason: String,
}

impl StateError {
    fn new(path: &Path, reason: impl ToString) -> StateError {
        StateError {
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }
}

/// Reads the state file; `Ok(None)` when it does not exist yet.
pub fn load(path: &Path) -> Result<Option<State>, StateError> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StateError::new(path, e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| StateError::new(path, format!("not a state file ({e})")))
}

/// Replaces the state file atomically.
pub fn save(path: &Path, state: &State) -> Result<(), StateError> {
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let text = serde_json::to_string(state).map_err(|e| StateError::new(path, e))?;
    let write = || -> std::io::Result<()> {
        let mut file = fs::File::create(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        // The rename itself is durable only once the directory is synced.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|e| StateError::new(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_watermark_loads_back_and_replaces_the_old_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        assert_eq!(load(&path).expect("load"), None);
        for text in ["2025-03-10T09:00:00Z", "2025-03-10T09:15:00Z"] {
            let state = State {
                watermark: text.parse().expect("timestamp"),
                pins: NamePins::default(),
            };
            save(&path, &state).expect("save");
            assert_eq!(load(&path).expect("load"), Some(state));
        }
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["state.json"], "no temporary file is left");
    }

    #[test]
    fn a_file_without_pins_still_loads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        fs::write(&path, "{\"watermark\": \"2025-03-10T09:00:00Z\"}\n").expect("write");
        let state = load(&path).expect("load").expect("some");
        assert_eq!(state.pins, NamePins::default());
    }

    #[test]
    fn a_damaged_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        fs::write(&path, "{\"watermark\": 12").expect("write");
        let error = load(&path).expect_err("damaged");
        assert!(error.to_string().contains("state.json"), "{error}");
    }
}
