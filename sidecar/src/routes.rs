//! HTTP routes: the data endpoints, health, readiness, self metrics, OpenAPI.

use std::sync::Arc;

use bytes::Bytes;
use salvo::http::StatusCode;
use salvo::prelude::*;
use salvo_oapi::swagger_ui::SwaggerUi;

use crate::answer::{AhtAnswer, SkillsAnswer};
use crate::cache::{CacheKey, Lookup};
use crate::error::{ApiError, ErrorBody};
use crate::request::{parse_aht, parse_skills};
use crate::state::AppState;

/// Every route, with the OpenAPI document at `/api-doc/openapi.json` and Swagger UI
/// at `/swagger-ui/`. The state reaches handlers through the depot.
pub fn route(state: Arc<AppState>) -> Router {
    let data = Router::new()
        .hoop(crate::auth::RequireBearer)
        .push(Router::with_path("metrics/aht").get(aht))
        .push(Router::with_path("skills").get(skills));
    let router = Router::new()
        .hoop(Inject(state))
        .push(data)
        .push(Router::with_path("healthz").get(healthz))
        .push(Router::with_path("readyz").get(readyz))
        .push(Router::with_path("metrics").get(prometheus));
    let doc = OpenApi::new("genesys-aht-sidecar", env!("CARGO_PKG_VERSION")).merge_router(&router);
    router
        .push(doc.into_router("/api-doc/openapi.json"))
        .push(SwaggerUi::new("/api-doc/openapi.json").into_router("swagger-ui"))
}

/// Puts the shared state into every request's depot.
#[derive(Debug, Clone)]
struct Inject(Arc<AppState>);

#[async_trait]
impl Handler for Inject {
    async fn handle(&self, _: &mut Request, depot: &mut Depot, _: &mut Response, _: &mut FlowCtrl) {
        depot.insert_typed(self.0.clone());
    }
}

fn state(depot: &Depot) -> Result<Arc<AppState>, ApiError> {
    depot
        .get_typed::<Arc<AppState>>()
        .cloned()
        .map_err(|_| ApiError::internal("the service state is missing"))
}

fn query_pairs(req: &Request) -> Vec<(&str, &str)> {
    req.queries()
        .iter_all()
        .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
        .collect()
}

/// Weighted average handle time per window and group.
///
/// The range is widened to whole windows of `interval` (aligned to the Unix epoch,
/// UTC); only windows with data are listed. Unknown parameters are refused.
#[endpoint(
    tags("data"),
    parameters(
        ("start_date" = String, Query, format = DateTime, description = "Range start, RFC 3339 (e.g. 2026-03-10T00:00:00Z)"),
        ("end_date" = String, Query, format = DateTime, description = "Range end (exclusive), RFC 3339; after start_date"),
        ("interval" = Option<String>, Query, pattern = "^[1-9][0-9]{0,3}(s|m|h|d)$", description = "Window length: 15m, 1h, 1d... (default 1h)"),
        ("skill" = Option<Vec<String>>, Query, style = Form, explode, description = "Only these skills (repeatable)"),
        ("queue" = Option<String>, Query, min_length = 1, description = "Only this queue"),
        ("media_type" = Option<String>, Query, min_length = 1, description = "Only this media type (voice, chat, ...)"),
    ),
    responses(
        (status_code = 200, description = "Windows with data", body = AhtAnswer),
        (status_code = 400, description = "Invalid request", body = ErrorBody),
        (status_code = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status_code = 502, description = "InfluxDB failed the query", body = ErrorBody),
        (status_code = 503, description = "InfluxDB unreachable", body = ErrorBody),
        (status_code = 504, description = "InfluxDB too slow", body = ErrorBody),
    )
)]
async fn aht(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let result = answer_aht(req, depot).await;
    write_json(res, result);
}

async fn answer_aht(req: &Request, depot: &Depot) -> Result<Bytes, ApiError> {
    let state = state(depot)?;
    let raw = req.uri().query().unwrap_or_default();
    let request = match state.parsed.get(raw) {
        Some(CacheKey::Aht(request)) => request,
        _ => {
            let request =
                parse_aht(query_pairs(req), &state.limits).map_err(ApiError::bad_request)?;
            state.parsed.insert(raw, CacheKey::Aht(request.clone()));
            request
        }
    };
    let ttl = state.cache.ttl_for(request.range.end_ns, now_ns());
    let key = CacheKey::Aht(request.clone());
    cached(&state, key, ttl, |state| async move {
        let query = state.backend.aht_query(&request);
        let (answer, took) = state.backend.aht(&query).await?;
        state.metrics.upstream(took);
        Ok(serde_json::to_string(&answer).unwrap_or_default())
    })
    .await
}

/// Skill names with handled conversations in a range (for dashboard variables).
#[endpoint(
    tags("data"),
    parameters(
        ("start_date" = String, Query, format = DateTime, description = "Range start, RFC 3339"),
        ("end_date" = String, Query, format = DateTime, description = "Range end (exclusive), RFC 3339; after start_date"),
    ),
    responses(
        (status_code = 200, description = "Sorted skill names", body = SkillsAnswer),
        (status_code = 400, description = "Invalid request", body = ErrorBody),
        (status_code = 401, description = "Missing or wrong bearer token", body = ErrorBody),
        (status_code = 502, description = "InfluxDB failed the query", body = ErrorBody),
        (status_code = 503, description = "InfluxDB unreachable", body = ErrorBody),
        (status_code = 504, description = "InfluxDB too slow", body = ErrorBody),
    )
)]
async fn skills(req: &mut Request, depot: &mut Depot, res: &mut Response) {
    let result = answer_skills(req, depot).await;
    write_json(res, result);
}

async fn answer_skills(req: &Request, depot: &Depot) -> Result<Bytes, ApiError> {
    let state = state(depot)?;
    let request = parse_skills(query_pairs(req), &state.limits).map_err(ApiError::bad_request)?;
    let ttl = state.cache.ttl_for(request.range.end_ns, now_ns());
    let key = CacheKey::Skills(request.clone());
    cached(&state, key, ttl, |state| async move {
        let query = state.backend.skills_query(&request);
        let (answer, took) = state.backend.skills(&query).await?;
        state.metrics.upstream(took);
        Ok(serde_json::to_string(&answer).unwrap_or_default())
    })
    .await
}

/// Serves `key`'s answer from the cache, or runs `fetch` once for every
/// concurrent request with the same key.
async fn cached<F, Fut>(
    state: &Arc<AppState>,
    key: CacheKey,
    ttl: std::time::Duration,
    fetch: F,
) -> Result<Bytes, ApiError>
where
    F: FnOnce(Arc<AppState>) -> Fut,
    Fut: Future<Output = Result<String, crate::backend::UpstreamError>>,
{
    let found = state
        .cache
        .get_or_fetch(key, ttl, fetch(state.clone()))
        .await;
    match found {
        Ok((body, lookup)) => {
            state.metrics.lookup(lookup);
            Ok(body)
        }
        Err(error) => {
            state.metrics.lookup(Lookup::Miss);
            tracing::warn!("upstream query failed: {error}");
            Err(ApiError::upstream(&error))
        }
    }
}

fn write_json(res: &mut Response, result: Result<Bytes, ApiError>) {
    match result {
        Ok(body) => {
            res.add_header("content-type", "application/json; charset=utf-8", true)
                .ok();
            res.write_body(body).ok();
        }
        Err(error) => error.write_to(res),
    }
}

fn now_ns() -> i64 {
    i64::try_from(jiff::Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX)
}

/// Liveness: the process answers.
#[endpoint(tags("service"), responses((status_code = 200, description = "Alive")))]
async fn healthz(res: &mut Response) {
    res.render(Text::Json(r#"{"status":"ok"}"#));
}

/// Readiness: InfluxDB answers `/ping`.
#[endpoint(
    tags("service"),
    responses(
        (status_code = 200, description = "InfluxDB reachable"),
        (status_code = 503, description = "InfluxDB unreachable", body = ErrorBody),
    )
)]
async fn readyz(depot: &mut Depot, res: &mut Response) {
    let ready = match state(depot) {
        Ok(state) => state
            .backend
            .ping()
            .await
            .map_err(|e| ApiError::not_ready(&e)),
        Err(error) => Err(error),
    };
    match ready {
        Ok(()) => res.render(Text::Json(r#"{"status":"ready"}"#)),
        Err(error) => error.write_to(res),
    }
}

/// The sidecar's own metrics in the Prometheus text format.
#[endpoint(tags("service"), responses((status_code = 200, description = "Prometheus text format")))]
async fn prometheus(depot: &mut Depot, res: &mut Response) {
    match state(depot) {
        Ok(state) => {
            res.add_header(
                "content-type",
                "text/plain; version=0.0.4; charset=utf-8",
                true,
            )
            .ok();
            res.write_body(state.metrics.render()).ok();
        }
        Err(error) => error.write_to(res),
    }
}

/// Makes the status of 404, 405 and other errors salvo answers itself a JSON body.
#[handler]
pub(crate) async fn json_errors(res: &mut Response, ctrl: &mut FlowCtrl) {
    let status = res.status_code.unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ApiError::from_status(status).write_to(res);
    ctrl.skip_rest();
}
