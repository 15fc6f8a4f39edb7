//! When a failed request is worth sending again, and how long to wait first.
//!
//! - 429: exactly `Retry-After` seconds (3 s when absent, as Genesys's Java SDK does);
//!   the whole client pauses, since the limit is per token.
//! - 502, 503, 504 with `Retry-After`: exactly that many seconds, as Genesys's Java
//!   SDK does (its `ApiClient` retries these statuses after `Retry-After` too).
//! - 500, 502, 503, 504 (without `Retry-After`), 408, timeouts, resets, truncated or
//!   malformed answers: exponential backoff with jitter, so that many clients hit by
//!   one outage do not come back in step.
//! - Anything else (400, 401 after a renewal, 403, 404, a refused login): no retry,
//!   it will not get better by asking again.

use std::time::Duration;

use rand::Rng;

use super::GenesysError;

/// The wait when a 429 comes without `Retry-After`.
pub(crate) const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(3);

/// Retry settings (`[genesys]` `max_retries`, `backoff_initial`, `backoff_max`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Retries of one request before its error is final.
    pub(crate) max_retries: u32,
    /// The first backoff; doubled after each failure.
    pub(crate) initial: Duration,
    /// The longest backoff.
    pub(crate) max: Duration,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
    /// Give up: the error is final.
    No,
    /// Wait this long, then send again.
    After(Duration),
    /// Genesys asked to wait this long: hold every request back, then send again.
    RateLimited(Duration),
}

impl RetryPolicy {
    /// The decision after `error` on retry number `retries_so_far`.
    pub(crate) fn decide(&self, error: &GenesysError, retries_so_far: u32) -> Retry {
        if retries_so_far >= self.max_retries {
            return Retry::No;
        }
        match error {
            GenesysError::RateLimited { retry_after, .. } => {
                Retry::RateLimited(retry_after.unwrap_or(DEFAULT_RETRY_AFTER))
            }
            GenesysError::Status {
                status: 502..=504,
                retry_after: Some(wait),
                ..
            } => Retry::After(*wait),
            GenesysError::Status { status, .. } if is_transient(*status) => {
                Retry::After(self.backoff(retries_so_far))
            }
            GenesysError::Transport { .. } | GenesysError::Decode { .. } => {
                Retry::After(self.backoff(retries_so_far))
            }
            _ => Retry::No,
        }
    }

    /// `initial · 2^n`, capped at `max`, then a uniformly random point in its upper
    /// half ("equal jitter"): spread out, yet never close to zero.
    pub(crate) fn backoff(&self, retries_so_far: u32) -> Duration {
        let doubled = self
            .initial
            .saturating_mul(2u32.saturating_pow(retries_so_far.min(20)));
        let ceiling = doubled.min(self.max);
        let half = ceiling / 2;
        half + half.mul_f64(rand::rng().random::<f64>())
    }
}

/// Statuses that say "try again later": the server or a proxy in front of it failed.
fn is_transient(status: u16) -> bool {
    matches!(status, 408 | 500 | 502 | 503 | 504)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_retries: 4,
        initial: Duration::from_millis(100),
        max: Duration::from_millis(500),
    };

    fn status(status: u16) -> GenesysError {
        GenesysError::Status {
            endpoint: "POST /x".into(),
            status,
            reason: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap() {
        for (n, ceiling_ms) in [(0, 100), (1, 200), (2, 400), (3, 500), (10, 500)] {
            for _ in 0..50 {
                let wait = POLICY.backoff(n);
                let ceiling = Duration::from_millis(ceiling_ms);
                assert!(
                    wait >= ceiling / 2 && wait <= ceiling,
                    "retry {n}: {wait:?}"
                );
            }
        }
        let spread: std::collections::BTreeSet<_> = (0..20).map(|_| POLICY.backoff(3)).collect();
        assert!(spread.len() > 1, "the backoff is jittered");
    }

    #[test]
    fn only_transient_failures_are_retried() {
        for code in [500, 502, 503, 504, 408] {
            assert!(matches!(POLICY.decide(&status(code), 0), Retry::After(_)));
        }
        for code in [400, 404, 409, 501] {
            assert_eq!(POLICY.decide(&status(code), 0), Retry::No, "{code}");
        }
        let forbidden = GenesysError::Forbidden {
            endpoint: "GET /x".into(),
            permission: "p".into(),
        };
        assert_eq!(POLICY.decide(&forbidden, 0), Retry::No);
        let login = GenesysError::Login {
            status: 400,
            reason: String::new(),
        };
        assert_eq!(POLICY.decide(&login, 0), Retry::No);
        let reset = GenesysError::Transport {
            endpoint: "GET /x".into(),
            reason: "reset".into(),
        };
        assert!(matches!(POLICY.decide(&reset, 3), Retry::After(_)));
        assert_eq!(POLICY.decide(&reset, 4), Retry::No, "retries run out");
    }

    #[test]
    fn a_gateway_error_with_retry_after_waits_exactly_that() {
        let asked = |status| GenesysError::Status {
            endpoint: "POST /x".into(),
            status,
            reason: String::new(),
            retry_after: Some(Duration::from_secs(7)),
        };
        for code in [502, 503, 504] {
            assert_eq!(
                POLICY.decide(&asked(code), 0),
                Retry::After(Duration::from_secs(7)),
                "{code}"
            );
        }
        // A 500 keeps the backoff; a 400 is still final.
        assert!(matches!(POLICY.decide(&asked(500), 0), Retry::After(w) if w <= POLICY.max));
        assert_eq!(POLICY.decide(&asked(400), 0), Retry::No);
    }

    #[test]
    fn a_429_waits_exactly_what_genesys_asked() {
        let limited = |retry_after| GenesysError::RateLimited {
            endpoint: "POST /x".into(),
            retry_after,
        };
        assert_eq!(
            POLICY.decide(&limited(Some(Duration::from_secs(17))), 0),
            Retry::RateLimited(Duration::from_secs(17))
        );
        assert_eq!(
            POLICY.decide(&limited(None), 0),
            Retry::RateLimited(DEFAULT_RETRY_AFTER)
        );
    }
}
