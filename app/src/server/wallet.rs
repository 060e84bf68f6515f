//! The partner wallet: CMR's balance, formatted for the header and the home page. Both read it
//! through the read cache, so a page load makes one wallet call however many places show it.

use super::db;
use super::errors::internal;
use super::index::store;
use super::reads::{Freshness, ReadKey};
use super::AppState;
use crate::error::AppError;
use crate::model::date;
use crate::model::money::Amount;
use crate::model::runway::{forecast, DueKind, DueRenewal, RunwayView, HORIZONS};
use crate::model::spend::SpendSummary;
use crate::model::wallet::WalletLevel;
use crate::model::WalletView;
use cmr::types::Money;
use cmr::CmrError;
use std::collections::BTreeMap;

#[tracing::instrument(name = "wallet.summary", skip_all)]
pub async fn summary(state: &AppState, freshness: Freshness) -> Result<WalletView, CmrError> {
    let read = || async { Ok(state.cmr.wallet().await?.data) };
    let fetched = state.reads.read(ReadKey::Wallet, freshness, read).await?;
    let wallet = fetched.value;
    let balance = Amount::new(wallet.balance, wallet.currency);
    let alerts = state.config.wallet_alerts;
    let (level, note) = WalletLevel::of(&balance, alerts.low_below, alerts.critical_below);
    Ok(WalletView {
        balance,
        fetched_at: fetched.fetched_at,
        level,
        note,
    })
}

/// Customers whose unpriced domains one runway load asks CMR to price (a call each, inside
/// CMR's budget); the rest are priced on later loads and shown as unpriced meanwhile.
const PRICING_CALLS_PER_LOAD: usize = 5;

/// The runway: the wallet (through the read cache) against the auto-renewals the partner index
/// knows for the next 90 days. Domains never priced are priced from CMR a few customers per
/// load.
#[tracing::instrument(name = "wallet.runway", skip_all)]
pub async fn runway(state: &AppState, freshness: Freshness) -> Result<RunwayView, AppError> {
    let longest = HORIZONS[HORIZONS.len() - 1];
    let db_error = |e| internal("wallet runway", e);
    let wallet = summary(state, freshness).await?;
    let renewals = store::auto_renewals(&state.db, longest)
        .await
        .map_err(db_error)?;
    let mut unpriced: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in renewals.iter().filter(|r| r.price_cents.is_none()) {
        unpriced
            .entry(r.customer_id.clone())
            .or_default()
            .push(r.name.clone());
    }
    let mut priced = Vec::new();
    for (owner, names) in unpriced.into_iter().take(PRICING_CALLS_PER_LOAD) {
        match state.cmr.domain_renewal_prices(&owner, &names).await {
            Ok(reply) => priced.extend(
                reply
                    .data
                    .into_iter()
                    .filter_map(|p| Some((p.domain_name.to_lowercase(), p.renewal_price?.cents()))),
            ),
            Err(err) => tracing::warn!(error = %err, "renewal prices for the forecast"),
        }
    }
    if !priced.is_empty() {
        store::save_renewal_prices(&state.db, &priced)
            .await
            .map_err(db_error)?;
    }
    let currency = wallet.balance.currency.clone();
    let due = renewals
        .into_iter()
        .map(|r| {
            let price = r
                .price_cents
                .or_else(|| priced.iter().find(|(n, _)| *n == r.name).map(|(_, c)| *c));
            let subscription = r.kind == "subscription";
            DueRenewal {
                on: r.due_on.to_string(),
                kind: if subscription {
                    DueKind::Subscription
                } else {
                    DueKind::Domain
                },
                label: if subscription {
                    format!(
                        "{} ({} mailbox{})",
                        r.name,
                        r.quantity,
                        if r.quantity == 1 { "" } else { "es" }
                    )
                } else {
                    r.name
                },
                customer_id: r.customer_id,
                amount: price
                    .and_then(|p| p.checked_mul(r.quantity))
                    .map(|cents| Amount::new(Money::from_cents(cents), currency.clone())),
            }
        })
        .collect();
    let today = date::today(state.clock.now().unix_timestamp());
    Ok(RunwayView {
        runway: forecast(wallet.balance.clone(), today, due),
        fetched_at: wallet.fetched_at,
    })
}

/// What the dashboard spent, per month and per customer.
pub async fn spend(state: &AppState) -> Result<SpendSummary, AppError> {
    db::spend::summary(&state.db)
        .await
        .map_err(|e| internal("spend summary", e))
}

/// Every item the dashboard spent wallet money on, as CSV.
pub async fn spend_csv(state: &AppState) -> Result<String, AppError> {
    let rows = db::spend::all(&state.db)
        .await
        .map_err(|e| internal("spend export", e))?;
    Ok(super::csv::document(
        [
            "at",
            "action",
            "customer_id",
            "item",
            "amount",
            "currency",
            "outcome",
        ],
        rows,
    ))
}
