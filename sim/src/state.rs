//! [`State`]: everything the endpoints share (the org, the generator, tokens, jobs,
//! faults, the request log), and [`lock`] for its mutexes.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::api::jobs::Jobs;
use crate::auth::Tokens;
use crate::config::SimConfig;
use crate::faults::{Faults, RequestRecord};
use crate::generate::Generator;
use crate::org::Org;
use crate::time::to_ms;

/// Everything the endpoints share.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) config: SimConfig,
    pub(crate) org: Arc<Org>,
    pub(crate) generator: Generator,
    pub(crate) tokens: Mutex<Tokens>,
    pub(crate) jobs: Mutex<Jobs>,
    pub(crate) faults: Mutex<Faults>,
    pub(crate) log: Mutex<Vec<RequestRecord>>,
    pub(crate) violations: Mutex<Vec<String>>,
    /// The last details selection (query without its paging, and "now"), so that
    /// paging through it does not regenerate it for every page.
    pub(crate) details_selection: Mutex<Option<(String, Arc<Vec<crate::model::Conversation>>)>>,
}

impl State {
    pub(crate) fn new(config: SimConfig) -> State {
        let mut org = Org::new(config.seed, &config.skill_names, &config.renames);
        org.add_queues(config.seed, config.extra_queues);
        let org = Arc::new(org);
        let millis = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let generator = Generator::new(
            org.clone(),
            config.seed,
            config.conversations_per_hour,
            millis(config.ingestion_lag),
            millis(config.history),
            config.long_conversations,
        );
        let tokens = Tokens::new(
            config.clients.clone(),
            config.token_lifetime,
            config.requests_per_minute,
        );
        State {
            org,
            generator,
            tokens: Mutex::new(tokens),
            jobs: Mutex::new(Jobs::default()),
            faults: Mutex::new(Faults::default()),
            log: Mutex::new(Vec::new()),
            violations: Mutex::new(Vec::new()),
            details_selection: Mutex::new(None),
            config,
        }
    }

    /// The simulator's "now" in milliseconds.
    pub(crate) fn now_ms(&self) -> i64 {
        to_ms(self.config.clock.now())
    }
}

/// Locks `mutex`, recovering the data if a panicking holder poisoned it.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
