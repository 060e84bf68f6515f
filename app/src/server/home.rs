//! The home page: wallet, counts and CMR's health from partner-level calls, all at once, and
//! the latest audit entries the staff member may see.

use super::db;
use super::index;
use super::reads::{Fetched, Freshness, ReadKey};
use super::AppState;
use crate::error::AppError;
use crate::model::home::{CmrHealth, HomeSummary};
use crate::model::StaffView;
use cmr::types::{SubscriptionQuery, UserListQuery};
use cmr::CmrError;

/// The home page: the wallet, the counts and CMR's health, and the latest audit entries.
/// Once the partner index has finished a full pass the counts come from it (no CMR call per
/// home load); before that, from CMR's list totals.
/// Staff-management and sign-in security events appear only for admins.
#[tracing::instrument(name = "home.summary", skip_all)]
pub async fn summary(
    state: &AppState,
    staff: &StaffView,
    freshness: Freshness,
) -> Result<HomeSummary, AppError> {
    let db_error = |e| crate::server::errors::internal("home counts", e);
    if let Some(counted_at) = index::store::last_full_pass(&state.db)
        .await
        .map_err(db_error)?
    {
        let admin = staff.role.allows(crate::model::Role::Admin);
        let (wallet, counts, radar, lapsing, recent) = tokio::join!(
            super::wallet::summary(state, freshness),
            index::store::counts(&state.db),
            index::store::radar(&state.db),
            super::subscriptions::lapsing_count(&state.db),
            db::audit::latest(&state.db, 8, admin),
        );
        let counts = counts.map_err(db_error)?;
        let radar = radar.map_err(db_error)?;
        let count = |n: i64| Ok(u64::try_from(n).unwrap_or_default());
        return Ok(HomeSummary {
            fetched_at: wallet.as_ref().ok().map(|w| w.fetched_at),
            wallet: wallet
                .map(|w| w.balance)
                .map_err(|e| AppError::from(e).to_string()),
            customers: count(counts.customers),
            subscriptions: count(counts.subscriptions),
            mailboxes: count(counts.mailboxes),
            domains: count(counts.domains).ok(),
            counted_at: Some(counted_at),
            radar: Some(radar),
            lapsing: Some(u64::try_from(lapsing.map_err(db_error)?).unwrap_or_default()),
            recent: recent?,
            cmr: health(state),
        });
    }
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
        domains: None,
        counted_at: None,
        radar: None,
        lapsing: None,
        recent: recent?,
        cmr: health(state),
    })
}

fn health(state: &AppState) -> Option<CmrHealth> {
    state.cmr.last_call().map(|c| CmrHealth {
        ok: c.ok,
        status: c.status,
        latency_ms: c.latency.as_millis() as u64,
    })
}
