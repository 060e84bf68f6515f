//! `/domains/*`. The renewal family takes `userId` in the body; `remove` in the query.

use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::time::Instant;

use super::input::Input;
use crate::envelope::{money_text, ApiError, Done, Outcome};
use crate::state::{iso, DomainChange, DomainRec, ForwardingAsked, ForwardingKind, World};
use cmr::types::{DomainStatus, MailboxStatus};

/// An ACTIVE domain may be renewed this many days before expiry (expiry day included).
const RENEWAL_WINDOW_DAYS: i64 = 45;
/// A domain in its grace period may be renewed until the end of this day after expiry.
const GRACE_DAYS: i64 = 7;

pub(crate) fn domain_json(d: &DomainRec) -> Value {
    json!({
        "domainId": d.id,
        "domainName": d.name,
        "userId": d.user_id,
        "status": d.status.as_str(),
        "creationTime": iso(d.created),
        "expiryDate": iso(d.expiry),
        "purchaseType": d.purchase_type,
        "serviceProvider": d.provider.as_str(),
        "autoRenew": d.auto_renew,
        "domainProtection": true,
        "domainForwarding": d.domain_forwarding.as_ref().map(|to| json!({ "forwardTo": to })),
        "emailForwarding": d.email_forwarding.as_ref().map(|to| json!({ "forwardTo": to })),
    })
}

/// Index of the user's domain `name`: 404 when no such domain, 403 when another user's.
pub(crate) fn owned_domain(world: &World, user_id: &str, name: &str) -> Result<usize, ApiError> {
    let index = world
        .domains
        .iter()
        .position(|d| d.name.eq_ignore_ascii_case(name.trim()))
        .ok_or_else(|| ApiError::not_found(format!("Domain {name} not found")))?;
    if world.domains[index].user_id != user_id {
        return Err(ApiError::forbidden(format!(
            "Domain {name} does not belong to this user"
        )));
    }
    Ok(index)
}

fn owned_domains(world: &World, input: &Input) -> Result<(String, Vec<usize>), ApiError> {
    let user_id = input.body_user(world)?.id.clone();
    let names = input.require_body_strings("domains")?;
    let indexes = names
        .iter()
        .map(|name| owned_domain(world, &user_id, name))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((user_id, indexes))
}

pub(crate) fn by_user(world: &mut World, input: &Input) -> Outcome {
    // CMR answers an unknown userId here with an empty list, not 404 (reference §4.3).
    let user_id = input.require_param("userId")?;
    let domains: Vec<Value> = world
        .domains
        .iter()
        .filter(|d| d.user_id == user_id)
        .map(domain_json)
        .collect();
    Ok(Done::ok(
        "Domains fetched successfully",
        json!({ "domains": domains }),
    ))
}

pub(crate) fn renewal_price(world: &mut World, input: &Input) -> Outcome {
    let (_, indexes) = owned_domains(world, input)?;
    let prices: Vec<Value> = indexes
        .iter()
        .map(|&i| {
            let d = &world.domains[i];
            json!({
                "domainName": d.name,
                "domainId": d.id,
                "years": 1,
                "renewalPrice": money_text(World::domain_price(&d.name)),
                "expireOn": iso(d.expiry),
                "autoRenew": d.auto_renew,
            })
        })
        .collect();
    Ok(Done::ok(
        "Domain renewal prices fetched successfully",
        Value::Array(prices),
    ))
}

pub(crate) fn renew(world: &mut World, input: &Input) -> Outcome {
    let (_, indexes) = owned_domains(world, input)?;
    let today = OffsetDateTime::now_utc().date();
    for &i in &indexes {
        let d = &world.domains[i];
        // Counted in UTC calendar days, as CMR's guide states the windows.
        let days_left = (d.expiry.date() - today).whole_days();
        match d.status {
            DomainStatus::GracePeriod if days_left >= -GRACE_DAYS => {}
            DomainStatus::Active if (0..=RENEWAL_WINDOW_DAYS).contains(&days_left) => {}
            DomainStatus::Active if days_left > RENEWAL_WINDOW_DAYS => {
                return Err(ApiError::unprocessable(format!(
                    "Domain {} is not within the 45-day renewal window",
                    d.name
                )))
            }
            DomainStatus::Expired | DomainStatus::GracePeriod | DomainStatus::Active => {
                return Err(ApiError::unprocessable(format!(
                    "Domain {} has expired and can no longer be renewed",
                    d.name
                )))
            }
            DomainStatus::Renewing => {
                return Err(ApiError::conflict(format!(
                    "Domain {} is already being renewed",
                    d.name
                )))
            }
            ref other => {
                return Err(ApiError::unprocessable(format!(
                    "Domain {} cannot be renewed while {other}",
                    d.name
                )))
            }
        }
    }
    let total: i64 = indexes
        .iter()
        .map(|&i| World::domain_price(&world.domains[i].name))
        .sum();
    world
        .debit(total)
        .map_err(|available| ApiError::insufficient_balance(total, available))?;
    let since = Instant::now();
    let mut queued = Vec::new();
    for &i in &indexes {
        let d = &mut world.domains[i];
        d.status = DomainStatus::Renewing;
        d.change = Some(DomainChange::Renewing { since, years: 1 });
        queued.push(json!({ "domainName": d.name, "domainId": d.id, "status": "RENEWING" }));
    }
    let action = world.ids.action_id();
    Ok(Done::ok("Domain renewal queued", json!({ "domains": queued })).with_action(action))
}

pub(crate) fn toggle_auto_renew(world: &mut World, input: &Input) -> Outcome {
    let (_, indexes) = owned_domains(world, input)?;
    let auto_renew = input
        .body_bool("autoRenew")
        .ok_or_else(|| ApiError::bad_request("autoRenew must be a boolean"))?;
    let mut changed = Vec::new();
    for &i in &indexes {
        let d = &mut world.domains[i];
        d.auto_renew = auto_renew;
        changed.push(json!({ "domainName": d.name, "domainId": d.id, "autoRenew": auto_renew }));
    }
    let n = changed.len();
    let message = format!(
        "Auto-renew toggled {} for {n} domain{}.",
        if auto_renew { "on" } else { "off" },
        if n == 1 { "" } else { "s" }
    );
    Ok(Done::ok(message, Value::Array(changed)))
}

pub(crate) fn domain_forwarding(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.body_user(world)?.id.clone();
    let index = owned_domain(world, &user_id, input.require_body_str("domain")?)?;
    let target = input.require_body_str("forwardTo")?.trim();
    if !(target.starts_with("https://") || target.starts_with("http://")) || target.contains(' ') {
        return Err(ApiError::unprocessable("forwardTo must be an http(s) URL"));
    }
    world.domains[index].forwarding_asked.push(ForwardingAsked {
        kind: ForwardingKind::Url,
        to: target.to_owned(),
        since: Instant::now(),
    });
    let action = world.ids.action_id();
    Ok(Done::ok("Domain forwarding will be updated shortly", Value::Null).with_action(action))
}

pub(crate) fn email_forwarding(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.body_user(world)?.id.clone();
    let index = owned_domain(world, &user_id, input.require_body_str("domain")?)?;
    let target = input.require_body_str("forwardTo")?.trim();
    if !target.contains('@') || target.contains(' ') {
        return Err(ApiError::unprocessable(
            "forwardTo must be an email address",
        ));
    }
    let domain_id = world.domains[index].id.clone();
    let not_ready = world
        .mailboxes
        .iter()
        .any(|m| m.domain_id == domain_id && m.status != MailboxStatus::Active);
    if not_ready {
        return Err(ApiError::unprocessable(format!(
            "All mailboxes of {} must be ACTIVE before adding email forwarding",
            world.domains[index].name
        )));
    }
    world.domains[index].forwarding_asked.push(ForwardingAsked {
        kind: ForwardingKind::Email,
        to: target.to_owned(),
        since: Instant::now(),
    });
    let action = world.ids.action_id();
    Ok(Done::ok("Email forwarding will be updated shortly", Value::Null).with_action(action))
}

pub(crate) fn remove(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    let names = input.require_body_strings("domains")?;
    let indexes = names
        .iter()
        .map(|name| owned_domain(world, &user_id, name))
        .collect::<Result<Vec<_>, _>>()?;
    let ids: Vec<String> = indexes
        .iter()
        .map(|&i| world.domains[i].id.clone())
        .collect();
    if let Some(busy) = ids
        .iter()
        .find(|id| world.mailboxes.iter().any(|m| &m.domain_id == *id))
    {
        let name = world
            .domains
            .iter()
            .find(|d| &d.id == busy)
            .map(|d| d.name.clone())
            .unwrap_or_default();
        return Err(ApiError::unprocessable(format!(
            "Domain {name} still has mailboxes; remove them first"
        )));
    }
    world.domains.retain(|d| !ids.contains(&d.id));
    world.dns.retain(|r| !ids.contains(&r.domain_id));
    world.subscriptions.retain(|s| !ids.contains(&s.domain_id));
    let action = world.ids.action_id();
    Ok(Done::ok(
        "Domains will be removed shortly",
        json!({ "domains": names }),
    )
    .with_action(action))
}
