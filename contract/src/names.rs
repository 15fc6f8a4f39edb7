//! Measurement, tag and field names.

/// The one measurement the plugin writes.
pub const MEASUREMENT: &str = "genesys_conversation";

/// Tag keys. Only the tags of the dimensions in the plugin's `group_by` appear.
pub mod tags {
    /// Requested routing skill name (or, for a skill that cannot be resolved, its ID).
    pub const SKILL: &str = "skill";
    /// Requested routing skill ID (for a flattened multi-skill group: the joined IDs).
    pub const SKILL_ID: &str = "skill_id";
    /// Queue name (or, for a queue that cannot be resolved, its ID).
    pub const QUEUE: &str = "queue";
    /// Queue ID.
    pub const QUEUE_ID: &str = "queue_id";
    /// Genesys media type: `voice`, `chat`, `email`, `message`, `callback`, ...
    pub const MEDIA_TYPE: &str = "media_type";
    /// `inbound` or `outbound`.
    pub const DIRECTION: &str = "direction";

    /// Every tag key the plugin can write, in line-protocol order.
    pub const ALL: [&str; 6] = [DIRECTION, MEDIA_TYPE, QUEUE, QUEUE_ID, SKILL, SKILL_ID];
}

/// Average handle time in seconds (float): `handle_sum_ms / handle_count / 1000`,
/// written only when `handle_count > 0`.
pub const AVG_HANDLE_TIME: &str = "avg_handle_time";

/// The Genesys metric behind handle time.
pub const HANDLE_METRIC: &str = "tHandle";

/// The Genesys metrics behind average handle time and its parts: handle, talk, hold,
/// after-call work, answer and abandon times, offered counts.
pub const AHT_METRICS: [&str; 7] = [
    HANDLE_METRIC,
    "tTalk",
    "tHeld",
    "tAcw",
    kpi_metrics::ANSWERED,
    kpi_metrics::ABANDON,
    kpi_metrics::OFFERED,
];

/// The Genesys metrics behind the contact-centre KPIs read beside AHT (service level,
/// average speed of answer, abandonment, transfer rate). Their fields follow the
/// usual rules: [`count_field`] and [`sum_ms_field`] for `t*`, [`field_stem`] for `n*`.
pub mod kpi_metrics {
    /// Time to answer; its count is the answered conversations (`answered_count`,
    /// `answered_sum_ms`).
    pub const ANSWERED: &str = "tAnswered";
    /// Answered later than the queue's service-level target (`over_sla`).
    pub const OVER_SLA: &str = "nOverSla";
    /// Abandoned in queue (`abandon_count`, `abandon_sum_ms`).
    pub const ABANDON: &str = "tAbandon";
    /// Abandoned within the org's short-abandon threshold (`short_abandon_count`, ...).
    pub const SHORT_ABANDON: &str = "tShortAbandon";
    /// Left the queue by a flow action, neither answered nor abandoned
    /// (`flow_out_count`, ...).
    pub const FLOW_OUT: &str = "tFlowOut";
    /// Offered to a queue (`offered`).
    pub const OFFERED: &str = "nOffered";
    /// Transferred (`transferred`).
    pub const TRANSFERRED: &str = "nTransferred";

    /// Every one of them.
    pub const ALL: [&str; 7] = [
        ANSWERED,
        OVER_SLA,
        ABANDON,
        SHORT_ABANDON,
        FLOW_OUT,
        OFFERED,
        TRANSFERRED,
    ];
}

/// Suffix of the integer field holding a timer metric's count.
pub const COUNT_SUFFIX: &str = "_count";
/// Suffix of the integer field holding a timer metric's sum in milliseconds.
pub const SUM_MS_SUFFIX: &str = "_sum_ms";

/// The two kinds of Genesys conversation metrics the contract carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// `t*` metrics: durations in milliseconds with a count and a sum.
    Timer,
    /// `n*` metrics: a count only.
    Count,
}

impl MetricKind {
    /// The kind of a Genesys metric name, from its prefix; `None` for metrics the
    /// contract does not carry (`o*` ratios and observations).
    pub fn of(metric: &str) -> Option<MetricKind> {
        let mut chars = metric.chars();
        let kind = match chars.next()? {
            't' => MetricKind::Timer,
            'n' => MetricKind::Count,
            _ => return None,
        };
        chars
            .next()
            .is_some_and(|c| c.is_ascii_uppercase())
            .then_some(kind)
    }
}

/// The snake_case stem of a metric's field names: `tHandle` → `handle`,
/// `tTalkComplete` → `talk_complete`, `nOffered` → `offered`.
pub fn field_stem(metric: &str) -> String {
    let mut stem = String::with_capacity(metric.len() + 4);
    for c in metric.chars().skip(1) {
        if c.is_ascii_uppercase() {
            if !stem.is_empty() {
                stem.push('_');
            }
            stem.push(c.to_ascii_lowercase());
        } else {
            stem.push(c);
        }
    }
    stem
}

/// The integer count field of a timer metric: `tHandle` → `handle_count`.
pub fn count_field(metric: &str) -> String {
    field_stem(metric) + COUNT_SUFFIX
}

/// The integer millisecond-sum field of a timer metric: `tHandle` → `handle_sum_ms`.
pub fn sum_ms_field(metric: &str) -> String {
    field_stem(metric) + SUM_MS_SUFFIX
}

/// Every field name a metric produces, in the order the plugin writes them.
pub fn fields_of(metric: &str) -> Vec<String> {
    match MetricKind::of(metric) {
        Some(MetricKind::Timer) => vec![count_field(metric), sum_ms_field(metric)],
        Some(MetricKind::Count) => vec![field_stem(metric)],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi_metrics_name_the_fields_the_kpis_read() {
        use kpi_metrics::*;
        assert_eq!(count_field(ANSWERED), "answered_count");
        assert_eq!(sum_ms_field(ANSWERED), "answered_sum_ms");
        assert_eq!(field_stem(OVER_SLA), "over_sla");
        assert_eq!(count_field(ABANDON), "abandon_count");
        assert_eq!(count_field(SHORT_ABANDON), "short_abandon_count");
        assert_eq!(count_field(FLOW_OUT), "flow_out_count");
        assert_eq!(field_stem(OFFERED), "offered");
        assert_eq!(field_stem(TRANSFERRED), "transferred");
    }

    #[test]
    fn stems_are_snake_case_without_the_prefix() {
        assert_eq!(field_stem("tHandle"), "handle");
        assert_eq!(field_stem("tTalkComplete"), "talk_complete");
        assert_eq!(field_stem("nOffered"), "offered");
        assert_eq!(field_stem("tAcw"), "acw");
    }

    #[test]
    fn timer_metrics_give_count_and_sum_fields() {
        assert_eq!(fields_of("tHandle"), ["handle_count", "handle_sum_ms"]);
        assert_eq!(fields_of("nOffered"), ["offered"]);
        assert!(fields_of("oServiceLevel").is_empty());
    }

    #[test]
    fn kinds_need_a_prefix_and_a_capital() {
        assert_eq!(MetricKind::of("tHandle"), Some(MetricKind::Timer));
        assert_eq!(MetricKind::of("nOffered"), Some(MetricKind::Count));
        assert_eq!(MetricKind::of("oServiceLevel"), None);
        assert_eq!(MetricKind::of("total"), None);
        assert_eq!(MetricKind::of(""), None);
    }
}

/// The plugin's own metrics, in the style of Telegraf's `internal` input: how its
/// polls and its requests to Genesys Cloud go. Counters count since the process
/// started (like Telegraf's), so a restart shows as a drop to zero.
pub mod internal {
    /// One point per poll: the poll counters and gauges below.
    pub const MEASUREMENT: &str = "genesys_aht_internal";
    /// One point per poll and (endpoint, status): the request counter below.
    pub const REQUESTS_MEASUREMENT: &str = "genesys_aht_internal_requests";

    /// Tag of [`REQUESTS_MEASUREMENT`]: `token`, `aggregates`, `details`, `jobs`,
    /// `skills`, `queues` or `other`.
    pub const ENDPOINT: &str = "endpoint";
    /// Tag of [`REQUESTS_MEASUREMENT`]: the HTTP status, or `timeout` or `connection`
    /// when no status arrived.
    pub const STATUS: &str = "status";
    /// Field of [`REQUESTS_MEASUREMENT`]: requests sent (integer counter).
    pub const REQUESTS: &str = "requests";

    /// Polls started (integer counter).
    pub const POLLS: &str = "polls";
    /// Polls that failed after their retries (integer counter).
    pub const POLLS_FAILED: &str = "polls_failed";
    /// Polls abandoned at their deadline (integer counter).
    pub const POLLS_ABANDONED: &str = "polls_abandoned";
    /// Triggers that arrived while a poll was running and were merged (integer counter).
    pub const TRIGGERS_MERGED: &str = "triggers_merged";
    /// Requests sent again after a failure (integer counter).
    pub const RETRIES: &str = "retries";
    /// Answers with HTTP 429 (integer counter).
    pub const RATE_LIMITED: &str = "rate_limited";
    /// Polls whose queue observations failed after their retries (integer counter;
    /// such a poll counts in [`POLLS_FAILED`] too).
    pub const OBSERVATIONS_FAILED: &str = "observations_failed";
    /// Points written, of the conversation and queue measurements (integer counter).
    pub const POINTS_EMITTED: &str = "points_emitted";
    /// How long the last poll took, in milliseconds (integer).
    pub const POLL_DURATION_MS: &str = "poll_duration_ms";
    /// When the last poll succeeded, in seconds since the Unix epoch (integer; absent
    /// until one has).
    pub const LAST_SUCCESS: &str = "last_success";
    /// The end of the last bucket known complete, in seconds since the Unix epoch
    /// (integer; absent without a state file).
    pub const WATERMARK: &str = "watermark";
}
