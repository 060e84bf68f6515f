//! The home page: wallet, counts and CMR's health from partner-level calls, all at once, and
//! the latest audit entries the staff member may see.

use super::db;
use super::reads::{Fetched, Freshness, ReadKey};
use super::AppState;
use crate::error::AppError;
use crate::model::home::{CmrHealth, HomeSummary};
use crate::model::StaffView;
use cmr::types::{SubscriptionQuery, UserListQuery};
use cmr::CmrError;

/// The home page: wallet, counts and health from partner-level calls, all at once.
/// Staff-management and sign-in security events appear only for admins.
#[tracing::instrument(name = "home.summary", skip_all)]
pub async fn summary(
    state: &AppState,
    staff: &StaffView,
    freshness: Freshness,
) -> Result<HomeSummary, AppError> {
    let first = cmr::types::PageQuery {
        page: Some(1),
        limit: Some(1),
    };
    let first_user = UserListQuery {
        page: Some(1),
        limit: Some(1),
        search: None,
    };
    let first_subscription = SubscriptionQuery {
        limit: Some(1),
        ..Default::default()
    };
    let (reads, cached) = (&state.reads, freshness);
    let users = || async {
        Ok(state
            .cmr
            .list_users(&first_user)
            .await?
            .data
            .pagination
            .total)
    };
    let subscriptions = || async {
        Ok(state
            .cmr
            .subscriptions(&first_subscription)
            .await?
            .data
            .pagination
            .total)
    };
    let mailboxes = || async { Ok(state.cmr.all_mailboxes(&first).await?.data.pagination.total) };
    let (wallet, users, subscriptions, mailboxes, recent) = tokio::join!(
        super::wallet::summary(state, cached),
        reads.read(ReadKey::CustomerTotal, cached, users),
        reads.read(ReadKey::SubscriptionTotal, cached, subscriptions),
        reads.read(ReadKey::MailboxTotal, cached, mailboxes),
        db::audit::latest(&state.db, 8, staff.role.allows(crate::model::Role::Admin)),
    );
    let shown = |e: CmrError| AppError::from(e).to_string();
    let oldest = [&users, &subscriptions, &mailboxes]
        .into_iter()
        .filter_map(|t| t.as_ref().ok().map(|f| f.fetched_at))
        .chain(wallet.as_ref().ok().map(|w| w.fetched_at))
        .min();
    let total = |t: Result<Fetched<Option<u64>>, CmrError>| {
        t.map_err(shown)?
            .value
            .ok_or_else(|| "CMR did not say how many.".to_string())
    };
    Ok(HomeSummary {
        fetched_at: oldest,
        wallet: wallet.map(|w| w.balance).map_err(shown),
        customers: total(users),
        subscriptions: total(subscriptions),
        mailboxes: total(mailboxes),
        recent: recent?,
        cmr: state.cmr.last_call().map(|c| CmrHealth {
            ok: c.ok,
            status: c.status,
            latency_ms: c.latency.as_millis() as u64,
        }),
    })
}
