//! Renewing domains spends wallet money, so it is sent once and only after a live review:
//! the price from CMR, the balance from CMR (never a kept answer), the renewal window. A
//! confirmed renewal is guarded twice: the form's idempotency key (a double click or a reload
//! replays the first answer) and one key per domain and expiry date (a second tab or another
//! staff member cannot renew the same domain for the same period while the first is under way
//! or done). CMR renews one customer's domains per call.

use super::{by_owner, domain_name};
use crate::error::AppError;
use crate::model::domain::renewable;
use crate::model::money::Amount;
use crate::model::renewal::{
    RenewalLine, RenewalOutcome, RenewalQuote, RenewalRequest, RenewalResult,
};
use crate::model::StaffView;
use crate::server::audit::{Change, Target};
use crate::server::db::idempotency::Finish;
use crate::server::db::spend;
use crate::server::errors::internal;
use crate::server::index::store::{self, day};
use crate::server::mutation::{self, audited_each, settle_lost_answer, Attempt};
use crate::server::reads::Freshness;
use crate::server::{wallet, AppState};
use cmr::types::{Domain, Money, RenewalPrice};
use cmr::CmrError;
use serde_json::json;
use std::collections::BTreeMap;

/// Domains one review may hold.
pub const MAX_DOMAINS: usize = 100;

const ACTION: &str = "domain.renew";
/// The key kind guarding one domain's renewal for one period.
const PERIOD_ACTION: &str = "domain.renew.period";

/// The chosen names, checked, lower-cased and without repeats, in order.
fn names(input: &[String]) -> Result<Vec<String>, AppError> {
    if input.is_empty() {
        return Err(AppError::invalid("domains", "Choose at least one domain."));
    }
    if input.len() > MAX_DOMAINS {
        return Err(AppError::invalid(
            "domains",
            format!("Renew at most {MAX_DOMAINS} domains at once."),
        ));
    }
    let mut names = input
        .iter()
        .map(|n| domain_name(n))
        .collect::<Result<Vec<_>, _>>()?;
    names.sort();
    names.dedup();
    Ok(names)
}

/// One customer's part of a review: their domains as CMR shows them now, and CMR's prices.
struct Group {
    owner: String,
    names: Vec<String>,
    domains: Result<Vec<Domain>, CmrError>,
    prices: Result<Vec<RenewalPrice>, CmrError>,
}

/// Groups `names` by owner (from the index) and reads each group live from CMR.
async fn groups(state: &AppState, names: &[String]) -> Result<Vec<Group>, AppError> {
    let mut groups = Vec::new();
    // One customer after another: CMR's budget paces the calls anyway.
    for (owner, names) in by_owner(state, names).await? {
        let (domains, prices) = tokio::join!(
            state.cmr.user_domains(&owner),
            state.cmr.domain_renewal_prices(&owner, &names),
        );
        groups.push(Group {
            domains: domains.map(|r| r.data.items),
            prices: prices.map(|r| r.data),
            owner,
            names,
        });
    }
    Ok(groups)
}

/// The review of renewing `names`: every line with its price or why it cannot be renewed, the
/// total of the renewable ones, and the wallet before and after.
#[tracing::instrument(name = "domain.renewal_quote", skip_all)]
pub async fn quote(state: &AppState, names: &[String]) -> Result<RenewalQuote, AppError> {
    let names = self::names(names)?;
    let (groups, wallet) = tokio::join!(
        groups(state, &names),
        wallet::summary(state, Freshness::Live)
    );
    let (groups, wallet) = (groups?, wallet?);
    let currency = wallet.balance.currency.clone();
    let now = state.clock.now().unix_timestamp();
    let mut lines = Vec::new();
    for group in groups {
        let read_error = match (&group.domains, &group.prices) {
            (Err(e), _) | (_, Err(e)) => Some(AppError::from(e.clone()).to_string()),
            _ => None,
        };
        for name in &group.names {
            let domain = group
                .domains
                .as_ref()
                .ok()
                .and_then(|ds| ds.iter().find(|d| d.domain_name.eq_ignore_ascii_case(name)));
            let price = group
                .prices
                .as_ref()
                .ok()
                .and_then(|ps| ps.iter().find(|p| p.domain_name.eq_ignore_ascii_case(name)));
            let status = domain
                .map(|d| d.status.as_str().to_string())
                .unwrap_or_default();
            let expires_on = domain.and_then(|d| day(d.expiry_date.as_deref()));
            let refused = if let Some(error) = &read_error {
                Some(format!("Could not be priced: {error}"))
            } else if domain.is_none() {
                Some("CMR no longer lists this domain for its customer.".into())
            } else if price.and_then(|p| p.renewal_price).is_none() {
                Some("CMR did not state a renewal price.".into())
            } else {
                renewable(&status, expires_on.as_deref(), now).err()
            };
            lines.push(RenewalLine {
                name: name.clone(),
                customer_id: group.owner.clone(),
                status,
                expires_on,
                price: price
                    .and_then(|p| p.renewal_price)
                    .map(|p| Amount::new(p, currency.clone())),
                years: price.map_or(1, |p| p.years.max(1)),
                refused,
            });
        }
    }
    let priced: Vec<(String, i64)> = lines
        .iter()
        .filter_map(|l| l.price.as_ref().map(|p| (l.name.clone(), p.value.cents())))
        .collect();
    if let Err(err) = store::save_renewal_prices(&state.db, &priced).await {
        tracing::warn!(error = %err, "renewal prices could not be kept for the forecast");
    }
    let total = lines
        .iter()
        .filter(|l| l.refused.is_none())
        .filter_map(|l| l.price.as_ref())
        .try_fold(Money::ZERO, |sum, p| sum.checked_add(p.value))
        .ok_or_else(|| internal("renewal quote", "the total overflows"))?;
    let total = Amount::new(total, currency);
    let after = wallet.balance.minus(&total);
    let renewable_count = lines.iter().filter(|l| l.refused.is_none()).count();
    let blocked = if renewable_count == 0 {
        Some("None of these domains can be renewed now.".to_string())
    } else if after.as_ref().is_none_or(|a| a.value.is_negative()) {
        Some(format!(
            "The wallet holds {}, and renewing costs {total}. Top up the wallet first.",
            wallet.balance
        ))
    } else {
        None
    };
    Ok(RenewalQuote {
        lines,
        total,
        balance: wallet.balance,
        after,
        blocked,
        fetched_at: wallet.fetched_at,
    })
}

/// Renews what staff confirmed, once: see the module's notes.
#[tracing::instrument(name = "domain.renew", skip_all)]
pub async fn renew(
    state: &AppState,
    staff: &StaffView,
    request: RenewalRequest,
) -> Result<RenewalOutcome, AppError> {
    let names = self::names(&request.domains)?;
    let key = request.idempotency_key.as_str();
    let claimed = json!({ "domains": names, "total_cents": request.total_cents });
    if let Some(done) = mutation::claim_key(state, staff, key, ACTION, &claimed).await? {
        return serde_json::from_value(done).map_err(|e| internal("renewal replay", e));
    }
    // Nothing is sent unless the live review still says what staff confirmed.
    let checked = async {
        let quote = quote(state, &names).await?;
        if let Some(refused) = quote.lines.iter().find(|l| l.refused.is_some()) {
            return Err(AppError::Rejected(format!(
                "{} cannot be renewed now: {} Nothing was renewed.",
                refused.name,
                refused.refused.as_deref().unwrap_or_default()
            )));
        }
        if let Some(blocked) = &quote.blocked {
            return Err(AppError::Rejected(format!(
                "{blocked} Nothing was renewed."
            )));
        }
        if quote.total.value.cents() != request.total_cents {
            return Err(AppError::Rejected(format!(
                "The price changed since the review: renewing now costs {}. Nothing was \
                 renewed; review it again.",
                quote.total
            )));
        }
        let periods = claim_periods(state, staff, &quote.lines).await?;
        Ok((quote, periods))
    }
    .await;
    let (quote, periods) = match checked {
        Ok(checked) => checked,
        Err(err) => {
            mutation::finish_key(state, key, Finish::Failed).await;
            return Err(err);
        }
    };
    let mut by_owner: BTreeMap<&str, Vec<&RenewalLine>> = BTreeMap::new();
    for line in &quote.lines {
        by_owner.entry(&line.customer_id).or_default().push(line);
    }
    let mut groups = Vec::new();
    for (owner, lines) in by_owner {
        let result = renew_group(state, staff, owner, &lines).await;
        record_spend(state, staff, owner, &lines, &result).await;
        for line in &lines {
            if let Some(period) = periods.get(&line.name) {
                let finish = match &result {
                    RenewalResult::Queued => Finish::Done(json!("queued")),
                    RenewalResult::Refused(_) => Finish::Failed,
                    RenewalResult::Unknown(_) => Finish::Unknown,
                };
                mutation::finish_key(state, period, finish).await;
            }
        }
        let names = lines.iter().map(|l| l.name.clone()).collect();
        groups.push((names, result));
    }
    let outcome = RenewalOutcome { groups };
    let finish = if outcome
        .groups
        .iter()
        .any(|(_, r)| matches!(r, RenewalResult::Unknown(_)))
    {
        Finish::Unknown
    } else if outcome
        .groups
        .iter()
        .all(|(_, r)| matches!(r, RenewalResult::Refused(_)))
    {
        Finish::Failed
    } else {
        Finish::Done(serde_json::to_value(&outcome).map_err(|e| internal("renewal outcome", e))?)
    };
    mutation::finish_key(state, key, finish).await;
    Ok(outcome)
}

/// Writes what a renewal charged (or may have charged) to the spend log. A failure to write
/// is logged: the renewal itself happened and staff must hear that.
async fn record_spend(
    state: &AppState,
    staff: &StaffView,
    owner: &str,
    lines: &[&RenewalLine],
    result: &RenewalResult,
) {
    let confirmed = match result {
        RenewalResult::Queued => true,
        RenewalResult::Unknown(_) => false,
        RenewalResult::Refused(_) => return,
    };
    let spent: Vec<spend::Spent> = lines
        .iter()
        .filter_map(|l| {
            Some(spend::Spent {
                staff_id: staff.id,
                action: ACTION,
                customer_id: owner,
                target: &l.name,
                amount: l.price.as_ref()?,
                confirmed,
            })
        })
        .collect();
    if let Err(err) = spend::record(&state.db, state.clock.now(), &spent).await {
        tracing::error!(error = %err, "a renewal's spend could not be recorded");
    }
}

/// The key that lets a domain be renewed once for the period ending on its expiry date.
fn period_key(line: &RenewalLine) -> String {
    format!(
        "renewal:{}:{}",
        line.name,
        line.expires_on.as_deref().unwrap_or("undated")
    )
}

/// Claims every line's period key, or none: a domain whose renewal for this period is under
/// way or done (from another tab or another staff member) stops the whole renewal. The lines
/// come from a live read that shows each domain renewable (not RENEWING, same expiry).
async fn claim_periods(
    state: &AppState,
    staff: &StaffView,
    lines: &[RenewalLine],
) -> Result<BTreeMap<String, String>, AppError> {
    let mut claimed = BTreeMap::new();
    for line in lines {
        let key = period_key(line);
        let request = json!({ "domain": line.name, "expires_on": line.expires_on });
        let claim = mutation::claim_renewal_period(state, staff, &key, PERIOD_ACTION, &request);
        let refused = match claim.await {
            Ok(None) => {
                claimed.insert(line.name.clone(), key);
                continue;
            }
            Ok(Some(why)) => AppError::Rejected(format!(
                "{} {why} Nothing was renewed; reload the domain to see where it stands.",
                line.name
            )),
            Err(err) => err,
        };
        for key in claimed.values() {
            mutation::finish_key(state, key, Finish::Failed).await;
        }
        return Err(refused);
    }
    Ok(claimed)
}

/// One CMR call renewing one customer's domains, audited per domain. A lost answer is settled
/// by a fresh read (RENEWING, or a later expiry, means it went through); never re-sent.
async fn renew_group(
    state: &AppState,
    staff: &StaffView,
    owner: &str,
    lines: &[&RenewalLine],
) -> RenewalResult {
    let names: Vec<&str> = lines.iter().map(|l| l.name.as_str()).collect();
    let attempts = || {
        lines
            .iter()
            .map(|l| Attempt {
                staff,
                action: ACTION,
                target: Target::Domain(&l.name),
                changes: vec![
                    Change::new("expires_on", l.expires_on.clone(), "renewal requested"),
                    Change::new(
                        "price",
                        serde_json::Value::Null,
                        l.price.as_ref().map(ToString::to_string),
                    ),
                ],
            })
            .collect::<Vec<_>>()
    };
    let result = state.cmr.renew_domains(owner, &names).await;
    match result {
        Err(err) if err.is_outcome_unknown() => {
            let found = match state.cmr.user_domains(owner).await {
                Ok(reply) => Some(lines.iter().all(|l| {
                    reply.data.items.iter().any(|d| {
                        d.domain_name.eq_ignore_ascii_case(&l.name)
                            && (d.status.as_str() == "RENEWING"
                                || day(d.expiry_date.as_deref()) > l.expires_on)
                    })
                })),
                Err(_) => None,
            };
            let what_to_do = "open the domain in a few minutes: it shows RENEWING or a later \
                              expiry if CMR renewed it";
            let mut unknown = None;
            for attempt in attempts() {
                if let Err(err) = settle_lost_answer(state, attempt, &err, found, what_to_do).await
                {
                    unknown = Some(err.to_string());
                }
            }
            match unknown {
                None => {
                    mark_renewing(state, &names).await;
                    RenewalResult::Queued
                }
                Some(message) => RenewalResult::Unknown(message),
            }
        }
        result => match audited_each(state, attempts(), result).await {
            Ok(_) => {
                mark_renewing(state, &names).await;
                RenewalResult::Queued
            }
            Err(err) => RenewalResult::Refused(err.to_string()),
        },
    }
}

/// Shows the domains as RENEWING in the partner index until CMR's event or the next read
/// settles them (a failure only delays that).
async fn mark_renewing(state: &AppState, names: &[&str]) {
    if let Err(err) = store::mark_renewing(&state.db, names).await {
        tracing::warn!(error = %err, "renewing domains could not be marked in the index");
    }
}
