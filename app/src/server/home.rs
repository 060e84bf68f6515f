//! The home page: wallet, counts and CMR's health from partner-level calls, all at once, and
//! the latest audit entries the staff member may see.

use super::db;
use super::AppState;
use crate::error::AppError;
use crate::model::customer::{CmrHealth, HomeSummary};
use crate::model::money::Amount;
use crate::model::StaffView;
use cmr::types::{SubscriptionQuery, UserListQuery};
use cmr::CmrError;

/// The home page: wallet, counts and health from partner-level calls, all at once.
/// Staff-management and sign-in security events appear only for admins.
pub async fn summary(state: &AppState, staff: &StaffView) -> Result<HomeSummary, AppError> {
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
    let (wallet, users, subscriptions, mailboxes, recent) = tokio::join!(
        state.cmr.wallet(),
        state.cmr.list_users(&first_user),
        state.cmr.subscriptions(&first_subscription),
        state.cmr.all_mailboxes(&first),
        db::audit::latest(&state.db, 8, staff.role.allows(crate::model::Role::Admin)),
    );
    let shown = |e: CmrError| AppError::from(e).to_string();
    let total = |t: Option<u64>| t.ok_or_else(|| "CMR did not say how many.".to_string());
    Ok(HomeSummary {
        wallet: wallet
            .map(|w| Amount::new(w.data.balance, w.data.currency))
            .map_err(shown),
        customers: users
            .map_err(shown)
            .and_then(|r| total(r.data.pagination.total)),
        subscriptions: subscriptions
            .map_err(shown)
            .and_then(|r| total(r.data.pagination.total)),
        mailboxes: mailboxes
            .map_err(shown)
            .and_then(|r| total(r.data.pagination.total)),
        recent: recent?,
        cmr: state.cmr.last_call().map(|c| CmrHealth {
            ok: c.ok,
            status: c.status,
            latency_ms: c.latency.as_millis() as u64,
        }),
    })
}
