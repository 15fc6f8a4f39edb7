//! The sidecar's own TLS: client certificates checked at the handshake, and a
//! certificate replaced on disk used by the next connections while an open one
//! finishes its request.

use std::sync::Arc;
use std::time::{Duration, Instant};

use genesys_aht_sidecar::Running;

use crate::certs::{Ca, Issued, client, replace_file, server_cert};
use crate::flux::{flux_sidecar, standin};
use crate::support::*;

struct Files {
    _dir: tempfile::TempDir,
    cert: std::path::PathBuf,
    key: std::path::PathBuf,
    toml: String,
}

/// The server's certificate and key, and the client CA, in files; the `[tls]`
/// table naming them (the files are checked for changes every 100 ms).
fn tls_files(server: &Issued, client_ca: &Ca) -> Files {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key, ca) = (
        dir.path().join("server.crt"),
        dir.path().join("server.key"),
        dir.path().join("clients-ca.crt"),
    );
    replace_file(&cert, &server.cert);
    replace_file(&key, &server.key);
    replace_file(&ca, &client_ca.pem());
    let toml = format!(
        "[http]\nreload_check = \"100ms\"\n[tls]\ncert_file = {:?}\nkey_file = {:?}\nclient_ca_file = {:?}\n",
        cert.display().to_string(),
        key.display().to_string(),
        ca.display().to_string()
    );
    Files {
        _dir: dir,
        cert,
        key,
        toml,
    }
}

fn served_healthz(sidecar: &Running) -> u64 {
    let text = sidecar.state.metrics.render();
    text.lines()
        .find_map(|l| l.strip_prefix("sidecar_requests_total{route=\"/healthz\",status=\"200\"} "))
        .map_or(0, |n| n.parse().unwrap())
}

/// The certificate a new connection to `sidecar` gets (a new client each time).
async fn new_connection_cert(sidecar: &Running, server_ca: &Ca, identity: &Issued) -> Vec<u8> {
    let fresh = client(server_ca, Some(identity));
    let response = fresh
        .get(format!("{}/healthz", sidecar.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    server_cert(&response)
}

/// Waits until new connections get `want`; until then they must get `before`
/// (the listener applies a new configuration in its own task).
async fn until_new_connections_get(
    sidecar: &Running,
    (server_ca, identity): (&Ca, &Issued),
    before: &[u8],
    want: &[u8],
) {
    let started = Instant::now();
    loop {
        let got = new_connection_cert(sidecar, server_ca, identity).await;
        if got == want {
            return;
        }
        assert_eq!(got, before, "neither the old certificate nor the new one");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the new certificate never came"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn only_clients_with_a_certificate_from_the_configured_ca_are_served() {
    let standin = standin().await;
    let (server_ca, client_ca, other_ca) = (
        Ca::new("server CA"),
        Ca::new("client CA"),
        Ca::new("other CA"),
    );
    let files = tls_files(&server_ca.server("sidecar"), &client_ca);
    let sidecar = flux_sidecar(&standin, &files.toml).await;
    assert!(
        sidecar.url.starts_with("https://127.0.0.1:"),
        "{}",
        sidecar.url
    );
    let url = format!("{}/healthz", sidecar.url);

    let trusted = client(&server_ca, Some(&client_ca.client("dashboard")));
    let response = trusted.get(&url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(served_healthz(&sidecar), 1);

    let without = client(&server_ca, None);
    let stranger = client(&server_ca, Some(&other_ca.client("stranger")));
    for (who, refused) in [("no certificate", &without), ("another CA", &stranger)] {
        let attempt = refused.get(&url).send().await;
        assert!(attempt.is_err(), "{who}: {:?}", attempt.map(|r| r.status()));
    }
    // Refused at the handshake: no request reached the service.
    assert_eq!(served_healthz(&sidecar), 1);
    let plain = reqwest::get(format!("http://{}/healthz", sidecar.addr)).await;
    assert!(
        plain.is_err(),
        "plain HTTP on the TLS port: {:?}",
        plain.map(|r| r.status())
    );
    sidecar.stop().await;
}

#[tokio::test]
async fn a_replaced_certificate_serves_new_connections_while_an_open_one_finishes() {
    let standin = standin().await;
    let (server_ca, client_ca) = (Ca::new("server CA"), Ca::new("client CA"));
    let (first, second) = (server_ca.server("sidecar 1"), server_ca.server("sidecar 2"));
    let files = tls_files(&first, &client_ca);
    let sidecar = flux_sidecar(&standin, &files.toml).await;
    let identity = client_ca.client("dashboard");

    // A request held by InfluxDB (the stand-in's gate) on a connection opened
    // with the first certificate.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    *standin.shared.gate.lock().unwrap() = Some(gate.clone());
    let (s, e) = (rfc3339(T0_NS), rfc3339(T0_NS + 6 * HOUR_NS));
    let held_url = format!(
        "{}/metrics/aht?{}",
        sidecar.url,
        query(&[("start_date", &s), ("end_date", &e)])
    );
    let open = client(&server_ca, Some(&identity));
    let held = tokio::spawn(async move { open.get(held_url).send().await });
    let started = Instant::now();
    while standin
        .shared
        .requests
        .load(std::sync::atomic::Ordering::SeqCst)
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the request never reached InfluxDB"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    replace_file(&files.cert, &second.cert);
    replace_file(&files.key, &second.key);
    // The change is noticed on its own (no SIGHUP).
    until_new_connections_get(&sidecar, (&server_ca, &identity), &first.der, &second.der).await;
    assert!(!held.is_finished(), "the held request must still be open");

    gate.add_permits(1000);
    let response = held.await.unwrap().unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        server_cert(&response),
        first.der,
        "the open connection kept its certificate"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["data"].as_array().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    let metrics = sidecar.state.metrics.render();
    assert!(
        metrics.contains("sidecar_reloads_total{what=\"tls\",result=\"ok\"}"),
        "{metrics}"
    );
    sidecar.stop().await;
}

#[tokio::test]
async fn a_key_that_does_not_match_is_refused_and_the_certificate_in_force_kept() {
    let standin = standin().await;
    let (server_ca, client_ca) = (Ca::new("server CA"), Ca::new("client CA"));
    let (first, second) = (server_ca.server("sidecar 1"), server_ca.server("sidecar 2"));
    let files = tls_files(&first, &client_ca);
    let sidecar = flux_sidecar(&standin, &files.toml.replace("100ms", "1h")).await;
    // Half a replacement: the new certificate with the old key.
    replace_file(&files.cert, &second.cert);
    sidecar.reload().await;
    let metrics = sidecar.state.metrics.render();
    assert!(
        metrics.contains("sidecar_reloads_total{what=\"tls\",result=\"error\"} 1\n"),
        "{metrics}"
    );
    let identity = client_ca.client("dashboard");
    let got = new_connection_cert(&sidecar, &server_ca, &identity).await;
    assert_eq!(got, first.der);
    // The key follows: the pair loads.
    replace_file(&files.key, &second.key);
    sidecar.reload().await;
    until_new_connections_get(&sidecar, (&server_ca, &identity), &first.der, &second.der).await;
    sidecar.stop().await;
}
