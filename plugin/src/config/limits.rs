//! Limits Genesys does not document, warned about when the settings meet them:
//!
//! - Granularities: the SDK models describe `granularity` only by example (`P1D`,
//!   `P1DT12H`); what Genesys's own reports offer, and what public collectors send, is
//!   `PT15M`, `PT30M`, `PT1H` and `P1D` (and the calendar `P1M`). Another length is
//!   untried against Genesys and may be refused: the plugin keeps it (the simulator
//!   accepts it) and says so once at start.
//! - The details interval: peers report that the details query refuses intervals over
//!   7 days; details mode splits its windows below that (`details::interval_cap`),
//!   which a `details_lookbehind` of 7 days or more makes impossible.

use std::time::Duration;

use super::{Collect, Source, to_iso};

/// The granularities known to be used with Genesys that are fixed lengths (`P1M` is not).
pub const GENESYS_GRANULARITIES: [Duration; 4] = [
    Duration::from_secs(15 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(86_400),
];

/// The longest interval a details query is known to accept.
pub const DETAILS_MAX_INTERVAL: Duration = Duration::from_secs(7 * 86_400);

/// One line per setting that meets an undocumented limit (empty when none does).
pub fn warnings(settings: &Collect) -> Vec<String> {
    let mut lines = Vec::new();
    if !GENESYS_GRANULARITIES.contains(&settings.granularity) {
        lines.push(format!(
            "collect.granularity = {:?} is none of PT15M, PT30M, PT1H, P1D, the lengths known \
             to be used with Genesys: Genesys may refuse it",
            to_iso(settings.granularity)
        ));
    }
    if settings.source == Source::Details
        && settings.details.lookbehind + settings.granularity > DETAILS_MAX_INTERVAL
    {
        lines.push(format!(
            "collect.details_lookbehind = {:?}: a details query over more than 7 days \
             may be refused, and each one reaches back this far",
            to_iso(settings.details.lookbehind)
        ));
    }
    lines
}
