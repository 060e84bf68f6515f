//! Security headers on every response. HTML pages set their own Content-Security-Policy with a
//! per-response nonce (see `shell`); everything else gets a locked-down default.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy of an HTML page. Hydration needs `'wasm-unsafe-eval'` (to compile the wasm) but
/// never `'unsafe-eval'`; inline scripts run only with this response's nonce.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// For responses that set no policy of their own (server functions, static files, errors).
const DEFAULT_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// How long a browser may use the package's files without asking again.
pub const STATIC_CACHE_CONTROL: &str = "max-age=300";

#[derive(Clone, Copy)]
pub struct Https(pub bool);

pub async fn security_headers(State(https): State<Https>, req: Request, next: Next) -> Response {
    let is_static = req.uri().path().starts_with("/pkg/");
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(DEFAULT_CSP));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if is_static {
        // The package's names carry no content hash (`cmr-admin.wasm`, `chunk_12.wasm`), so
        // a browser may keep them only briefly: a deploy reaches everyone within five minutes
        // (a heuristic lifetime from Last-Modified could keep an old shell for days), a
        // reload within them costs no requests, and later ones revalidate. Compression
        // Dictionary Transport also needs this lifetime: Chromium keeps the shell as the
        // chunks' dictionary only while it is fresh (see `dictionary`).
        headers
            .entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static(STATIC_CACHE_CONTROL));
    } else {
        // Pages and API answers hold customer data: no shared or disk caches.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https.0 {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    async fn headers_for(https: bool, path: &str) -> axum::http::HeaderMap {
        let app = Router::new()
            .route("/page", get(|| async { "page" }))
            .route("/pkg/app.js", get(|| async { "js" }))
            .layer(axum::middleware::from_fn_with_state(
                Https(https),
                security_headers,
            ));
        let req = Request::builder().uri(path).body(Body::empty()).unwrap();
        app.oneshot(req).await.unwrap().headers().clone()
    }

    #[tokio::test]
    async fn hsts_is_sent_only_over_https() {
        assert!(headers_for(true, "/page")
            .await
            .contains_key("strict-transport-security"));
        assert!(!headers_for(false, "/page")
            .await
            .contains_key("strict-transport-security"));
    }

    #[tokio::test]
    async fn static_files_may_be_cached_briefly_and_pages_may_not() {
        assert_eq!(
            headers_for(false, "/page").await["cache-control"],
            "no-store"
        );
        assert_eq!(
            headers_for(false, "/pkg/app.js").await["cache-control"],
            "max-age=300"
        );
    }

    #[test]
    fn the_page_policy_allows_wasm_but_never_eval() {
        let csp = page_csp("abc");
        assert!(csp.contains("'wasm-unsafe-eval'") && csp.contains("'nonce-abc'"));
        assert!(!csp.contains("'unsafe-eval'") && !csp.contains("'unsafe-inline'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}
