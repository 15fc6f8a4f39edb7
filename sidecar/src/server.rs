//! The service around the routes (CORS, request counting, JSON errors), and its
//! lifecycle: bind, serve, stop gracefully.

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
use crate::metrics::{Metrics, route_label};
use crate::routes::{json_errors, route};
use crate::state::AppState;

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
}

/// The shared state for a config.
pub fn state(config: &Config) -> Result<Arc<AppState>, StartError> {
    Ok(Arc::new(AppState {
        backend: Backend::new(&config.influx)?,
        cache: AnswerCache::new(&config.cache),
        metrics: Metrics::default(),
        limits: config.limits.clone(),
        service_level: config.service_level.clone(),
        bearer_token: config.http.bearer_token.clone(),
    }))
}

/// The whole HTTP service.
pub fn service(state: Arc<AppState>, cors_origins: &[String]) -> Service {
    let mut service = Service::new(route(state.clone()))
        .hoop(CountRequests(state))
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
    /// Its state (tests read its metrics).
    pub state: Arc<AppState>,
    handle: ServerHandle,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops taking connections, lets requests in flight finish (up to [`GRACE`]).
    pub async fn stop(self) {
        self.handle.stop_graceful(GRACE);
        let _ = self.task.await;
    }
}

/// Binds `config.listen` and serves in the background.
pub async fn start(config: &Config) -> Result<Running, StartError> {
    let state = state(config)?;
    let acceptor = TcpListener::new(config.listen.clone())
        .try_bind()
        .await
        .map_err(|e| StartError::Bind {
            addr: config.listen.clone(),
            reason: e.to_string(),
        })?;
    let addr = acceptor
        .holdings()
        .first()
        .and_then(|h| h.local_addr.clone().into_std())
        .ok_or_else(|| StartError::Bind {
            addr: config.listen.clone(),
            reason: "no local address".into(),
        })?;
    let server = Server::new(acceptor);
    let handle = server.handle();
    let service = service(state.clone(), &config.http.cors_origins);
    let task = tokio::spawn(server.serve(service));
    Ok(Running {
        addr,
        state,
        handle,
        task,
    })
}

/// Serves until `shutdown` completes, then stops gracefully.
pub async fn run(
    config: &Config,
    shutdown: impl Future<Output = ()>,
    on_ready: impl FnOnce(SocketAddr),
) -> Result<(), StartError> {
    let running = start(config).await?;
    on_ready(running.addr);
    shutdown.await;
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
