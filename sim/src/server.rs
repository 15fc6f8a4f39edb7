//! The HTTP server: hyper 1 on a tokio listener, one task per connection. Each request
//! gets a correlation id, may get a fault, is routed, contract-checked and logged.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::Response;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::contract;
use crate::faults::{FaultKind, RequestRecord};
use crate::reply::{ApiError, Reply, Shape};
use crate::request::Request;
use crate::router;
use crate::state::{State, lock};
use crate::wire::{ResponseBody, raw, truncate};

/// The largest request body accepted (Genesys' `request.bytes.max` limit).
const REQUEST_BYTES_MAX: usize = 512_000;

/// How many requests the request log keeps.
const REQUEST_LOG_CAPACITY: usize = 100_000;

/// Accepts connections until the task is dropped.
pub(crate) async fn serve(listener: TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(state.clone(), request));
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!("connection ended: {error}");
            }
        });
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DropConnection {}

async fn handle(
    state: Arc<State>,
    request: hyper::Request<Incoming>,
) -> Result<Response<ResponseBody>, DropConnection> {
    let (request, too_large) = read_request(request).await;
    let context_id = uuid::Uuid::new_v4().to_string();
    // A body over the platform's limit is refused before anything else, faults included.
    let fault = if too_large {
        None
    } else {
        lock(&state.faults).next(&request.path)
    };
    let mut record = RequestRecord {
        at: jiff::Timestamp::now(),
        method: request.method.to_string(),
        path: request.path.clone(),
        status: None,
        client_id: None,
        token_id: None,
        fault: fault.clone(),
    };
    let outcome = if too_large {
        Some(plain(
            &state,
            ApiError::too_large().reply(&context_id),
            &context_id,
        ))
    } else {
        respond(&state, &request, fault, &context_id, &mut record).await
    };
    record.status = outcome.as_ref().map(|r| r.status().as_u16());
    tracing::debug!(method = %record.method, path = %record.path, status = ?record.status, fault = ?record.fault, "request");
    remember(&state, record);
    outcome.ok_or(DropConnection)
}

/// The request with its body read whole, and whether the body was over the limit.
async fn read_request(request: hyper::Request<Incoming>) -> (Request, bool) {
    let (parts, body) = request.into_parts();
    let body = Limited::new(body, REQUEST_BYTES_MAX)
        .collect()
        .await
        .map(|b| b.to_bytes());
    let too_large = body.is_err();
    let request = Request {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query: form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect(),
        authorization: parts
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: body.unwrap_or_default(),
    };
    (request, too_large)
}

/// The answer to `request` with `fault` applied; `None` drops the connection.
async fn respond(
    state: &State,
    request: &Request,
    fault: Option<FaultKind>,
    context_id: &str,
    record: &mut RequestRecord,
) -> Option<Response<ResponseBody>> {
    let error = |error: ApiError| Some(plain(state, error.reply(context_id), context_id));
    match fault {
        None => Some(answer(state, request, context_id, record)),
        Some(FaultKind::Dropped) => None,
        Some(FaultKind::RevokedToken) => {
            lock(&state.tokens).revoke(request.authorization.as_deref());
            Some(answer(state, request, context_id, record))
        }
        Some(FaultKind::RateLimited { retry_after_secs }) => {
            error(ApiError::rate_limited(retry_after_secs))
        }
        Some(FaultKind::ServerError(status)) => error(ApiError::server(status)),
        Some(FaultKind::ServerErrorRetryAfter {
            status,
            retry_after_secs,
        }) => error(ApiError::server(status).retry_after(retry_after_secs)),
        Some(FaultKind::Malformed) => Some(raw(
            200,
            Bytes::from_static(b"{\"results\": [{\"group\": {\"queueId\": "),
            context_id,
        )),
        Some(FaultKind::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            Some(answer(state, request, context_id, record))
        }
        Some(FaultKind::Truncated) => Some(truncate(answer(state, request, context_id, record))),
    }
}

/// Appends `record` to the request log, which keeps the recent past only.
fn remember(state: &State, record: RequestRecord) {
    let mut log = lock(&state.log);
    if log.len() >= REQUEST_LOG_CAPACITY {
        log.drain(..REQUEST_LOG_CAPACITY / 10);
    }
    log.push(record);
}

/// The endpoint's own answer.
fn answer(
    state: &State,
    request: &Request,
    context_id: &str,
    record: &mut RequestRecord,
) -> Response<ResponseBody> {
    let (reply, caller) = router::route(state, request, context_id);
    if let Some(caller) = caller {
        record.client_id = Some(caller.client_id);
        record.token_id = caller.token_id;
    }
    plain(state, reply, context_id)
}

/// Serialises `reply`, checking its body against its model first.
fn plain(state: &State, reply: Reply, context_id: &str) -> Response<ResponseBody> {
    let bytes = match &reply.body {
        Some((body, shape)) => {
            if state.config.check_contract {
                check_contract(state, body, *shape);
            }
            Bytes::from(serde_json::to_vec(body).unwrap_or_default())
        }
        None => Bytes::new(),
    };
    let mut response = raw(reply.status, bytes, context_id);
    for (name, value) in reply.headers {
        if let Ok(value) = value.parse() {
            response.headers_mut().insert(name, value);
        }
    }
    if reply.body.is_none() {
        response.headers_mut().remove("content-type");
    }
    response
}

fn check_contract(state: &State, body: &serde_json::Value, shape: Shape) {
    let violations = match shape {
        Shape::Model(model) => contract::validate(body, model),
        Shape::OAuthToken => contract::validate_fields(
            body,
            &[
                ("access_token", "str"),
                ("token_type", "str"),
                ("expires_in", "int"),
            ],
            "$",
        ),
        Shape::OAuthError => contract::validate_fields(
            body,
            &[
                ("error", "str"),
                ("description", "str"),
                ("error_description", "str"),
            ],
            "$",
        ),
    };
    lock(&state.violations).extend(violations.into_iter().map(|v| format!("{shape:?}: {v}")));
}
