//! `GET /__sandbox/requests`: the request log over HTTP, for tests in another process (the
//! browser suite reads what reached "CMR"); `POST /__sandbox/expire-domain?name=`: a
//! lifecycle event on demand. Served only by a sandbox built
//! [`with_inspection`](super::Sandbox::with_inspection). Headers are left out, so the key a
//! request carried is never echoed back. Outside the API prefix and the key check on purpose:
//! the sandbox only ever listens on loopback and holds demo data.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::Shared;

pub(crate) const PATH: &str = "/__sandbox/requests";

/// Expires a domain now (as the registrar would), which sends its `domain.expired` webhook:
/// the browser suite's way to make a lifecycle event happen.
pub(crate) const EXPIRE_DOMAIN: &str = "/__sandbox/expire-domain";

pub(crate) fn router() -> Router<Shared> {
    Router::new()
        .route(PATH, get(requests))
        .route(EXPIRE_DOMAIN, post(expire_domain))
}

#[derive(serde::Deserialize)]
struct Named {
    name: String,
}

async fn expire_domain(State(shared): State<Shared>, Query(named): Query<Named>) -> StatusCode {
    if crate::SandboxControl::new(shared).expire_domain(&named.name) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn requests(State(shared): State<Shared>) -> Json<Vec<Value>> {
    let log = shared.lock_log();
    Json(
        log.iter()
            .map(
                |r| json!({ "method": r.method, "path": r.path, "query": r.query, "body": r.body }),
            )
            .collect(),
    )
}
