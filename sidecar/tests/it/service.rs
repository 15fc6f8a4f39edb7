//! The HTTP surface over a socket: cache hits, OpenAPI, self metrics, and the
//! binary's config errors and graceful shutdown on signals. Bad requests, auth,
//! unknown routes and methods, and CORS are tested in-process
//! (`sidecar/src/server_tests.rs`).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::flux::{flux_sidecar, standin};
use crate::standin::{ORG, TOKEN};
use crate::support::*;

fn aht_path(extra: &[(&str, &str)]) -> String {
    let (s, e) = (rfc3339(T0_NS), rfc3339(T0_NS + 6 * HOUR_NS));
    let mut pairs = vec![("start_date", s.as_str()), ("end_date", e.as_str())];
    pairs.extend_from_slice(extra);
    format!("/metrics/aht?{}", query(&pairs))
}

#[tokio::test]
async fn a_repeated_request_is_served_from_the_cache_and_counted() {
    let standin = standin().await;
    let sidecar = flux_sidecar(&standin, "").await;
    // The same data asked with reordered, duplicated skills and an unaligned start.
    let first = aht_path(&[("skill", "x=y"), ("skill", "a,b")]);
    let (s, e) = (rfc3339(T0_NS + MINUTE_NS), rfc3339(T0_NS + 6 * HOUR_NS));
    let second = format!(
        "/metrics/aht?{}",
        query(&[
            ("skill", "a,b"),
            ("end_date", &e),
            ("skill", "x=y"),
            ("skill", "a,b"),
            ("start_date", &s)
        ])
    );
    let (status, a) = get(&sidecar, &first).await;
    assert_eq!(status, 200);
    let (status, b) = get(&sidecar, &second).await;
    assert_eq!((status, &a), (200, &b));
    assert_eq!(standin.requests(), 1);
    let (_, _) = get(&sidecar, "/nope").await;
    let text = reqwest::get(format!("http://{}/metrics", sidecar.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "sidecar_requests_total{route=\"/metrics/aht\",status=\"200\"} 2",
        "sidecar_requests_total{route=\"other\",status=\"404\"} 1",
        "sidecar_cache_hits_total 1",
        "sidecar_cache_misses_total 1",
        // The name index and the data: two upstream queries for one miss.
        "sidecar_upstream_query_seconds_count 2",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }
    sidecar.stop().await;
}

#[tokio::test]
async fn recent_answers_expire_after_ttl_and_old_ones_live_on() {
    let standin = standin().await;
    // The TTL leaves the four first requests ample time on a loaded machine; only
    // the order of events is asserted, never a duration.
    let sidecar = flux_sidecar(&standin, "[cache]\nttl = \"3s\"\nimmutable_ttl = \"1h\"\n").await;
    let now = jiff::Timestamp::now();
    let recent = format!(
        "/metrics/aht?{}",
        query(&[
            (
                "start_date",
                &(now - jiff::SignedDuration::from_hours(2)).to_string()
            ),
            ("end_date", &now.to_string()),
        ])
    );
    let old = aht_path(&[]);
    for path in [&recent, &old, &recent, &old] {
        assert_eq!(get(&sidecar, path).await.0, 200);
    }
    assert_eq!(standin.requests(), 2, "both answers are cached at first");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    for path in [&recent, &old] {
        assert_eq!(get(&sidecar, path).await.0, 200);
    }
    assert_eq!(standin.requests(), 3, "only the recent answer expired");
    sidecar.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_the_endpoints_and_swagger_ui_is_served() {
    let standin = standin().await;
    let sidecar = flux_sidecar(&standin, "").await;
    let (status, doc) = get(&sidecar, "/api-doc/openapi.json").await;
    assert_eq!(status, 200);
    let aht = &doc["paths"]["/metrics/aht"]["get"];
    let names: Vec<&str> = aht["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "start_date",
            "end_date",
            "interval",
            "skill",
            "var-skill",
            "queue",
            "var-queue",
            "media_type",
            "var-media_type"
        ]
    );
    assert!(
        aht["responses"]["400"].is_object() && aht["responses"]["504"].is_object(),
        "{aht}"
    );
    assert!(doc["paths"]["/skills"]["get"].is_object());
    let queues = &doc["paths"]["/metrics/queues"]["get"];
    let names: Vec<&str> = queues["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["queue", "var-queue"]);
    assert!(queues["responses"]["501"].is_null(), "{queues}");
    for status in ["200", "400", "401", "503"] {
        assert!(
            queues["responses"][status].is_object(),
            "{status}: {queues}"
        );
    }
    let ui = reqwest::get(format!("http://{}/swagger-ui/", sidecar.addr))
        .await
        .unwrap();
    assert_eq!(ui.status().as_u16(), 200);
    assert!(
        ui.text().await.unwrap().contains("swagger"),
        "no Swagger UI page"
    );
    sidecar.stop().await;
}

fn write_config(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("sidecar.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_config_mistake_names_the_key_and_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(
        &dir,
        "[influx]\nbackend = \"influxql\"\nurl = \"http://127.0.0.1:1\"\nbucket = \"b\"\ntoken = \"${SIDECAR_TEST_TOKEN}\"\n[cache]\nttl = \"a while\"\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_genesys-aht-sidecar"))
        .args(["--config", &path])
        .env("SIDECAR_TEST_TOKEN", "hunter2-secret")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("ttl") && stderr.contains("expected a duration"),
        "{stderr}"
    );
    genesys_aht_tests::secrets::register("hunter2-secret");
    genesys_aht_tests::secrets::check("the sidecar's stderr", &stderr);
    let unset = write_config(
        &dir,
        "[influx]\nbackend = \"flux\"\norg = \"o\"\nurl = \"${SIDECAR_TEST_UNSET_URL}\"\nbucket = \"b\"\n",
    );
    let out = Command::new(env!("CARGO_BIN_EXE_genesys-aht-sidecar"))
        .args(["--config", &unset])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("SIDECAR_TEST_UNSET_URL is not set"),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_binary_stops_cleanly_on_sigterm_and_sigint() {
    let standin = standin().await;
    for signal in ["TERM", "INT"] {
        let dir = tempfile::tempdir().unwrap();
        let path = write_config(
            &dir,
            &format!(
                "listen = \"127.0.0.1:0\"\n[influx]\nbackend = \"flux\"\nurl = \"{}\"\ntoken = \"{TOKEN}\"\norg = \"{ORG}\"\nbucket = \"genesys\"\n",
                standin.url
            ),
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_genesys-aht-sidecar"))
            .args(["--config", &path])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut first = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        let base = first.trim().to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{first}");
        let health = reqwest::get(format!("{base}/readyz")).await.unwrap();
        assert_eq!(health.status().as_u16(), 200);
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "SIG{signal}: still running"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(status.success(), "SIG{signal}: {status}");
        assert!(
            reqwest::get(format!("{base}/healthz")).await.is_err(),
            "SIG{signal}: still listening"
        );
    }
}
