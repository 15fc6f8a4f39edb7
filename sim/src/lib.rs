//! `genesys-sim`: a faithful local Genesys Cloud Platform API for tests, demos and benchmarks.
//!
//! One base URL serves `POST /oauth/token` and the `/api/v2/...` endpoints a handle-time
//! collector uses, over a seeded, deterministic org whose conversations every endpoint
//! reads, so that aggregates, details and jobs agree. See the crate README for the rules.
//!
//! # Layout
//!
//! - [`config`]: [`SimConfig`], OAuth [`ClientConfig`]s and the [`Clock`].
//! - `org`: skills and queues (seeded UUIDs, awkward names, deleted ones, renames).
//! - `generate`: the per-minute conversation generator and the "seen at now" view;
//!   `model`: the detail documents it produces.
//! - [`targets`]: each queue's service level and alerting timeout per media type, and
//!   the short-abandon threshold.
//! - `aggregate`: metric emissions → (bucket, group) statistics ([`Stats`], [`GroundTruth`]);
//!   `filter`: the `and`/`or` predicate filters of the queries.
//! - `server`: hyper accept loop, faults, contract check, request log; `wire`: whole and
//!   truncated response bodies; `router`: which endpoint answers; `reply`: answers and
//!   platform errors; `auth`: OAuth, tokens, permissions, rate limit.
//! - `state`: what the endpoints share; `request`: a parsed request.
//! - `api::{aggregates, details, jobs, observations, routing}`: the endpoints;
//!   `agents`: the agents' timeline (membership, routing status, presence) and
//!   `observe`: the live state at an instant, which the observations endpoint serves.
//! - [`faults`]: scripted and random fault injection, the request log's records.
//! - [`contract`]: the validator of JSON documents against the SDK's models.
//! - [`cli`]: the `genesys-sim` command line.

mod agents;
mod aggregate;
mod api;
mod auth;
pub mod cli;
pub mod config;
pub mod contract;
pub mod faults;
mod filter;
mod generate;
mod model;
mod observe;
mod org;
mod reply;
mod request;
mod router;
mod server;
mod state;
pub mod targets;
mod time;
mod wire;

use std::net::SocketAddr;
use std::sync::Arc;

pub use aggregate::{
    GENERATED_METRICS, GroundTruth, Group, SUPPORTED_DIMENSIONS, Stats, TruthQuery,
};
pub use config::{ALL_PERMISSIONS, ClientConfig, Clock, ManualClock, SimConfig};
pub use faults::{Endpoint, FaultKind, RandomFaults, RequestRecord};
pub use observe::{OBSERVATION_METRICS, Observation};
pub use org::{Entity, Rename, RoutingKind};
pub use targets::{MediaTarget, SHORT_ABANDON_MS};

use state::{State, lock};

/// A running simulator; it stops when dropped.
#[derive(Debug)]
pub struct Sim {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Sim {
    /// Starts the simulator on `127.0.0.1:0`.
    pub async fn start(config: SimConfig) -> std::io::Result<Sim> {
        Sim::bind(SocketAddr::from(([127, 0, 0, 1], 0)), config).await
    }

    /// Starts the simulator on `addr`.
    pub async fn bind(addr: SocketAddr, config: SimConfig) -> std::io::Result<Sim> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State::new(config));
        let task = tokio::spawn(server::serve(listener, state.clone()));
        Ok(Sim { addr, state, task })
    }

    /// Base URL serving both `/oauth/token` and `/api/v2/...`, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The simulator's current "now".
    pub fn now(&self) -> jiff::Timestamp {
        self.state.config.clock.now()
    }

    /// The org's skills, deleted ones included, named as at the simulator's "now".
    pub fn skills(&self) -> Vec<Entity> {
        let now = self.state.now_ms();
        self.state
            .org
            .skills
            .iter()
            .map(|s| s.entity_at(now))
            .collect()
    }

    /// The org's queues, deleted ones included, named as at the simulator's "now".
    pub fn queues(&self) -> Vec<Entity> {
        let now = self.state.now_ms();
        self.state
            .org
            .queues
            .iter()
            .map(|q| q.entity_at(now))
            .collect()
    }

    /// The service level and alerting timeout of the queue `queue_id` for `media_type`
    /// (`voice`, `chat`, `message`, `email`, `callback`), as the queues listing serves
    /// them in `mediaSettings`; `None` for an unknown queue.
    pub fn service_level(&self, queue_id: &str, media_type: &str) -> Option<MediaTarget> {
        let index = self
            .state
            .org
            .queues
            .iter()
            .position(|q| q.id == queue_id)?;
        Some(targets::target(index, media_type))
    }

    /// What the aggregates endpoint knows at the simulator's current "now" (fixed-length
    /// UTC buckets from `query.start`). With [`Clock::System`] "now" moves between a request
    /// and this call: compare the two under a `Fixed` or `Manual` clock.
    pub fn ground_truth(&self, query: &TruthQuery) -> GroundTruth {
        let aggregation = aggregate::Aggregation::from(query);
        let now = self.state.now_ms();
        let conversations =
            self.state
                .generator
                .emitting_into(aggregation.start, aggregation.end, now);
        aggregate::aggregate(&conversations, &aggregation)
    }

    /// [`Sim::ground_truth`] of only the conversations that started at or after
    /// `started_from`: what a client sees that selects conversations by their start,
    /// as the details query does (by their start day).
    pub fn ground_truth_started_from(
        &self,
        query: &TruthQuery,
        started_from: jiff::Timestamp,
    ) -> GroundTruth {
        let aggregation = aggregate::Aggregation::from(query);
        let from = time::to_ms(started_from);
        let conversations: Vec<_> = self
            .state
            .generator
            .emitting_into(aggregation.start, aggregation.end, self.state.now_ms())
            .into_iter()
            .filter(|c| c.conversation_start.0 >= from)
            .collect();
        aggregate::aggregate(&conversations, &aggregation)
    }

    /// How many conversations that started at or after `started_from` have a metric,
    /// visible at the simulator's "now", emitted into `[start, end)` more than `after`
    /// after they started: the conversations a details client reaching back `after`
    /// before `start` would miss if they had started earlier.
    pub fn emitting_late(
        &self,
        start: jiff::Timestamp,
        end: jiff::Timestamp,
        after: std::time::Duration,
        started_from: jiff::Timestamp,
    ) -> usize {
        let (from, to) = (time::to_ms(start), time::to_ms(end));
        let after = i64::try_from(after.as_millis()).unwrap_or(i64::MAX);
        let started_from = time::to_ms(started_from);
        let conversations = self
            .state
            .generator
            .emitting_into(from, to, self.state.now_ms());
        conversations
            .iter()
            .filter(|c| c.conversation_start.0 >= started_from)
            .filter(|c| {
                let latest = c.conversation_start.0.saturating_add(after);
                c.participants
                    .iter()
                    .flat_map(|p| &p.sessions)
                    .flat_map(|s| &s.metrics)
                    .any(|m| m.emit_date.0 > latest && m.emit_date.0 >= from && m.emit_date.0 < to)
            })
            .count()
    }

    /// Every observation of the given queues (all when empty) and metrics at the
    /// simulator's current "now", for all media types: what the observations endpoint
    /// answers at that instant (the tests' ground truth; compare under a `Fixed` or
    /// `Manual` clock). Presences are system presences.
    pub fn observations(&self, queue_ids: &[String], metrics: &[&str]) -> Vec<Observation> {
        let metrics: Vec<String> = metrics.iter().map(|m| (*m).to_owned()).collect();
        let queues: Vec<usize> = (0..self.state.org.queues.len())
            .filter(|&q| observe::observable(&self.state, q))
            .filter(|&q| queue_ids.is_empty() || queue_ids.contains(&self.state.org.queues[q].id))
            .collect();
        let selection = observe::Selection {
            media: queues
                .iter()
                .map(|_| observe::media_types().collect())
                .collect(),
            queues,
            metrics: &metrics,
        };
        observe::observe(&self.state, self.state.now_ms(), &selection)
    }

    /// The organisation presence ID the observations endpoint gives each system presence.
    pub fn presence_ids(&self) -> Vec<(&'static str, String)> {
        api::observations::presence_ids(self.state.config.seed)
    }

    /// The next `times` requests to `endpoint` get `kind` (scripted faults come first,
    /// in the order they were pushed).
    pub fn push_fault(&self, endpoint: Endpoint, kind: FaultKind, times: usize) {
        lock(&self.state.faults).push(endpoint, kind, times);
    }

    /// Turns the seeded random fault mode on (`Some`) or off (`None`).
    pub fn set_random_faults(&self, random: Option<RandomFaults>) {
        lock(&self.state.faults).set_random(random);
    }

    /// Removes every scripted fault and turns the random mode off.
    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// The next `count` async details jobs end `FAILED` with `message`.
    pub fn fail_next_jobs(&self, count: usize, message: &str) {
        let mut jobs = lock(&self.state.jobs);
        (0..count).for_each(|_| jobs.fail_next(message.to_owned()));
    }

    /// The IDs of the async details jobs not deleted yet, whatever their state: what a
    /// client has left behind.
    pub fn open_jobs(&self) -> Vec<String> {
        lock(&self.state.jobs).open()
    }

    /// Every request handled so far (the latest 100 000 at most), oldest first.
    pub fn request_log(&self) -> Vec<RequestRecord> {
        lock(&self.state.log).clone()
    }

    /// Every contract violation found in the bodies sent so far (needs
    /// [`SimConfig::check_contract`]); empty when every body matched its SDK model.
    pub fn contract_violations(&self) -> Vec<String> {
        lock(&self.state.violations).clone()
    }
}
