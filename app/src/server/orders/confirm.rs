//! Confirming an order: the one call that spends wallet money (`POST /orders/process`). It is
//! sent at most once per order, whatever happens: its idempotency key (one per order) is
//! claimed in Postgres before the call, so a double click, a second tab, a second admin, a
//! second instance or a retry after a timeout all find it taken. A lost answer leaves the order
//! "outcome unknown"; CMR's status call or webhook settles it, and it is never sent again.
//! Above the configured approval limit a second admin must approve before anything is sent.

use super::store::{self, Record, Transition};
use crate::error::AppError;
use crate::model::money::Amount;
use crate::model::order::{ConfirmOutcome, OrderState};
use crate::model::StaffView;
use crate::server::audit::{self, Actor, Change, Entry, Target};
use crate::server::db::idempotency::{self, Claim, Finish};
use crate::server::db::spend;
use crate::server::errors::internal;
use crate::server::mutation::{self, audited, Attempt};
use crate::server::reads::Freshness;
use crate::server::{wallet, AppState};
use serde_json::json;

const ACTION: &str = "order.confirm";
const APPROVE: &str = "order.approve";

/// The key that lets an order be paid once.
pub fn process_key(order: &Record) -> String {
    format!("order-process-{}", order.idempotency_key)
}

async fn load(state: &AppState, id: i64) -> Result<Record, AppError> {
    store::get(&state.db, id)
        .await
        .map_err(|e| internal("order", e))?
        .ok_or(AppError::NotFound)
}

/// Whether this order needs a second admin: above the limit, or with no price to compare.
pub fn needs_approval(state: &AppState, order: &Record) -> bool {
    match (state.config.order_approval_above, order.total_cents) {
        (None, _) => false,
        (Some(limit), Some(total)) => total > limit.cents(),
        (Some(_), None) => true,
    }
}

/// The live checks before money is spent: the order is the one staff confirmed (same total)
/// and the wallet covers it now.
async fn check_payable(
    state: &AppState,
    order: &Record,
    total_cents: i64,
) -> Result<Amount, AppError> {
    let total = order.total().ok_or_else(|| {
        AppError::Rejected(
            "CMR stated no price for this order, so it cannot be confirmed here. Check it in the \
             CMR partner dashboard."
                .into(),
        )
    })?;
    if total.value.cents() != total_cents {
        return Err(AppError::Rejected(format!(
            "This order costs {total}, not what the confirmation named. Nothing was sent; reload \
             the order and confirm again."
        )));
    }
    let wallet = wallet::summary(state, Freshness::Live).await?;
    match wallet.balance.minus(&total) {
        Some(after) if !after.value.is_negative() => Ok(total),
        Some(_) => Err(AppError::Rejected(format!(
            "The wallet holds {}, and this order costs {total}. Top up the wallet first; nothing \
             was sent to CMR.",
            wallet.balance
        ))),
        None => Err(AppError::Rejected(format!(
            "The wallet is in {}, the order in {}: it cannot be compared. Nothing was sent.",
            wallet.balance.currency, total.currency
        ))),
    }
}

fn not_confirmable(order: &Record) -> AppError {
    AppError::Rejected(match order.state() {
        OrderState::AwaitingApproval => {
            "This order is already confirmed and waits for a second admin's approval.".into()
        }
        OrderState::Unknown => "This order was sent and CMR's answer was lost: it is never sent \
                                again. Check its status below."
            .into(),
        state => format!(
            "This order is {} already: it was confirmed before (another tab or another admin).",
            state.label().to_lowercase()
        ),
    })
}

/// An admin confirms an order for the total the page showed.
#[tracing::instrument(name = "order.confirm", skip_all)]
pub async fn confirm(
    state: &AppState,
    staff: &StaffView,
    id: i64,
    total_cents: i64,
) -> Result<ConfirmOutcome, AppError> {
    let order = load(state, id).await?;
    if order.state() != OrderState::Prepared {
        return Err(not_confirmable(&order));
    }
    check_payable(state, &order, total_cents).await?;
    if needs_approval(state, &order) {
        let change = Transition {
            confirmed_by: Some(staff.id),
            note: Some("above the approval limit: waits for a second admin"),
            source: "dashboard",
            ..Transition::default()
        };
        let moved = store::transition(
            &state.db,
            id,
            &[OrderState::Prepared],
            OrderState::AwaitingApproval,
            change,
            state.clock.now(),
        )
        .await
        .map_err(|e| internal("order transition", e))?;
        if !moved {
            return Err(not_confirmable(&order));
        }
        let entry = Entry::ok(
            Actor::Staff(staff),
            ACTION,
            Some(Target::Order(&order.cmr_order_id)),
        )
        .with_changes(vec![Change::new("state", "prepared", "awaiting_approval")]);
        audit::record(state, entry).await?;
        return Ok(ConfirmOutcome::AwaitingApproval);
    }
    pay(state, staff, &order, ACTION, Some(staff.id), None).await
}

/// A second admin (not the one who confirmed) approves an order above the limit: it is sent.
#[tracing::instrument(name = "order.approve", skip_all)]
pub async fn approve(
    state: &AppState,
    staff: &StaffView,
    id: i64,
    total_cents: i64,
) -> Result<ConfirmOutcome, AppError> {
    let order = load(state, id).await?;
    if order.state() != OrderState::AwaitingApproval {
        return Err(AppError::Rejected(format!(
            "This order is not waiting for approval (it is {}).",
            order.state().label().to_lowercase()
        )));
    }
    if order.confirmed_by == Some(staff.id) {
        return Err(AppError::Rejected(
            "You confirmed this order: a second admin must approve it.".into(),
        ));
    }
    check_payable(state, &order, total_cents).await?;
    pay(state, staff, &order, APPROVE, None, Some(staff.id)).await
}

/// The paid call, once: see the module's notes.
async fn pay(
    state: &AppState,
    staff: &StaffView,
    order: &Record,
    action: &str,
    confirmed_by: Option<i64>,
    approved_by: Option<i64>,
) -> Result<ConfirmOutcome, AppError> {
    let key = process_key(order);
    let now = state.clock.now();
    let request = json!({ "order": order.id, "total_cents": order.total_cents });
    let claim = idempotency::claim(&state.db, &key, staff.id, "order.process", &request, now)
        .await
        .map_err(|e| internal("order key", e))?;
    match claim {
        Claim::Proceed => {}
        Claim::InFlight => {
            return Err(AppError::Rejected(
                "This order is being sent to CMR right now (a second click, another tab or \
                 another admin). Wait a moment and reload."
                    .into(),
            ))
        }
        Claim::Unknown => {
            return Err(AppError::OutcomeUnknown(
                "This order was sent and CMR's answer was lost, so it is never sent again. \
                 Check its status below."
                    .into(),
            ))
        }
        Claim::Replay(_) | Claim::Mismatch => return Err(not_confirmable(order)),
    }
    let from = [OrderState::Prepared, OrderState::AwaitingApproval];
    let sending = Transition {
        confirmed_by,
        approved_by,
        source: "dashboard",
        ..Transition::default()
    };
    let moved = store::transition(
        &state.db,
        order.id,
        &from,
        OrderState::Sending,
        sending,
        now,
    )
    .await
    .map_err(|e| internal("order transition", e))?;
    if !moved {
        mutation::finish_key(state, &key, Finish::Failed).await;
        return Err(not_confirmable(order));
    }
    let result = state
        .cmr
        .process_order(&order.customer_id, &order.cmr_order_id)
        .await;
    let unknown = matches!(&result, Err(e) if e.is_outcome_unknown());
    let action_id = result.as_ref().ok().and_then(|r| r.action_id.clone());
    let attempt = Attempt {
        staff,
        action,
        target: Target::Order(&order.cmr_order_id),
        changes: vec![
            Change::new("state", order.state.as_str(), "sent"),
            Change::new(
                "price",
                serde_json::Value::Null,
                order.total().map(|t| t.to_string()),
            ),
        ],
    };
    let outcome = audited(state, attempt, result).await;
    let now = state.clock.now();
    let (to, finish, note) = match &outcome {
        Ok(_) => (OrderState::Pending, Finish::Done(json!("sent")), None),
        Err(_) if unknown => (
            OrderState::Unknown,
            Finish::Unknown,
            Some("CMR's answer to the paid call was lost"),
        ),
        Err(_) => (OrderState::Prepared, Finish::Failed, None),
    };
    let refused = outcome.as_ref().err().map(ToString::to_string);
    let change = Transition {
        action_id: action_id.as_deref(),
        note: note.or(refused.as_deref()),
        source: "dashboard",
        ..Transition::default()
    };
    if let Err(err) =
        store::transition(&state.db, order.id, &[OrderState::Sending], to, change, now).await
    {
        tracing::error!(error = %err, "an order's new state could not be recorded");
    }
    mutation::finish_key(state, &key, finish).await;
    if to != OrderState::Prepared {
        record_spend(state, staff, order, to == OrderState::Pending).await;
    }
    match outcome {
        Ok(_) => Ok(ConfirmOutcome::Sent),
        Err(_) if unknown => Err(AppError::OutcomeUnknown(
            "Outcome unknown: the order was sent, but CMR's answer was lost. It is never sent \
             again; check its status below (CMR's status call settles it)."
                .into(),
        )),
        Err(err) => Err(err),
    }
}

/// The spend log's line for a paid order (unconfirmed when the answer was lost; the status
/// call confirms it later).
async fn record_spend(state: &AppState, staff: &StaffView, order: &Record, confirmed: bool) {
    let Some(total) = order.total() else {
        return;
    };
    let spent = [spend::Spent {
        staff_id: staff.id,
        action: ACTION,
        customer_id: &order.customer_id,
        target: &order.cmr_order_id,
        amount: &total,
        confirmed,
    }];
    if let Err(err) = spend::record(&state.db, state.clock.now(), &spent).await {
        tracing::error!(error = %err, "an order's spend could not be recorded");
    }
}
