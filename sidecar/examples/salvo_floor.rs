//! The framework's floor for the sidecar's cached answers in `scripts/bench`: salvo
//! with one handler answering every request with one file's bytes as JSON. No other
//! routes, no middleware, no cache; the same salvo, tokio and allocator as the sidecar.
//! Between it and `static_server` lies what the framework costs; between it and the
//! sidecar, what the sidecar's own work costs.
//!
//!     cargo run --release -p genesys-aht-sidecar --example salvo_floor -- BODY_FILE
//!
//! Prints `http://ADDRESS` on the first stdout line, then serves until killed.

use bytes::Bytes;
use salvo::conn::{Acceptor, TcpListener};
use salvo::http::header::{CONTENT_TYPE, HeaderValue};
use salvo::prelude::*;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Answers with the same bytes every time.
struct Fixed(Bytes);

#[async_trait]
impl Handler for Fixed {
    async fn handle(&self, _: &mut Request, _: &mut Depot, res: &mut Response, _: &mut FlowCtrl) {
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        res.write_body(self.0.clone()).ok();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: salvo_floor BODY_FILE"))?;
    let body = Bytes::from(std::fs::read(&path)?);
    let acceptor = TcpListener::new("127.0.0.1:0").try_bind().await?;
    let addr = acceptor
        .holdings()
        .first()
        .map(|h| h.local_addr.to_string())
        .unwrap_or_default();
    #[allow(clippy::print_stdout)]
    {
        println!("{}", addr.replace("socket://", "http://"));
    }
    let router = Router::with_path("{**rest}").get(Fixed(body));
    Server::new(acceptor).serve(router).await;
    Ok(())
}
