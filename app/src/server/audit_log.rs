//! Reading the audit log: the viewer's pages and its CSV. Admins read everything; everyone
//! else reads customer-data entries only (no sign-ins, no staff management). Writing goes
//! through `audit::record` alone, and the log cannot be changed or deleted from here at all
//! (see the append-only trigger in `migrations/20261128000001_…`).

use super::csv;
use super::db;
use super::AppState;
use crate::components::relative_time::iso_utc;
use crate::error::AppError;
use crate::model::audit::{AuditFilter, AuditLogPage, AuditOutcome};
use crate::model::{Role, StaffView};

pub const PAGE_SIZE: u32 = 50;
/// Rows in one CSV at most (narrow the dates for more).
pub const EXPORT_LIMIT: i64 = 20_000;

fn checked(filter: &AuditFilter) -> Result<(), AppError> {
    filter.check().map_err(AppError::Invalid)
}

#[tracing::instrument(name = "audit.page", skip_all)]
pub async fn page(
    state: &AppState,
    reader: &StaffView,
    filter: &AuditFilter,
) -> Result<AuditLogPage, AppError> {
    checked(filter)?;
    let everything = reader.role == Role::Admin;
    let page = filter.page.max(1);
    let offset = i64::from(page - 1) * i64::from(PAGE_SIZE);
    let ((entries, total), (staff, actions)) = tokio::try_join!(
        db::audit::search(&state.db, filter, everything, PAGE_SIZE.into(), offset),
        db::audit::filter_choices(&state.db, everything),
    )?;
    Ok(AuditLogPage {
        entries,
        total,
        page,
        page_size: PAGE_SIZE,
        staff,
        actions,
        everything,
    })
}

/// The filtered log as CSV (newest first, at most [`EXPORT_LIMIT`] rows).
#[tracing::instrument(name = "audit.export", skip_all)]
pub async fn export_csv(
    state: &AppState,
    reader: &StaffView,
    filter: &AuditFilter,
) -> Result<String, AppError> {
    checked(filter)?;
    let everything = reader.role == Role::Admin;
    let rows = db::audit::export(&state.db, filter, everything, EXPORT_LIMIT).await?;
    Ok(csv::document(
        [
            "at_utc",
            "staff",
            "action",
            "target_kind",
            "target_id",
            "outcome",
            "changes",
            "message",
            "cmr_action_id",
        ],
        rows.into_iter().map(|(entry, kind, id)| {
            let changes = entry
                .changes
                .iter()
                .map(|(field, before, after)| format!("{field}: {before} -> {after}"))
                .collect::<Vec<_>>()
                .join("; ");
            [
                iso_utc(entry.at),
                entry.actor,
                entry.action,
                kind.unwrap_or_default(),
                id.unwrap_or_default(),
                match entry.outcome {
                    AuditOutcome::Ok => "ok",
                    AuditOutcome::Failed => "failed",
                    AuditOutcome::Unknown => "unknown",
                }
                .to_string(),
                changes,
                entry.message.unwrap_or_default(),
                entry.action_id.unwrap_or_default(),
            ]
        }),
    ))
}
