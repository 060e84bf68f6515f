//! A request that may change something runs to its end even when its client leaves.
//!
//! axum drops a request's future as soon as its client disconnects (a closed tab, a lost
//! connection, a browser that gave up). For a save that means stopping wherever it was
//! waiting: after CMR applied a change but before its audit row, or after an order's
//! idempotency key was taken but before its outcome was recorded. So every POST (the server
//! functions and the no-JS form posts) runs on a task of its own, which the disconnect does
//! not reach; only the answer is lost. GETs stay cancellable: a page nobody waits for should
//! not spend CMR's budget.
//!
//! This layer sits outside the request-id layer, whose task-local value then lives in the
//! spawned task with everything else the request does.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

pub async fn run_posts_to_end(request: Request, next: Next) -> Response {
    if request.method() != Method::POST {
        return next.run(request).await;
    }
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        // The handler panicked: the panic is logged by the runtime's hook, and the browser
        // gets a plain error (never the panic's text).
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}
