//! The endpoint families, one module each.

pub(crate) mod aggregates;
pub(crate) mod details;
pub(crate) mod jobs;
pub(crate) mod observations;
pub(crate) mod query_metrics;
pub(crate) mod routing;

use serde::de::DeserializeOwned;

use crate::reply::ApiError;

/// Parses a JSON request body strictly (unknown fields are refused).
pub(crate) fn parse_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|error| ApiError::bad_request(format!("invalid request body: {error}")))
}

/// Parses an optional positive integer query or body parameter named `name`.
pub(crate) fn positive(name: &str, value: Option<&str>, default: u32) -> Result<u32, ApiError> {
    match value {
        None => Ok(default),
        Some(text) => text.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            ApiError::bad_request(format!("{name} must be a positive integer, got {text:?}"))
        }),
    }
}
