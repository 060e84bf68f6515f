//! `/subscriptions/*`: partner-level, no `userId`.

use serde_json::{json, Value};
use tokio::time::Instant;

use super::input::Input;
use super::paging::{page_of, pagination};
use crate::envelope::{money, ApiError, Done, Outcome};
use crate::state::{iso, SubscriptionRec, World};
use cmr::types::{DomainStatus, MailboxStatus, SubscriptionStatus};

pub(crate) fn subscription_json(world: &World, s: &SubscriptionRec) -> Value {
    json!({
        "subscriptionId": s.id,
        "subscriptionStatus": s.status.as_str(),
        "totalMailboxQuantity": quantity(world, s),
        "billingCycle": "MONTHLY",
        "pricePerMailbox": money(s.price_per_mailbox),
        "periodStart": iso(s.period_start),
        "periodEnd": iso(s.period_end),
        "serviceProvider": s.provider.as_str(),
        "autoRenew": s.auto_renew,
        "userId": s.user_id,
        "domain": s.domain,
    })
}

fn quantity(world: &World, s: &SubscriptionRec) -> usize {
    world
        .mailboxes
        .iter()
        .filter(|m| m.subscription_id.as_deref() == Some(s.id.as_str()))
        .count()
}

/// The common fields of CMR's subscription events (reference §5.3).
fn subscription_event(s: &SubscriptionRec) -> Value {
    json!({
        "userId": s.user_id,
        "subscriptionId": s.id,
        "domainId": s.domain_id,
        "domain": s.domain,
        "subscriptionStatus": s.status.as_str(),
        "periodStart": iso(s.period_start),
        "periodEnd": iso(s.period_end),
        "autoRenew": s.auto_renew,
        "workspaceType": s.provider.as_str(),
    })
}

pub(crate) fn list(world: &mut World, input: &Input) -> Outcome {
    let (page, limit) = input.paging(50, 100)?;
    let status = input.param("status").map(SubscriptionStatus::parse);
    let domain = input.param("domain");
    let component = input.param("componentSubscriptionId");
    let matching: Vec<&SubscriptionRec> = world
        .subscriptions
        .iter()
        .filter(|s| status.as_ref().is_none_or(|st| &s.status == st))
        .filter(|s| domain.is_none_or(|d| s.domain.eq_ignore_ascii_case(d.trim())))
        .filter(|s| component.is_none_or(|c| s.id == c.trim()))
        .collect();
    let items: Vec<Value> = page_of(&matching, page, limit)
        .iter()
        .map(|s| subscription_json(world, s))
        .collect();
    Ok(Done::ok(
        "Subscriptions fetched successfully",
        json!({ "subscriptions": items, "pagination": pagination(matching.len(), page, limit) }),
    ))
}

fn find(world: &World, id: &str) -> Result<usize, ApiError> {
    world
        .subscriptions
        .iter()
        .position(|s| s.id == id)
        .ok_or_else(|| ApiError::not_found(format!("Subscription {id} not found")))
}

pub(crate) fn renew(world: &mut World, input: &Input) -> Outcome {
    let ids = input.require_body_strings("subscriptionIds")?;
    let indexes = ids
        .iter()
        .map(|id| find(world, id))
        .collect::<Result<Vec<_>, _>>()?;
    let mut total = 0;
    for &i in &indexes {
        let s = &world.subscriptions[i];
        let domain_blocked = world
            .domains
            .iter()
            .find(|d| d.id == s.domain_id)
            .filter(|d| matches!(d.status, DomainStatus::GracePeriod | DomainStatus::Expired));
        if let Some(d) = domain_blocked {
            return Err(ApiError::unprocessable(format!(
                "Domain {} is {}; renew the domain first",
                d.name, d.status
            )));
        }
        match s.status {
            SubscriptionStatus::Active | SubscriptionStatus::PastDue => {}
            SubscriptionStatus::Renewing => {
                return Err(ApiError::conflict(format!(
                    "Subscription {} is already renewing",
                    s.id
                )))
            }
            ref other => {
                return Err(ApiError::unprocessable(format!(
                    "Subscription {} is {other} and cannot be renewed",
                    s.id
                )))
            }
        }
        let count = i64::try_from(quantity(world, s)).unwrap_or(0);
        total += s.price_per_mailbox * count;
    }
    world
        .debit(total)
        .map_err(|available| ApiError::insufficient_balance(total, available))?;
    let since = Instant::now();
    for &i in &indexes {
        let s = &mut world.subscriptions[i];
        s.status = SubscriptionStatus::Renewing;
        s.renewing_since = Some(since);
        let event = subscription_event(s);
        world.outbox.push(("subscription.renewing", event));
    }
    let action = world.ids.action_id();
    Ok(Done::ok(
        "Subscriptions have been queued for renewal. Please ensure your wallet has sufficient balance.",
        Value::Null,
    )
    .with_action(action))
}

pub(crate) fn toggle_auto_renew(world: &mut World, input: &Input) -> Outcome {
    let index = find(world, input.require_body_str("subscriptionId")?)?;
    let auto_renew = input
        .body_bool("autoRenew")
        .ok_or_else(|| ApiError::bad_request("autoRenew must be a boolean"))?;
    let s = &mut world.subscriptions[index];
    s.auto_renew = auto_renew;
    let data = json!({ "subscriptionId": s.id, "autoRenew": auto_renew });
    let message = format!(
        "Auto renewal turned {}",
        if auto_renew { "on" } else { "off" }
    );
    Ok(Done::ok(message, data))
}

pub(crate) fn cancel(world: &mut World, input: &Input) -> Outcome {
    let index = match (input.body_str("subscriptionId"), input.body_str("domain")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "Provide either subscriptionId or domain, not both",
            ))
        }
        (None, None) => return Err(ApiError::bad_request("Provide subscriptionId or domain")),
        (Some(id), None) => find(world, id)?,
        (None, Some(domain)) => world
            .subscriptions
            .iter()
            .position(|s| {
                s.domain.eq_ignore_ascii_case(domain.trim())
                    && s.status != SubscriptionStatus::Cancelled
            })
            .ok_or_else(|| ApiError::not_found(format!("No subscription found for {domain}")))?,
    };
    let s = &mut world.subscriptions[index];
    match s.status {
        SubscriptionStatus::Cancelled => {
            return Err(ApiError::conflict("Subscription is already cancelled"))
        }
        SubscriptionStatus::Expired => {
            return Err(ApiError::unprocessable("Subscription has expired"))
        }
        _ => {}
    }
    s.status = SubscriptionStatus::Cancelled;
    s.auto_renew = false;
    s.renewing_since = None;
    let id = s.id.clone();
    let event = subscription_event(s);
    world.outbox.push(("subscription.cancelled", event));
    // The workspace is deleted: its mailboxes stop working.
    for m in world
        .mailboxes
        .iter_mut()
        .filter(|m| m.subscription_id.as_deref() == Some(id.as_str()))
    {
        m.status = MailboxStatus::Expired;
        m.provisioning_since = None;
    }
    Ok(Done::ok(
        "Subscription will be cancelled successfully",
        Value::Null,
    ))
}
