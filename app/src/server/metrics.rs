//! Metrics through the `metrics` facade, rendered in Prometheus text format on a separate
//! address (`METRICS_ADDR`; off unless set, never on the public listener). Recorded here:
//! requests by route and status with their latency; elsewhere (each next to what it counts):
//! CMR calls by endpoint and outcome and the limiter's queue and waits (`cmr` client), read
//! cache hits (`reads`), the index's last finished pass (`index::sync`), sign-in failures and
//! lockouts (`audit`), webhooks received and rejected (`webhooks`).

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Request latency buckets, in seconds: from a cached page to a slow CMR fan-out.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The process-wide recorder, installed on first use (a process has one; tests start several
/// dashboards in one process and share it).
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
                .expect("valid buckets")
                .install_recorder()
                .expect("the only metrics recorder of this process")
        })
        .clone()
}

/// The middleware: counts each request by its route pattern (never the raw path, so ids in
/// URLs cannot multiply the series) and status, and times it.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// The metrics listener's router: `GET /metrics` only.
pub fn router() -> axum::Router {
    let handle = handle();
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    handle.render(),
                )
            }
        }),
    )
}
