//! What starts a poll in the execd loop, per `execd.signal`: a line on stdin
//! (`"STDIN"`), SIGHUP, SIGUSR1 or SIGUSR2 (Telegraf's execd sends the signal to the
//! plugin's PID), or the plugin's own ticker (`"none"`). Stdin closing always means stop.
//!
//! Signal handlers are installed when [`Triggers::new`] runs, before the login: a
//! signal that arrived before its handler would kill the plugin (the default action
//! of all three). Signals that arrive during a poll coalesce into one more poll.
//!
//! Telegraf's own default is `signal = "none"`, which sends nothing: with any other
//! `execd.signal`, a block that leaves `signal` out never triggers a poll. After
//! [`QUIET_INTERVALS`] times `execd.interval` without a trigger, the plugin says so
//! in a `W! ` line, and again after each further such stretch.

use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader, Lines, Stdin};
use tokio::time::{Instant, Interval};

use crate::config::Signal;

/// How many `execd.interval`s without a trigger before a warning.
pub(crate) const QUIET_INTERVALS: u32 = 3;

#[cfg(unix)]
type UnixSignal = tokio::signal::unix::Signal;
#[cfg(not(unix))]
type UnixSignal = std::future::Pending<()>;

/// The trigger sources of the loop; `R` is stdin in the binary, a pipe in tests.
#[derive(Debug)]
pub(crate) struct Triggers<R = BufReader<Stdin>> {
    signal: Signal,
    interval: Duration,
    stdin: Lines<R>,
    ticker: Interval,
    unix: Option<UnixSignal>,
    quiet_since: Instant,
}

impl Triggers {
    /// Installs the handler of `signal` if it is a Unix signal, and starts listening
    /// to it and to the process's stdin.
    pub(crate) fn new(signal: Signal, interval: Duration) -> std::io::Result<Triggers> {
        Triggers::with_input(signal, interval, BufReader::new(tokio::io::stdin()))
    }
}

impl<R: AsyncBufRead + Unpin> Triggers<R> {
    /// Installs the handler of `signal` if it is a Unix signal, and starts listening
    /// to it and to `input` in place of stdin.
    pub(crate) fn with_input(
        signal: Signal,
        interval: Duration,
        input: R,
    ) -> std::io::Result<Triggers<R>> {
        let mut ticker = tokio::time::interval(interval);
        // A poll longer than the interval skips the ticks it overran (with a warning in
        // the loop) instead of queueing them.
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        Ok(Triggers {
            signal,
            interval,
            stdin: input.lines(),
            ticker,
            unix: install(signal)?,
            quiet_since: Instant::now(),
        })
    }

    /// Waits for the next trigger; `true` means stop (stdin closed).
    pub(crate) async fn next(&mut self) -> bool {
        self.quiet_since = Instant::now();
        loop {
            let quiet_until = self.quiet_since + self.interval.saturating_mul(QUIET_INTERVALS);
            tokio::select! {
                line = self.stdin.next_line() => match line {
                    Ok(Some(_)) if self.signal == Signal::Stdin => return false,
                    // Otherwise stdin only tells when to stop.
                    Ok(Some(_)) => continue,
                    Ok(None) | Err(_) => return true,
                },
                _ = self.ticker.tick(), if self.signal == Signal::None => return false,
                () = recv(&mut self.unix), if self.unix.is_some() => return false,
                () = tokio::time::sleep_until(quiet_until), if self.signal != Signal::None => {
                    self.warn_quiet();
                    self.quiet_since = Instant::now();
                }
            }
        }
    }

    /// While a poll runs: counts trigger lines in `merged`, returns when stdin closes.
    pub(crate) async fn watch_stdin(&mut self, merged: &mut u32) {
        // `next_line` is cancel-safe: a line half read when the poll ends stays buffered.
        while let Ok(Some(_)) = self.stdin.next_line().await {
            if self.signal == Signal::Stdin {
                *merged += 1;
            }
        }
    }

    fn warn_quiet(&self) {
        let quiet = self.interval.saturating_mul(QUIET_INTERVALS).as_secs_f64();
        let name = self.signal.name();
        crate::warn!(
            "no trigger for {quiet} s ({QUIET_INTERVALS} x execd.interval) with execd.signal = {name:?}: \
             set signal = {name:?} in Telegraf's [[inputs.execd]] block (Telegraf's default, \"none\", \
             sends nothing), or execd.signal = \"none\" here to poll every execd.interval"
        );
    }
}

#[cfg(unix)]
fn install(signal: Signal) -> std::io::Result<Option<UnixSignal>> {
    use tokio::signal::unix::{SignalKind, signal as listen};
    let kind = match signal {
        Signal::Stdin | Signal::None => return Ok(None),
        Signal::Sighup => SignalKind::hangup(),
        Signal::Sigusr1 => SignalKind::user_defined1(),
        Signal::Sigusr2 => SignalKind::user_defined2(),
    };
    listen(kind).map(Some)
}

#[cfg(not(unix))]
fn install(_: Signal) -> std::io::Result<Option<UnixSignal>> {
    // The settings refuse Unix signals elsewhere.
    Ok(None)
}

async fn recv(unix: &mut Option<UnixSignal>) {
    match unix {
        #[cfg(unix)]
        Some(signal) => {
            // `None` only if the driver is gone, which ends the runtime anyway.
            let _ = signal.recv().await;
        }
        #[cfg(not(unix))]
        Some(pending) => pending.await,
        None => std::future::pending().await,
    }
}
