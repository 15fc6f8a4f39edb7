//! The one shape of every error answer: `{"error": "<code>", "reason": "<text>"}`.

use salvo::http::StatusCode;
use salvo::http::header::{HeaderValue, RETRY_AFTER};
use salvo::oapi::ToSchema;
use salvo::prelude::{Json, Response};
use serde::Serialize;

use crate::backend::UpstreamError;
use crate::limits::{Limit, Refused};
use crate::request::Invalid;

/// The JSON body of an error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable code: `invalid_request`, `unauthorized`, `not_found`,
    /// `method_not_allowed`, `query_too_long`, `rate_limited`, `upstream_error`,
    /// `upstream_rate_limited`,
    /// `upstream_unavailable`, `upstream_timeout`, `internal`.
    pub error: &'static str,
    /// What went wrong, for a human.
    pub reason: String,
}

/// An error answer: status and body.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// `Retry-After` passed on from InfluxDB.
    retry_after: Option<HeaderValue>,
}

impl ApiError {
    fn new(status: StatusCode, error: &'static str, reason: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error,
                reason: reason.into(),
            },
            retry_after: None,
        }
    }

    /// 400 for a request the sidecar refuses.
    pub fn bad_request(invalid: Invalid) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", invalid.0)
    }

    /// 401 for a missing or wrong bearer token.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "expected the header Authorization: Bearer <token> with the configured token",
        )
    }

    /// 429 for a client over one of its limits, with the seconds to wait.
    pub fn too_many(refused: Refused) -> ApiError {
        let reason = match refused.limit {
            Limit::ConcurrentQueries => {
                "this client's limits.client_concurrent_queries queries stayed busy for longer than influx.timeout; retry when one has finished"
            }
            _ => {
                "this client caused more cache misses than limits.client_misses_per_second allows; retry after Retry-After seconds"
            }
        };
        let mut error = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", reason);
        error.retry_after = Some(HeaderValue::from(refused.retry_after_secs));
        error
    }

    /// 414 for a query string over `limits.max_query_bytes`.
    pub fn query_too_long(max: usize) -> ApiError {
        ApiError::new(
            StatusCode::URI_TOO_LONG,
            "query_too_long",
            format!("the query string is longer than limits.max_query_bytes ({max} bytes)"),
        )
    }

    /// InfluxDB's failures, as a client can act on them: 429 and 503 (with the
    /// `Retry-After` InfluxDB sent), 504 for deadlines (the sidecar's own, InfluxDB's
    /// 408 and 499, a proxy's 504), 503 when unreachable, 502 for anything else.
    pub fn upstream(error: &UpstreamError) -> ApiError {
        let (status, code) = match error {
            UpstreamError::Unreachable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "upstream_unavailable")
            }
            UpstreamError::Timeout(_) => (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout"),
            UpstreamError::Status { status, .. } => match status {
                429 => (StatusCode::TOO_MANY_REQUESTS, "upstream_rate_limited"),
                503 => (StatusCode::SERVICE_UNAVAILABLE, "upstream_unavailable"),
                408 | 499 | 504 => (StatusCode::GATEWAY_TIMEOUT, "upstream_timeout"),
                _ => (StatusCode::BAD_GATEWAY, "upstream_error"),
            },
            UpstreamError::Query(_) | UpstreamError::Decode(_) => {
                (StatusCode::BAD_GATEWAY, "upstream_error")
            }
        };
        let mut api_error = ApiError::new(status, code, error.to_string());
        if let UpstreamError::Status {
            retry_after: Some(value),
            ..
        } = error
            && matches!(status.as_u16(), 429 | 503)
        {
            api_error.retry_after = HeaderValue::from_str(value).ok();
        }
        api_error
    }

    /// 503 for `/readyz` whatever InfluxDB's failure.
    pub fn not_ready(error: &UpstreamError) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "upstream_unavailable",
            error.to_string(),
        )
    }

    /// The JSON for a status salvo chose itself (no route, wrong method...).
    pub fn from_status(status: StatusCode) -> ApiError {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            s if s.is_client_error() => "invalid_request",
            _ => "internal",
        };
        let reason = status.canonical_reason().unwrap_or("error");
        ApiError::new(status, code, reason)
    }

    /// Writes status and body.
    pub fn write_to(self, res: &mut Response) {
        res.status_code(self.status);
        if let Some(value) = self.retry_after {
            res.headers_mut().insert(RETRY_AFTER, value);
        }
        res.render(Json(self.body));
    }
}
