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

use std::time::Duration;

use genesys_aht_contract::encode_batch_as;
use jiff::Timestamp;
use tokio::time::Instant;

use crate::collect::Collector;
use crate::config::{ConfigError, Settings, Signal};
use crate::genesys::GenesysError;
use crate::output::{self, OutputError};
use crate::poll::Poller;
use crate::stats::Counter;
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

/// `--once`: one poll (the last `lookback`, and backfill from the state file), its
/// batches and the plugin's own metrics printed; then return.
pub async fn once(settings: Settings) -> Result<(), RunError> {
    let now = crate::clock::now();
    let mut poller = Poller::new(Collector::new(settings)?, now);
    let started = Instant::now();
    let outcome = poll(&mut poller, now).await;
    let stats = poller.collector().stats();
    stats.bump(Counter::Polls);
    stats.poll_took(started.elapsed());
    if outcome.is_ok() {
        stats.succeeded_at(now.as_second());
    }
    let outcome = outcome.and_then(|()| write_self_metrics(&poller, now));
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
enum Start {
    /// Wait for the first trigger (execd).
    AwaitTrigger,
    /// Poll at once, then wait (the demo, which must show a collection even when
    /// stdin is already closed).
    PollFirst,
}

async fn loop_with(settings: Settings, start: Start) -> Result<(), RunError> {
    // First of all: a trigger signal arriving before its handler would kill the plugin.
    let mut triggers = Triggers::new(settings.signal, settings.interval)
        .map_err(|e| RunError::Signal(settings.signal.name(), e))?;
    let mut poller = Poller::new(Collector::new(settings)?, crate::clock::now());
    let collector = poller.collector();
    collector.login().await?;
    match collector.settings().signal {
        Signal::Stdin => crate::info!("logged in; collecting on each line from stdin"),
        Signal::None => crate::info!(
            "logged in; collecting every {:?}",
            collector.settings().interval
        ),
        signal => crate::info!("logged in; collecting on each {}", signal.name()),
    }
    run_loop(&mut poller, &mut triggers, start).await
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
         [collect]\ninclude_open_bucket = true\n[execd]\nsignal = \"none\"\ninterval = \"2s\"\n",
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

async fn run_loop(
    poller: &mut Poller,
    triggers: &mut Triggers,
    start: Start,
) -> Result<(), RunError> {
    let settings = poller.collector().settings().clone();
    let shutdown = shutdown_signal();
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
        let now = crate::clock::now();
        let started = Instant::now();
        let (outcome, stop) = {
            let poll = poll(poller, now);
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
            poller.collector().stop_jobs(CLEANUP_GRACE).await;
            break;
        };
        let took = started.elapsed();
        if let Err(RunError::Output(OutputError::Closed)) = report(poller, outcome, now, took) {
            return Ok(());
        }
        if stop {
            break;
        }
        warn_if_overrun(poller, &settings, took, merged);
    }
    poller.collector().stop_jobs(CLEANUP_GRACE).await;
    crate::info!("stopping");
    Ok(())
}

/// Counts and logs a poll's outcome, then writes the plugin's own metrics.
fn report(
    poller: &Poller,
    outcome: Result<(), RunError>,
    now: Timestamp,
    took: Duration,
) -> Result<(), RunError> {
    let stats = poller.collector().stats();
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
    write_self_metrics(poller, now)
}

/// A poll that overran its trigger: the triggers it missed are skipped, not queued.
fn warn_if_overrun(poller: &Poller, settings: &Settings, took: Duration, merged: u32) {
    let stats = poller.collector().stats();
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

/// One poll at `now` under `execd.poll_timeout`, each batch written to stdout.
async fn poll(poller: &mut Poller, now: Timestamp) -> Result<(), RunError> {
    let deadline = poller.collector().settings().poll_timeout;
    let mut sink = |points: &[genesys_aht_contract::Point]| output::write_stdout(points);
    match tokio::time::timeout(deadline, poller.poll(now, &mut sink)).await {
        Ok(outcome) => outcome,
        Err(_) => Err(RunError::Deadline(deadline)),
    }
}

/// The plugin's own metrics at `now`, when `execd.self_metrics` is on.
fn write_self_metrics(poller: &Poller, now: Timestamp) -> Result<(), RunError> {
    let collector = poller.collector();
    if !collector.settings().self_metrics {
        return Ok(());
    }
    let mut bytes = Vec::new();
    for (measurement, points) in collector.stats().points(now.as_nanosecond() as i64) {
        // Counters and gauges are always finite integers; a failure here is a bug.
        match encode_batch_as(measurement, &points) {
            Ok(batch) => bytes.extend_from_slice(&batch),
            Err(e) => crate::warn!("skipping the plugin's own metrics: {e}"),
        }
    }
    output::write_bytes(&bytes).map_err(RunError::Output)
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
