//! A stand-in for Telegraf's `inputs.execd`, for tests of the plugin as Telegraf runs it.
//!
//! Telegraf cannot run here, so this harness does what Telegraf's execd input is
//! documented and coded to do (Telegraf v1.39.3, `plugins/inputs/execd` and
//! `internal/process`):
//!
//! - starts the program once with three pipes; a failure to start is an error;
//! - on every gather with `signal = "STDIN"` writes one `\n` to its stdin
//!   ([`Execd::gather`], or every [`ExecdConfig::interval`]);
//! - parses stdout as a stream of line protocol: a metric is taken when its `\n`
//!   arrives, or at EOF; a parse error drops that line and is recorded;
//! - reads stderr line by line and classifies `E! `/`W! `/`I! `/`D! `/`T! `
//!   prefixes, anything else being an error;
//! - after an unexpected exit waits `restart_delay` and starts the program again
//!   with new pipes;
//! - stops it by closing stdin, waiting 5 s, sending SIGTERM, waiting 5 s, then SIGKILL.
//!
//! Lines are parsed with the `influxdb-line-protocol` crate. It agrees with
//! Telegraf's parser on everything the contract writes; it is laxer on a few
//! inputs Telegraf rejects (a lone backslash inside a string field, for one).
//!
//! Submodules: [`metric`] (parsed metrics and an InfluxDB-like point store);
//! `streams` (the stdout and stderr readers).

pub mod metric;
mod streams;

use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal as UnixSignal, kill};
use nix::unistd::Pid;
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use metric::{Metric, Store, Value};
use streams::lock;

/// How long Telegraf waits after closing stdin, and again after SIGTERM.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Telegraf's `signal` option (the portable ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// `signal = "STDIN"`: a newline per gather.
    Stdin,
    /// `signal = "none"`: the program times itself.
    None,
}

/// The `[[inputs.execd]]` options the harness honours.
#[derive(Debug, Clone)]
pub struct ExecdConfig {
    /// `command[0]`.
    pub program: PathBuf,
    /// `command[1..]`.
    pub args: Vec<String>,
    /// `environment`, added to the harness's own environment.
    pub env: Vec<(String, String)>,
    /// `signal`.
    pub signal: Signal,
    /// `interval`; `None` when the test triggers every gather itself.
    pub interval: Option<Duration>,
    /// `restart_delay` (Telegraf's default is 10 s).
    pub restart_delay: Duration,
}

impl ExecdConfig {
    /// A config for `program` with Telegraf's defaults, except that gathers are
    /// left to the test and the restart delay is short.
    pub fn new(program: impl Into<PathBuf>) -> ExecdConfig {
        ExecdConfig {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            signal: Signal::Stdin,
            interval: None,
            restart_delay: Duration::from_millis(200),
        }
    }
}

/// The level Telegraf gives a stderr line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// `E! ` or an unprefixed line.
    Error,
    /// `W! `
    Warn,
    /// `I! `
    Info,
    /// `D! `
    Debug,
    /// `T! `
    Trace,
}

/// One stderr line as Telegraf would log it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Which start of the program wrote it (0 for the first).
    pub instance: usize,
    /// Its level.
    pub level: Level,
    /// The text without the prefix; unprefixed lines are wrapped as `stderr: "..."`.
    pub text: String,
}

impl LogLine {
    fn classify(instance: usize, line: &str) -> LogLine {
        let prefixes = [
            ("E! ", Level::Error),
            ("W! ", Level::Warn),
            ("I! ", Level::Info),
            ("D! ", Level::Debug),
            ("T! ", Level::Trace),
        ];
        for (prefix, level) in prefixes {
            if let Some(text) = line.strip_prefix(prefix) {
                return LogLine {
                    instance,
                    level,
                    text: text.to_owned(),
                };
            }
        }
        LogLine {
            instance,
            level: Level::Error,
            text: format!("stderr: {line:?}"),
        }
    }
}

/// How one run of the program ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    /// Which start of the program.
    pub instance: usize,
    /// Its exit status.
    pub status: ExitStatus,
}

/// Everything the harness has seen so far.
#[derive(Debug, Default, Clone)]
pub struct Recorded {
    /// Metrics in arrival order, with the instance that wrote them.
    pub metrics: Vec<(usize, Metric)>,
    /// Lines Telegraf's parser would reject.
    pub parse_errors: Vec<String>,
    /// Unterminated stdout text found at EOF (Telegraf parses it anyway).
    pub partial_at_eof: Vec<String>,
    /// stderr lines.
    pub logs: Vec<LogLine>,
    /// Exits the harness did not ask for.
    pub exits: Vec<Exit>,
    /// Times the program was started.
    pub starts: usize,
    /// Problems of the harness itself: failed restarts, failed stdin writes.
    pub harness_errors: Vec<String>,
}

/// Which step of Telegraf's stop sequence ended the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopStep {
    /// It exited within 5 s of stdin closing.
    StdinClosed,
    /// It needed SIGTERM.
    Sigterm,
    /// It needed SIGKILL.
    Sigkill,
    /// It was not running (waiting for a restart, or a restart failed).
    NotRunning,
}

/// The result of [`Execd::stop`].
#[derive(Debug, Clone)]
pub struct StopOutcome {
    /// The step that ended it.
    pub step: StopStep,
    /// Time from closing stdin to exit.
    pub took: Duration,
    /// The exit status, if it was running.
    pub status: Option<ExitStatus>,
}

/// The running harness.
#[derive(Debug)]
pub struct Execd {
    recorded: Arc<Mutex<Recorded>>,
    stdin: Arc<tokio::sync::Mutex<Option<ChildStdin>>>,
    pid: Arc<Mutex<Option<u32>>>,
    signal: Signal,
    stop: watch::Sender<bool>,
    supervisor: JoinHandle<StopOutcome>,
    ticker: Option<JoinHandle<()>>,
}

struct Running {
    child: Child,
    readers: [JoinHandle<()>; 2],
}

#[derive(Clone)]
struct Shared {
    recorded: Arc<Mutex<Recorded>>,
    stdin: Arc<tokio::sync::Mutex<Option<ChildStdin>>>,
    pid: Arc<Mutex<Option<u32>>>,
}

impl Execd {
    /// Starts the program; an error here is what makes Telegraf abort its start.
    pub async fn start(config: ExecdConfig) -> std::io::Result<Execd> {
        let shared = Shared {
            recorded: Arc::default(),
            stdin: Arc::default(),
            pid: Arc::default(),
        };
        let first = spawn(&config, 0, &shared).await?;
        let (stop, stop_rx) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(config.clone(), first, shared.clone(), stop_rx));
        let mut execd = Execd {
            recorded: shared.recorded,
            stdin: shared.stdin,
            pid: shared.pid,
            signal: config.signal,
            stop,
            supervisor,
            ticker: None,
        };
        if let Some(every) = config.interval {
            execd.ticker = Some(execd.spawn_ticker(every));
        }
        Ok(execd)
    }

    fn spawn_ticker(&self, every: Duration) -> JoinHandle<()> {
        let stdin = Arc::clone(&self.stdin);
        let recorded = Arc::clone(&self.recorded);
        let signal = self.signal;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = signal_gather(signal, &stdin).await {
                    lock(&recorded).harness_errors.push(e);
                }
            }
        })
    }

    /// One gather: a newline on stdin with `signal = "STDIN"`, nothing with `"none"`.
    pub async fn gather(&self) -> Result<(), String> {
        signal_gather(self.signal, &self.stdin).await
    }

    /// A copy of everything recorded so far.
    pub fn recorded(&self) -> Recorded {
        lock(&self.recorded).clone()
    }

    /// The metrics received so far, in order.
    pub fn metrics(&self) -> Vec<Metric> {
        lock(&self.recorded)
            .metrics
            .iter()
            .map(|(_, m)| m.clone())
            .collect()
    }

    /// The PID of the running program, if one is running.
    pub fn pid(&self) -> Option<u32> {
        *self.pid.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends a signal to the running program (e.g. SIGKILL, to crash it).
    pub fn signal_child(&self, signal: UnixSignal) -> Result<(), String> {
        let pid = self.pid().ok_or("no process running")?;
        let pid = i32::try_from(pid).map_err(|e| e.to_string())?;
        kill(Pid::from_raw(pid), signal).map_err(|e| e.to_string())
    }

    /// Waits until `done` holds for what was recorded, or `limit` passes; returns whether it held.
    pub async fn wait_until(&self, limit: Duration, done: impl Fn(&Recorded) -> bool) -> bool {
        let start = Instant::now();
        loop {
            if done(&lock(&self.recorded)) {
                return true;
            }
            if start.elapsed() >= limit {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops the program as Telegraf does and returns how it went.
    pub async fn stop(self) -> (StopOutcome, Recorded) {
        if let Some(ticker) = &self.ticker {
            ticker.abort();
        }
        let _ = self.stop.send(true);
        let outcome = self.supervisor.await.unwrap_or(StopOutcome {
            step: StopStep::NotRunning,
            took: Duration::ZERO,
            status: None,
        });
        let recorded = lock(&self.recorded).clone();
        (outcome, recorded)
    }
}

async fn signal_gather(
    signal: Signal,
    stdin: &tokio::sync::Mutex<Option<ChildStdin>>,
) -> Result<(), String> {
    if signal == Signal::None {
        return Ok(());
    }
    let mut slot = stdin.lock().await;
    let pipe = slot
        .as_mut()
        .ok_or("writing to stdin failed: process not running")?;
    let written = pipe.write_all(b"\n").await;
    let flushed = match written {
        Ok(()) => pipe.flush().await,
        Err(e) => Err(e),
    };
    flushed.map_err(|e| format!("writing to stdin failed: {e}"))
}

async fn spawn(config: &ExecdConfig, instance: usize, shared: &Shared) -> std::io::Result<Running> {
    let mut child = Command::new(&config.program)
        .args(&config.args)
        .envs(config.env.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| std::io::Error::other("no stdout pipe"))?;
    let stderr = child
        .stderr
        .take()
        .ok_or_else(|| std::io::Error::other("no stderr pipe"))?;
    *shared.stdin.lock().await = child.stdin.take();
    *shared.pid.lock().unwrap_or_else(|p| p.into_inner()) = child.id();
    lock(&shared.recorded).starts += 1;
    let readers = [
        tokio::spawn(streams::read_stdout(
            stdout,
            instance,
            Arc::clone(&shared.recorded),
        )),
        tokio::spawn(streams::read_stderr(
            stderr,
            instance,
            Arc::clone(&shared.recorded),
        )),
    ];
    Ok(Running { child, readers })
}

async fn supervise(
    config: ExecdConfig,
    mut running: Running,
    shared: Shared,
    mut stop: watch::Receiver<bool>,
) -> StopOutcome {
    let mut instance = 0;
    loop {
        let status = tokio::select! {
            status = running.child.wait() => status,
            _ = stop.changed() => return shut_down(running, &shared).await,
        };
        for reader in running.readers {
            let _ = reader.await;
        }
        *shared.stdin.lock().await = None;
        *shared.pid.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if let Ok(status) = status {
            lock(&shared.recorded).exits.push(Exit { instance, status });
        }
        tokio::select! {
            _ = tokio::time::sleep(config.restart_delay) => {}
            _ = stop.changed() => return not_running(),
        }
        instance += 1;
        match spawn(&config, instance, &shared).await {
            Ok(next) => running = next,
            Err(e) => {
                // Telegraf gives up for good when a restart fails.
                lock(&shared.recorded)
                    .harness_errors
                    .push(format!("restart failed: {e}"));
                let _ = stop.changed().await;
                return not_running();
            }
        }
    }
}

fn not_running() -> StopOutcome {
    StopOutcome {
        step: StopStep::NotRunning,
        took: Duration::ZERO,
        status: None,
    }
}

async fn shut_down(mut running: Running, shared: &Shared) -> StopOutcome {
    let started = Instant::now();
    drop(shared.stdin.lock().await.take());
    let mut step = StopStep::StdinClosed;
    let mut status = tokio::time::timeout(STOP_GRACE, running.child.wait()).await;
    if status.is_err() {
        step = StopStep::Sigterm;
        if let Some(pid) = running.child.id().and_then(|p| i32::try_from(p).ok()) {
            let _ = kill(Pid::from_raw(pid), UnixSignal::SIGTERM);
        }
        status = tokio::time::timeout(STOP_GRACE, running.child.wait()).await;
    }
    if status.is_err() {
        step = StopStep::Sigkill;
        let _ = running.child.start_kill();
        status = Ok(running.child.wait().await);
    }
    let took = started.elapsed();
    for reader in running.readers {
        let _ = tokio::time::timeout(STOP_GRACE, reader).await;
    }
    *shared.pid.lock().unwrap_or_else(|p| p.into_inner()) = None;
    StopOutcome {
        step,
        took,
        status: status.ok().and_then(Result::ok),
    }
}
