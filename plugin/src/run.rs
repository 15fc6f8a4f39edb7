//! The program's modes: `--once`, the execd loop (`--config`) and `--demo`.
//!
//! The loop waits for a trigger (a stdin line with `signal = "STDIN"`, a tick with
//! `"none"`), runs one collection and writes its batch. Stdin EOF, Ctrl-C or SIGTERM
//! end it, also in the middle of a poll: the poll is dropped and nothing of it is
//! written. Lines that arrive during a poll coalesce into one next poll.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;
use tokio::io::{AsyncBufReadExt, BufReader, Lines, Stdin};
use tokio::time::Interval;

use crate::collect::Collector;
use crate::config::{ConfigError, FileConfig, Settings, Signal};
use crate::genesys::GenesysError;
use crate::output::{self, OutputError};

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
    /// The demo's simulator did not start.
    #[error("starting the simulated Genesys Cloud: {0}")]
    Simulator(std::io::Error),
}

/// `--once`: collect the last `lookback` window, print it, return.
pub async fn once(settings: Settings) -> Result<(), RunError> {
    let collector = Collector::new(settings)?;
    match poll(&collector).await {
        Ok(()) | Err(RunError::Output(OutputError::Closed)) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The execd loop with the settings' trigger.
pub async fn serve(settings: Settings) -> Result<(), RunError> {
    let collector = Collector::new(settings)?;
    collector.login().await?;
    match collector.settings().signal {
        Signal::Stdin => crate::info!("logged in; collecting on each line from stdin"),
        Signal::None => crate::info!(
            "logged in; collecting every {:?}",
            collector.settings().interval
        ),
    }
    run_loop(&collector).await
}

/// `--demo`: the simulated org in-process, polled every two seconds until stdin
/// closes or Ctrl-C.
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
    let settings = Settings::from_file(FileConfig::parse(&toml, Path::new("demo"))?, &|_| None)?;
    crate::info!(
        "demo: simulated Genesys Cloud at {}; close stdin or press Ctrl-C to stop",
        sim.base_url()
    );
    serve(settings).await
}

async fn run_loop(collector: &Collector) -> Result<(), RunError> {
    let signal = collector.settings().signal;
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    let mut ticker = tokio::time::interval(collector.settings().interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    // A stdin line that arrived during the last poll: one more poll, not one per line.
    let mut pending = false;
    loop {
        if !pending {
            let stop = tokio::select! {
                () = &mut shutdown => true,
                stop = next_trigger(signal, &mut stdin, &mut ticker) => stop,
            };
            if stop {
                break;
            }
        }
        pending = false;
        let poll = poll(collector);
        tokio::pin!(poll);
        let (outcome, stop) = tokio::select! {
            () = &mut shutdown => (finish_before_stop(poll.as_mut()).await, true),
            () = watch_stdin(signal, &mut stdin, &mut pending) => {
                (finish_before_stop(poll.as_mut()).await, true)
            }
            outcome = &mut poll => (Some(outcome), false),
        };
        match outcome {
            None => crate::warn!("stopping mid-poll; its batch is dropped"),
            Some(Ok(())) => {}
            Some(Err(RunError::Output(OutputError::Closed))) => return Ok(()),
            Some(Err(e)) => crate::error!("collection failed: {e}"),
        }
        if stop {
            break;
        }
    }
    crate::info!("stopping");
    Ok(())
}

/// How long a poll may still run after a stop request: Telegraf waits a few seconds
/// for its execd child, and the loop promises to be gone within two.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// Lets a poll that is nearly done write its batch; `None` if it did not finish in
/// [`STOP_GRACE`]. The poll writes only after its last await, so dropping it never
/// leaves a partial line on stdout.
async fn finish_before_stop<F>(poll: std::pin::Pin<&mut F>) -> Option<Result<(), RunError>>
where
    F: Future<Output = Result<(), RunError>>,
{
    tokio::time::timeout(STOP_GRACE, poll).await.ok()
}

/// While a poll runs: notes a trigger line in `pending`, returns when stdin closes.
async fn watch_stdin(signal: Signal, stdin: &mut Lines<BufReader<Stdin>>, pending: &mut bool) {
    // `next_line` is cancel-safe: a line half read when the poll ends stays buffered.
    while let Ok(Some(_)) = stdin.next_line().await {
        if signal == Signal::Stdin {
            *pending = true;
        }
    }
}

/// Waits for the next trigger; `true` means stop (stdin closed).
async fn next_trigger(
    signal: Signal,
    stdin: &mut Lines<BufReader<Stdin>>,
    ticker: &mut Interval,
) -> bool {
    loop {
        tokio::select! {
            line = stdin.next_line() => match line {
                Ok(Some(_)) if signal == Signal::Stdin => return false,
                // With `signal = "none"` stdin only tells when to stop.
                Ok(Some(_)) => continue,
                Ok(None) | Err(_) => return true,
            },
            _ = ticker.tick(), if signal == Signal::None => return false,
        }
    }
}

/// One collection, written as one batch.
async fn poll(collector: &Collector) -> Result<(), RunError> {
    let points = collector.collect(Timestamp::now()).await?;
    let lines = output::write_stdout(&points).map_err(RunError::Output)?;
    crate::debug!("wrote {lines} lines");
    Ok(())
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
