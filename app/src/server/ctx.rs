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

/// The client's address: the TCP peer, or with `TRUST_X_FORWARDED_FOR` the last address in
/// `X-Forwarded-For` (the one the reverse proxy saw; earlier entries are client-supplied and
/// could be anything). `None` when neither is known.
pub async fn client_ip() -> Option<std::net::IpAddr> {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    if state().config.sign_in.trust_forwarded_for {
        let headers: http::HeaderMap = leptos_axum::extract().await.ok()?;
        // Only the very last entry: an unreadable one must not fall back to a forged earlier one.
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .next_back()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|ip| ip.trim().parse().ok());
        if forwarded.is_some() {
            return forwarded;
        }
    }
    leptos_axum::extract::<ConnectInfo<SocketAddr>>()
        .await
        .ok()
        .map(|ConnectInfo(addr)| addr.ip())
}

/// Where this request comes from, as the sessions list shows it.
pub async fn device() -> crate::server::auth::session::Device {
    let headers: Option<http::HeaderMap> = leptos_axum::extract().await.ok();
    let agent = headers
        .as_ref()
        .and_then(|h| h.get(http::header::USER_AGENT))
        .and_then(|v| v.to_str().ok());
    crate::server::auth::session::Device::new(client_ip().await, agent)
}
