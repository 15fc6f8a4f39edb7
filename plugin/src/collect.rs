//! One collection: the window of buckets to read, the rows (from the aggregates query
//! or computed from details), the names, the points. The poll loop ([`crate::run`]) calls [`Collector::collect`].

use std::sync::Arc;
use std::time::Duration;

use genesys_aht_contract::{Dimension, Point};
use jiff::Timestamp;

use crate::config::{Collect, Genesys, Source};
use crate::details::job_book::JobBook;
use crate::genesys::routing::Kind;
use crate::genesys::{Client, GenesysError};
use crate::names::{NameMap, Names};
use crate::points::{self, NameBook};
use crate::rows::{Row, Window};
use crate::stats::Stats;

/// The `lookback_buckets` closed buckets before `now`, plus the open one if asked;
/// buckets are aligned on multiples of `granularity` since the Unix epoch (UTC).
pub fn window(
    now: Timestamp,
    granularity: Duration,
    lookback_buckets: u32,
    include_open: bool,
) -> Window {
    let g = i64::try_from(granularity.as_secs())
        .unwrap_or(i64::MAX)
        .max(1);
    let open_start = now.as_second().div_euclid(g) * g;
    let start = open_start - g * i64::from(lookback_buckets);
    let end = if include_open {
        open_start + g
    } else {
        open_start
    };
    let at = |s: i64| Timestamp::from_second(s).unwrap_or(now);
    Window {
        start: at(start),
        end: at(end),
    }
}

/// Collects points with one client, one name cache and the `[collect]` part.
#[derive(Debug)]
pub struct Collector {
    settings: Collect,
    client: Client,
    names: Names,
    stats: Arc<Stats>,
    /// Async details jobs still running: they outlive a poll.
    jobs: JobBook,
}

impl Collector {
    /// A collector of `settings` through a client for `genesys` (no request yet); its
    /// details jobs are kept beside `state_file`, if any, across restarts.
    pub fn new(
        genesys: &Genesys,
        settings: Collect,
        state_file: Option<&std::path::Path>,
    ) -> Result<Collector, GenesysError> {
        let stats = Arc::new(Stats::default());
        let client = Client::new(genesys, stats.clone())?;
        Ok(Collector {
            jobs: JobBook::new(state_file),
            settings,
            client,
            names: Names::default(),
            stats,
        })
    }

    /// The plugin's own counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The client, shared with the observations of the live queue state.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The `[collect]` part in use.
    pub fn settings(&self) -> &Collect {
        &self.settings
    }

    /// Logs in, so that credential mistakes show before the first poll.
    pub async fn login(&self) -> Result<(), GenesysError> {
        self.client.login().await
    }

    /// The window a poll at `now` re-reads: `lookback` closed buckets and, if asked,
    /// the open one.
    pub fn regular_window(&self, now: Timestamp) -> Window {
        let s = &self.settings;
        window(
            now,
            s.granularity,
            s.lookback_buckets,
            s.include_open_bucket,
        )
    }

    /// Reads the regular window at `now` and returns its points.
    pub async fn collect(&self, now: Timestamp) -> Result<Vec<Point>, GenesysError> {
        self.collect_window(self.regular_window(now)).await
    }

    /// Reads the buckets of `window` and returns their points.
    pub async fn collect_window(&self, window: Window) -> Result<Vec<Point>, GenesysError> {
        let s = &self.settings;
        let rows = match s.source {
            Source::Aggregates => self.client.aggregates(s, window).await?,
            Source::Details => crate::details::rows(&self.client, s, &self.jobs, window).await?,
        };
        let skills = self.names_for(&rows, Dimension::RequestedRoutingSkillId, Kind::Skill);
        let queues = self.names_for(&rows, Dimension::QueueId, Kind::Queue);
        let (skills, queues) = tokio::try_join!(skills, queues)?;
        let book = NameBook {
            skills: skills.as_deref(),
            queues: queues.as_deref(),
        };
        Ok(points::build(&rows, &s.group_by, &s.metrics, &book))
    }

    /// After a poll: deletes the details jobs it no longer needs.
    pub async fn settle_jobs(&self) {
        self.jobs.settle(&self.client).await;
    }

    /// At a stop: deletes the details jobs left, within `limit`, unless they are kept
    /// for the next start (with a `state_file`).
    pub async fn stop_jobs(&self, limit: Duration) {
        self.jobs.stop(&self.client, limit).await;
    }

    /// The names of the IDs of `dimension` in `rows`. A lookup that fails (after its
    /// retries) fails the collection: writing IDs in place of names that Genesys does
    /// know would put the same conversations under two names once it answers again,
    /// so the window is left for a later poll (`lookback`, backfill) instead.
    async fn names_for(
        &self,
        rows: &[Row],
        dimension: Dimension,
        kind: Kind,
    ) -> Result<Option<Arc<NameMap>>, GenesysError> {
        if !self.settings.group_by.contains(&dimension) {
            return Ok(None);
        }
        let ids = points::ids_of(rows, dimension);
        let map = self.names.resolve(&self.client, kind, &ids).await?;
        Ok(Some(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn windows_are_whole_buckets_before_now() {
        let quarter = Duration::from_secs(900);
        let w = window(at("2025-03-10T09:07:30Z"), quarter, 4, false);
        assert_eq!(
            (w.start, w.end),
            (at("2025-03-10T08:00:00Z"), at("2025-03-10T09:00:00Z"))
        );
        let w = window(at("2025-03-10T09:07:30Z"), quarter, 4, true);
        assert_eq!(w.end, at("2025-03-10T09:15:00Z"));
        let w = window(at("2025-03-10T09:00:00Z"), quarter, 1, false);
        assert_eq!(
            (w.start, w.end),
            (at("2025-03-10T08:45:00Z"), at("2025-03-10T09:00:00Z"))
        );
    }
}
