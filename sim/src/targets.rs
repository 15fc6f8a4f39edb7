//! Each queue's per-media targets, as `Queue.mediaSettings` states them: the service
//! level (`serviceLevel {percentage, durationMs}`) that `nOverSla` is measured against
//! and the alerting timeout after which an agent who does not answer is skipped; and
//! the organisation's short-abandon threshold.
//!
//! The values are invented but typical (voice 20 s / 80 %, chat a minute, messages
//! minutes, email hours), varied per queue and fixed by the queue's position in the org.

use crate::time::{HOUR_MS, MINUTE_MS};

/// An abandon within this many milliseconds of queue entry is a short abandon
/// (`tShortAbandon`): the organisation setting, 10 s here.
pub const SHORT_ABANDON_MS: i64 = 10_000;

/// One queue's settings for one media type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MediaTarget {
    /// `serviceLevel.percentage`: the share to answer within `duration_ms`, in `[0, 1]`.
    pub percentage: f64,
    /// `serviceLevel.durationMs`: the answer-time target in milliseconds.
    pub duration_ms: i64,
    /// `alertingTimeoutSeconds`: how long an agent is alerted before the next one is.
    pub alerting_timeout_secs: i64,
}

/// The `mediaSettings` key of an analytics media type (`voice` is `call`).
pub(crate) fn settings_key(media_type: &str) -> &str {
    match media_type {
        "voice" => "call",
        other => other,
    }
}

/// Six profiles, one per built-in queue (extra queues reuse them in turn).
const PROFILES: usize = 6;

/// The targets of the queue at `queue` (its index in the org) for `media_type`
/// (an analytics media type: `voice`, `chat`, `message`, `email`, `callback`).
pub(crate) fn target(queue: usize, media_type: &str) -> MediaTarget {
    let p = queue % PROFILES;
    let s = 1_000;
    let (durations, percentages, timeout): ([i64; PROFILES], [f64; PROFILES], i64) =
        match media_type {
            "voice" => (
                [20 * s, 30 * s, 20 * s, 10 * s, 45 * s, 20 * s],
                [0.8, 0.8, 0.9, 0.95, 0.7, 0.8],
                [8, 15, 10, 12, 20, 8][p],
            ),
            "chat" => (
                [60 * s, 120 * s, 45 * s, 30 * s, 90 * s, 60 * s],
                [0.8, 0.75, 0.85, 0.9, 0.7, 0.8],
                30,
            ),
            "message" => (
                [
                    5 * MINUTE_MS,
                    10 * MINUTE_MS,
                    3 * MINUTE_MS,
                    2 * MINUTE_MS,
                    15 * MINUTE_MS,
                    5 * MINUTE_MS,
                ],
                [0.8, 0.8, 0.85, 0.9, 0.7, 0.8],
                30,
            ),
            "email" => (
                [
                    4 * HOUR_MS,
                    8 * HOUR_MS,
                    24 * HOUR_MS,
                    2 * HOUR_MS,
                    48 * HOUR_MS,
                    24 * HOUR_MS,
                ],
                [0.9, 0.8, 0.8, 0.95, 0.7, 0.8],
                60,
            ),
            _ => (
                [
                    10 * MINUTE_MS,
                    15 * MINUTE_MS,
                    5 * MINUTE_MS,
                    30 * MINUTE_MS,
                    60 * MINUTE_MS,
                    15 * MINUTE_MS,
                ],
                [0.8, 0.8, 0.8, 0.9, 0.7, 0.8],
                30,
            ),
        };
    MediaTarget {
        percentage: percentages[p],
        duration_ms: durations[p],
        alerting_timeout_secs: timeout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_vary_by_queue_and_media_and_voice_is_twenty_seconds_first() {
        assert_eq!(target(0, "voice").duration_ms, 20_000);
        assert_eq!(target(0, "voice").percentage, 0.8);
        assert_ne!(target(1, "voice"), target(0, "voice"));
        assert!(target(0, "email").duration_ms >= HOUR_MS);
        assert_eq!(target(6, "chat"), target(0, "chat"));
        assert_eq!(settings_key("voice"), "call");
        assert_eq!(settings_key("email"), "email");
    }
}
