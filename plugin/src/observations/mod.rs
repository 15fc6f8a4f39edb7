//! The live queue state: Genesys's queue observations
//! (`POST /api/v2/analytics/queues/observations/query`), queried on every trigger beside
//! the conversations and written as [`genesys_aht_contract::queue::MEASUREMENT`],
//! stamped at the poll (observations carry no time of their own).
//!
//! One query names at most [`MAX_PREDICATES`] predicates (queue and media type
//! predicates together), so the org's queues are observed in as many queries as that
//! takes, through the same client as the conversations: one request budget, the same
//! retries and counters. The queue list (every queue of the org, or the configured
//! IDs, with their names) is read from `GET /api/v2/routing/queues` and kept for
//! [`QUEUE_LIST_TTL`]. The points of a poll are written only when every query
//! answered, so that a poll never shows part of the queues.
//!
//! - `config`: the `[observations]` section;
//! - `wire`: the query, the answer and its points.

mod config;
mod wire;

use std::collections::BTreeMap;

use genesys_aht_contract::Point;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::Mutex;

pub use config::ObservationsConfig;

use crate::genesys::routing::{Entity, Kind};
use crate::genesys::{Client, GenesysError};

/// Path of the observations query.
pub(crate) const PATH: &str = "/api/v2/analytics/queues/observations/query";
/// The permission the query needs, named in a 403 error.
const PERMISSION: &str = "analytics:queueObservation:view";
/// Most predicates one query's filter holds. The SDK models state no limit and none
/// was found documented: the plugin keeps each query to 100, which the simulator
/// enforces.
pub const MAX_PREDICATES: usize = 100;
/// How long the queue list is kept before it is read again (new or renamed queues).
const QUEUE_LIST_TTL: SignedDuration = SignedDuration::from_hours(1);

/// Observes the configured queues.
#[derive(Debug)]
pub(crate) struct Observer {
    settings: ObservationsConfig,
    /// The queue list and when it was read.
    queues: Mutex<Option<(Timestamp, Vec<Entity>)>>,
}

impl Observer {
    /// An observer of `settings`, `None` when observations are off.
    pub(crate) fn new(settings: ObservationsConfig) -> Option<Observer> {
        settings.enabled.then(|| Observer {
            settings,
            queues: Mutex::new(None),
        })
    }

    /// The live state of every configured queue at `now`, as points stamped at `now`.
    pub(crate) async fn observe(
        &self,
        client: &Client,
        now: Timestamp,
    ) -> Result<Vec<Point>, GenesysError> {
        let queues = self.queues(client, now).await?;
        let names: BTreeMap<&str, &str> = queues
            .iter()
            .map(|q| (q.id.as_str(), q.name.as_str()))
            .collect();
        let s = &self.settings;
        let per_query = MAX_PREDICATES.saturating_sub(s.media_types.len()).max(1);
        let mut points = Vec::new();
        for chunk in queues.chunks(per_query) {
            let body = wire::query(chunk, &s.metrics, &s.media_types);
            let answer: wire::Answer = client
                .call(reqwest::Method::POST, PATH, Some(&body), PERMISSION)
                .await?;
            points.extend(answer.points(&names, now));
        }
        Ok(points)
    }

    /// The queues to observe, read again when older than [`QUEUE_LIST_TTL`]. Configured
    /// IDs that no listing returns (deleted queues) are kept, named by their ID.
    async fn queues(&self, client: &Client, now: Timestamp) -> Result<Vec<Entity>, GenesysError> {
        let mut cached = self.queues.lock().await;
        if let Some((read, queues)) = cached.as_ref()
            && now.duration_since(*read) < QUEUE_LIST_TTL
            && *read <= now
        {
            return Ok(queues.clone());
        }
        let ids = &self.settings.queue_ids;
        let mut queues = client.list(Kind::Queue, ids).await?;
        for id in ids {
            if !queues.iter().any(|q| &q.id == id) {
                queues.push(Entity {
                    id: id.clone(),
                    name: id.clone(),
                });
            }
        }
        queues.sort_by(|a, b| a.id.cmp(&b.id));
        *cached = Some((now, queues.clone()));
        Ok(queues)
    }
}
