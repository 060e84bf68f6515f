//! `/orders/*`: domain + mailbox orders, mailbox-only orders, processing and status.
//!
//! A processed order debits the wallet at once and then moves PENDING → PROCESSING →
//! COMPLETED with time; its domains turn ACTIVE on completion and its mailboxes provision.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};
use time::OffsetDateTime;
use tokio::time::Instant;

use super::input::Input;
use crate::envelope::{money, ApiError, Done, Outcome};
use crate::state::{
    add_years, iso, DnsRec, DomainChange, DomainRec, MailboxRec, OrderPlan, OrderRec,
    SubscriptionRec, World, MAILBOX_PRICE, WARMUP_PRICE,
};
use cmr::types::{
    DomainStatus, MailboxStatus, OrderMailbox, OrderStatus, RecordType, ServiceProvider,
    SubscriptionStatus,
};

pub(crate) fn order_json(world: &World, o: &OrderRec) -> Value {
    let domains: Vec<Value> = if o.plan.domains.is_empty() {
        o.plan
            .mailboxes
            .keys()
            .map(|name| json!({ "domain": name, "years": 0, "status": domain_status(world, name) }))
            .collect()
    } else {
        o.plan
            .domains
            .iter()
            .map(|(name, years, _)| {
                json!({ "domain": name, "years": years, "status": domain_status(world, name) })
            })
            .collect()
    };
    let mailbox_count: usize = o.plan.mailboxes.values().map(Vec::len).sum();
    json!({
        "orderId": o.id,
        "userId": o.user_id,
        "status": o.status.as_str(),
        "creationTime": iso(o.created),
        "totalPrice": money(o.total),
        "serviceProvider": o.plan.provider.as_str(),
        "domains": domains,
        "mailboxCount": mailbox_count,
        "confirmed": o.processed,
    })
}

fn domain_status(world: &World, name: &str) -> Value {
    world
        .domain_named(name)
        .map_or(Value::Null, |d| json!(d.status.as_str()))
}

pub(crate) fn create(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    input.body_object()?;
    let items = input
        .body()
        .get("domains")
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
        .ok_or_else(|| ApiError::bad_request("domains must be a non-empty array"))?;
    let mut domains = Vec::new();
    for (n, item) in items.iter().enumerate() {
        let name = item
            .get("domain")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ApiError::bad_request(format!("domains[{n}].domain is required")))?;
        if !is_domain_name(&name) {
            return Err(ApiError::unprocessable(format!(
                "domains[{n}].domain is not a valid domain name"
            )));
        }
        let years = item
            .get("years")
            .and_then(Value::as_u64)
            .filter(|y| (1..=10).contains(y))
            .ok_or_else(|| {
                ApiError::unprocessable(format!("domains[{n}].years must be between 1 and 10"))
            })?;
        let forward_to = item
            .get("forwardTo")
            .and_then(Value::as_str)
            .map(str::to_owned);
        domains.push((name, u32::try_from(years).unwrap_or(1), forward_to));
    }
    let names: Vec<String> = domains.iter().map(|(n, _, _)| n.clone()).collect();
    let mailboxes = parse_mailboxes(input.body(), &names)?;
    let (provider, auto_renew, confirm) = order_options(input)?;

    // Registered anywhere already, or a name the sandbox treats as taken.
    let (available, unavailable): (Vec<_>, Vec<_>) = domains
        .into_iter()
        .partition(|(name, _, _)| world.domain_named(name).is_none() && !name.contains("taken"));
    let unavailable: Vec<String> = unavailable.into_iter().map(|(n, _, _)| n).collect();
    if available.is_empty() {
        return Err(
            ApiError::unprocessable("None of the requested domains are available")
                .with_data(json!({ "unavailableDomains": unavailable })),
        );
    }
    let mailboxes: BTreeMap<String, Vec<OrderMailbox>> = mailboxes
        .into_iter()
        .filter(|(domain, _)| available.iter().any(|(n, _, _)| n == domain))
        .collect();
    let total = available
        .iter()
        .map(|(name, years, _)| World::domain_price(name) * i64::from(*years))
        .sum::<i64>()
        + mailbox_cost(&mailboxes);
    let plan = OrderPlan {
        domains: available,
        mailboxes,
        subscription_id: None,
        provider,
        auto_renew,
    };
    let order_id = place_order(world, user_id, plan, total, confirm)?;
    let action = world.ids.action_id();
    let message = if confirm {
        "Order created and queued for processing"
    } else {
        "Order created; process it to start provisioning"
    };
    Ok(Done::ok(
        message,
        json!({ "orderId": order_id, "unavailableDomains": unavailable }),
    )
    .with_action(action))
}

pub(crate) fn create_mailbox_order(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    input.body_object()?;
    let (domain_name, subscription_id) =
        match (input.body_str("subscriptionId"), input.body_str("domainId")) {
            (Some(_), Some(_)) => {
                return Err(ApiError::bad_request(
                    "Provide either subscriptionId or domainId, not both",
                ))
            }
            (None, None) => {
                return Err(ApiError::bad_request("Provide subscriptionId or domainId"))
            }
            (Some(sub_id), None) => {
                let sub = world
                    .subscriptions
                    .iter()
                    .find(|s| s.id == sub_id && s.user_id == user_id)
                    .ok_or_else(|| ApiError::not_found("Subscription not found"))?;
                if sub.status != SubscriptionStatus::Active {
                    return Err(ApiError::unprocessable(format!(
                        "Subscription {sub_id} is {}; order with domainId to start a new one",
                        sub.status
                    )));
                }
                (sub.domain.clone(), Some(sub.id.clone()))
            }
            (None, Some(domain_id)) => {
                let domain = world
                    .domains
                    .iter()
                    .find(|d| d.id == domain_id && d.user_id == user_id)
                    .ok_or_else(|| ApiError::not_found("Domain not found"))?;
                if domain.status != DomainStatus::Active {
                    return Err(ApiError::unprocessable(format!(
                        "Domain {} is {}; mailboxes need an ACTIVE domain",
                        domain.name, domain.status
                    )));
                }
                let live = world.subscriptions.iter().any(|s| {
                    s.domain_id == domain.id
                        && matches!(
                            s.status,
                            SubscriptionStatus::Active
                                | SubscriptionStatus::Renewing
                                | SubscriptionStatus::PastDue
                        )
                });
                if live {
                    return Err(ApiError::conflict(
                        "Domain already has a subscription; order with its subscriptionId",
                    ));
                }
                (domain.name.clone(), None)
            }
        };
    let mailboxes = parse_mailboxes(input.body(), std::slice::from_ref(&domain_name))?;
    if mailboxes.is_empty() {
        return Err(ApiError::bad_request(
            "mailboxes must list at least one mailbox",
        ));
    }
    for mailbox in mailboxes.values().flatten() {
        let taken = world.mailboxes.iter().any(|m| {
            m.domain.eq_ignore_ascii_case(&domain_name)
                && m.user_name.eq_ignore_ascii_case(&mailbox.username)
        });
        if taken {
            return Err(ApiError::conflict(format!(
                "Mailbox {}@{domain_name} already exists",
                mailbox.username
            )));
        }
    }
    let (provider, auto_renew, confirm) = order_options(input)?;
    let total = mailbox_cost(&mailboxes);
    let plan = OrderPlan {
        domains: Vec::new(),
        mailboxes,
        subscription_id,
        provider,
        auto_renew,
    };
    let order_id = place_order(world, user_id, plan, total, confirm)?;
    let action = world.ids.action_id();
    Ok(Done::ok(
        "Mailbox order created and queued for processing",
        json!({ "orderId": order_id }),
    )
    .with_action(action))
}

pub(crate) fn process(world: &mut World, input: &Input) -> Outcome {
    let user_id = input.user(world)?.id.clone();
    let order_id = input.require_body_str("orderId")?;
    let index = world
        .orders
        .iter()
        .position(|o| o.id == order_id && o.user_id == user_id)
        .ok_or_else(|| ApiError::not_found("Order not found"))?;
    if world.orders[index].processed {
        return Err(ApiError::conflict("Order has already been processed"));
    }
    let total = world.orders[index].total;
    world
        .debit(total)
        .map_err(|available| ApiError::insufficient_balance(total, available))?;
    let plan = world.orders[index].plan.clone();
    materialize(world, &user_id, &plan);
    let order = &mut world.orders[index];
    order.processed = true;
    order.processing_since = Some(Instant::now());
    order.status = OrderStatus::Pending;
    let order_id = order.id.clone();
    let action = world.ids.action_id();
    Ok(Done::ok(
        "Order is being processed",
        json!({ "orderId": order_id, "status": "PENDING" }),
    )
    .with_action(action))
}

pub(crate) fn status(world: &mut World, input: &Input) -> Outcome {
    let order = find_order(world, input)?;
    Ok(Done::ok(
        "Order status fetched successfully",
        json!({ "orderId": order.id, "status": order.status.as_str() }),
    ))
}

pub(crate) fn details(world: &mut World, input: &Input) -> Outcome {
    let order = find_order(world, input)?;
    Ok(Done::ok(
        "Order details fetched successfully",
        order_json(world, order),
    ))
}

fn find_order<'w>(world: &'w World, input: &Input) -> Result<&'w OrderRec, ApiError> {
    let user_id = input.user(world)?.id.clone();
    let order_id = input.require_param("orderId")?;
    world
        .orders
        .iter()
        .find(|o| o.id == order_id && o.user_id == user_id)
        .ok_or_else(|| ApiError::not_found("Order not found"))
}

/// `serviceProvider` (default GOOGLE), `autoRenew` (default true), `confirm` (default false);
/// `billingCycle` must be MONTHLY when given.
fn order_options(input: &Input) -> Result<(ServiceProvider, bool, bool), ApiError> {
    if let Some(cycle) = input.body().get("billingCycle") {
        if cycle.as_str() != Some("MONTHLY") {
            return Err(ApiError::unprocessable("billingCycle must be MONTHLY"));
        }
    }
    let provider = match input.body_str("serviceProvider") {
        None => ServiceProvider::Google,
        Some(raw) => match ServiceProvider::parse(raw) {
            ServiceProvider::Other(_) => {
                return Err(ApiError::unprocessable(
                    "serviceProvider must be GOOGLE or MICROSOFT",
                ))
            }
            known => known,
        },
    };
    Ok((
        provider,
        input.body_bool("autoRenew").unwrap_or(true),
        input.body_bool("confirm").unwrap_or(false),
    ))
}

/// `mailboxes`: an object keyed by domain name (each one of `domains`) → mailbox list.
fn parse_mailboxes(
    body: &Value,
    domains: &[String],
) -> Result<BTreeMap<String, Vec<OrderMailbox>>, ApiError> {
    let map = match body.get("mailboxes") {
        None | Some(Value::Null) => return Ok(BTreeMap::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            return Err(ApiError::bad_request(
                "mailboxes must be an object keyed by domain name",
            ))
        }
    };
    let mut out = BTreeMap::new();
    for (domain, list) in map {
        let domain = domain.trim().to_ascii_lowercase();
        if !domains.iter().any(|d| d.eq_ignore_ascii_case(&domain)) {
            return Err(ApiError::unprocessable(format!(
                "mailboxes key {domain} is not one of the ordered domains"
            )));
        }
        let items = list.as_array().ok_or_else(|| {
            ApiError::bad_request(format!("mailboxes[{domain}] must be an array"))
        })?;
        let mut parsed = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let field = |key: &str| -> Result<String, ApiError> {
                item.get(key)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("mailboxes[{domain}][{n}].{key} is required"))
                    })
            };
            let username = field("username")?.to_ascii_lowercase();
            let local_ok = username
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !local_ok {
                return Err(ApiError::unprocessable(format!(
                    "mailboxes[{domain}][{n}].username may only contain letters, digits, '.', '_' and '-'"
                )));
            }
            parsed.push(OrderMailbox {
                username,
                first_name: field("firstName")?,
                last_name: field("lastName")?,
                profile_picture: item
                    .get("profilePicture")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                on_warmup: item.get("onWarmup").and_then(Value::as_bool),
            });
        }
        out.insert(domain, parsed);
    }
    Ok(out)
}

fn mailbox_cost(mailboxes: &BTreeMap<String, Vec<OrderMailbox>>) -> i64 {
    mailboxes
        .values()
        .flatten()
        .map(|m| {
            MAILBOX_PRICE
                + if m.on_warmup == Some(true) {
                    WARMUP_PRICE
                } else {
                    0
                }
        })
        .sum()
}

/// Records the order; with `confirm` it is paid and processed at once.
fn place_order(
    world: &mut World,
    user_id: String,
    plan: OrderPlan,
    total: i64,
    confirm: bool,
) -> Result<String, ApiError> {
    if confirm {
        world
            .debit(total)
            .map_err(|available| ApiError::insufficient_balance(total, available))?;
        materialize(world, &user_id, &plan);
    }
    let id = world.ids.cmr_id();
    world.orders.push(OrderRec {
        id: id.clone(),
        user_id,
        status: OrderStatus::Pending,
        created: OffsetDateTime::now_utc(),
        total,
        plan,
        processed: confirm,
        processing_since: confirm.then(Instant::now),
    });
    Ok(id)
}

/// Creates what a paid order provides: domains (PENDING until the order completes), one
/// subscription per domain unless adding to one, and provisioning mailboxes.
fn materialize(world: &mut World, user_id: &str, plan: &OrderPlan) {
    let now = Instant::now();
    let today = OffsetDateTime::now_utc();
    let ready_at = now + world.timings.order_step * 2;
    for (name, years, forward_to) in &plan.domains {
        let id = world.ids.cmr_id();
        world.domains.push(DomainRec {
            id: id.clone(),
            name: name.clone(),
            user_id: user_id.to_owned(),
            status: DomainStatus::Pending,
            created: today,
            expiry: add_years(today, *years),
            auto_renew: true,
            provider: plan.provider.clone(),
            purchase_type: "NEW",
            domain_forwarding: forward_to.clone(),
            email_forwarding: None,
            change: Some(DomainChange::Registering { ready_at }),
        });
        let mx = match plan.provider {
            ServiceProvider::Microsoft => {
                format!("{}.mail.protection.outlook.com", name.replace('.', "-"))
            }
            _ => "smtp.google.com".to_owned(),
        };
        for (host, value, record_type, priority) in [
            ("@", mx, RecordType::Mx, "1"),
            (
                "@",
                "v=spf1 include:_spf.google.com ~all".to_owned(),
                RecordType::Txt,
                "",
            ),
        ] {
            let record_id = world.ids.cmr_id();
            world.dns.push(DnsRec {
                id: record_id,
                domain_id: id.clone(),
                host: host.to_owned(),
                value,
                record_type,
                priority: priority.to_owned(),
                ttl: 3600,
                disabled: false,
            });
        }
    }
    for (domain_name, mailboxes) in &plan.mailboxes {
        let Some(domain_id) = world.domain_named(domain_name).map(|d| d.id.clone()) else {
            continue;
        };
        let subscription_id = match &plan.subscription_id {
            Some(id) => id.clone(),
            None => {
                let id = world.ids.cmr_id();
                world.subscriptions.push(SubscriptionRec {
                    id: id.clone(),
                    user_id: user_id.to_owned(),
                    domain_id: domain_id.clone(),
                    domain: domain_name.clone(),
                    status: SubscriptionStatus::Active,
                    price_per_mailbox: MAILBOX_PRICE,
                    period_start: today,
                    period_end: today + Duration::from_secs(30 * 86_400),
                    provider: plan.provider.clone(),
                    auto_renew: plan.auto_renew,
                    renewing_since: None,
                });
                id
            }
        };
        for m in mailboxes {
            let id = world.ids.cmr_id();
            world.mailboxes.push(MailboxRec {
                id,
                user_id: user_id.to_owned(),
                domain_id: domain_id.clone(),
                domain: domain_name.clone(),
                subscription_id: Some(subscription_id.clone()),
                user_name: m.username.clone(),
                first_name: m.first_name.clone(),
                last_name: m.last_name.clone(),
                profile_picture: m.profile_picture.clone(),
                status: MailboxStatus::InProgress,
                provider: plan.provider.clone(),
                on_warmup: m.on_warmup.unwrap_or(false),
                created: today,
                provisioning_since: Some(now),
            });
        }
    }
}

fn is_domain_name(name: &str) -> bool {
    let labels: Vec<&str> = name.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}
