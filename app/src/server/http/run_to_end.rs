//! A request that may change something runs to its end even when its client leaves.
//!
//! axum drops a request's future as soon as its client disconnects (a closed tab, a lost
//! connection, a browser that gave up). For a save that means stopping wherever it was
//! waiting: after CMR applied a change but before its audit row, or after an order's
//! idempotency key was taken but before its outcome was recorded. So every POST (server
//! functions and the no-JS form posts) runs on a task of its own, which the disconnect does
//! not reach; only the answer is lost.
//!
//! Except the server functions that only read ([`READS`]): a read nobody waits for should
//! leave CMR's queue, not spend its budget (`hardening::abandoned_reads_…`). The list names
//! reads rather than writes so that a new server function left off it errs on the safe side:
//! it runs to its end. Page loads (GET) stop with their client too.
//!
//! This layer sits outside the request-id layer, whose task-local value then lives in the
//! spawned task with everything else the request does.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The server functions that change nothing, by path.
pub const READS: &[&str] = &[
    "/api/audit/page",
    "/api/auth/whoami",
    "/api/customers/get",
    "/api/customers/list",
    "/api/customers/lookup",
    "/api/customers/profile",
    "/api/customers/timeline",
    "/api/dns/zone",
    "/api/domains/get",
    "/api/domains/list",
    "/api/domains/renewal_quote",
    "/api/domains/timeline",
    "/api/forms/key",
    "/api/geo/countries",
    "/api/geo/lists",
    "/api/geo/states",
    "/api/home/summary",
    "/api/index/search",
    "/api/index/status",
    "/api/mailboxes/get",
    "/api/mailboxes/list",
    "/api/orders/form",
    "/api/orders/get",
    "/api/orders/list",
    "/api/orders/lookup",
    "/api/sessions/all",
    "/api/sessions/mine",
    "/api/staff/get",
    "/api/staff/list",
    "/api/subscriptions/list",
    "/api/subscriptions/renewal_quote",
    "/api/two_factor/status",
    "/api/wallet/runway",
    "/api/wallet/spend",
    "/api/wallet/summary",
];

pub async fn run_changes_to_end(request: Request, next: Next) -> Response {
    if request.method() != Method::POST || READS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    match tokio::spawn(next.run(request)).await {
        Ok(response) => response,
        // The handler panicked: the runtime's hook logs it, and the browser gets a plain
        // error (never the panic's text).
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::READS;

    /// Every listed read is a server function the app registers (a renamed one would
    /// otherwise be listed here forever, and its new name run to the end).
    #[test]
    fn every_listed_read_is_a_registered_server_function() {
        let registered: Vec<String> = server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.to_string())
            .collect();
        for read in READS {
            assert!(
                registered.iter().any(|p| p == read),
                "{read} is not registered"
            );
        }
    }
}
