//! `genesys-sim`: a local Genesys Cloud Platform API (the simulator is being built;
//! this file fixes its public, in-process API so that other crates can code against it).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

/// Every permission the simulator knows; the default client has them all.
pub const ALL_PERMISSIONS: [&str; 4] = [
    "analytics:conversationAggregate:view",
    "analytics:conversationDetail:view",
    "routing:queue:view",
    "routing:skillGroup:view",
];

/// An OAuth client the simulator accepts.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `client_id`.
    pub id: String,
    /// `client_secret`.
    pub secret: String,
    /// Permissions granted to this client's tokens (see [`ALL_PERMISSIONS`]).
    pub permissions: Vec<String>,
}

/// Where the simulator's "now" comes from.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The wall clock: conversations keep arriving as time passes.
    #[default]
    System,
    /// A fixed instant, for reproducible tests.
    Fixed(jiff::Timestamp),
}

/// How the simulated org and API behave.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the deterministic org (skills, queues, conversations).
    pub seed: u64,
    /// Accepted OAuth clients; default: `sim-client` / `sim-secret` with every permission.
    pub clients: Vec<ClientConfig>,
    /// `expires_in` of issued tokens.
    pub token_lifetime: Duration,
    /// Requests per minute allowed per token before 429.
    pub requests_per_minute: u32,
    /// How far back conversation history exists.
    pub history: Duration,
    /// Where "now" comes from.
    pub clock: Clock,
    /// Check every JSON body the simulator sends against the SDK models.
    pub check_contract: bool,
}

/// The statistics of one metric in one bucket and group (milliseconds for `t*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Number of emissions.
    pub count: u64,
    /// Sum of values (ms for timers; equals `count` for `n*` metrics).
    pub sum: i64,
    /// Smallest value.
    pub min: i64,
    /// Largest value.
    pub max: i64,
}

/// A ground-truth question: the aggregates query, in typed form.
#[derive(Debug, Clone)]
pub struct TruthQuery {
    /// Interval start (inclusive).
    pub start: jiff::Timestamp,
    /// Interval end (exclusive).
    pub end: jiff::Timestamp,
    /// Bucket length.
    pub granularity: Duration,
    /// Genesys dimension names.
    pub group_by: Vec<String>,
    /// Genesys metric names.
    pub metrics: Vec<String>,
    /// `flattenMultivaluedDimensions`.
    pub flatten: bool,
}

/// One group: dimension name → value, only for the dimensions that apply.
pub type Group = BTreeMap<String, String>;

/// The truth: (bucket start, group) → metric → stats; empty buckets and groups absent.
pub type GroundTruth = BTreeMap<(jiff::Timestamp, Group), BTreeMap<String, Stats>>;

/// A routing entity (skill or queue) of the simulated org.
#[derive(Debug, Clone)]
pub struct Entity {
    /// UUID.
    pub id: String,
    /// Display name (awkward on purpose for some).
    pub name: String,
    /// `false` once deleted (still present in history).
    pub active: bool,
}

/// A running simulator.
#[derive(Debug)]
pub struct Sim {
    _private: (),
}

impl Default for SimConfig {
    fn default() -> Self {
        unimplemented!("the simulator is being built")
    }
}

impl Sim {
    /// Starts the simulator on `127.0.0.1:0`.
    pub async fn start(config: SimConfig) -> std::io::Result<Sim> {
        Sim::bind(
            "127.0.0.1:0".parse().map_err(std::io::Error::other)?,
            config,
        )
        .await
    }

    /// Starts the simulator on `addr`.
    pub async fn bind(_addr: SocketAddr, _config: SimConfig) -> std::io::Result<Sim> {
        unimplemented!("the simulator is being built")
    }

    /// Base URL serving both `/oauth/token` and `/api/v2/...`, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        unimplemented!("the simulator is being built")
    }

    /// The org's skills, deleted ones included.
    pub fn skills(&self) -> Vec<Entity> {
        unimplemented!("the simulator is being built")
    }

    /// The org's queues, deleted ones included.
    pub fn queues(&self) -> Vec<Entity> {
        unimplemented!("the simulator is being built")
    }

    /// What the aggregates endpoint knows at the simulator's current "now".
    pub fn ground_truth(&self, _query: &TruthQuery) -> GroundTruth {
        unimplemented!("the simulator is being built")
    }
}
