//! The bearer tokens on the data routes: one of the tokens in force, compared in
//! constant time (see [`crate::tokens`]).

use std::sync::Arc;

use salvo::prelude::*;

use crate::error::ApiError;
use crate::tokens::Tokens;

/// Refuses data requests without `Authorization: Bearer <token>` for a token in
/// force. Routed only when tokens are configured, so an open sidecar pays nothing.
#[derive(Debug, Clone)]
pub struct RequireBearer(pub Arc<Tokens>);

#[async_trait]
impl Handler for RequireBearer {
    async fn handle(
        &self,
        req: &mut Request,
        _depot: &mut Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        if !presented_token(req).is_some_and(|token| self.0.accepts(token)) {
            ApiError::unauthorized().write_to(res);
            ctrl.skip_rest();
        }
    }
}

/// The token of the request's `Authorization: Bearer <token>` header, if any.
pub fn presented_token(req: &Request) -> Option<&str> {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_values_are_parsed() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer abc"), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
