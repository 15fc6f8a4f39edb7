//! A 401 on an API call renews the token once and retries, and only once.
//!
//! The simulator never refuses a token it considers valid, so this test uses a small
//! stand-in HTTP server on loopback that revokes tokens on demand: it issues `tok-1`,
//! `tok-2`, ... and answers the aggregates query with 401 for revoked tokens.

// Helpers outside #[test] functions unwrap too: a panic here is a failed test.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use genesys_aht::collect::Collector;
use genesys_aht::config::{FileConfig, Settings};
use genesys_aht::genesys::GenesysError;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

#[derive(Debug, Default)]
struct Counters {
    tokens: AtomicUsize,
    queries: AtomicUsize,
}

/// Serves `/oauth/token` and the aggregates query; tokens numbered below
/// `first_valid` are refused with 401 (`usize::MAX`: every token is refused).
async fn stand_in(first_valid: usize) -> (String, Arc<Counters>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let counters = Arc::new(Counters::default());
    let shared = counters.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let counters = shared.clone();
            tokio::spawn(async move {
                let mut stream = BufReader::new(stream);
                while let Some((path, auth)) = read_request(&mut stream).await {
                    let (status, body) = if path == "/oauth/token" {
                        let n = counters.tokens.fetch_add(1, Ordering::SeqCst) + 1;
                        (
                            200,
                            format!(
                                r#"{{"access_token":"tok-{n}","token_type":"bearer","expires_in":86399}}"#
                            ),
                        )
                    } else {
                        counters.queries.fetch_add(1, Ordering::SeqCst);
                        let n: usize = auth.trim_start_matches("Bearer tok-").parse().unwrap_or(0);
                        if n >= first_valid {
                            (200, "{}".to_owned())
                        } else {
                            (401, r#"{"message":"Invalid login credentials.","code":"bad.credentials","status":401}"#.to_owned())
                        }
                    };
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    let stream = stream.get_mut();
                    if stream
                        .write_all(format!("{head}{body}").as_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    (url, counters)
}

/// Reads one request; returns its path and `Authorization` header.
async fn read_request(stream: &mut BufReader<tokio::net::TcpStream>) -> Option<(String, String)> {
    let mut line = String::new();
    stream.read_line(&mut line).await.ok().filter(|n| *n > 0)?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let (mut length, mut auth) = (0, String::new());
    loop {
        let mut header = String::new();
        stream.read_line(&mut header).await.ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        match name.to_ascii_lowercase().as_str() {
            "content-length" => length = value.trim().parse().ok()?,
            "authorization" => auth = value.trim().to_owned(),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await.ok()?;
    Some((path, auth))
}

fn collector(url: &str) -> Collector {
    let toml =
        format!("[genesys]\napi_url = \"{url}\"\nclient_id = \"c\"\nclient_secret = \"s\"\n");
    let file = FileConfig::parse(&toml, Path::new("test.toml")).unwrap();
    Settings::from_file(file, &|_| None)
        .map(|s| Collector::new(&s.genesys, s.collect).unwrap())
        .unwrap()
}

#[tokio::test]
async fn a_revoked_token_is_renewed_once_and_the_call_retried() {
    let (url, counters) = stand_in(2).await;
    let points = collector(&url)
        .collect(jiff::Timestamp::now())
        .await
        .unwrap();
    assert!(points.is_empty());
    assert_eq!(counters.tokens.load(Ordering::SeqCst), 2);
    assert_eq!(counters.queries.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_second_401_is_an_error_not_a_loop() {
    let (url, counters) = stand_in(usize::MAX).await;
    let error = collector(&url)
        .collect(jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(
        matches!(error, GenesysError::Unauthorized { .. }),
        "{error}"
    );
    assert!(error.to_string().contains("bad.credentials"), "{error}");
    assert_eq!(counters.tokens.load(Ordering::SeqCst), 2);
    assert_eq!(counters.queries.load(Ordering::SeqCst), 2);
}
