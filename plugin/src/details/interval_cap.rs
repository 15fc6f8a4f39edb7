//! The cap on a details interval. Peers report that Genesys refuses a details query
//! over more than 7 days ("Interval can be no greater than 7 days",
//! splunk/genesys_cloud_ta), and every query reaches back `details_lookbehind` before
//! its window, so a window is cut, at bucket boundaries, into parts whose query
//! interval fits. Jobs get the same parts: their own cap is not known.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::config::Collect;
use crate::config::limits::DETAILS_MAX_INTERVAL;
use crate::rows::Window;

/// `window` in consecutive parts, each at most the cap minus the lookbehind long (and
/// at least one bucket, which a lookbehind near the cap cannot make fit: that is
/// warned about at start).
pub(crate) fn parts(settings: &Collect, window: Window) -> Vec<Window> {
    let room = DETAILS_MAX_INTERVAL.saturating_sub(settings.details.lookbehind);
    let bucket = settings.granularity.max(Duration::from_secs(1));
    let buckets = (room.as_secs() / bucket.as_secs()).max(1);
    let step = SignedDuration::try_from(bucket.saturating_mul(buckets.try_into().unwrap_or(1)))
        .unwrap_or(SignedDuration::MAX);
    let mut parts = Vec::new();
    let mut start = window.start;
    while start < window.end {
        let end: Timestamp = start
            .saturating_add(step)
            .unwrap_or(window.end)
            .min(window.end);
        parts.push(Window { start, end });
        start = end;
    }
    parts
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::FileConfig;

    fn settings(collect: &str) -> Collect {
        let toml = format!(
            "[genesys]\napi_url = \"http://x\"\nclient_id = \"c\"\nclient_secret = \"s\"\n\
             [collect]\nsource = \"details\"\n{collect}"
        );
        let file = FileConfig::parse(&toml, Path::new("t.toml")).expect("test config parses");
        crate::config::Settings::from_file(file, &|_| None)
            .expect("test config is valid")
            .collect
    }

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    #[test]
    fn a_week_and_the_lookbehind_become_two_queries_that_fit() {
        let s = settings("details_lookbehind = \"2h\"");
        let week = Window {
            start: at("2026-03-01T00:00:00Z"),
            end: at("2026-03-08T00:00:00Z"),
        };
        let parts = parts(&s, week);
        assert_eq!(
            parts,
            [
                Window {
                    start: week.start,
                    end: at("2026-03-07T22:00:00Z"),
                },
                Window {
                    start: at("2026-03-07T22:00:00Z"),
                    end: week.end,
                },
            ]
        );
        for part in parts {
            let asked = part.end.duration_since(part.start) + SignedDuration::from_hours(2);
            assert!(asked <= SignedDuration::from_hours(7 * 24), "{part:?}");
        }
    }

    #[test]
    fn a_short_window_is_one_part() {
        let s = settings("");
        let day = Window {
            start: at("2026-03-01T00:00:00Z"),
            end: at("2026-03-02T00:00:00Z"),
        };
        assert_eq!(parts(&s, day), [day]);
    }
}
