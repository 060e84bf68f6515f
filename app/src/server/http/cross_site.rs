//! Refuses state-changing requests that a browser marks as cross-site, so another site cannot
//! make a signed-in staff member's browser change anything (CSRF). Reads `Sec-Fetch-Site`
//! first (all current browsers send it) and falls back to comparing `Origin` with our own.

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// The origins that count as ours: `PUBLIC_URL`'s, plus the one the request's `Host` names.
#[derive(Clone)]
pub struct OwnOrigin(pub Arc<String>);

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

pub fn is_cross_site(req: &Request, own_origin: &str) -> bool {
    if is_safe(req.method()) {
        return false;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        // `none` is a user-initiated navigation (typed URL, bookmark).
        return !matches!(site, "same-origin" | "none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // No browser sends a cross-site POST without Origin; scripts and curl are not CSRF.
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let same_host = ["http://", "https://"]
        .iter()
        .any(|scheme| origin.strip_prefix(scheme) == Some(host));
    !(origin == own_origin || same_host)
}

pub async fn reject_cross_site(State(own): State<OwnOrigin>, req: Request, next: Next) -> Response {
    if is_cross_site(&req, &own.0) {
        tracing::warn!(path = %req.uri().path(), "refused a cross-site request");
        return (
            StatusCode::FORBIDDEN,
            "Cross-site requests are not allowed.",
        )
            .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(Method::POST).uri("/api/x");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(Body::empty()).unwrap()
    }

    const OWN: &str = "https://admin.example.com";

    #[test]
    fn a_cross_site_fetch_is_refused_and_a_same_origin_one_passes() {
        assert!(is_cross_site(
            &post(&[("sec-fetch-site", "cross-site")]),
            OWN
        ));
        assert!(is_cross_site(
            &post(&[("sec-fetch-site", "same-site")]),
            OWN
        ));
        assert!(!is_cross_site(
            &post(&[("sec-fetch-site", "same-origin")]),
            OWN
        ));
    }

    #[test]
    fn without_fetch_metadata_the_origin_decides() {
        assert!(is_cross_site(
            &post(&[("origin", "https://evil.example")]),
            OWN
        ));
        assert!(!is_cross_site(&post(&[("origin", OWN)]), OWN));
        let via_host = post(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000"),
        ]);
        assert!(!is_cross_site(&via_host, OWN));
        assert!(!is_cross_site(&post(&[]), OWN));
    }

    #[test]
    fn reads_are_never_refused() {
        let get = Request::builder()
            .header("sec-fetch-site", "cross-site")
            .body(Body::empty())
            .unwrap();
        assert!(!is_cross_site(&get, OWN));
    }
}
