//! One id per request: generated here (never taken from the client), returned in the
//! `x-request-id` response header, carried by a span around everything the request does (with
//! the staff member's id once the guard knows it), and used as the reference of an internal
//! error, so "reference 3f9c…" on a staff member's screen finds its log lines. Each service
//! adds a span of its own (`customer.update`, …) carrying the target's id, and never its other
//! arguments (`skip_all`): arguments and bodies are never logged.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

/// The request this code runs for: its id, and its span (kept by hand because layers in
/// between, such as the session layer, open spans of their own, so `Span::current()` in the
/// guard is not the request's).
struct ThisRequest {
    id: String,
    span: tracing::Span,
}

tokio::task_local! {
    static REQUEST: ThisRequest;
}

/// The id of the request this code runs for, when it runs inside one.
pub fn current() -> Option<String> {
    REQUEST.try_with(|r| r.id.clone()).ok()
}

/// Records the signed-in staff member on the request's span.
pub fn record_staff(staff_id: i64) {
    let _ = REQUEST.try_with(|r| {
        r.span.record("staff_id", staff_id);
    });
}

pub async fn trace_requests(req: Request, next: Next) -> Response {
    let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.uri().path(),
        staff_id = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let this = ThisRequest {
        id: id.clone(),
        span: span.clone(),
    };
    let mut response = REQUEST
        .scope(this, next.run(req).instrument(span.clone()))
        .await;
    let status = response.status().as_u16();
    let latency_ms = started.elapsed().as_millis() as u64;
    span.in_scope(|| match status {
        500.. => tracing::warn!(status, latency_ms, "request failed"),
        _ => tracing::debug!(status, latency_ms, "request"),
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}
