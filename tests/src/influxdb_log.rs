//! What InfluxDB 1.x's own HTTP access log says about the queries it ran: when each
//! started and how long it took, and so how many ran at once.
//!
//! A line of the log (`services/httpd/response_logger.go`, 1.6) is
//! `host - user [time] "METHOD target PROTO" status size "referer" "agent" request-id micros`.
//! The bracketed time has whole seconds only, but the request ID InfluxDB makes
//! for a request without one is a version 1 UUID (`uuid.TimeUUID()`), stamped with
//! 100 ns resolution when the request arrived; the last field is the time the
//! request took, in microseconds. A request spans [arrival, arrival + duration].

use std::path::Path;

/// One request to `/query`, as the server logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySpan {
    /// The target (path and query string).
    pub target: String,
    /// When it arrived, ns since the Unix epoch.
    pub start_ns: i128,
    /// When it was answered, ns since the Unix epoch.
    pub end_ns: i128,
}

/// 100 ns intervals between 1582-10-15 (the UUID epoch) and 1970-01-01.
const UUID_EPOCH_TO_UNIX: i128 = 0x01B2_1DD2_1381_4000;

/// The time in a version 1 UUID, in ns since the Unix epoch.
pub fn uuid_v1_time_ns(uuid: &str) -> Option<i128> {
    let parts: Vec<&str> = uuid.split('-').collect();
    let [low, mid, high, _, _] = parts.as_slice() else {
        return None;
    };
    let (version, high) = high.split_at_checked(1)?;
    if version != "1" {
        return None;
    }
    let hex = |s: &str| i128::from_str_radix(s, 16).ok();
    let ticks = (hex(high)? << 48) | (hex(mid)? << 32) | hex(low)?;
    Some((ticks - UUID_EPOCH_TO_UNIX) * 100)
}

/// The `/query` requests of one log line, if it is one.
fn query_span(line: &str) -> Option<QuerySpan> {
    let request = line.split('"').nth(1)?;
    let mut words = request.split(' ');
    let (_method, target) = (words.next()?, words.next()?);
    if !target.starts_with("/query") {
        return None;
    }
    let mut last = line.rsplit(' ');
    let micros: i128 = last.next()?.trim().parse().ok()?;
    let start_ns = uuid_v1_time_ns(last.next()?)?;
    Some(QuerySpan {
        target: target.to_owned(),
        start_ns,
        end_ns: start_ns + micros * 1000,
    })
}

/// Every `/query` request in the access log at `path`.
pub fn query_spans(path: &Path) -> std::io::Result<Vec<QuerySpan>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter_map(query_span).collect())
}

/// The most requests that were running at the same instant.
pub fn most_at_once(spans: &[QuerySpan]) -> usize {
    // Ends sort before starts at the same instant: touching spans do not overlap.
    let mut events: Vec<(i128, i32)> = spans
        .iter()
        .flat_map(|s| [(s.start_ns, 1), (s.end_ns, -1)])
        .collect();
    events.sort();
    let (mut now, mut most) = (0i32, 0i32);
    for (_, change) in events {
        now += change;
        most = most.max(now);
    }
    usize::try_from(most).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_gives_the_span_of_its_query() {
        // A version 1 UUID for 2026-03-10T00:00:00.1234567Z, as InfluxDB writes them.
        let unix_ns: i128 = 1_773_100_800_123_456_700;
        let ticks = unix_ns / 100 + UUID_EPOCH_TO_UNIX;
        let uuid = format!(
            "{:08x}-{:04x}-1{:03x}-8001-0242ac110002",
            ticks & 0xffff_ffff,
            (ticks >> 32) & 0xffff,
            (ticks >> 48) & 0xfff
        );
        assert_eq!(uuid_v1_time_ns(&uuid), Some(unix_ns));
        let line = format!(
            r#"127.0.0.1 - - [10/Mar/2026:00:00:00 +0000] "GET /query?db=test&q=SELECT+1 HTTP/1.1" 200 57 "-" "agent with spaces" {uuid} 2500"#
        );
        let span = query_span(&line).unwrap();
        assert_eq!(span.target, "/query?db=test&q=SELECT+1");
        assert_eq!((span.start_ns, span.end_ns), (unix_ns, unix_ns + 2_500_000));
        let write = line.replace("GET /query", "POST /write");
        assert_eq!(query_span(&write), None);
    }

    #[test]
    fn overlaps_are_counted_and_touching_spans_are_not() {
        let span = |start_ns, end_ns| QuerySpan {
            target: String::new(),
            start_ns,
            end_ns,
        };
        assert_eq!(most_at_once(&[]), 0);
        assert_eq!(most_at_once(&[span(0, 10), span(10, 20)]), 1);
        assert_eq!(most_at_once(&[span(0, 10), span(5, 20), span(6, 7)]), 3);
    }
}
