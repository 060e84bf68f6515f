//! Following a paid order until CMR has the final word: its status call, asked with backoff
//! by whoever looks first (the claim in `store::claim_check` is shared by every viewer and
//! instance, so twenty staff watching one order still make one call per interval), and its
//! webhooks. An order whose paid call lost its answer is settled here and only here.

use super::confirm::process_key;
use super::store::{self, Record, Transition};
use crate::error::AppError;
use crate::model::money::Amount;
use crate::model::order::{OrderLookup, OrderState};
use crate::server::db::idempotency::Finish;
use crate::server::db::spend;
use crate::server::errors::internal;
use crate::server::mutation;
use crate::server::reads_sync::{self, Stale};
use crate::server::{customers, AppState};
use serde_json::Value;

/// How soon staff may ask CMR again by hand.
const MANUAL_GAP: time::Duration = time::Duration::seconds(2);

/// Asks CMR where a followed order stands, when it is this caller's turn (or `force`: staff
/// pressed "check now", at most every two seconds), and records what changed.
pub async fn follow(state: &AppState, id: i64, force: bool) -> Result<(), AppError> {
    let db_error = |e| internal("order follow", e);
    let Some(order) = store::get(&state.db, id).await.map_err(db_error)? else {
        return Err(AppError::NotFound);
    };
    if !order.state().is_followed() {
        return Ok(());
    }
    let now = state.clock.now();
    if !store::claim_check(&state.db, id, now, force, MANUAL_GAP)
        .await
        .map_err(db_error)?
    {
        return Ok(());
    }
    let reply = match state
        .cmr
        .order_status(&order.customer_id, &order.cmr_order_id)
        .await
    {
        Ok(reply) => reply.data,
        Err(err) if force => return Err(err.into()),
        // The next look tries again after the backoff.
        Err(_) => return Ok(()),
    };
    let Some(seen) = OrderState::from_cmr(reply.status.as_str()) else {
        return Ok(());
    };
    let details = if seen == OrderState::Failed
        || matches!(order.state(), OrderState::Unknown | OrderState::Sending)
    {
        state
            .cmr
            .order_details(&order.customer_id, &order.cmr_order_id)
            .await
            .ok()
            .map(|r| r.data)
    } else {
        None
    };
    // An order created unconfirmed is PENDING too: after a lost answer, PENDING proves the
    // payment only when CMR says the order was confirmed.
    let paid_unproven = seen == OrderState::Pending
        && matches!(order.state(), OrderState::Unknown | OrderState::Sending)
        && details.as_ref().and_then(|d| d.confirmed) != Some(true);
    if paid_unproven || seen == order.state() {
        return Ok(());
    }
    let reason = details.as_ref().and_then(|d| d.failure_reason.clone());
    settle(state, &order, seen, reason.as_deref(), "cmr").await
}

/// Records that CMR shows `order` in `seen` (from its status call or a webhook).
async fn settle(
    state: &AppState,
    order: &Record,
    seen: OrderState,
    reason: Option<&str>,
    source: &str,
) -> Result<(), AppError> {
    let from = [
        OrderState::Sending,
        OrderState::Pending,
        OrderState::Processing,
        OrderState::Unknown,
    ];
    let change = Transition {
        note: reason,
        source,
        ..Transition::default()
    };
    let moved = store::transition(&state.db, order.id, &from, seen, change, state.clock.now())
        .await
        .map_err(|e| internal("order settle", e))?;
    if !moved {
        return Ok(());
    }
    if matches!(order.state(), OrderState::Unknown | OrderState::Sending) {
        // CMR shows the paid call arrived: the key and the spend are settled, never re-sent.
        mutation::finish_key(
            state,
            &process_key(order),
            Finish::Done(Value::from("sent")),
        )
        .await;
        if let Err(err) = spend::confirm(&state.db, "order.confirm", &order.cmr_order_id).await {
            tracing::error!(error = %err, "an order's spend could not be confirmed");
        }
    }
    if seen.is_final() {
        // The customer's domains and mailboxes changed: kept reads of them are stale.
        let stale = Stale::Customer(order.customer_id.clone());
        reads_sync::announce(&state.db, &state.reads, stale).await;
    }
    Ok(())
}

fn text<'a>(data: &'a Value, key: &str) -> Option<&'a str> {
    data.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// What a webhook says about an order the dashboard placed: noted in its history; a failure
/// settles it, a success makes the next look ask CMR (which has the whole order's status).
pub async fn on_event(state: &AppState, event: &str, data: &Value) {
    let Some(cmr_order_id) = text(data, "orderId") else {
        return;
    };
    let Ok(Some(id)) = store::by_cmr_id(&state.db, cmr_order_id).await else {
        return;
    };
    let detail = match (
        text(data, "domainName"),
        text(data, "email"),
        text(data, "reason"),
    ) {
        (_, Some(email), _) => Some(email.to_string()),
        (Some(domain), _, Some(reason)) => Some(format!("{domain}: {reason}")),
        (Some(domain), _, None) => Some(domain.to_string()),
        (None, None, reason) => reason.map(str::to_string),
    };
    let now = state.clock.now();
    if let Err(err) = store::note_event(&state.db, id, now, event, detail.as_deref()).await {
        tracing::warn!(error = %err, "an order event could not be noted");
        return;
    }
    let result = if event.ends_with(".order.failed") {
        match store::get(&state.db, id).await {
            Ok(Some(order)) => {
                settle(
                    state,
                    &order,
                    OrderState::Failed,
                    detail.as_deref(),
                    "webhook",
                )
                .await
            }
            _ => Ok(()),
        }
    } else if event.ends_with(".order.success") {
        follow(state, id, false).await
    } else {
        Ok(())
    };
    if let Err(err) = result {
        tracing::warn!(error = %err, "an order event could not be applied");
    }
}

/// Any CMR order by its id and customer (placed here or elsewhere): its status and details.
#[tracing::instrument(name = "order.lookup", skip_all)]
pub async fn lookup(
    state: &AppState,
    customer: &str,
    order_id: &str,
) -> Result<OrderLookup, AppError> {
    let order_id = order_id.trim();
    if order_id.is_empty() || order_id.len() > 100 || order_id.chars().any(char::is_whitespace) {
        return Err(AppError::invalid("order_id", "Paste CMR's order id."));
    }
    let customer_id = customers::lookup(state, customer)
        .await
        .map_err(|err| match err {
            AppError::Invalid(_) => AppError::invalid(
                "customer",
                "Paste the customer's email or CMR user id: CMR finds orders per customer.",
            ),
            other => other,
        })?;
    let status = match state.cmr.order_status(&customer_id, order_id).await {
        Ok(reply) => reply.data,
        Err(cmr::CmrError::NotFound { .. }) => {
            return Err(AppError::Rejected(format!(
                "CMR has no order {order_id} for this customer."
            )))
        }
        Err(err) => return Err(err.into()),
    };
    let details = state
        .cmr
        .order_details(&customer_id, order_id)
        .await
        .ok()
        .map(|r| r.data);
    let local_id = store::by_cmr_id(&state.db, order_id)
        .await
        .map_err(|e| internal("order lookup", e))?;
    let currency = crate::server::wallet::summary(state, crate::server::reads::Freshness::Cached)
        .await
        .map_or("USD".to_string(), |w| w.balance.currency);
    Ok(OrderLookup {
        order_id: order_id.to_string(),
        customer_id,
        status: status.status.as_str().to_string(),
        total: details
            .as_ref()
            .and_then(|d| d.total_price)
            .map(|t| Amount::new(t, currency)),
        domains: details
            .as_ref()
            .map(|d| d.domains.iter().map(|l| l.domain.clone()).collect())
            .unwrap_or_default(),
        mailbox_count: details.as_ref().map_or(0, |d| d.mailbox_count),
        failure_reason: details.and_then(|d| d.failure_reason),
        local_id,
    })
}
