//! The program's modes: `--once`, the execd loop (`--config`) and `--demo`.
//!
//! The loop waits for a trigger ([`crate::trigger`]: a stdin line with
//! `signal = "STDIN"`, SIGHUP, SIGUSR1 or SIGUSR2, a tick with `"none"`), saves the
//! watermark the polls before it reached ([`Poller::confirm`]), runs one poll
//! ([`crate::poll`]) under its deadline and writes its batches, then the plugin's own
//! metrics. Stdin EOF, Ctrl-C or SIGTERM end it, also in the middle of a poll or of a
//! retry's wait: the poll gets a short grace, then is dropped; a batch is written
//! whole or not at all, and nothing written during a stop moves the saved watermark.
//! Lines that arrive during a poll merge into one next poll.
//!
//! The loop ([`run_loop`]) takes what it reads and writes, as mini-redis's
//! `run(listener, shutdown)` does: the poll it drives ([`Polls`]), its [`Triggers`],
//! its shutdown future, its sink and its clock ([`Io`]). The binary gives it the
//! process's stdin, signals, stdout and the system clock; the tests in `run_tests.rs`
//! give it a pipe, a channel, a buffer and paused tokio time.

use std::io::Write;
use std::time::Duration;

use genesys_aht_contract::{Point, encode_batch_as};
use jiff::Timestamp;
use tokio::io::AsyncBufRead;
use tokio::time::Instant;

use crate::collect::Collector;
use crate::config::{ConfigError, ExecdConfig, Settings, Signal};
use crate::genesys::GenesysError;
use crate::output::{self, OutputError};
use crate::poll::{PollError, Poller, Sink};
use crate::stats::{Counter, Stats};
use crate::trigger::Triggers;

/// Why the program stops with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The configuration is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Genesys refused or failed.
    #[error(transparent)]
    Genesys(#[from] GenesysError),
    /// Stdout failed.
    #[error(transparent)]
    Output(OutputError),
    /// The poll ran past `execd.poll_timeout`.
    #[error(
        "poll abandoned after execd.poll_timeout ({} s); the next poll reads its buckets again",
        .0.as_secs()
    )]
    Deadline(Duration),
    /// The demo's simulator did not start.
    #[error("starting the simulated Genesys Cloud: {0}")]
    Simulator(std::io::Error),
    /// `--demo` was asked of a build without the simulator.
    #[error(
        "--demo needs a build with the `demo` feature, which this one lacks: \
         `cargo run -p genesys-aht --features demo -- --demo`"
    )]
    DemoNotBuilt,
    /// The handler of the trigger signal could not be installed.
    #[error("listening for execd.signal {0:?}: {1}")]
    Signal(&'static str, std::io::Error),
}

impl From<PollError> for RunError {
    fn from(error: PollError) -> RunError {
        match error {
            PollError::Genesys(e) => RunError::Genesys(e),
            PollError::Output(e) => RunError::Output(e),
        }
    }
}

/// What the loop drives: one poll at a time, the watermark's confirmation, the
/// counters. [`Poller`] in the binary.
pub(crate) trait Polls {
    /// One poll at `now`, each window's points written to `sink`.
    fn poll(
        &mut self,
        now: Timestamp,
        sink: &mut Sink<'_>,
    ) -> impl Future<Output = Result<(), PollError>>;
    /// Everything written so far has been read: save the watermark.
    fn confirm(&mut self);
    /// The plugin's own counters.
    fn stats(&self) -> &Stats;
    /// Stopping: details jobs still running are deleted or kept, within `grace`.
    fn stop_jobs(&self, grace: Duration) -> impl Future<Output = ()> {
        let _ = grace;
        async {}
    }
}

impl Polls for Poller {
    fn poll(
        &mut self,
        now: Timestamp,
        sink: &mut Sink<'_>,
    ) -> impl Future<Output = Result<(), PollError>> {
        Poller::poll(self, now, sink)
    }

    fn confirm(&mut self) {
        Poller::confirm(self);
    }

    fn stats(&self) -> &Stats {
        self.collector().stats()
    }

    fn stop_jobs(&self, grace: Duration) -> impl Future<Output = ()> {
        self.collector().stop_jobs(grace)
    }
}

/// The loop's outside world: where its batches go and what time it is.
pub(crate) struct Io<'a> {
    /// Where batches and the plugin's own metrics are written (stdout).
    pub(crate) out: &'a mut dyn Write,
    /// "Now" for each poll.
    pub(crate) clock: &'a dyn Fn() -> Timestamp,
}

/// `--once`: one poll (the last `lookback`, and backfill from the state file), its
/// batches and the plugin's own metrics printed; then return.
pub async fn once(settings: Settings) -> Result<(), RunError> {
    let now = crate::clock::now();
    let execd = settings.execd.clone();
    let mut poller = poller(settings, now)?;
    let out = &mut std::io::stdout();
    let started = Instant::now();
    let outcome = poll(&mut poller, &execd, out, now).await;
    let stats = poller.collector().stats();
    stats.bump(Counter::Polls);
    stats.poll_took(started.elapsed());
    if outcome.is_ok() {
        stats.succeeded_at(now.as_second());
    }
    let outcome = outcome.and_then(|()| write_self_metrics(stats, &execd, out, now));
    if outcome.is_ok() {
        // `inputs.exec`, cron or a shell read the whole output before moving on.
        poller.confirm();
    }
    poller.collector().stop_jobs(CLEANUP_GRACE).await;
    match outcome {
        Ok(()) | Err(RunError::Output(OutputError::Closed)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The execd loop with the settings' trigger.
pub async fn serve(settings: Settings) -> Result<(), RunError> {
    loop_with(settings, Start::AwaitTrigger).await
}

/// How the loop begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// Wait for the first trigger (execd).
    AwaitTrigger,
    /// Poll at once, then wait (the demo, which must show a collection even when
    /// stdin is already closed).
    PollFirst,
}

/// The poller of `settings`: a collector of its `[collect]` part through a client
/// of its `[genesys]` part, keeping its backfill part's watermark, and the observer
/// of its `[observations]` part through the same client.
fn poller(settings: Settings, now: Timestamp) -> Result<Poller, RunError> {
    let collector = Collector::new(
        &settings.genesys,
        settings.collect,
        settings.backfill.state_file.as_deref(),
    )?;
    let observer = crate::observations::Observer::new(settings.observations);
    Ok(Poller::new(collector, settings.backfill, now).with_observer(observer))
}

async fn loop_with(settings: Settings, start: Start) -> Result<(), RunError> {
    let execd = settings.execd.clone();
    // First of all: a trigger signal arriving before its handler would kill the plugin.
    let mut triggers = Triggers::new(execd.signal, execd.interval)
        .map_err(|e| RunError::Signal(execd.signal.name(), e))?;
    let mut poller = poller(settings, crate::clock::now())?;
    poller.collector().login().await?;
    match execd.signal {
        Signal::Stdin => crate::info!("logged in; collecting on each line from stdin"),
        Signal::None => crate::info!("logged in; collecting every {:?}", execd.interval),
        signal => crate::info!("logged in; collecting on each {}", signal.name()),
    }
    let io = Io {
        out: &mut std::io::stdout(),
        clock: &crate::clock::now,
    };
    run_loop(
        &mut poller,
        &execd,
        &mut triggers,
        shutdown_signal(),
        io,
        start,
    )
    .await
}

/// `--demo`: the simulated org in-process: one collection printed at once, whatever
/// stdin is (a container started without `-i` has it closed), then one every two
/// seconds until stdin closes or Ctrl-C.
#[cfg(feature = "demo")]
pub async fn demo() -> Result<(), RunError> {
    let sim = genesys_sim::Sim::start(genesys_sim::SimConfig::default())
        .await
        .map_err(RunError::Simulator)?;
    let toml = format!(
        "[genesys]\napi_url = \"{}\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\
         [collect]\ninclude_open_bucket = true\n[execd]\nsignal = \"none\"\ninterval = \"2s\"\n\
         [observations]\nenabled = true\n",
        sim.base_url(),
        genesys_sim::config::DEFAULT_CLIENT_ID,
        genesys_sim::config::DEFAULT_CLIENT_SECRET,
    );
    let file = crate::config::FileConfig::parse(&toml, std::path::Path::new("demo"))?;
    let settings = Settings::from_file(file, &|_| None)?;
    crate::info!(
        "demo: simulated Genesys Cloud at {}; close stdin or press Ctrl-C to stop",
        sim.base_url()
    );
    loop_with(settings, Start::PollFirst).await
}

/// `--demo` in a build without the `demo` feature: an error saying how to get one.
#[cfg(not(feature = "demo"))]
pub async fn demo() -> Result<(), RunError> {
    Err(RunError::DemoNotBuilt)
}

/// The execd loop: waits for a trigger, polls, reports, until `shutdown` completes
/// or the triggers' input closes.
pub(crate) async fn run_loop<R: AsyncBufRead + Unpin>(
    poller: &mut impl Polls,
    execd: &ExecdConfig,
    triggers: &mut Triggers<R>,
    shutdown: impl Future<Output = ()>,
    io: Io<'_>,
    start: Start,
) -> Result<(), RunError> {
    let Io { out, clock } = io;
    tokio::pin!(shutdown);
    // Stdin lines that arrived during the last poll: one more poll, not one per line.
    // The first poll of `Start::PollFirst` goes ahead as if a trigger had merged.
    let mut merged = u32::from(start == Start::PollFirst);
    loop {
        if merged == 0 {
            let stop = tokio::select! {
                () = &mut shutdown => true,
                stop = triggers.next() => stop,
            };
            if stop {
                break;
            }
        }
        // The plugin lived on until this trigger: what it wrote before has been read.
        poller.confirm();
        merged = 0;
        let now = clock();
        let started = Instant::now();
        let (outcome, stop) = {
            let poll = poll(poller, execd, out, now);
            tokio::pin!(poll);
            tokio::select! {
                () = &mut shutdown => (finish_before_stop(poll.as_mut()).await, true),
                () = triggers.watch_stdin(&mut merged) => {
                    (finish_before_stop(poll.as_mut()).await, true)
                }
                outcome = &mut poll => (Some(outcome), false),
            }
        };
        let Some(outcome) = outcome else {
            crate::warn!("stopping mid-poll; the rest of it is dropped");
            poller.stop_jobs(CLEANUP_GRACE).await;
            break;
        };
        let took = started.elapsed();
        if let Err(RunError::Output(OutputError::Closed)) =
            report(poller, execd, out, outcome, now, took)
        {
            return Ok(());
        }
        if stop {
            break;
        }
        warn_if_overrun(poller, execd, took, merged);
    }
    poller.stop_jobs(CLEANUP_GRACE).await;
    crate::info!("stopping");
    Ok(())
}

/// Counts and logs a poll's outcome, then writes the plugin's own metrics.
fn report(
    poller: &impl Polls,
    execd: &ExecdConfig,
    out: &mut dyn Write,
    outcome: Result<(), RunError>,
    now: Timestamp,
    took: Duration,
) -> Result<(), RunError> {
    let stats = poller.stats();
    stats.bump(Counter::Polls);
    stats.poll_took(took);
    match outcome {
        Ok(()) => stats.succeeded_at(now.as_second()),
        Err(RunError::Output(OutputError::Closed)) => {
            return Err(RunError::Output(OutputError::Closed));
        }
        Err(e @ RunError::Deadline(_)) => {
            stats.bump(Counter::PollsAbandoned);
            crate::warn!("{e}");
        }
        Err(e) => {
            stats.bump(Counter::PollsFailed);
            crate::error!("collection failed: {e}");
        }
    }
    write_self_metrics(poller.stats(), execd, out, now)
}

/// A poll that overran its trigger: the triggers it missed are skipped, not queued.
fn warn_if_overrun(poller: &impl Polls, settings: &ExecdConfig, took: Duration, merged: u32) {
    let stats = poller.stats();
    match settings.signal {
        Signal::Stdin if merged > 0 => {
            for _ in 0..merged {
                stats.bump(Counter::TriggersMerged);
            }
            crate::warn!(
                "a poll took {} ms and {merged} trigger(s) arrived meanwhile: polling once more, not {merged} times",
                took.as_millis()
            );
        }
        Signal::None if took > settings.interval => crate::warn!(
            "a poll took {} ms, longer than execd.interval: {} poll(s) skipped",
            took.as_millis(),
            took.as_millis() / settings.interval.as_millis().max(1)
        ),
        _ => {}
    }
}

/// How long a poll may still run after a stop request: Telegraf waits a few seconds
/// for its execd child, and the loop promises to be gone within two.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// How long a stop waits for the deletion of the details jobs left (without a
/// `state_file`; with one they are kept for the next start).
const CLEANUP_GRACE: Duration = Duration::from_millis(300);

/// Lets a poll that is nearly done write its batch; `None` if it did not finish in
/// [`STOP_GRACE`]. The poll writes only after its last await, so dropping it never
/// leaves a partial line on stdout.
async fn finish_before_stop<F>(poll: std::pin::Pin<&mut F>) -> Option<Result<(), RunError>>
where
    F: Future<Output = Result<(), RunError>>,
{
    tokio::time::timeout(STOP_GRACE, poll).await.ok()
}

/// One poll at `now` under `execd.poll_timeout`, each batch written to `out`.
async fn poll(
    poller: &mut impl Polls,
    execd: &ExecdConfig,
    out: &mut dyn Write,
    now: Timestamp,
) -> Result<(), RunError> {
    let deadline = execd.poll_timeout;
    let mut sink =
        |measurement: &str, points: &[Point]| output::write_batch(out, measurement, points);
    match tokio::time::timeout(deadline, poller.poll(now, &mut sink)).await {
        Ok(outcome) => outcome.map_err(RunError::from),
        Err(_) => Err(RunError::Deadline(deadline)),
    }
}

/// The plugin's own metrics at `now`, when `execd.self_metrics` is on.
fn write_self_metrics(
    stats: &Stats,
    execd: &ExecdConfig,
    out: &mut dyn Write,
    now: Timestamp,
) -> Result<(), RunError> {
    if !execd.self_metrics {
        return Ok(());
    }
    let mut bytes = Vec::new();
    for (measurement, points) in stats.points(now.as_nanosecond() as i64) {
        // Counters and gauges are always finite integers; a failure here is a bug.
        match encode_batch_as(measurement, &points) {
            Ok(batch) => bytes.extend_from_slice(&batch),
            Err(e) => crate::warn!("skipping the plugin's own metrics: {e}"),
        }
    }
    output::write_bytes(out, &bytes).map_err(RunError::Output)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
