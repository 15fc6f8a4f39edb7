//! Proactive pacing: never more than `budget` requests in any minute, and nothing at
//! all while Genesys has asked to wait (`Retry-After`).
//!
//! Genesys counts requests per token over a minute (300 by default). The pacer counts a
//! request from the moment it is sent until one minute after its answer arrived, so that
//! however long a request spends in flight, the server can never see more than `budget`
//! arrivals in any 60-second window.

use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The rate window Genesys counts over.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// Hands out permission to send, within the budget.
#[derive(Debug)]
pub(crate) struct Pacer {
    budget: usize,
    window: Duration,
    state: Mutex<State>,
    released: Notify,
}

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    /// When each request of the current window finished, oldest first.
    finished: VecDeque<Instant>,
    /// No request before this instant (a `Retry-After`).
    paused_until: Option<Instant>,
}

/// Permission for one request; dropping it marks the request finished.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    pacer: &'a Pacer,
}

enum Wait {
    Until(Instant),
    Release,
}

impl Pacer {
    /// At most `per_minute` requests in any minute (at least one).
    #[cfg(test)]
    pub(crate) fn new(per_minute: u32) -> Pacer {
        Pacer::with_window(per_minute, WINDOW)
    }

    /// At most `per_minute` requests in any `window` (at least one): a minute, but
    /// for tests of the real binary (see [`crate::clock::rate_window`]).
    pub(crate) fn with_window(per_minute: u32, window: Duration) -> Pacer {
        Pacer {
            budget: usize::try_from(per_minute).unwrap_or(usize::MAX).max(1),
            window,
            state: Mutex::new(State::default()),
            released: Notify::new(),
        }
    }

    /// Waits until a request may be sent.
    pub(crate) async fn acquire(&self) -> Permit<'_> {
        loop {
            match self.try_acquire(Instant::now()) {
                Ok(()) => return Permit { pacer: self },
                Err(Wait::Until(at)) => tokio::time::sleep_until(at).await,
                // Every slot is in flight: the next one to finish frees one.
                Err(Wait::Release) => self.released.notified().await,
            }
        }
    }

    /// Holds every request back until `until` (Genesys's `Retry-After`).
    pub(crate) fn pause_until(&self, until: Instant) {
        let mut state = self.lock();
        if state.paused_until.is_none_or(|p| p < until) {
            state.paused_until = Some(until);
        }
    }

    fn try_acquire(&self, now: Instant) -> Result<(), Wait> {
        let mut state = self.lock();
        if let Some(until) = state.paused_until.filter(|until| *until > now) {
            return Err(Wait::Until(until));
        }
        while state
            .finished
            .front()
            .is_some_and(|done| now.duration_since(*done) >= self.window)
        {
            state.finished.pop_front();
        }
        if state.in_flight + state.finished.len() < self.budget {
            state.in_flight += 1;
            return Ok(());
        }
        match state.finished.front() {
            Some(oldest) => Err(Wait::Until(*oldest + self.window)),
            None => Err(Wait::Release),
        }
    }

    fn release(&self) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        state.finished.push_back(Instant::now());
        drop(state);
        self.released.notify_one();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.pacer.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `count` requests that each take `latency`, as fast as the pacer allows;
    /// returns when each was sent, relative to the start.
    async fn send_times(pacer: &Pacer, count: usize, latency: Duration) -> Vec<Duration> {
        let start = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..count {
            let permit = pacer.acquire().await;
            sent.push(start.elapsed());
            tokio::time::sleep(latency).await;
            drop(permit);
        }
        sent
    }

    fn most_in_any_window(times: &[Duration], window: Duration) -> usize {
        times
            .iter()
            .map(|t| {
                times
                    .iter()
                    .filter(|u| **u >= *t && **u - *t < window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_than_the_budget() {
        let pacer = Pacer::new(5);
        let sent = send_times(&pacer, 23, Duration::from_millis(700)).await;
        assert_eq!(most_in_any_window(&sent, WINDOW), 5, "sent at {sent:?}");
        // Paced, not stalled: 23 requests at 5 a minute need four more minutes.
        assert!(sent[22] < Duration::from_secs(5 * 60), "sent at {sent:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_request_back() {
        let pacer = Pacer::new(100);
        let start = Instant::now();
        pacer.pause_until(start + Duration::from_secs(7));
        // A shorter pause does not shorten a longer one.
        pacer.pause_until(start + Duration::from_secs(2));
        drop(pacer.acquire().await);
        assert_eq!(start.elapsed(), Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_requests_share_the_budget() {
        let pacer = std::sync::Arc::new(Pacer::with_window(2, Duration::from_secs(10)));
        let start = Instant::now();
        let tasks: Vec<_> = (0..4)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    let permit = pacer.acquire().await;
                    let at = start.elapsed();
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    drop(permit);
                    at
                })
            })
            .collect();
        let mut sent = Vec::new();
        for task in tasks {
            sent.push(task.await.expect("task"));
        }
        sent.sort();
        assert_eq!(
            most_in_any_window(&sent, Duration::from_secs(10)),
            2,
            "{sent:?}"
        );
    }
}
