//! Access to the request's state and session from inside a server function.

use super::errors::internal;
use super::AppState;
use crate::error::AppError;
use leptos::prelude::expect_context;
use tower_sessions::Session;

/// The application state, provided to every route and server function by the router.
pub fn state() -> AppState {
    expect_context::<AppState>()
}

/// The request's session (the session layer runs on every route).
pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>()
        .await
        .map_err(|e| internal("session extractor", e))
}
