//! The partner-wide index: a copy in Postgres of what partner-wide views need from CMR
//! (customers, their domains, subscriptions and mailboxes), filled by a background sync within
//! a share of CMR's budget and refreshed by every live read a page makes.

pub mod live;
pub mod store;
pub mod sync;

use super::errors::internal;
use super::AppState;
use crate::error::AppError;
use crate::model::index::{PassProgress, SearchHits, SyncStatus};

/// Hits of each kind a search shows.
pub const SEARCH_LIMIT: i64 = 20;

/// One search over the index's customers, domains and mailboxes.
#[tracing::instrument(name = "index.search", skip_all)]
pub async fn search(state: &AppState, query: &str) -> Result<SearchHits, AppError> {
    let query = query.trim();
    if query.chars().count() < 2 {
        return Err(AppError::invalid("q", "Type at least two characters."));
    }
    if query.chars().count() > 100 {
        return Err(AppError::invalid("q", "Search for at most 100 characters."));
    }
    store::search(&state.db, query, SEARCH_LIMIT)
        .await
        .map_err(|e| internal("index search", e))
}

/// The sync's state and the index's size, for the admin status page.
pub async fn status(state: &AppState) -> Result<SyncStatus, AppError> {
    #[derive(sqlx::FromRow)]
    struct Row {
        pass_started_at: Option<time::OffsetDateTime>,
        phase: Option<String>,
        calls_done: i32,
        calls_expected: i32,
        last_full_pass_at: Option<time::OffsetDateTime>,
        last_pass_seconds: Option<f64>,
        last_pass_calls: Option<i32>,
        errors: i32,
        last_error: Option<String>,
        last_error_at: Option<time::OffsetDateTime>,
    }
    let db_error = |e| internal("index status", e);
    let row: Row = sqlx::query_as(
        "SELECT pass_started_at, phase, calls_done, calls_expected, last_full_pass_at,
                last_pass_seconds, last_pass_calls, errors, last_error, last_error_at
           FROM index_sync",
    )
    .fetch_one(&state.db)
    .await
    .map_err(db_error)?;
    let counts = store::counts(&state.db).await.map_err(db_error)?;
    let settings = state.config.index_sync;
    Ok(SyncStatus {
        enabled: settings.per_second > 0,
        per_second: settings.per_second,
        running: row.pass_started_at.map(|at| PassProgress {
            phase: row.phase.unwrap_or_default(),
            calls_done: row.calls_done,
            calls_expected: row.calls_expected.max(row.calls_done),
            started_at: at.unix_timestamp(),
        }),
        last_full_pass_at: row.last_full_pass_at.map(|t| t.unix_timestamp()),
        last_pass_seconds: row.last_pass_seconds,
        last_pass_calls: row.last_pass_calls,
        customers: counts.customers,
        domains: counts.domains,
        subscriptions: counts.subscriptions,
        mailboxes: counts.mailboxes,
        gone: counts.gone,
        errors: row.errors,
        last_error: row.last_error,
        last_error_at: row.last_error_at.map(|t| t.unix_timestamp()),
    })
}
