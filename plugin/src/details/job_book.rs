//! The async details jobs the collector has running on Genesys's side, owned by the
//! [`crate::collect::Collector`]: a job outlives the poll that created it.
//!
//! Real jobs take seconds to minutes, longer than a poll should wait. A job is
//! recorded here (and, with a `state_file`, in `<state_file>.jobs` beside it) the
//! moment Genesys gives its ID. A later poll that needs the same interval picks it up
//! again, also after a restart; a job no poll asked for again is deleted when the next
//! poll settles ([`JobBook::settle`]); without a `state_file`, stopping deletes every
//! job left. So each job is read and deleted, or deleted, never left behind (save a
//! creation whose answer never arrived: that request is not retried, see `jobs`).

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::PERMISSION;
use super::jobs::PATH;
use crate::genesys::Client;

/// One job: its ID and the interval it was created for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    id: String,
    interval: String,
    /// Asked for since the last [`JobBook::settle`].
    #[serde(skip)]
    touched: bool,
}

/// The jobs the collector has created and not yet deleted.
#[derive(Debug, Default)]
pub(crate) struct JobBook {
    entries: Mutex<Vec<Entry>>,
    /// Where the book is kept across restarts (`<state_file>.jobs`); `None`: in memory.
    file: Option<PathBuf>,
}

impl JobBook {
    /// The book kept beside `state_file` (its jobs from before a restart loaded), or in
    /// memory only.
    pub(crate) fn new(state_file: Option<&std::path::Path>) -> JobBook {
        let file = state_file.map(|p| {
            let mut name = p.as_os_str().to_owned();
            name.push(".jobs");
            PathBuf::from(name)
        });
        let entries = file
            .as_ref()
            .and_then(|f| std::fs::read(f).ok())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        JobBook {
            entries: Mutex::new(entries),
            file,
        }
    }

    /// The job already created for `interval`, if any (marked as asked for).
    pub(crate) fn find(&self, interval: &str) -> Option<String> {
        let mut entries = self.lock();
        let entry = entries.iter_mut().find(|e| e.interval == interval)?;
        entry.touched = true;
        Some(entry.id.clone())
    }

    /// Records a job just created.
    pub(crate) fn record(&self, interval: &str, id: &str) {
        let mut entries = self.lock();
        entries.push(Entry {
            id: id.to_owned(),
            interval: interval.to_owned(),
            touched: true,
        });
        self.save(&entries);
    }

    /// Deletes the job `id` on Genesys's side and forgets it.
    pub(crate) async fn delete(&self, client: &Client, id: &str) {
        let path = format!("{PATH}/{id}");
        match client.call_empty(Method::DELETE, &path, PERMISSION).await {
            // 404: it is gone already (expired, or deleted before a crash).
            Ok(()) | Err(crate::genesys::GenesysError::Status { status: 404, .. }) => {}
            Err(e) => {
                crate::warn!("deleting details job {id}: {e}; trying again at the next poll");
                return;
            }
        }
        let mut entries = self.lock();
        entries.retain(|e| e.id != id);
        self.save(&entries);
    }

    /// After a poll: deletes the jobs it did not ask for, and starts the next round.
    pub(crate) async fn settle(&self, client: &Client) {
        let stale: Vec<String> = {
            let mut entries = self.lock();
            let stale = entries.iter().filter(|e| !e.touched).map(|e| e.id.clone());
            let stale = stale.collect();
            entries.iter_mut().for_each(|e| e.touched = false);
            stale
        };
        for id in stale {
            crate::debug!("details job {id} was not asked for again: deleting it");
            self.delete(client, &id).await;
        }
    }

    /// At a stop: without a file to resume them from, deletes every job left, given
    /// `limit` in all; with one, keeps them for the next start.
    pub(crate) async fn stop(&self, client: &Client, limit: Duration) {
        if self.file.is_some() {
            return;
        }
        let ids: Vec<String> = self.lock().iter().map(|e| e.id.clone()).collect();
        let _ = tokio::time::timeout(limit, async {
            for id in ids {
                self.delete(client, &id).await;
            }
        })
        .await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes the book (atomically: a temporary file renamed); a failure is a warning,
    /// since the jobs still get deleted while the process lives.
    fn save(&self, entries: &[Entry]) {
        let Some(file) = &self.file else { return };
        let mut temporary = file.as_os_str().to_owned();
        temporary.push(".tmp");
        let result = serde_json::to_vec(entries)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&temporary, bytes))
            .and_then(|()| std::fs::rename(&temporary, file));
        if let Err(e) = result {
            crate::warn!("writing {}: {e}", file.display());
        }
    }
}
