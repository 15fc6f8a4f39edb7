//! The live panel's ground truth for the page test: the simulator's queue
//! observations at its (fixed) now, folded as the README says the panel shows
//! them, independently of the page's and the sidecar's code. A wait's age is
//! counted to the plugin's poll (the instant its points carry), as the contract
//! defines `longest_waiting_ms`.

use std::collections::BTreeMap;

use genesys_sim::Sim;

/// One queue of the panel: waiting summed over media types, the longest wait (ms)
/// the largest over them (none when nothing waits), users per routing status.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct LiveQueue {
    /// `oWaiting` counts summed over media types.
    pub(crate) waiting: Option<i64>,
    /// The longest `oLongestWaiting` age at now, in ms.
    pub(crate) longest_waiting_ms: Option<i64>,
    /// `oUserRoutingStatuses` count per routing status.
    pub(crate) statuses: BTreeMap<String, i64>,
}

/// Queue name → its panel row, at the simulator's now, ages counted to `poll_ms`.
pub(crate) fn live_truth(sim: &Sim, poll_ms: i64) -> BTreeMap<String, LiveQueue> {
    let names: BTreeMap<String, String> =
        sim.queues().into_iter().map(|q| (q.id, q.name)).collect();
    let mut out: BTreeMap<String, LiveQueue> = BTreeMap::new();
    let metrics = ["oWaiting", "oLongestWaiting", "oUserRoutingStatuses"];
    for o in sim.observations(&[], &metrics) {
        let name = names
            .get(&o.queue_id)
            .cloned()
            .unwrap_or(o.queue_id.clone());
        let queue = out.entry(name).or_default();
        match o.metric {
            "oWaiting" => *queue.waiting.get_or_insert(0) += o.count,
            "oLongestWaiting" => {
                if let Some((oldest, _)) = o.observed.first() {
                    let age = poll_ms - oldest;
                    queue.longest_waiting_ms =
                        Some(queue.longest_waiting_ms.map_or(age, |m| m.max(age)));
                }
            }
            _ => {
                if let Some(status) = o.qualifier {
                    *queue.statuses.entry(status.to_owned()).or_default() += o.count;
                }
            }
        }
    }
    out
}
