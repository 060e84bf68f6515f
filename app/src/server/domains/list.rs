//! The partner-wide domain list and its CSV export, both read from the partner index (CMR
//! lists domains only per customer).

use crate::error::AppError;
use crate::model::domain::{DomainFilter, DomainList, DomainRow, Due, DOMAINS_PER_PAGE};
use crate::model::{Role, StaffView};
use crate::server::errors::internal;
use crate::server::index::store;
use crate::server::AppState;

/// Rows an export holds at most.
pub const EXPORT_LIMIT: u32 = 50_000;

fn checked(mut filter: DomainFilter) -> Result<DomainFilter, AppError> {
    filter.q = filter.q.trim().to_string();
    filter.status = filter.status.trim().to_uppercase();
    if filter.q.chars().count() > 100 {
        return Err(AppError::invalid("q", "Search for at most 100 characters."));
    }
    if filter.status.len() > 40
        || !filter
            .status
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(AppError::invalid(
            "status",
            "Choose a status from the list.",
        ));
    }
    filter.page = filter.page.clamp(1, 100_000);
    if !filter.due.is_empty() && Due::parse(&filter.due).is_none() {
        return Err(AppError::invalid(
            "due",
            "Choose a group of the expiry radar.",
        ));
    }
    Ok(filter)
}

#[tracing::instrument(name = "domain.list", skip_all)]
pub async fn list(
    state: &AppState,
    staff: &StaffView,
    filter: DomainFilter,
) -> Result<DomainList, AppError> {
    let filter = checked(filter)?;
    let db_error = |e| internal("domain list", e);
    let ((rows, total), indexed_at, radar) = tokio::try_join!(
        store::domains(&state.db, &filter, DOMAINS_PER_PAGE),
        store::last_full_pass(&state.db),
        store::radar(&state.db),
    )
    .map_err(db_error)?;
    let pages = (total.max(0) as u64).div_ceil(u64::from(DOMAINS_PER_PAGE));
    let total_pages = u32::try_from(pages).unwrap_or(u32::MAX);
    Ok(DomainList {
        rows,
        total,
        page: filter.page,
        total_pages: total_pages.max(1),
        indexed_at,
        radar,
        can_edit: staff.role.allows(Role::Editor),
        can_renew: staff.role.allows(Role::Admin),
    })
}

/// The filtered list (every page) as CSV.
#[tracing::instrument(name = "domain.export", skip_all)]
pub async fn export_csv(state: &AppState, filter: DomainFilter) -> Result<String, AppError> {
    let filter = DomainFilter {
        page: 1,
        ..checked(filter)?
    };
    let (rows, _) = store::domains(&state.db, &filter, EXPORT_LIMIT)
        .await
        .map_err(|e| internal("domain export", e))?;
    Ok(csv(&rows))
}

fn csv(rows: &[DomainRow]) -> String {
    let header = [
        "domain",
        "customer",
        "customer_id",
        "status",
        "expires_on",
        "days_left",
        "auto_renew",
        "provider",
        "mailboxes",
    ];
    let lines = rows.iter().map(|r| {
        [
            r.name.clone(),
            r.customer.clone(),
            r.customer_id.clone(),
            r.status.clone(),
            r.expires_on.clone().unwrap_or_default(),
            r.days_left.map(|d| d.to_string()).unwrap_or_default(),
            if r.auto_renew { "on" } else { "off" }.to_string(),
            r.provider.clone().unwrap_or_default(),
            r.mailboxes.to_string(),
        ]
    });
    crate::server::csv::document(header, lines)
}
