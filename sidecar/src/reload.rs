//! Reloading the tokens and the TLS files without a restart: when a watched file
//! changes (checked every `http.reload_check`) or on SIGHUP.
//!
//! Watched: `http.bearer_token_file`, the config file itself (for `bearer_token`
//! and `bearer_token_sha256`), and the files of `[tls]`. Each reload reads them all
//! again; a part that fails to load (a half-written file, a key that does not match
//! its certificate) is reported and the part in force is kept, so a mistake never
//! locks every client out. Open connections are not touched: requests in flight
//! finish, and a connection keeps the certificate it was opened with.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use salvo::conn::rustls::RustlsConfig;
use tokio::sync::mpsc::UnboundedSender;

use crate::config::{Config, HttpConfig, TlsConfig};
use crate::state::AppState;
use crate::tokens::TokenSet;

/// What identifies a version of a file: a replaced file (a rename, a new symlink
/// target) changes its inode, an edited one its time or length.
type Fingerprint = Option<(SystemTime, u64, u64)>;

fn fingerprint(path: &PathBuf) -> Fingerprint {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((meta.modified().ok()?, meta.len(), inode))
}

/// Reloads what can change while the sidecar runs.
#[derive(Debug)]
pub struct Reloader {
    /// The config file, for the token keys of `[http]`.
    source: Option<PathBuf>,
    /// The token keys in force (the config's, until a reload reads the file again).
    http: Mutex<HttpConfig>,
    /// The tokens in force (none when the sidecar started without tokens: the data
    /// routes are open, and tokens added later take effect at the next start) and
    /// the metrics.
    state: Arc<AppState>,
    /// The TLS files and the stream the listener takes new configurations from.
    tls: Option<(TlsConfig, UnboundedSender<RustlsConfig>)>,
    /// The files' versions at the last reload.
    seen: Mutex<Vec<(PathBuf, Fingerprint)>>,
    /// One reload at a time.
    running: tokio::sync::Mutex<()>,
}

impl Reloader {
    /// A reloader for `config`, feeding `tls_updates` when it has `[tls]`.
    pub fn new(
        config: &Config,
        state: Arc<AppState>,
        tls_updates: Option<UnboundedSender<RustlsConfig>>,
    ) -> Reloader {
        let reloader = Reloader {
            source: config.source.clone(),
            http: Mutex::new(config.http.clone()),
            state,
            tls: config.tls.clone().zip(tls_updates),
            seen: Mutex::new(Vec::new()),
            running: tokio::sync::Mutex::new(()),
        };
        let now = reloader.fingerprints();
        *lock(&reloader.seen) = now;
        reloader
    }

    fn watched(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = self.source.iter().cloned().collect();
        if self.state.tokens.is_some()
            && let Some(file) = &lock(&self.http).bearer_token_file
        {
            files.push(file.into());
        }
        if let Some((tls, _)) = &self.tls {
            files.extend([&tls.cert_file, &tls.key_file].map(PathBuf::from));
            files.extend(tls.client_ca_file.iter().map(PathBuf::from));
        }
        files
    }

    fn fingerprints(&self) -> Vec<(PathBuf, Fingerprint)> {
        self.watched()
            .into_iter()
            .map(|path| {
                let print = fingerprint(&path);
                (path, print)
            })
            .collect()
    }

    /// Whether a watched file changed since the last reload.
    pub fn changed(&self) -> bool {
        *lock(&self.seen) != self.fingerprints()
    }

    /// Reads everything again and puts what loads in force.
    pub async fn reload(&self) {
        let _one_at_a_time = self.running.lock().await;
        *lock(&self.seen) = self.fingerprints();
        self.reload_config();
        let metrics = &self.state.metrics;
        if let Some(tokens) = &self.state.tokens {
            let http = lock(&self.http).clone();
            match TokenSet::load(&http) {
                Ok(set) => {
                    tracing::info!("reloaded the bearer tokens: {} in force", set.len());
                    tokens.replace(set);
                    metrics.reload("tokens", true);
                }
                Err(error) => {
                    tracing::warn!("kept the bearer tokens in force: {error}");
                    metrics.reload("tokens", false);
                }
            }
        }
        if let Some((tls, updates)) = &self.tls {
            match crate::tls::load(tls) {
                Ok(config) => {
                    // The listener takes it for its next connections; it is gone
                    // only when the server has stopped.
                    if updates.send(config).is_ok() {
                        tracing::info!("reloaded the TLS certificate for new connections");
                        metrics.reload("tls", true);
                    }
                }
                Err(error) => {
                    tracing::warn!("kept the TLS certificate in force: {error}");
                    metrics.reload("tls", false);
                }
            }
        }
    }

    /// Takes the token keys from the config file again; other keys need a restart.
    fn reload_config(&self) {
        let Some(path) = &self.source else { return };
        match Config::load(&path.display().to_string()) {
            Ok(config) => *lock(&self.http) = config.http,
            Err(error) => {
                tracing::warn!("kept the tokens of the config in force: {error}");
                self.state.metrics.reload("config", false);
            }
        }
    }

    /// Reloads whenever a watched file changes, checking every `http.reload_check`.
    pub async fn watch(self: Arc<Self>) {
        let every = lock(&self.http).reload_check;
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if self.changed() {
                self.reload().await;
            }
        }
    }
}

/// Reloads on every SIGHUP until the process ends (Unix only).
pub async fn reload_on_sighup(reloader: Arc<Reloader>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::hangup()) {
            Ok(mut hangups) => {
                while hangups.recv().await.is_some() {
                    tracing::info!("SIGHUP: reloading the tokens and TLS files");
                    reloader.reload().await;
                }
            }
            Err(error) => tracing::warn!("no reload on SIGHUP: {error}"),
        }
    }
    #[cfg(not(unix))]
    let _ = reloader;
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
