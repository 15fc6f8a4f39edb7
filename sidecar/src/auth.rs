//! The optional bearer token on the data routes, compared in constant time.

use salvo::prelude::*;

use crate::config::Secret;
use crate::error::ApiError;

/// Refuses data requests without `Authorization: Bearer <token>` for this token.
/// Routed only when a token is configured, so an open sidecar pays nothing for it.
#[derive(Debug, Clone)]
pub struct RequireBearer(pub Secret);

#[async_trait]
impl Handler for RequireBearer {
    async fn handle(
        &self,
        req: &mut Request,
        _depot: &mut Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        let given = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(bearer);
        if !given
            .is_some_and(|token| constant_time_eq(token.as_bytes(), self.0.expose().as_bytes()))
        {
            ApiError::unauthorized().write_to(res);
            ctrl.skip_rest();
        }
    }
}

/// The token of an `Authorization: Bearer <token>` value (scheme case-insensitive).
fn bearer(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Equal bytes, in a time that depends only on the lengths: the position of the
/// first wrong byte of a guess does not show.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn bearer_values_are_parsed() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer abc"), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer"), None);
    }
}
