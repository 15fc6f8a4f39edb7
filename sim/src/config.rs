//! How the simulated org and API behave: [`SimConfig`], its OAuth clients and its clock.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Every permission the simulator knows; the default client has them all.
pub const ALL_PERMISSIONS: [&str; 5] = [
    "analytics:conversationAggregate:view",
    "analytics:conversationDetail:view",
    "analytics:queueObservation:view",
    "routing:queue:view",
    "routing:skillGroup:view",
];

/// The default OAuth client id (`genesys-sim` without flags accepts it).
pub const DEFAULT_CLIENT_ID: &str = "sim-client";
/// The default OAuth client secret.
pub const DEFAULT_CLIENT_SECRET: &str = "sim-secret";

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

impl ClientConfig {
    /// A client holding every permission in [`ALL_PERMISSIONS`].
    pub fn with_all_permissions(id: &str, secret: &str) -> Self {
        ClientConfig {
            id: id.to_owned(),
            secret: secret.to_owned(),
            permissions: ALL_PERMISSIONS.iter().map(|p| (*p).to_owned()).collect(),
        }
    }
}

/// Where the simulator's "now" comes from.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The wall clock: conversations keep arriving as time passes.
    #[default]
    System,
    /// A fixed instant, for reproducible tests.
    Fixed(jiff::Timestamp),
    /// An instant a test sets or advances while the simulator runs.
    Manual(ManualClock),
}

/// A settable clock shared between a test and the simulator (clones share the instant).
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<jiff::Timestamp>>);

impl ManualClock {
    /// A clock showing `now`.
    pub fn new(now: jiff::Timestamp) -> Self {
        ManualClock(Arc::new(Mutex::new(now)))
    }

    /// The instant the clock shows.
    pub fn now(&self) -> jiff::Timestamp {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Shows `now` from here on.
    pub fn set(&self, now: jiff::Timestamp) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = now;
    }

    /// Moves the clock forward by `by` (saturating at the largest instant).
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let span = jiff::SignedDuration::try_from(by).unwrap_or(jiff::SignedDuration::MAX);
        *now = now.saturating_add(span).unwrap_or(jiff::Timestamp::MAX);
    }
}

impl Clock {
    /// The simulator's current "now".
    pub fn now(&self) -> jiff::Timestamp {
        match self {
            Clock::System => jiff::Timestamp::now(),
            Clock::Fixed(at) => *at,
            Clock::Manual(clock) => clock.now(),
        }
    }
}

/// How the simulated org and API behave.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seed of the deterministic org (skills, queues, conversations).
    pub seed: u64,
    /// Accepted OAuth clients; default: `sim-client` / `sim-secret` with every permission.
    pub clients: Vec<ClientConfig>,
    /// `expires_in` of issued tokens (default 86 399 s, a typical Genesys value).
    pub token_lifetime: Duration,
    /// Requests per minute allowed per token before 429 (default 300, Genesys' default).
    pub requests_per_minute: u32,
    /// How far back conversation history exists (default 8 days).
    pub history: Duration,
    /// Where "now" comes from.
    pub clock: Clock,
    /// Check every JSON body the simulator sends against the SDK models.
    pub check_contract: bool,
    /// Average number of conversations starting per hour (default 300).
    pub conversations_per_hour: u32,
    /// Largest delay between a metric's `emitDate` and the moment analytics can see it
    /// (default 0). Each conversation gets its own deterministic delay in `[0, lag]`.
    pub ingestion_lag: Duration,
    /// Largest `paging.pageSize` of the details query (default 100).
    pub details_max_page_size: u32,
    /// Largest `pageNumber * pageSize` of the details query (default 100 000).
    pub details_max_results: u32,
    /// Details pages after the first start this many conversations early, repeating
    /// the end of the page before, as Genesys's pages shift while the interval still
    /// receives data (default 0).
    pub details_page_overlap: u32,
    /// Longest interval of a details query (default 7 days: "Interval can be no
    /// greater than 7 days", splunk/genesys_cloud_ta; Genesys documents no figure).
    pub details_max_interval: Duration,
    /// Longest interval of an async details job (default 31 days: peers run jobs of
    /// 30 days, jfabello/gc-data-utils; Genesys documents no figure).
    pub jobs_max_interval: Duration,
    /// Largest number of buckets an aggregates query may ask for (default 10 000).
    pub aggregates_max_buckets: u32,
    /// Largest `pageSize` of the routing listings (default 500).
    pub routing_max_page_size: u32,
    /// How long an async details job stays `QUEUED` before it is `FULFILLED` (default 200 ms).
    pub job_delay: Duration,
    /// How long an async details job runs on the simulator's clock, after `job_delay`,
    /// before it is `FULFILLED` (default 0, so that tests on a fixed clock finish their
    /// jobs; real jobs take seconds to minutes: peers poll no faster than every 3 s).
    pub job_latency: Duration,
    /// How far `dataAvailabilityDate` lags behind "now" (default 0).
    pub data_availability_lag: Duration,
    /// New names for the org's first skills, in order (default none: the built-in
    /// awkward names); each skill keeps its ID and state.
    pub skill_names: Vec<String>,
    /// Skills and queues an admin renames while the simulator runs (default none):
    /// the routing endpoints show the new name from the rename's instant on.
    pub renames: Vec<crate::org::Rename>,
    /// Queues added to the org's built-in ones (default 0), named `Queue 001`, ...:
    /// an org with more queues than one observations query may name.
    pub extra_queues: u32,
    /// Generate long digital conversations (default `true`): emails waiting hours to two
    /// days in queue, messaging conversations open up to nearly three days, callbacks made
    /// hours later (about one for every hundred ordinary conversations). `false` keeps every
    /// conversation under 45 minutes, for tests that fetch details a fixed time back.
    pub long_conversations: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            clients: vec![ClientConfig::with_all_permissions(
                DEFAULT_CLIENT_ID,
                DEFAULT_CLIENT_SECRET,
            )],
            token_lifetime: Duration::from_secs(86_399),
            requests_per_minute: 300,
            history: Duration::from_secs(8 * 24 * 3600),
            clock: Clock::System,
            check_contract: false,
            conversations_per_hour: 300,
            ingestion_lag: Duration::ZERO,
            details_max_page_size: 100,
            details_max_results: 100_000,
            details_page_overlap: 0,
            details_max_interval: Duration::from_secs(7 * 24 * 3600),
            jobs_max_interval: Duration::from_secs(31 * 24 * 3600),
            aggregates_max_buckets: 10_000,
            routing_max_page_size: 500,
            job_delay: Duration::from_millis(200),
            job_latency: Duration::ZERO,
            data_availability_lag: Duration::ZERO,
            skill_names: Vec::new(),
            renames: Vec::new(),
            extra_queues: 0,
            long_conversations: true,
        }
    }
}
