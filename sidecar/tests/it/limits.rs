//! Per-client limits against the real InfluxDB 1.6, and the security headers.

use genesys_aht_tests::influxdb_log::{most_at_once, query_spans};
use genesys_aht_tests::secrets::SIDECAR_TOKENS;
use serde_json::Value;

use crate::certs::replace_file;
use crate::flux::{flux_sidecar, standin};
use crate::influxql::loaded_influxdb;
use crate::support::*;

const DAY_MS: i64 = 86_400_000;

/// A one-hour range `days` days before the test points: a different cache key each.
fn miss_path(days: i64) -> String {
    let start_ms = T0_NS / 1_000_000 - days * DAY_MS;
    format!(
        "/metrics/aht?start_date={start_ms}&end_date={}",
        start_ms + 3_600_000
    )
}

/// The day before the test points, by windows of `minutes`: a different cache key
/// for each length, and each a query InfluxDB takes a while over (see `busy_day`).
fn heavy_path(minutes: i64) -> String {
    let end_ms = T0_NS / 1_000_000;
    format!(
        "/metrics/aht?start_date={}&end_date={end_ms}&interval={minutes}m",
        end_ms - DAY_MS
    )
}

/// One point a minute for 28 series over the day before the test points, so that
/// queries last long enough for InfluxDB to run several at once if it is sent them.
fn busy_day() -> String {
    let mut points = Vec::new();
    for minute in 0..1440 {
        for (s, skill) in SKILLS.iter().enumerate() {
            for queue in ["Q 1", "Q,2"] {
                for media_type in ["voice", "chat"] {
                    points.push(TestPoint {
                        ts_ns: T0_NS - DAY_NS + minute * MINUTE_NS,
                        skill,
                        skill_id: skill,
                        queue,
                        media_type,
                        count: 1 + (minute + s as i64) % 3,
                        sum_ms: 60_000 + minute,
                    });
                }
            }
        }
    }
    line_protocol(&points)
}

/// Status, `Retry-After` and JSON body of `GET path` with `token`.
async fn get_limited(
    http: &reqwest::Client,
    base: &str,
    path: String,
    token: &str,
) -> (u16, Option<String>, Value) {
    let request = http.get(format!("{base}{path}")).bearer_auth(token);
    status_retry_after_json(request.send().await.unwrap()).await
}

#[tokio::test]
async fn a_client_past_its_limits_gets_429_while_another_is_served_and_influxdb_never_sees_more_than_allowed()
 {
    let influx = loaded_influxdb().await;
    for chunk in busy_day().lines().collect::<Vec<_>>().chunks(10_000) {
        influx.write(&chunk.join("\n")).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens");
    replace_file(
        &tokens,
        &format!("{}\n{}\n", SIDECAR_TOKENS[0], SIDECAR_TOKENS[1]),
    );
    // A bucket of 6 misses refilled every 100 s: within the test, 6 misses each.
    let sidecar = sidecar(&format!(
        "[influx]\nbackend = \"influxql\"\nurl = \"{}\"\nbucket = \"test\"\nmax_concurrent_queries = 3\n\
         [http]\nbearer_token_file = {:?}\n\
         [limits]\nclient_misses_per_second = 0.01\nclient_miss_burst = 6\nclient_concurrent_queries = 2\n",
        influx.url,
        tokens.display().to_string()
    ))
    .await;
    let base = format!("http://{}", sidecar.addr);
    let http = reqwest::Client::new();
    let (greedy, polite) = (SIDECAR_TOKENS[0], SIDECAR_TOKENS[1]);
    // The greedy client asks for 16 different answers at once; the polite one asks
    // for 5, one after the other, at the same time.
    let greedy_run = futures_util::future::join_all(
        (1..=16).map(|minutes| get_limited(&http, &base, heavy_path(minutes), greedy)),
    );
    let polite_run = async {
        let mut statuses = Vec::new();
        for minutes in 101..=105 {
            statuses.push(
                get_limited(&http, &base, heavy_path(minutes), polite)
                    .await
                    .0,
            );
        }
        statuses
    };
    let (greedy_answers, polite_statuses) = tokio::join!(greedy_run, polite_run);

    assert_eq!(
        polite_statuses, [200; 5],
        "the polite client is always served"
    );
    let served = greedy_answers.iter().filter(|(s, ..)| *s == 200).count();
    let refused: Vec<_> = greedy_answers.iter().filter(|(s, ..)| *s == 429).collect();
    assert_eq!(served + refused.len(), 16, "{greedy_answers:?}");
    assert!(served <= 6, "{served} misses served past a burst of 6");
    for (_, retry_after, body) in &refused {
        let seconds: u64 = retry_after.as_deref().unwrap().parse().unwrap();
        assert!(seconds >= 1, "Retry-After: {seconds}");
        assert_eq!(body["error"], "rate_limited", "{body}");
        assert!(
            body["reason"].as_str().unwrap().contains("limits.client_"),
            "{body}"
        );
    }
    // One at a time (no concurrency limit in play), it is served until its burst of
    // 6 is spent, then refused for the time a new miss takes to earn (100 s).
    let mut one_by_one = Vec::new();
    for minutes in 40..48 {
        one_by_one.push(get_limited(&http, &base, heavy_path(minutes), greedy).await);
    }
    let later_served = one_by_one.iter().filter(|(s, ..)| *s == 200).count();
    assert!(
        served + later_served <= 6,
        "{} misses past a burst of 6",
        served + later_served
    );
    let rate_refused: Vec<_> = one_by_one.iter().filter(|(s, ..)| *s == 429).collect();
    assert!(!rate_refused.is_empty());
    for (_, retry_after, _) in &rate_refused {
        let seconds: u64 = retry_after.as_deref().unwrap().parse().unwrap();
        assert!((2..=100).contains(&seconds), "Retry-After: {seconds}");
    }
    // Its cached answers stay free.
    let first_served = (1..=16)
        .zip(&greedy_answers)
        .find(|(_, (s, ..))| *s == 200)
        .map(|(minutes, _)| minutes)
        .unwrap();
    let (status, ..) = get_limited(&http, &base, heavy_path(first_served), greedy).await;
    assert_eq!(status, 200, "a cache hit is not limited");

    let metrics = sidecar.state.metrics.render();
    let limited: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("sidecar_limited_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(
        limited,
        (refused.len() + rate_refused.len()) as u64,
        "{metrics}"
    );

    // InfluxDB's own log: never more than influx.max_concurrent_queries at once.
    let spans = query_spans(&influx.access_log_path()).unwrap();
    assert!(
        spans.len() >= served + later_served + 5,
        "{} queries logged",
        spans.len()
    );
    let most = most_at_once(&spans);
    assert!(
        (1..=3).contains(&most),
        "InfluxDB ran {most} queries at once"
    );
    sidecar.stop().await;
}

#[tokio::test]
async fn a_query_string_over_the_limit_is_414_json_and_counted() {
    let standin = standin().await;
    let sidecar = flux_sidecar(&standin, "[limits]\nmax_query_bytes = 200\n").await;
    let long = format!("{}&skill={}", miss_path(1), "x".repeat(200));
    let (status, body) = get(&sidecar, &long).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (414, Some("query_too_long")),
        "{body}"
    );
    assert_eq!(get(&sidecar, &miss_path(1)).await.0, 200);
    assert_eq!(standin.requests(), 1);
    let metrics = sidecar.state.metrics.render();
    assert!(
        metrics.contains("sidecar_limited_total{limit=\"query_length\"} 1\n"),
        "{metrics}"
    );
    sidecar.stop().await;
}

#[tokio::test]
async fn answers_carry_the_security_headers_and_their_cache_lifetime() {
    let standin = standin().await;
    let sidecar = flux_sidecar(&standin, "[cache]\nimmutable_ttl = \"1h\"\n").await;
    let base = format!("http://{}", sidecar.addr);
    let header = |r: &reqwest::Response, name: &str| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    // An old range: cached for immutable_ttl, so the browser may keep it up to 1 h.
    for _ in 0..2 {
        let r = reqwest::get(format!("{base}{}", miss_path(30)))
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let cache = header(&r, "cache-control");
        let age: u64 = cache
            .strip_prefix("private, max-age=")
            .unwrap_or_else(|| panic!("{cache}"))
            .parse()
            .unwrap();
        assert!((1..=3600).contains(&age), "{cache}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert!(header(&r, "content-security-policy").contains("default-src 'none'"));
    }
    for path in ["/healthz", "/nope", "/metrics"] {
        let r = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(header(&r, "cache-control"), "no-store", "{path}");
        assert_eq!(header(&r, "x-content-type-options"), "nosniff", "{path}");
        assert!(
            header(&r, "content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
    let page = reqwest::get(format!("{base}/swagger-ui/")).await.unwrap();
    assert!(header(&page, "content-type").starts_with("text/html"));
    let csp = header(&page, "content-security-policy");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    sidecar.stop().await;
}
