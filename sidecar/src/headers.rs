//! Response headers a security review expects, added to every answer without
//! overriding what a handler chose itself:
//!
//! - `X-Content-Type-Options: nosniff` always;
//! - `Cache-Control: no-store` unless the handler set one (data answers say how
//!   long their cached copy lives: see [`cache_control`]);
//! - a `Content-Security-Policy`, unless the handler set its own (a page with its
//!   own scripts and styles sets the policy it needs): on JSON and text, nothing may
//!   load or frame it; on HTML (Swagger UI), only this origin's scripts, styles and
//!   images, and no framing.

use salvo::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue, X_CONTENT_TYPE_OPTIONS,
};
use salvo::prelude::*;

const NOSNIFF: HeaderValue = HeaderValue::from_static("nosniff");
const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
/// For answers that are data, not documents.
const API_CSP: HeaderValue =
    HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'");
/// Swagger UI: its own bundled files, an inline bootstrap script and inline styles.
const HTML_CSP: HeaderValue = HeaderValue::from_static(
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
);

/// `Cache-Control` for an answer whose cached copy expires in `secs` seconds: a
/// browser may keep it as long, a shared cache not at all (answers may need a token).
pub fn cache_control(secs: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("private, max-age={secs}")).unwrap_or(NO_STORE)
}

/// Adds the headers after the handler ran.
#[derive(Debug, Clone, Copy)]
pub struct SecurityHeaders;

#[async_trait]
impl Handler for SecurityHeaders {
    async fn handle(
        &self,
        req: &mut Request,
        depot: &mut Depot,
        res: &mut Response,
        ctrl: &mut FlowCtrl,
    ) {
        ctrl.call_next(req, depot, res).await;
        add_security_headers(res);
    }
}

/// Adds the headers to `res` (also used on the errors salvo answers itself).
pub(crate) fn add_security_headers(res: &mut Response) {
    let html = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = res.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, NOSNIFF);
    headers.entry(CACHE_CONTROL).or_insert(NO_STORE);
    headers
        .entry(CONTENT_SECURITY_POLICY)
        .or_insert(if html { HTML_CSP } else { API_CSP });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_the_handler_set_is_kept() {
        let mut res = Response::new();
        res.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        res.headers_mut().insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'self' 'sha256-abc'"),
        );
        res.headers_mut().insert(CACHE_CONTROL, cache_control(30));
        add_security_headers(&mut res);
        let h = res.headers();
        assert_eq!(h[CONTENT_SECURITY_POLICY], "script-src 'self' 'sha256-abc'");
        assert_eq!(h[CACHE_CONTROL], "private, max-age=30");
        assert_eq!(h[X_CONTENT_TYPE_OPTIONS], "nosniff");
    }

    #[test]
    fn defaults_fill_what_the_handler_left_out() {
        let mut res = Response::new();
        res.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        add_security_headers(&mut res);
        assert_eq!(res.headers()[CONTENT_SECURITY_POLICY], HTML_CSP);
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
        let mut res = Response::new();
        add_security_headers(&mut res);
        assert_eq!(res.headers()[CONTENT_SECURITY_POLICY], API_CSP);
    }
}
