//! HTTP routes: the data endpoints, health, readiness, self metrics, OpenAPI, and
//! the chart page ([`crate::page`]).

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use salvo::http::StatusCode;
use salvo::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use salvo::prelude::*;
use salvo_oapi::swagger_ui::SwaggerUi;

use crate::answer::{AhtAnswer, SkillsAnswer};
use crate::backend::UpstreamError;
use crate::cache::{CacheKey, Lookup};
use crate::config::LimitsConfig;
use crate::error::{ApiError, ErrorBody};
use crate::headers::cache_control;
use crate::kpi::KpiAnswer;
use crate::limits::{ClientKey, Limit};
use crate::live::{QueuesAnswer, parse_queues};
use crate::request::{Invalid, parse_aht, parse_kpi, parse_skills};
use crate::state::AppState;

/// Every route, with the OpenAPI document at `/api-doc/openapi.json` and Swagger UI
/// at `/swagger-ui/`. Each handler holds the state itself: putting it in every
/// request's depot instead cost several per cent of the cached throughput.
pub fn route(state: Arc<AppState>) -> Router {
    let mut data = Router::new();
    if let Some(tokens) = state.tokens.clone() {
        data = data.hoop(crate::auth::RequireBearer(tokens));
    }
    let data = data
        .push(Router::with_path("metrics/aht").get(Aht(state.clone())))
        .push(Router::with_path("metrics/kpi").get(KpiRoute(state.clone())))
        .push(Router::with_path("metrics/queues").get(Queues(state.clone())))
        .push(Router::with_path("skills").get(Skills(state.clone())));
    let router = Router::new()
        .push(data)
        .push(Router::with_path("healthz").get(healthz))
        .push(Router::with_path("readyz").get(Readyz(state.clone())))
        .push(Router::with_path("metrics").get(Prometheus(state)));
    let doc = OpenApi::new("genesys-aht-sidecar", env!("CARGO_PKG_VERSION")).merge_router(&router);
    // The page is not part of the API: added after the OpenAPI document is built.
    router
        .push(crate::page::router())
        .push(doc.into_router("/api-doc/openapi.json"))
        .push(SwaggerUi::new("/api-doc/openapi.json").into_router("swagger-ui"))
}

fn query_pairs(req: &Request) -> Vec<(&str, &str)> {
    req.queries()
        .iter_all()
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
        .collect()
}

/// `GET /metrics/aht`.
#[derive(Debug)]
struct Aht(Arc<AppState>);

/// Weighted average handle time per window and group.
///
/// The range is widened to whole windows of `interval` (aligned to the Unix epoch,
/// UTC); only windows with data are listed. Unknown parameters are refused.
#[endpoint(
    tags("data"),
    parameters(
        ("start_date" = String, Query, description = "Range start: RFC 3339 (2026-03-10T00:00:00Z, Grafana's ${__from:date:iso}) or epoch milliseconds (Grafana's ${__from})"),
        ("end_date" = String, Query, description = "Range end (exclusive), after start_date: RFC 3339 or epoch milliseconds (Grafana's ${__to})"),
        ("interval" = Option<String>, Query, pattern = "^[1-9][0-9]{0,5}(ms|s|m|h|d|w|y)$", description = "Window length: 15m, 1h, 1d, or Grafana's $__interval (500ms, 2s...); rounded up to whole minutes, at most 366d (default 1h)"),
        ("skill" = Option<Vec<String>>, Query, style = Form, explode, description = "Only these skills (repeatable); one value {a,b} is Grafana's glob of a and b; $__all or empty: no filter"),
        ("var-skill" = Option<Vec<String>>, Query, style = Form, explode, description = "Grafana's ${skill:queryparam}: only these skills, each value exact; $__all: no filter"),
        ("queue" = Option<String>, Query, description = "Only this queue; $__all or empty: no filter"),
        ("var-queue" = Option<String>, Query, description = "Grafana's ${queue:queryparam}, as queue"),
        ("media_type" = Option<String>, Query, description = "Only this media type (voice, chat, ...); $__all or empty: no filter"),
        ("var-media_type" = Option<String>, Query, description = "Grafana's ${media_type:queryparam}, as media_type"),
    ),
    responses(
        (status_code = 200, description = "Windows with data", body = AhtAnswer),
        (status_code = 400, description = "Invalid request", body = ErrorBody),
        (status_code = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status_code = 414, description = "Query string longer than limits.max_query_bytes", body = ErrorBody),
        (status_code = 429, description = "This client is over its cache-miss rate or concurrent queries (rate_limited, with Retry-After), or InfluxDB asks to slow down (upstream_rate_limited, its Retry-After passed on)", body = ErrorBody),
        (status_code = 502, description = "InfluxDB failed the query", body = ErrorBody),
        (status_code = 503, description = "InfluxDB unreachable or unavailable (its Retry-After is passed on)", body = ErrorBody),
        (status_code = 504, description = "InfluxDB too slow (the sidecar's timeout, or InfluxDB's own deadline)", body = ErrorBody),
    )
)]
impl Aht {
    async fn handle(&self, req: &mut Request, res: &mut Response) {
        let result = answer(&self.0, req, |req, limits| {
            parse_aht(query_pairs(req), limits).map(CacheKey::Aht)
        })
        .await;
        write_json(res, result);
    }
}

/// `GET /metrics/kpi`.
#[derive(Debug)]
struct KpiRoute(Arc<AppState>);

/// Service level, average speed of answer, abandonment or transfer rate per window
/// and group, with the numerator and denominator to re-aggregate windows by.
///
/// `service_level`: answered within the queue's target (`tAnswered` count −
/// `nOverSla`) ÷ the configured denominator (default: answered + abandoned).
/// `asa`: `tAnswered` sum ÷ count, in seconds. `abandonment`: `tAbandon` count ÷
/// `nOffered`. `transfer_rate`: `nTransferred` ÷ `tHandle` count. `value` is `null`
/// when the denominator is 0. Windows as for `/metrics/aht`.
#[endpoint(
    tags("data"),
    parameters(
        ("kpi" = String, Query, pattern = "^(service_level|asa|abandonment|transfer_rate)$", description = "service_level, asa, abandonment or transfer_rate"),
        ("start_date" = String, Query, description = "Range start: RFC 3339 or epoch milliseconds (Grafana's ${__from})"),
        ("end_date" = String, Query, description = "Range end (exclusive), after start_date: RFC 3339 or epoch milliseconds (Grafana's ${__to})"),
        ("interval" = Option<String>, Query, pattern = "^[1-9][0-9]{0,5}(ms|s|m|h|d|w|y)$", description = "Window length, as for /metrics/aht (default 1h)"),
        ("skill" = Option<Vec<String>>, Query, style = Form, explode, description = "Only these skills (repeatable); {a,b} is Grafana's glob; $__all or empty: no filter"),
        ("var-skill" = Option<Vec<String>>, Query, style = Form, explode, description = "Grafana's ${skill:queryparam}: only these skills, each value exact"),
        ("queue" = Option<String>, Query, description = "Only this queue; $__all or empty: no filter"),
        ("var-queue" = Option<String>, Query, description = "Grafana's ${queue:queryparam}, as queue"),
        ("media_type" = Option<String>, Query, description = "Only this media type; $__all or empty: no filter"),
        ("var-media_type" = Option<String>, Query, description = "Grafana's ${media_type:queryparam}, as media_type"),
    ),
    responses(
        (status_code = 200, description = "Windows with data", body = KpiAnswer),
        (status_code = 400, description = "Invalid request (an unknown kpi: the reason lists the known ones)", body = ErrorBody),
        (status_code = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status_code = 429, description = "InfluxDB asks to slow down (its Retry-After is passed on)", body = ErrorBody),
        (status_code = 502, description = "InfluxDB failed the query", body = ErrorBody),
        (status_code = 503, description = "InfluxDB unreachable or unavailable (its Retry-After is passed on)", body = ErrorBody),
        (status_code = 504, description = "InfluxDB too slow (the sidecar's timeout, or InfluxDB's own deadline)", body = ErrorBody),
    )
)]
impl KpiRoute {
    async fn handle(&self, req: &mut Request, res: &mut Response) {
        let result = answer(&self.0, req, |req, limits| {
            parse_kpi(query_pairs(req), limits).map(CacheKey::Kpi)
        })
        .await;
        write_json(res, result);
    }
}

/// `GET /metrics/queues`.
#[derive(Debug)]
struct Queues(Arc<AppState>);

/// The live queue state: each queue's newest observation (the plugin's
/// `[observations]`, measurement `genesys_queue`), per media type, routing status
/// and presence.
///
/// Only queues observed within `live.window` of now are listed; answers are cached
/// for `live.ttl`.
#[endpoint(
    tags("data"),
    parameters(
        ("queue" = Option<Vec<String>>, Query, style = Form, explode, description = "Only these queue names (repeatable, exact); $__all or empty: every queue"),
        ("var-queue" = Option<Vec<String>>, Query, style = Form, explode, description = "Grafana's ${queue:queryparam}, as queue"),
    ),
    responses(
        (status_code = 200, description = "Each queue's newest observation", body = QueuesAnswer),
        (status_code = 400, description = "Invalid request", body = ErrorBody),
        (status_code = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status_code = 414, description = "Query string longer than limits.max_query_bytes", body = ErrorBody),
        (status_code = 429, description = "This client is over its cache-miss rate or concurrent queries (rate_limited, with Retry-After), or InfluxDB asks to slow down (upstream_rate_limited, its Retry-After passed on)", body = ErrorBody),
        (status_code = 502, description = "InfluxDB failed the query", body = ErrorBody),
        (status_code = 503, description = "InfluxDB unreachable or unavailable (its Retry-After is passed on)", body = ErrorBody),
        (status_code = 504, description = "InfluxDB too slow (the sidecar's timeout, or InfluxDB's own deadline)", body = ErrorBody),
    )
)]
impl Queues {
    async fn handle(&self, req: &mut Request, res: &mut Response) {
        let result = answer(&self.0, req, |req, limits| {
            parse_queues(query_pairs(req), limits).map(CacheKey::Queues)
        })
        .await;
        write_json(res, result);
    }
}

/// `GET /skills`.
#[derive(Debug)]
struct Skills(Arc<AppState>);

/// Skill names with handled conversations in a range (for dashboard variables).
#[endpoint(
    tags("data"),
    parameters(
        ("start_date" = String, Query, description = "Range start: RFC 3339 or epoch milliseconds (Grafana's ${__from})"),
        ("end_date" = String, Query, description = "Range end (exclusive), after start_date: RFC 3339 or epoch milliseconds (Grafana's ${__to})"),
    ),
    responses(
        (status_code = 200, description = "Sorted skill names", body = SkillsAnswer),
        (status_code = 400, description = "Invalid request", body = ErrorBody),
        (status_code = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status_code = 414, description = "Query string longer than limits.max_query_bytes", body = ErrorBody),
        (status_code = 429, description = "This client is over its cache-miss rate or concurrent queries (rate_limited, with Retry-After), or InfluxDB asks to slow down (upstream_rate_limited, its Retry-After passed on)", body = ErrorBody),
        (status_code = 502, description = "InfluxDB failed the query", body = ErrorBody),
        (status_code = 503, description = "InfluxDB unreachable or unavailable (its Retry-After is passed on)", body = ErrorBody),
        (status_code = 504, description = "InfluxDB too slow (the sidecar's timeout, or InfluxDB's own deadline)", body = ErrorBody),
    )
)]
impl Skills {
    async fn handle(&self, req: &mut Request, res: &mut Response) {
        let result = answer(&self.0, req, |req, limits| {
            parse_skills(query_pairs(req), limits).map(CacheKey::Skills)
        })
        .await;
        write_json(res, result);
    }
}

/// The answer to a data request, and when its cached copy expires: cached under
/// its target (one lookup, no parsing), or parsed with `parse`, then cached or asked
/// of InfluxDB once for every concurrent request that means the same.
async fn answer(
    state: &Arc<AppState>,
    req: &Request,
    parse: impl FnOnce(&Request, &LimitsConfig) -> Result<CacheKey, Invalid>,
) -> Result<(Bytes, Instant), ApiError> {
    let target = req.uri().path_and_query().map_or("", |pq| pq.as_str());
    let query_bytes = req.uri().query().map_or(0, str::len);
    if query_bytes > state.limits.max_query_bytes {
        state.metrics.limited(Limit::QueryLength.label());
        return Err(ApiError::query_too_long(state.limits.max_query_bytes));
    }
    if let Some(found) = state.cache.get_expiring(target).await {
        state.metrics.lookup(Lookup::Hit);
        return Ok(found);
    }
    let key = parse(req, &state.limits).map_err(ApiError::bad_request)?;
    // Boxed: the upstream query's state is large, and a hit should not carry it.
    Box::pin(miss(state, req, target, key)).await
}

/// Who a request counts against: its token when tokens are required, else its address.
fn client_of(state: &AppState, req: &Request) -> ClientKey {
    if state.tokens.is_some()
        && let Some(token) = crate::auth::presented_token(req)
    {
        return ClientKey::Token(crate::tokens::digest(token));
    }
    let addr = req.remote_addr().clone().into_std();
    ClientKey::Addr(addr.map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip()))
}

async fn miss(
    state: &Arc<AppState>,
    req: &Request,
    target: &str,
    key: CacheKey,
) -> Result<(Bytes, Instant), ApiError> {
    // Held until the answer is there: one of the client's concurrent queries,
    // waited for no longer than a query may take.
    let admitted = state
        .clients
        .admit(client_of(state, req), state.backend.timeout())
        .await;
    let _permit = admitted.map_err(|refused| {
        state.metrics.limited(refused.limit.label());
        ApiError::too_many(refused)
    })?;
    let found = state
        .cache
        .get_or_fetch_expiring(target, &key, fetch(state, &key))
        .await;
    match found {
        Ok((body, lookup, expires_at)) => {
            state.metrics.lookup(lookup);
            Ok((body, expires_at))
        }
        Err(error) => {
            state.metrics.lookup(Lookup::Miss);
            tracing::warn!("upstream query failed: {error}");
            Err(ApiError::upstream(&error))
        }
    }
}

/// The JSON answer for `key`, from InfluxDB: the names the IDs carry first (cached),
/// then the data query.
async fn fetch(state: &AppState, key: &CacheKey) -> Result<String, UpstreamError> {
    // All clients together never have more queries running than configured; the
    // semaphore is never closed, so acquiring only waits.
    let _slot = state.upstream_slots.acquire().await.ok();
    let backend = &state.backend;
    let range = match key {
        CacheKey::Aht(request) => Some(request.range),
        CacheKey::Skills(request) => Some(request.range),
        CacheKey::Kpi(request) => Some(request.window.range),
        // The live state carries the current names in its newest points.
        CacheKey::Queues(_) => None,
    };
    let names = match range {
        Some(range) => {
            let (names, names_took) = backend.names(range).await?;
            if !names_took.is_zero() {
                state.metrics.upstream(names_took);
            }
            names
        }
        None => Arc::default(),
    };
    let (json, took) = match key {
        CacheKey::Aht(request) => {
            let query = backend.aht_query(request, &names);
            let (answer, took) = backend.aht(&query, request, &names).await?;
            (serde_json::to_string(&answer), took)
        }
        CacheKey::Kpi(request) => {
            let query = backend.kpi_query(request, &names);
            let (answer, took) = backend
                .kpi(&query, request, &names, &state.service_level)
                .await?;
            (serde_json::to_string(&answer), took)
        }
        CacheKey::Skills(request) => {
            let query = backend.skills_query(request);
            let (answer, took) = backend.skills(&query, &names).await?;
            (serde_json::to_string(&answer), took)
        }
        CacheKey::Queues(request) => {
            let (answer, took) = backend.queues(request, &state.live).await?;
            (serde_json::to_string(&answer), took)
        }
    };
    state.metrics.upstream(took);
    Ok(json.unwrap_or_default())
}

const JSON_CONTENT_TYPE: HeaderValue = HeaderValue::from_static("application/json; charset=utf-8");

fn write_json(res: &mut Response, result: Result<(Bytes, Instant), ApiError>) {
    match result {
        Ok((body, expires_at)) => {
            let left = expires_at.saturating_duration_since(Instant::now());
            let headers = res.headers_mut();
            headers.insert(CONTENT_TYPE, JSON_CONTENT_TYPE);
            headers.insert(CACHE_CONTROL, cache_control(left.as_secs()));
            res.write_body(body).ok();
        }
        Err(error) => error.write_to(res),
    }
}

/// Liveness: the process answers.
#[endpoint(tags("service"), responses((status_code = 200, description = "Alive")))]
async fn healthz(res: &mut Response) {
    res.render(Text::Json(r#"{"status":"ok"}"#));
}

/// `GET /readyz`.
#[derive(Debug)]
struct Readyz(Arc<AppState>);

/// Readiness: InfluxDB answers `/ping`.
#[endpoint(
    tags("service"),
    responses(
        (status_code = 200, description = "InfluxDB reachable"),
        (status_code = 503, description = "InfluxDB unreachable", body = ErrorBody),
    )
)]
impl Readyz {
    async fn handle(&self, res: &mut Response) {
        match self.0.backend.ping().await {
            Ok(()) => res.render(Text::Json(r#"{"status":"ready"}"#)),
            Err(error) => ApiError::not_ready(&error).write_to(res),
        }
    }
}

/// `GET /metrics`.
#[derive(Debug)]
struct Prometheus(Arc<AppState>);

/// The sidecar's own metrics in the Prometheus text format.
#[endpoint(tags("service"), responses((status_code = 200, description = "Prometheus text format")))]
impl Prometheus {
    async fn handle(&self, res: &mut Response) {
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        res.write_body(self.0.metrics.render()).ok();
    }
}

/// Makes the status of 404, 405 and other errors salvo answers itself a JSON body.
#[handler]
pub(crate) async fn json_errors(res: &mut Response, ctrl: &mut FlowCtrl) {
    let status = res.status_code.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError::from_status(status).write_to(res);
    crate::headers::add_security_headers(res);
    ctrl.skip_rest();
}
