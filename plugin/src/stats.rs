//! The plugin's own metrics (names in `genesys_aht_contract::names::internal`):
//! counters the client and the loop bump, turned into points after every poll.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, PoisonError};

use genesys_aht_contract::names::internal as names;
use genesys_aht_contract::{FieldValue, Point};

/// Counters since the process started.
#[derive(Debug, Default)]
pub struct Stats {
    requests: Mutex<BTreeMap<(&'static str, String), i64>>,
    polls: AtomicI64,
    polls_failed: AtomicI64,
    polls_abandoned: AtomicI64,
    observations_failed: AtomicI64,
    triggers_merged: AtomicI64,
    retries: AtomicI64,
    rate_limited: AtomicI64,
    points_emitted: AtomicI64,
    poll_duration_ms: AtomicI64,
    last_success: AtomicI64,
    watermark: AtomicI64,
}

/// A counter of [`Stats`].
#[derive(Debug, Clone, Copy)]
pub enum Counter {
    /// A poll started.
    Polls,
    /// A poll failed.
    PollsFailed,
    /// A poll hit its deadline.
    PollsAbandoned,
    /// A poll's queue observations failed.
    ObservationsFailed,
    /// A trigger arrived during a poll.
    TriggersMerged,
    /// A request is sent again.
    Retries,
    /// A 429 arrived.
    RateLimited,
}

impl Stats {
    /// Counts one request to `endpoint` that ended with `status`.
    pub fn request(&self, endpoint: &'static str, status: &str) {
        let mut requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        *requests.entry((endpoint, status.to_owned())).or_default() += 1;
    }

    /// Adds one to `counter`.
    pub fn bump(&self, counter: Counter) {
        let cell = match counter {
            Counter::Polls => &self.polls,
            Counter::PollsFailed => &self.polls_failed,
            Counter::PollsAbandoned => &self.polls_abandoned,
            Counter::ObservationsFailed => &self.observations_failed,
            Counter::TriggersMerged => &self.triggers_merged,
            Counter::Retries => &self.retries,
            Counter::RateLimited => &self.rate_limited,
        };
        cell.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts points written.
    pub fn emitted(&self, points: usize) {
        let points = i64::try_from(points).unwrap_or(i64::MAX);
        self.points_emitted.fetch_add(points, Ordering::Relaxed);
    }

    /// Records how long the last poll took.
    pub fn poll_took(&self, duration: std::time::Duration) {
        let ms = i64::try_from(duration.as_millis()).unwrap_or(i64::MAX);
        self.poll_duration_ms.store(ms, Ordering::Relaxed);
    }

    /// Records a successful poll at `unix_seconds`.
    pub fn succeeded_at(&self, unix_seconds: i64) {
        self.last_success.store(unix_seconds, Ordering::Relaxed);
    }

    /// Records the watermark.
    pub fn watermark(&self, unix_seconds: i64) {
        self.watermark.store(unix_seconds, Ordering::Relaxed);
    }

    /// The counters as points at `timestamp_ns`: (measurement, points) per measurement.
    pub fn points(&self, timestamp_ns: i64) -> Vec<(&'static str, Vec<Point>)> {
        let load = |cell: &AtomicI64| FieldValue::Integer(cell.load(Ordering::Relaxed));
        let mut fields: Vec<(String, FieldValue)> = [
            (names::POLLS, &self.polls),
            (names::POLLS_FAILED, &self.polls_failed),
            (names::POLLS_ABANDONED, &self.polls_abandoned),
            (names::OBSERVATIONS_FAILED, &self.observations_failed),
            (names::TRIGGERS_MERGED, &self.triggers_merged),
            (names::RETRIES, &self.retries),
            (names::RATE_LIMITED, &self.rate_limited),
            (names::POINTS_EMITTED, &self.points_emitted),
            (names::POLL_DURATION_MS, &self.poll_duration_ms),
        ]
        .into_iter()
        .map(|(name, cell)| (name.to_owned(), load(cell)))
        .collect();
        // Gauges that have no value yet are left out rather than written as zero.
        for (name, cell) in [
            (names::LAST_SUCCESS, &self.last_success),
            (names::WATERMARK, &self.watermark),
        ] {
            if cell.load(Ordering::Relaxed) > 0 {
                fields.push((name.to_owned(), load(cell)));
            }
        }
        let poll = Point {
            timestamp_ns,
            tags: Vec::new(),
            fields,
        };
        let requests = self.requests.lock().unwrap_or_else(PoisonError::into_inner);
        let requests = requests
            .iter()
            .map(|((endpoint, status), count)| Point {
                timestamp_ns,
                tags: vec![
                    (names::ENDPOINT, (*endpoint).to_owned()),
                    (names::STATUS, status.clone()),
                ],
                fields: vec![(names::REQUESTS.to_owned(), FieldValue::Integer(*count))],
            })
            .collect();
        vec![
            (names::MEASUREMENT, vec![poll]),
            (names::REQUESTS_MEASUREMENT, requests),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_become_points() {
        let stats = Stats::default();
        stats.request("aggregates", "200");
        stats.request("aggregates", "200");
        stats.request("aggregates", "429");
        stats.bump(Counter::Polls);
        stats.bump(Counter::RateLimited);
        let points = stats.points(7);
        let (measurement, poll) = &points[0];
        assert_eq!(*measurement, names::MEASUREMENT);
        let field = |name: &str| poll[0].fields.iter().find(|(n, _)| n == name).map(|f| f.1);
        assert_eq!(field(names::POLLS), Some(FieldValue::Integer(1)));
        assert_eq!(field(names::RATE_LIMITED), Some(FieldValue::Integer(1)));
        assert_eq!(field(names::LAST_SUCCESS), None, "no poll succeeded yet");
        let (measurement, requests) = &points[1];
        assert_eq!(*measurement, names::REQUESTS_MEASUREMENT);
        let ok = requests
            .iter()
            .find(|p| p.tags.contains(&(names::STATUS, "200".to_owned())))
            .expect("a 200 point");
        assert_eq!(ok.fields[0].1, FieldValue::Integer(2));
        assert_eq!(requests.len(), 2);
    }
}
