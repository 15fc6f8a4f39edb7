//! The service around the routes (CORS, request counting, security headers, JSON
//! errors), and its lifecycle: bind (plain HTTP or TLS), serve, reload, stop
//! gracefully.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use salvo::catcher::Catcher;
use salvo::conn::{Acceptor, TcpListener};
use salvo::cors::{AllowOrigin, Cors};
use salvo::http::{HeaderValue, Method};
use salvo::prelude::*;
use salvo::server::ServerHandle;

use crate::backend::Backend;
use crate::cache::AnswerCache;
use crate::config::Config;
use crate::headers::SecurityHeaders;
use crate::limits::ClientLimits;
use crate::metrics::{Metrics, route_label};
use crate::reload::{Reloader, reload_on_sighup};
use crate::routes::{json_errors, route};
use crate::state::AppState;
use crate::tokens::{TokenSet, Tokens};
use tokio::sync::Semaphore;

/// How long a graceful stop waits for requests in flight.
pub const GRACE: Duration = Duration::from_secs(10);

/// Why the sidecar could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The HTTP client could not be built.
    #[error("cannot build the InfluxDB client: {0}")]
    Client(#[from] reqwest::Error),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {reason}")]
    Bind {
        /// The configured address.
        addr: String,
        /// The cause.
        reason: String,
    },
    /// The bearer tokens could not be loaded.
    #[error(transparent)]
    Tokens(#[from] crate::tokens::TokenError),
    /// The TLS files could not be loaded.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
}

/// The shared state for a config.
pub fn state(config: &Config) -> Result<Arc<AppState>, StartError> {
    let tokens = if config.http.has_tokens() {
        Some(Arc::new(Tokens::new(TokenSet::load(&config.http)?)))
    } else {
        None
    };
    Ok(Arc::new(AppState {
        backend: Backend::new(&config.influx)?,
        cache: AnswerCache::new(&config.cache).with_live_ttl(config.live.ttl),
        metrics: Metrics::default(),
        limits: config.limits.clone(),
        tokens,
        clients: ClientLimits::new(&config.limits),
        upstream_slots: Semaphore::new(config.influx.max_concurrent_queries),
        service_level: config.service_level.clone(),
        live: config.live.clone(),
    }))
}

/// The whole HTTP service.
pub fn service(state: Arc<AppState>, cors_origins: &[String]) -> Service {
    let mut service = Service::new(route(state.clone()))
        .hoop(CountRequests(state))
        .hoop(SecurityHeaders)
        .catcher(Catcher::default().hoop(json_errors));
    if !cors_origins.is_empty() {
        service = service.hoop(cors(cors_origins));
    }
    service
}

fn cors(origins: &[String]) -> salvo::cors::CorsHandler {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        // Config::parse has checked every origin is a valid header value.
        AllowOrigin::list(origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()))
    };
    Cors::new()
        .allow_origin(allow)
        .allow_methods(vec![Method::GET, Method::OPTIONS])
        .allow_headers(vec!["authorization"])
        .into_handler()
}

/// Counts every answered request by route and status.
#[derive(Debug)]
struct CountRequests(Arc<AppState>);

#[async_trait]
impl Handler for CountRequests {
    async fn handle(
        &self,
        req: &mut Request,
        depot: &mut Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        ctrl.call_next(req, depot, res).await;
        let status = res.status_code.unwrap_or(StatusCode::OK).as_u16();
        self.0
            .metrics
            .request(route_label(req.uri().path()), status);
    }
}

/// A running sidecar.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on (useful with port 0).
    pub addr: SocketAddr,
    /// Its base URL: `https://` with `[tls]`, else `http://`.
    pub url: String,
    /// Its state (tests read its metrics).
    pub state: Arc<AppState>,
    /// Reloads tokens and TLS files (the binary does on SIGHUP).
    pub reloader: Arc<Reloader>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<()>,
    watcher: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Reads the token and TLS files again, as SIGHUP does.
    pub async fn reload(&self) {
        self.reloader.reload().await;
    }

    /// Stops taking connections, lets requests in flight finish (up to [`GRACE`]).
    pub async fn stop(self) {
        self.watcher.abort();
        self.handle.stop_graceful(GRACE);
        let _ = self.task.await;
    }
}

fn bind_error(config: &Config) -> impl Fn(salvo::Error) -> StartError + '_ {
    |e| StartError::Bind {
        addr: config.listen.clone(),
        reason: e.to_string(),
    }
}

fn local_addr(
    config: &Config,
    holdings: &[salvo::conn::Holding],
) -> Result<SocketAddr, StartError> {
    holdings
        .first()
        .and_then(|h| h.local_addr.clone().into_std())
        .ok_or_else(|| StartError::Bind {
            addr: config.listen.clone(),
            reason: "no local address".into(),
        })
}

/// Binds `config.listen` (with TLS when `[tls]` is set) and serves in the background.
pub async fn start(config: &Config) -> Result<Running, StartError> {
    let state = state(config)?;
    let service = service(state.clone(), &config.http.cors_origins);
    let listener = TcpListener::new(config.listen.clone());
    let (addr, handle, task, tls_updates) = match &config.tls {
        Some(tls) => {
            let first = crate::tls::load(tls)?;
            let (updates, configs) = tokio::sync::mpsc::unbounded_channel();
            let stream = futures_util::stream::unfold(configs, |mut configs| async move {
                configs.recv().await.map(|config| (config, configs))
            });
            let initial = futures_util::stream::once(std::future::ready(first));
            let acceptor = listener
                .rustls(futures_util::StreamExt::chain(initial, stream))
                .try_bind()
                .await
                .map_err(bind_error(config))?;
            let addr = local_addr(config, acceptor.holdings())?;
            let server = Server::new(acceptor);
            let handle = server.handle();
            (
                addr,
                handle,
                tokio::spawn(server.serve(service)),
                Some(updates),
            )
        }
        None => {
            let acceptor = listener.try_bind().await.map_err(bind_error(config))?;
            let addr = local_addr(config, acceptor.holdings())?;
            let server = Server::new(acceptor);
            let handle = server.handle();
            (addr, handle, tokio::spawn(server.serve(service)), None)
        }
    };
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    warn_if_exposed(config, addr);
    let reloader = Arc::new(Reloader::new(config, state.clone(), tls_updates));
    let watcher = tokio::spawn(reloader.clone().watch());
    Ok(Running {
        addr,
        url: format!("{scheme}://{addr}"),
        state,
        reloader,
        handle,
        task,
        watcher,
    })
}

/// One warning when other hosts can reach the sidecar and it has neither TLS nor
/// a token: anyone on the network can read the data, and tokens would cross it in clear.
fn warn_if_exposed(config: &Config, addr: SocketAddr) {
    if addr.ip().is_loopback() {
        return;
    }
    let client_certificates = config
        .tls
        .as_ref()
        .is_some_and(|tls| tls.client_ca_file.is_some());
    match (
        config.tls.is_some(),
        config.http.has_tokens() || client_certificates,
    ) {
        (false, false) => tracing::warn!(
            "listening on {addr}, beyond loopback, without [tls] or a bearer token: anyone who can reach it reads the data; set [tls] and [http] bearer_token_file, or listen on 127.0.0.1 behind a reverse proxy"
        ),
        (false, true) => tracing::warn!(
            "listening on {addr}, beyond loopback, without [tls]: bearer tokens cross the network in clear; set [tls], or listen on 127.0.0.1 behind a reverse proxy that terminates TLS"
        ),
        (true, false) => tracing::warn!(
            "listening on {addr}, beyond loopback, without a bearer token or client certificates: anyone who can reach it reads the data; set [http] bearer_token_file or tls.client_ca_file"
        ),
        (true, true) => {}
    }
}

/// Serves until `shutdown` completes, then stops gracefully.
/// `on_ready` gets the base URL. SIGHUP reloads the tokens and TLS files.
pub async fn run(
    config: &Config,
    shutdown: impl Future<Output = ()>,
    on_ready: impl FnOnce(&str),
) -> Result<(), StartError> {
    let running = start(config).await?;
    on_ready(&running.url);
    let hangups = tokio::spawn(reload_on_sighup(running.reloader.clone()));
    shutdown.await;
    hangups.abort();
    tracing::info!("stopping: finishing requests in flight");
    running.stop().await;
    Ok(())
}

/// Completes on the first SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
