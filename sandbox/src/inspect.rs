//! `GET /__sandbox/requests`: the request log over HTTP, for tests in another process (the
//! browser suite reads what reached "CMR"). Served only by a sandbox built
//! [`with_inspection`](super::Sandbox::with_inspection). Headers are left out, so the key a
//! request carried is never echoed back. Outside the API prefix and the key check on purpose:
//! the sandbox only ever listens on loopback and holds demo data.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::Shared;

pub(crate) const PATH: &str = "/__sandbox/requests";

pub(crate) fn router() -> Router<Shared> {
    Router::new().route(PATH, get(requests))
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
