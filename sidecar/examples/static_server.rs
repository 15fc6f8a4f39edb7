//! The ceiling for the sidecar's cached answers in `scripts/bench`: the smallest
//! useful HTTP server, answering every request with one file's bytes as JSON. Same
//! runtime (multi-threaded tokio) and HTTP/1.1 stack (hyper) that salvo runs on, with
//! no routing, no cache lookup and no middleware.
//!
//!     cargo run --release -p genesys-aht-sidecar --example static_server -- BODY_FILE
//!
//! Prints `http://ADDRESS` on the first stdout line, then serves until killed.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: static_server BODY_FILE"))?;
    let body = Bytes::from(std::fs::read(&path)?);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    #[allow(clippy::print_stdout)]
    {
        println!("http://{}", listener.local_addr()?);
    }
    loop {
        let (stream, _) = listener.accept().await?;
        let body = body.clone();
        tokio::spawn(async move {
            let service = service_fn(move |_: Request<hyper::body::Incoming>| {
                let mut response = Response::new(Full::new(body.clone()));
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                async move { Ok::<_, Infallible>(response) }
            });
            // A client closing its connection mid-request is not worth reporting here.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
