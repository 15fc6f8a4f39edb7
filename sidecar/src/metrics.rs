//! The sidecar's own metrics, in the Prometheus text format (`GET /metrics`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::cache::Lookup;

/// Upper bounds of the upstream latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// Counters shared by every request.
#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
    cache_coalesced: AtomicU64,
    upstream: Mutex<Latency>,
    /// Requests refused by a limit, by the limit's label.
    limited: Mutex<BTreeMap<&'static str, u64>>,
    /// Reloads, by what was reloaded and whether it loaded.
    reloads: Mutex<BTreeMap<(&'static str, bool), u64>>,
}

#[derive(Debug, Default)]
struct Latency {
    /// Cumulative counts per bucket of [`LATENCY_BUCKETS`].
    buckets: [u64; LATENCY_BUCKETS.len()],
    count: u64,
    sum_s: f64,
}

/// The route label for a path: known routes by name, anything else as `other`
/// (a label per unknown path would let callers grow the metrics without bound).
pub fn route_label(path: &str) -> &'static str {
    match path {
        "/metrics/aht" => "/metrics/aht",
        "/metrics/kpi" => "/metrics/kpi",
        "/metrics/queues" => "/metrics/queues",
        "/skills" => "/skills",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        "/metrics" => "/metrics",
        p if p.starts_with("/api-doc") || p.starts_with("/swagger-ui") => "/api-doc",
        // The chart page and its files.
        p if p == "/" || p.starts_with("/page/") => "/",
        _ => "other",
    }
}

impl Metrics {
    /// Counts a finished request.
    pub fn request(&self, route: &'static str, status: u16) {
        if let Ok(mut map) = self.requests.lock() {
            *map.entry((route, status)).or_default() += 1;
        }
    }

    /// Counts a cache lookup.
    pub fn lookup(&self, lookup: Lookup) {
        let counter = match lookup {
            Lookup::Hit => &self.cache_hits,
            Lookup::Miss => &self.cache_misses,
            Lookup::Coalesced => &self.cache_coalesced,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records how long one upstream query took.
    pub fn upstream(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        if let Ok(mut latency) = self.upstream.lock() {
            for (bound, count) in LATENCY_BUCKETS.iter().zip(latency.buckets.iter_mut()) {
                if seconds <= *bound {
                    *count += 1;
                }
            }
            latency.count += 1;
            latency.sum_s += seconds;
        }
    }

    /// Counts a request refused by a limit (`miss_rate`, `concurrent_queries`,
    /// `query_length`).
    pub fn limited(&self, limit: &'static str) {
        if let Ok(mut map) = self.limited.lock() {
            *map.entry(limit).or_default() += 1;
        }
    }

    /// Counts a reload of `what` (`tokens`, `tls`, `config`).
    pub fn reload(&self, what: &'static str, ok: bool) {
        if let Ok(mut map) = self.reloads.lock() {
            *map.entry((what, ok)).or_default() += 1;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(
            "# HELP sidecar_requests_total HTTP requests answered, by route and status.\n",
        );
        out.push_str("# TYPE sidecar_requests_total counter\n");
        if let Ok(map) = self.requests.lock() {
            for ((route, status), n) in map.iter() {
                let _ = writeln!(
                    out,
                    "sidecar_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        let counters = [
            (
                "sidecar_cache_hits_total",
                "Answers served from the cache.",
                &self.cache_hits,
            ),
            (
                "sidecar_cache_misses_total",
                "Answers that needed an upstream query.",
                &self.cache_misses,
            ),
            (
                "sidecar_cache_coalesced_total",
                "Requests that waited for an identical request's upstream query.",
                &self.cache_coalesced,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Ordering::Relaxed));
        }
        self.render_latency(&mut out);
        self.render_security(&mut out);
        out
    }

    fn render_security(&self, out: &mut String) {
        let name = "sidecar_limited_total";
        let _ = writeln!(
            out,
            "# HELP {name} Requests refused with 429 or 414 by a per-client or request limit.\n# TYPE {name} counter"
        );
        if let Ok(map) = self.limited.lock() {
            for (limit, n) in map.iter() {
                let _ = writeln!(out, "{name}{{limit=\"{limit}\"}} {n}");
            }
        }
        let name = "sidecar_reloads_total";
        let _ = writeln!(
            out,
            "# HELP {name} Reloads of tokens, TLS files and the config's tokens, by result.\n# TYPE {name} counter"
        );
        if let Ok(map) = self.reloads.lock() {
            for ((what, ok), n) in map.iter() {
                let result = if *ok { "ok" } else { "error" };
                let _ = writeln!(out, "{name}{{what=\"{what}\",result=\"{result}\"}} {n}");
            }
        }
    }

    fn render_latency(&self, out: &mut String) {
        let name = "sidecar_upstream_query_seconds";
        let _ = writeln!(out, "# HELP {name} Time InfluxDB took to answer a query.");
        let _ = writeln!(out, "# TYPE {name} histogram");
        let Ok(latency) = self.upstream.lock() else {
            return;
        };
        for (bound, count) in LATENCY_BUCKETS.iter().zip(latency.buckets) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", latency.count);
        let _ = writeln!(out, "{name}_sum {}", latency.sum_s);
        let _ = writeln!(out, "{name}_count {}", latency.count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_up_in_the_exposition() {
        let m = Metrics::default();
        m.request("/metrics/aht", 200);
        m.request("/metrics/aht", 200);
        m.request("other", 404);
        m.lookup(Lookup::Coalesced);
        m.upstream(Duration::from_millis(20));
        let text = m.render();
        assert!(
            text.contains("sidecar_requests_total{route=\"/metrics/aht\",status=\"200\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("sidecar_requests_total{route=\"other\",status=\"404\"} 1\n"));
        assert!(text.contains("sidecar_cache_coalesced_total 1\n"));
        assert!(text.contains("sidecar_upstream_query_seconds_bucket{le=\"0.01\"} 0\n"));
        assert!(text.contains("sidecar_upstream_query_seconds_bucket{le=\"0.025\"} 1\n"));
        assert!(text.contains("sidecar_upstream_query_seconds_count 1\n"));
        m.limited("miss_rate");
        m.reload("tls", false);
        let text = m.render();
        assert!(
            text.contains("sidecar_limited_total{limit=\"miss_rate\"} 1\n"),
            "{text}"
        );
        assert!(text.contains("sidecar_reloads_total{what=\"tls\",result=\"error\"} 1\n"));
    }

    #[test]
    fn unknown_paths_share_one_label() {
        assert_eq!(route_label("/etc/passwd"), "other");
        assert_eq!(route_label("/skills"), "/skills");
        assert_eq!(route_label("/page/app.js"), "/");
    }
}
