//! One poll: the regular window first, then, after downtime, a few backfill chunks
//! from the state file's watermark. Each window is written as its own batch as soon as
//! it is read, and the watermark moves only past windows already written, so a crash
//! at any moment repeats some buckets (same timestamps: they overwrite themselves)
//! and never skips one.
//!
//! Written is not read: Telegraf closes the plugin's stdout as soon as the plugin
//! exits (`Cmd.Wait()` runs beside its reader), and drops whatever it had not read
//! yet; nothing on stdout is acknowledged. So the watermark kept in memory (what was
//! written) is saved to the state file only by [`Poller::confirm`], which the loop
//! calls when the next trigger arrives: the batches of the polls before it have then
//! had a whole interval to be read while the plugin kept running. What is written
//! in a poll cut short by a stop or a crash, or during shutdown, is never saved: a
//! restart fetches it again.

use std::time::Duration;

use genesys_aht_contract::{MEASUREMENT, Point, queue};
use jiff::{SignedDuration, Timestamp};

use crate::collect::Collector;
use crate::config::Backfill;
use crate::genesys::GenesysError;
use crate::observations::Observer;
use crate::output::OutputError;
use crate::pins::NamePins;
use crate::rows::Window;
use crate::state::{self, State};
use crate::stats::Counter;

/// Backfill chunks read per poll, after the regular window: a long gap is caught up
/// over several polls, so that the regular one is never held up for long.
pub(crate) const BACKFILL_CHUNKS_PER_POLL: usize = 4;

/// Why a poll stopped before its end.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PollError {
    /// Genesys refused or failed.
    #[error(transparent)]
    Genesys(#[from] GenesysError),
    /// The sink failed (stdout closed or broken).
    #[error(transparent)]
    Output(OutputError),
}

/// Where a poll's batches go (stdout in the binary), each of one measurement; returns
/// the lines written.
pub(crate) type Sink<'a> = dyn FnMut(&str, &[Point]) -> Result<usize, OutputError> + 'a;

/// Polls with a collector and keeps the watermark.
#[derive(Debug)]
pub(crate) struct Poller {
    collector: Collector,
    backfill: Backfill,
    watermark: Option<Timestamp>,
    /// The watermark in the state file (see [`Poller::confirm`]).
    saved: Option<Timestamp>,
    pins: NamePins,
    /// The live queue state, when `[observations]` is on.
    observer: Option<Observer>,
}

impl Poller {
    /// A poller starting from the state file's watermark. Without one yet, the start
    /// of the window a poll at `now` reads becomes the watermark, saved at once: the
    /// plugin's history starts when it was first started, even if it crashes before
    /// its first poll completes.
    pub(crate) fn new(collector: Collector, backfill: Backfill, now: Timestamp) -> Poller {
        let saved = backfill
            .state_file
            .as_deref()
            .and_then(|path| match state::load(path) {
                Ok(state) => state,
                Err(e) => {
                    crate::warn!("{e}; starting without a watermark (no backfill this time)");
                    None
                }
            });
        let (watermark, pins) =
            saved.map_or((None, NamePins::default()), |s| (Some(s.watermark), s.pins));
        if let Some(watermark) = watermark {
            crate::info!("watermark {watermark}: buckets after it are backfilled if missing");
            collector.stats().watermark(watermark.as_second());
        }
        let mut poller = Poller {
            collector,
            backfill,
            watermark,
            saved: watermark,
            pins,
            observer: None,
        };
        if poller.watermark.is_none() && poller.backfill.state_file.is_some() {
            let start = poller.collector.regular_window(now).start;
            poller.advance(start);
            poller.confirm();
        }
        poller
    }

    /// Also observes the live queue state on every poll.
    pub(crate) fn with_observer(mut self, observer: Option<Observer>) -> Poller {
        self.observer = observer;
        self
    }

    /// The collector.
    pub(crate) fn collector(&self) -> &Collector {
        &self.collector
    }

    /// Saves the watermark: everything written so far is taken as read. The loop calls
    /// this when a trigger arrives, never during a stop; `--once` after its output.
    pub(crate) fn confirm(&mut self) {
        let Some(to) = self.watermark.filter(|w| self.saved != Some(*w)) else {
            return;
        };
        self.saved = Some(to);
        self.collector.stats().watermark(to.as_second());
        self.save();
    }

    /// One poll at `now`: the live queue state (when observed), then the
    /// conversations' windows, each batch written to `sink`. A failure of either does
    /// not keep the other from being read and written; the poll then fails with the
    /// conversations' error, or else the observations'.
    pub(crate) async fn poll(
        &mut self,
        now: Timestamp,
        sink: &mut Sink<'_>,
    ) -> Result<(), PollError> {
        let observed = self.observe(now, sink).await;
        if let Err(PollError::Output(e)) = observed {
            return Err(PollError::Output(e));
        }
        let collected = self.collect(now, sink).await;
        match (collected, observed) {
            (Err(collected), Err(observed)) => {
                crate::error!("{observed}");
                Err(collected)
            }
            (collected, observed) => collected.and(observed),
        }
    }

    /// The live queue state at `now`, written as one batch; a failure is counted.
    async fn observe(&mut self, now: Timestamp, sink: &mut Sink<'_>) -> Result<(), PollError> {
        let Some(observer) = &self.observer else {
            return Ok(());
        };
        let stats = self.collector.stats();
        let points = match observer.observe(self.collector.client(), now).await {
            Ok(points) => points,
            Err(e) => {
                stats.bump(Counter::ObservationsFailed);
                return Err(PollError::Genesys(e));
            }
        };
        let lines = sink(queue::MEASUREMENT, &points).map_err(PollError::Output)?;
        stats.emitted(lines);
        crate::debug!("wrote {lines} lines of the live queue state at {now}");
        Ok(())
    }

    /// The conversations' regular window at `now`, then the backfill chunks.
    async fn collect(&mut self, now: Timestamp, sink: &mut Sink<'_>) -> Result<(), PollError> {
        let regular = self.collector.regular_window(now);
        // A restart reads again from the saved watermark: pins must cover it.
        self.pins
            .prune(regular.start.min(self.saved.unwrap_or(regular.start)));
        let outcome = self.read_windows(now, sink).await;
        self.collector.settle_jobs().await;
        outcome
    }

    /// The regular window, then the backfill chunks; a details job still running
    /// ends the poll there, its window left for the next poll.
    async fn read_windows(&mut self, now: Timestamp, sink: &mut Sink<'_>) -> Result<(), PollError> {
        let regular = self.collector.regular_window(now);
        let closed_end = self.closed_end(now);
        let Some(points) = pending_is_none(self.collector.collect_window(regular).await)? else {
            return Ok(());
        };
        self.write(sink, points, regular)?;
        let chunks = self.backfill_chunks(regular.start, closed_end);
        if chunks.is_empty() {
            self.advance(closed_end);
        }
        for chunk in chunks {
            let Some(points) = pending_is_none(self.collector.collect_window(chunk).await)? else {
                return Ok(());
            };
            self.write(sink, points, chunk)?;
            // The regular window, already written, continues where the backfill ends.
            self.advance(if chunk.end >= regular.start {
                closed_end
            } else {
                chunk.end
            });
        }
        Ok(())
    }

    /// Pins the batch's names (saved before it is written, see [`crate::pins`]), then
    /// writes it.
    fn write(
        &mut self,
        sink: &mut Sink<'_>,
        mut points: Vec<Point>,
        window: Window,
    ) -> Result<(), PollError> {
        let group_by = &self.collector.settings().group_by;
        if self.pins.pin(&mut points, group_by, window.end) {
            self.save();
        }
        let lines = sink(MEASUREMENT, &points).map_err(PollError::Output)?;
        self.collector.stats().emitted(lines);
        crate::debug!("wrote {lines} lines for {} to {}", window.start, window.end);
        Ok(())
    }

    /// The start of the open bucket: the end of the last closed one.
    fn closed_end(&self, now: Timestamp) -> Timestamp {
        let s = self.collector.settings();
        crate::collect::window(now, s.granularity, 0, false).end
    }

    /// This poll's share of the gap between the watermark and the regular window,
    /// oldest first; a gap older than `max_backfill` is given up with a warning.
    fn backfill_chunks(&mut self, regular_start: Timestamp, closed_end: Timestamp) -> Vec<Window> {
        let Some(watermark) = self.watermark.filter(|w| *w < regular_start) else {
            return Vec::new();
        };
        let bucket = self.collector.settings().granularity;
        let floor = closed_end - span(bucket, self.backfill.max_buckets);
        let mut start = watermark;
        if start < floor {
            crate::warn!(
                "no data written from {watermark} to {floor}: longer ago than collect.max_backfill; not backfilled"
            );
            start = floor;
            self.watermark = Some(floor);
        }
        let chunks = plan_chunks(
            start,
            regular_start,
            span(bucket, self.backfill.chunk_buckets),
        );
        if !chunks.is_empty() {
            crate::info!(
                "backfilling {start} to {regular_start}: {} request(s) left, up to {BACKFILL_CHUNKS_PER_POLL} per poll",
                chunks.len()
            );
        }
        chunks.into_iter().take(BACKFILL_CHUNKS_PER_POLL).collect()
    }

    /// Moves the watermark to `to`, in memory: [`Poller::confirm`] saves it.
    fn advance(&mut self, to: Timestamp) {
        self.watermark = Some(to);
    }

    /// Saves the confirmed watermark and the name pins, when there is a state file.
    /// The pins are saved before the batch they name is written, whether or not it is
    /// later confirmed as read: a bucket that may have been written keeps its names.
    fn save(&self) {
        let (Some(path), Some(watermark)) = (&self.backfill.state_file, self.saved) else {
            return;
        };
        let state = State {
            watermark,
            pins: self.pins.clone(),
        };
        if let Err(e) = state::save(path, &state) {
            crate::warn!("{e}; a restart may backfill more than needed");
        }
    }
}

/// `buckets` buckets of `bucket`.
fn span(bucket: Duration, buckets: u32) -> SignedDuration {
    SignedDuration::try_from(bucket.saturating_mul(buckets)).unwrap_or(SignedDuration::MAX)
}

/// `[start, end)` cut into windows of at most `chunk`, oldest first.
pub(crate) fn plan_chunks(start: Timestamp, end: Timestamp, chunk: SignedDuration) -> Vec<Window> {
    let mut chunks = Vec::new();
    let mut from = start;
    while from < end && chunk.is_positive() {
        let to = from.checked_add(chunk).map_or(end, |t| t.min(end));
        chunks.push(Window {
            start: from,
            end: to,
        });
        from = to;
    }
    chunks
}

/// The points of a window, or `None` when a details job for it is still running (a
/// later poll reads it; an `I!` line says so).
fn pending_is_none(
    read: Result<Vec<Point>, GenesysError>,
) -> Result<Option<Vec<Point>>, PollError> {
    match read {
        Ok(points) => Ok(Some(points)),
        Err(e @ GenesysError::JobPending { .. }) => {
            crate::info!("{e}");
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn a_gap_is_cut_into_chunks_that_cover_it_exactly() {
        let chunks = plan_chunks(
            at("2025-03-10T00:00:00Z"),
            at("2025-03-10T13:30:00Z"),
            SignedDuration::from_hours(6),
        );
        let bounds: Vec<_> = chunks.iter().map(|w| (w.start, w.end)).collect();
        assert_eq!(
            bounds,
            [
                (at("2025-03-10T00:00:00Z"), at("2025-03-10T06:00:00Z")),
                (at("2025-03-10T06:00:00Z"), at("2025-03-10T12:00:00Z")),
                (at("2025-03-10T12:00:00Z"), at("2025-03-10T13:30:00Z")),
            ]
        );
        let none = plan_chunks(
            at("2025-03-10T13:30:00Z"),
            at("2025-03-10T13:30:00Z"),
            SignedDuration::from_hours(6),
        );
        assert!(none.is_empty());
    }
}
