//! The chart page at `/`: HTML, script, styles and the vendored uPlot, embedded in
//! the binary (`sidecar/page/`), so the page works offline and asks nothing of any
//! origin but the sidecar's. Its Content-Security-Policy says so to the browser.

use salvo::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HeaderValue};
use salvo::prelude::*;

/// Only this origin, for everything; no inline script or style, no plugins, no
/// framing, forms only to this origin. uPlot styles elements through the CSSOM,
/// which `style-src 'self'` allows.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
    img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One embedded file and its media type.
#[derive(Debug, Clone, Copy)]
struct Asset {
    body: &'static [u8],
    content_type: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

const INDEX: Asset = Asset {
    body: include_bytes!("../page/index.html"),
    content_type: HTML,
};

/// The files under `/page/`: name, body, media type.
const FILES: &[(&str, &[u8], &str)] = &[
    ("app.js", include_bytes!("../page/app.js"), JS),
    ("app.css", include_bytes!("../page/app.css"), CSS),
    (
        "icon.svg",
        include_bytes!("../page/icon.svg"),
        "image/svg+xml",
    ),
    (
        "uPlot.iife.min.js",
        include_bytes!("../page/vendor/uPlot.iife.min.js"),
        JS,
    ),
    (
        "uPlot.min.css",
        include_bytes!("../page/vendor/uPlot.min.css"),
        CSS,
    ),
    (
        "uPlot.LICENSE",
        include_bytes!("../page/vendor/uPlot.LICENSE"),
        TEXT,
    ),
];

/// `/` (the page) and `/page/<file>` (what it loads).
pub fn router() -> Router {
    Router::new()
        .push(Router::new().get(Serve(INDEX)))
        .push(Router::with_path("page/{file}").get(page_file))
}

#[derive(Debug)]
struct Serve(Asset);

#[async_trait]
impl Handler for Serve {
    async fn handle(
        &self,
        _req: &mut Request,
        _depot: &mut Depot,
        res: &mut Response,
        _ctrl: &mut FlowCtrl,
    ) {
        write(res, self.0);
    }
}

/// `GET /page/<file>`: an embedded file, or 404 (JSON, by the service's catcher).
#[handler]
async fn page_file(req: &mut Request, res: &mut Response) {
    let name = req.param::<String>("file").unwrap_or_default();
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some(&(_, body, content_type)) => write(res, Asset { body, content_type }),
        None => {
            res.status_code(StatusCode::NOT_FOUND);
        }
    }
}

fn write(res: &mut Response, asset: Asset) {
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    // Not versioned by name: revalidate, so a new binary's page is used at once.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res.write_body(asset.body).ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_embedded_files_of_its_own_origin() {
        let html = std::str::from_utf8(INDEX.body).expect("UTF-8");
        for reference in html.split(['"', '\'']).filter(|s| s.starts_with("/page/")) {
            let name = &reference["/page/".len()..];
            assert!(
                FILES.iter().any(|(n, _, _)| *n == name),
                "{reference} is embedded"
            );
        }
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<style") && !html.contains(" style="));
        assert!(!html.contains("<script>"), "no inline script");
    }
}
