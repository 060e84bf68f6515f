//! Renewing a subscription spends wallet money: it is reviewed live (CMR's price and status,
//! the linked domain's status, the wallet) and sent once. Guarded twice, as domain renewals
//! are: the form's idempotency key (a double click or a reload replays the first answer) and
//! one key per subscription and period end (a second tab or another admin cannot renew the
//! same period again). A lost answer is settled by a fresh read (RENEWING, or a later period
//! end, means it went through) and never re-sent.

use super::{indexed, CURRENCY};
use crate::error::AppError;
use crate::model::money::Amount;
use crate::model::subscription::{SubscriptionQuote, SubscriptionRenewal, SubscriptionRow};
use crate::model::StaffView;
use crate::server::audit::{Change, Target};
use crate::server::customers::read_domains;
use crate::server::db::idempotency::Finish;
use crate::server::db::spend;
use crate::server::errors::internal;
use crate::server::index::store::day;
use crate::server::mutation::{self, audited, settle_lost_answer, Attempt};
use crate::server::reads::Freshness;
use crate::server::{wallet, AppState};
use cmr::types::{DomainStatus, Subscription, SubscriptionQuery, SubscriptionStatus};
use serde_json::json;

const ACTION: &str = "subscription.renew";
const PERIOD_ACTION: &str = "subscription.renew.period";

/// The subscription as CMR shows it now.
async fn live(state: &AppState, id: &str, domain: &str) -> Result<Subscription, AppError> {
    let query = SubscriptionQuery {
        domain: Some(domain.to_string()),
        limit: Some(100),
        ..SubscriptionQuery::default()
    };
    state
        .cmr
        .subscriptions(&query)
        .await?
        .data
        .items
        .into_iter()
        .find(|s| s.subscription_id == id)
        .ok_or(AppError::NotFound)
}

/// The review: see the module's notes.
#[tracing::instrument(name = "subscription.renewal_quote", skip_all)]
pub async fn quote(state: &AppState, id: &str) -> Result<SubscriptionQuote, AppError> {
    let (customer_id, domain, _, _) = indexed(&state.db, id.trim())
        .await
        .map_err(|e| internal("subscription", e))?
        .ok_or(AppError::NotFound)?;
    let (subscription, domains, wallet) = tokio::join!(
        live(state, id.trim(), &domain),
        read_domains(state, &customer_id, Freshness::Live),
        wallet::summary(state, Freshness::Live),
    );
    let (s, domains, wallet) = (subscription?, domains?.value, wallet?);
    let price = s
        .price_per_mailbox
        .checked_mul(i64::from(s.total_mailbox_quantity))
        .ok_or_else(|| internal("subscription price", "overflow"))?;
    let price = Amount::new(price, wallet.balance.currency.clone());
    let after = wallet.balance.minus(&price);
    let linked = domains
        .iter()
        .find(|d| d.domain_name.eq_ignore_ascii_case(&s.domain));
    let blocked = match (&s.subscription_status, linked.map(|d| &d.status)) {
        (_, Some(status @ (DomainStatus::GracePeriod | DomainStatus::Expired))) => Some(format!(
            "CMR does not renew a subscription while its domain {} is {status}: renew the \
             domain first.",
            s.domain
        )),
        (SubscriptionStatus::Renewing, _) => {
            Some("A renewal is already under way: it shows ACTIVE again once CMR is done.".into())
        }
        (SubscriptionStatus::Active | SubscriptionStatus::PastDue, _) => None,
        (other, _) => Some(format!("A {other} subscription cannot be renewed.")),
    }
    .or_else(|| {
        after
            .as_ref()
            .is_none_or(|a| a.value.is_negative())
            .then(|| {
                format!(
                    "The wallet holds {}, and renewing costs {price}. Top up the wallet first.",
                    wallet.balance
                )
            })
    });
    let row = SubscriptionRow {
        id: s.subscription_id.clone(),
        customer_id,
        customer: String::new(),
        domain: s.domain.clone(),
        status: s.subscription_status.as_str().to_string(),
        period_end: day(s.period_end.as_deref()),
        days_left: None,
        auto_renew: s.auto_renew,
        mailboxes: i32::try_from(s.total_mailbox_quantity).unwrap_or(i32::MAX),
        price_per_mailbox: Amount::new(s.price_per_mailbox, CURRENCY),
    };
    Ok(SubscriptionQuote {
        row,
        price,
        balance: wallet.balance,
        after,
        blocked,
        fetched_at: wallet.fetched_at,
    })
}

/// Renews what the admin confirmed, once: see the module's notes. Answers what staff are told.
#[tracing::instrument(name = "subscription.renew", skip_all)]
pub async fn renew(
    state: &AppState,
    staff: &StaffView,
    request: SubscriptionRenewal,
) -> Result<String, AppError> {
    let id = request.id.trim().to_string();
    let key = request.idempotency_key.as_str();
    let claimed = json!({ "subscription": id, "total_cents": request.total_cents });
    if let Some(done) = mutation::claim_key(state, staff, key, ACTION, &claimed).await? {
        return Ok(done.as_str().unwrap_or("Renewal queued.").to_string());
    }
    let checked = async {
        let quote = quote(state, &id).await?;
        if let Some(blocked) = &quote.blocked {
            return Err(AppError::Rejected(format!(
                "{blocked} Nothing was renewed."
            )));
        }
        if quote.price.value.cents() != request.total_cents {
            return Err(AppError::Rejected(format!(
                "The price changed since the review: renewing now costs {}. Nothing was \
                 renewed; review it again.",
                quote.price
            )));
        }
        let period = format!(
            "subscription-renewal:{id}:{}",
            quote.row.period_end.as_deref().unwrap_or("undated")
        );
        // The period's key: once per subscription and period end, whoever sends it.
        let claimed = json!({ "subscription": quote.row.id, "period_end": quote.row.period_end });
        let claim = mutation::claim_renewal_period(state, staff, &period, PERIOD_ACTION, &claimed);
        if let Some(why) = claim.await? {
            return Err(AppError::Rejected(format!(
                "The subscription of {} {why} Nothing was renewed.",
                quote.row.domain
            )));
        }
        Ok((quote, period))
    }
    .await;
    let (quote, period) = match checked {
        Ok(checked) => checked,
        Err(err) => {
            mutation::finish_key(state, key, Finish::Failed).await;
            return Err(err);
        }
    };
    let attempt = || Attempt {
        staff,
        action: ACTION,
        target: Target::Subscription(&id),
        changes: vec![
            Change::new(
                "period_end",
                quote.row.period_end.clone(),
                "renewal requested",
            ),
            Change::new("price", serde_json::Value::Null, quote.price.to_string()),
        ],
    };
    let result = state.cmr.renew_subscriptions(&[&id]).await;
    let outcome = match result {
        Err(err) if err.is_outcome_unknown() => {
            let found = match live(state, &id, &quote.row.domain).await {
                Ok(now) => Some(
                    now.subscription_status == SubscriptionStatus::Renewing
                        || day(now.period_end.as_deref()) > quote.row.period_end,
                ),
                Err(_) => None,
            };
            let what_to_do = "open the subscriptions list in a few minutes: it shows RENEWING \
                              or a later period end if CMR renewed it";
            settle_lost_answer(state, attempt(), &err, found, what_to_do).await
        }
        result => audited(state, attempt(), result).await.map(|_| ()),
    };
    let (finish, charged) = match &outcome {
        Ok(()) => (Finish::Done(json!(QUEUED)), Some(true)),
        Err(AppError::OutcomeUnknown(_)) => (Finish::Unknown, Some(false)),
        Err(_) => (Finish::Failed, None),
    };
    mutation::finish_key(state, &period, finish.clone()).await;
    mutation::finish_key(state, key, finish).await;
    if let Some(confirmed) = charged {
        let spent = [spend::Spent {
            staff_id: staff.id,
            action: ACTION,
            customer_id: &quote.row.customer_id,
            target: &quote.row.domain,
            amount: &quote.price,
            confirmed,
        }];
        if let Err(err) = spend::record(&state.db, state.clock.now(), &spent).await {
            tracing::error!(error = %err, "a subscription renewal's spend could not be recorded");
        }
    }
    if outcome.is_ok() {
        let marked = sqlx::query(
            "UPDATE index_subscriptions SET status = 'RENEWING', seen_at = now(),
                    seen_by = 'live' WHERE id = $1",
        )
        .bind(&id)
        .execute(&state.db)
        .await;
        if let Err(err) = marked {
            tracing::warn!(error = %err, "a renewing subscription could not be marked");
        }
    }
    outcome.map(|()| QUEUED.to_string())
}

const QUEUED: &str = "Renewal queued: the subscription shows RENEWING until CMR confirms it.";
