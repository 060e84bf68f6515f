//! `/healthz` (the process answers) and `/readyz` (it can serve: the database answers, every
//! migration this build knows is applied, and CMR accepts the key). Both are public and say
//! nothing secret; load balancers poll them.

use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cmr::client::CmrError;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a CMR key check is trusted: a probe every few seconds must not spend CMR's budget.
const KEY_CHECK_EVERY: Duration = Duration::from_secs(60);

/// The last CMR key check: when, and whether CMR accepted the key.
#[derive(Default)]
pub struct KeyCheck(Mutex<Option<(Instant, bool)>>);

impl KeyCheck {
    /// The next readiness check asks CMR again.
    pub fn forget(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Whether CMR accepts the key: asked at most once a minute (the wallet, at background
/// priority). Only a refusal of the key itself counts against it; CMR being slow or down is
/// not this instance's fault and taking it out of the load balancer would not help.
async fn cmr_key_accepted(state: &AppState) -> bool {
    if let Some((at, accepted)) = *state.key_check.0.lock().unwrap_or_else(|e| e.into_inner()) {
        if at.elapsed() < KEY_CHECK_EVERY {
            return accepted;
        }
    }
    let answer = cmr::client::in_background(state.cmr.wallet()).await;
    let accepted = !matches!(answer, Err(CmrError::Unauthorized { .. }));
    *state.key_check.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), accepted));
    accepted
}

/// The newest migration this build carries, and whether the database has applied it.
async fn migrations_applied(state: &AppState) -> Result<bool, sqlx::Error> {
    let Some(newest) = sqlx::migrate!("../migrations")
        .iter()
        .map(|m| m.version)
        .max()
    else {
        return Ok(true);
    };
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM _sqlx_migrations WHERE version = $1 AND success)",
    )
    .bind(newest)
    .fetch_one(&state.db)
    .await
}

/// `GET /readyz`: 200 "ready", or 503 naming what is missing.
pub async fn ready(State(state): State<AppState>) -> Response {
    let problem = match migrations_applied(&state).await {
        Err(err) => {
            tracing::warn!(error = %err, "readiness: the database did not answer");
            Some("database unreachable")
        }
        Ok(false) => Some("migrations not applied"),
        Ok(true) if !cmr_key_accepted(&state).await => Some("CMR refuses the API key"),
        Ok(true) => None,
    };
    match problem {
        None => (StatusCode::OK, "ready").into_response(),
        Some(problem) => (StatusCode::SERVICE_UNAVAILABLE, problem).into_response(),
    }
}
