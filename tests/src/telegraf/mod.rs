//! A stand-in for Telegraf's `inputs.execd`, for tests of the plugin as Telegraf runs it.
//!
//! Telegraf cannot run here, so this harness does what Telegraf's execd input is
//! documented and coded to do (Telegraf v1.39.3, `plugins/inputs/execd` and
//! `internal/process`):
//!
//! - starts the program once with three pipes; a failure to start is an error;
//! - on every gather ([`Execd::gather`], or every [`ExecdConfig::interval`]) does
//!   what its `signal` says: nothing with `"none"` (Telegraf's default), one `\n` on
//!   stdin with `"STDIN"`, or SIGHUP, SIGUSR1 or SIGUSR2 to the program's PID; a
//!   gather while the program is down (the restart delay) fails and is recorded;
//! - parses stdout as a stream of line protocol: a metric is taken when its `\n`
//!   arrives; a parse error drops that line and is recorded; `\t`, `\v` and `\f`
//!   separate sections as a space does (Telegraf's grammar);
//! - reads stderr line by line and classifies `E! `/`W! `/`I! `/`D! `/`T! `
//!   prefixes, anything else being an error; a line over 64 KiB ends the stderr
//!   reader and leaves the pipe open, unread;
//! - closes the pipes as soon as the program exits ([`AtExit::ClosePipes`], the
//!   default): what was not read by then is lost and recorded as such
//!   ([`Recorded::lost_at_exit`]); [`Execd::stall_stdout`] holds the reader back as a
//!   stalled Telegraf pipeline does, so a test can make that loss certain;
//! - after an unexpected exit waits `restart_delay` and starts the program again
//!   with new pipes;
//! - stops it by closing stdin, waiting 5 s, sending SIGTERM, waiting 5 s, then SIGKILL.
//!
//! Lines are parsed with the `influxdb-line-protocol` crate after Telegraf's
//! whitespace rules. It agrees with Telegraf's parser on everything the contract
//! writes; it is laxer on a few inputs Telegraf rejects (a lone backslash inside a
//! string field, for one).
//!
//! Submodules: [`metric`] (parsed metrics and an InfluxDB-like point store);
//! `streams` (the stdout and stderr readers); [`whitespace`] (Telegraf's separators).

pub mod metric;
mod streams;
pub mod whitespace;

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

pub use metric::{Metric, Store, Value, line_protocol};
use streams::{ReaderControl, lock};

/// How long Telegraf waits after closing stdin, and again after SIGTERM.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Telegraf's `signal` option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signal {
    /// `signal = "none"` (Telegraf's default): a gather sends nothing.
    #[default]
    None,
    /// `signal = "STDIN"`: a newline per gather.
    Stdin,
    /// `signal = "SIGHUP"`: the signal to the program's PID per gather.
    Sighup,
    /// `signal = "SIGUSR1"`.
    Sigusr1,
    /// `signal = "SIGUSR2"`.
    Sigusr2,
}

impl Signal {
    fn unix(self) -> Option<UnixSignal> {
        match self {
            Signal::None | Signal::Stdin => None,
            Signal::Sighup => Some(UnixSignal::SIGHUP),
            Signal::Sigusr1 => Some(UnixSignal::SIGUSR1),
            Signal::Sigusr2 => Some(UnixSignal::SIGUSR2),
        }
    }
}

/// What happens to output the harness has not read when the program exits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AtExit {
    /// Telegraf's behaviour (the default): `Cmd.Wait()` runs beside the readers and
    /// closes the pipes once the program has exited, so unread output is lost. A final
    /// line without `\n` counts as lost too: Telegraf parses it only when its reader
    /// sees EOF before `Wait` closes the pipe, a race this harness always loses.
    #[default]
    ClosePipes,
    /// Lenient: stdout is read to EOF (a final line without `\n` is parsed then)
    /// before the exit is handled.
    ReadToEof,
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
    /// `signal` (default `"none"`, as Telegraf's).
    pub signal: Signal,
    /// `interval`; `None` when the test triggers every gather itself.
    pub interval: Option<Duration>,
    /// `restart_delay` (Telegraf's default is 10 s).
    pub restart_delay: Duration,
    /// Unread output at exit (default: lost, as in Telegraf).
    pub at_exit: AtExit,
}

impl ExecdConfig {
    /// A config for `program` with Telegraf's defaults (`signal = "none"` among
    /// them), except that gathers are left to the test and the restart delay is short.
    pub fn new(program: impl Into<PathBuf>) -> ExecdConfig {
        ExecdConfig {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            signal: Signal::None,
            interval: None,
            restart_delay: Duration::from_millis(200),
            at_exit: AtExit::ClosePipes,
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
    /// Unterminated stdout text found at EOF and parsed ([`AtExit::ReadToEof`] only).
    pub partial_at_eof: Vec<String>,
    /// stdout text not read when the program exited, lost as in Telegraf
    /// ([`AtExit::ClosePipes`]), with the instance that wrote it.
    pub lost_at_exit: Vec<(usize, String)>,
    /// Gathers that failed, as Telegraf logs them (e.g. during the restart delay).
    pub failed_gathers: Vec<String>,
    /// stderr lines.
    pub logs: Vec<LogLine>,
    /// Exits the harness did not ask for.
    pub exits: Vec<Exit>,
    /// Times the program was started.
    pub starts: usize,
    /// Problems of the harness itself: failed restarts.
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
    stall: watch::Sender<bool>,
    stop: watch::Sender<bool>,
    supervisor: JoinHandle<StopOutcome>,
    ticker: Option<JoinHandle<()>>,
}

struct Running {
    child: Child,
    readers: [JoinHandle<()>; 2],
    exited: watch::Sender<bool>,
}

impl Running {
    /// What `Cmd.Wait()` does once the program is gone: the pipes close, no more
    /// gathers reach it.
    async fn close(&mut self, shared: &Shared) {
        let _ = self.exited.send(true);
        *shared.stdin.lock().await = None;
        *shared.pid.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
}

#[derive(Clone)]
struct Shared {
    recorded: Arc<Mutex<Recorded>>,
    stdin: Arc<tokio::sync::Mutex<Option<ChildStdin>>>,
    pid: Arc<Mutex<Option<u32>>>,
    stalled: watch::Receiver<bool>,
}

impl Execd {
    /// Starts the program; an error here is what makes Telegraf abort its start.
    pub async fn start(config: ExecdConfig) -> std::io::Result<Execd> {
        let (stall, stalled) = watch::channel(false);
        let shared = Shared {
            recorded: Arc::default(),
            stdin: Arc::default(),
            pid: Arc::default(),
            stalled,
        };
        let first = spawn(&config, 0, &shared).await?;
        let (stop, stop_rx) = watch::channel(false);
        let supervisor = tokio::spawn(supervise(config.clone(), first, shared.clone(), stop_rx));
        let mut execd = Execd {
            recorded: shared.recorded,
            stdin: shared.stdin,
            pid: shared.pid,
            signal: config.signal,
            stall,
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
        let target = self.target();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.tick().await;
            loop {
                tick.tick().await;
                let _ = target.gather().await;
            }
        })
    }

    fn target(&self) -> GatherTarget {
        GatherTarget {
            signal: self.signal,
            stdin: Arc::clone(&self.stdin),
            pid: Arc::clone(&self.pid),
            recorded: Arc::clone(&self.recorded),
        }
    }

    /// One gather: nothing with `signal = "none"`, a newline on stdin with `"STDIN"`,
    /// the signal with `"SIGHUP"`, `"SIGUSR1"` or `"SIGUSR2"`. An error (the program
    /// is not running, or the write or signal failed) is also recorded in
    /// [`Recorded::failed_gathers`]: Telegraf logs it and the gather is lost.
    pub async fn gather(&self) -> Result<(), String> {
        self.target().gather().await
    }

    /// Stalls (`true`) or resumes (`false`) the stdout reader, as a stalled Telegraf
    /// pipeline does (`AddMetric` blocks, the reader stops). What is written
    /// meanwhile waits; with [`AtExit::ClosePipes`] it is lost if the program exits
    /// first. (Unlike a real pipe, the wait never blocks the program's writes.)
    pub fn stall_stdout(&self, stalled: bool) {
        let _ = self.stall.send(stalled);
    }

    /// A copy of everything recorded so far.
    pub fn recorded(&self) -> Recorded {
        lock(&self.recorded).clone()
    }

    /// `read` applied to what was recorded so far, in place: [`Execd::recorded`]
    /// without the copy, for a test that looks at a long run's record at every step.
    pub fn inspect<T>(&self, read: impl FnOnce(&Recorded) -> T) -> T {
        read(&lock(&self.recorded))
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

/// What a gather needs, shared with the interval ticker.
struct GatherTarget {
    signal: Signal,
    stdin: Arc<tokio::sync::Mutex<Option<ChildStdin>>>,
    pid: Arc<Mutex<Option<u32>>>,
    recorded: Arc<Mutex<Recorded>>,
}

impl GatherTarget {
    async fn gather(&self) -> Result<(), String> {
        let sent = match (self.signal, self.signal.unix()) {
            (Signal::None, _) => Ok(()),
            (_, Some(signal)) => self.send_signal(signal),
            (_, None) => self.write_newline().await,
        };
        if let Err(e) = &sent {
            lock(&self.recorded).failed_gathers.push(e.clone());
        }
        sent
    }

    fn send_signal(&self, signal: UnixSignal) -> Result<(), String> {
        let pid = *self.pid.lock().unwrap_or_else(|p| p.into_inner());
        // Telegraf: `Process.Signal` on a process that has finished.
        let pid = pid.ok_or("os: process already finished")?;
        let pid = i32::try_from(pid).map_err(|e| e.to_string())?;
        kill(Pid::from_raw(pid), signal).map_err(|e| e.to_string())
    }

    async fn write_newline(&self) -> Result<(), String> {
        let mut slot = self.stdin.lock().await;
        let pipe = slot
            .as_mut()
            .ok_or("writing to stdin failed: write |1: file already closed")?;
        let written = pipe.write_all(b"\n").await;
        let flushed = match written {
            Ok(()) => pipe.flush().await,
            Err(e) => Err(e),
        };
        flushed.map_err(|e| format!("writing to stdin failed: {e}"))
    }
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
    let (exited, exited_rx) = watch::channel(false);
    let control = ReaderControl {
        stalled: shared.stalled.clone(),
        exited: exited_rx,
        at_exit: config.at_exit,
    };
    let readers = [
        tokio::spawn(streams::read_stdout(
            stdout,
            instance,
            Arc::clone(&shared.recorded),
            control.clone(),
        )),
        tokio::spawn(streams::read_stderr(
            stderr,
            instance,
            Arc::clone(&shared.recorded),
            control,
        )),
    ];
    Ok(Running {
        child,
        readers,
        exited,
    })
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
        running.close(&shared).await;
        for reader in running.readers {
            let _ = reader.await;
        }
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
    running.close(shared).await;
    for reader in running.readers {
        let _ = tokio::time::timeout(STOP_GRACE, reader).await;
    }
    StopOutcome {
        step,
        took,
        status: status.ok().and_then(Result::ok),
    }
}
