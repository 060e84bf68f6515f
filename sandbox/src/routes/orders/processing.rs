//! Paying for an order and creating what it provides: at once with `confirm`, or later through
//! `POST /orders/process`. An order set to fail is paid like any other but creates nothing
//! (`order_outcome`).

use std::time::Duration;

use serde_json::json;
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::envelope::{ApiError, Done, Outcome};
use crate::order_outcome::failure_of;
use crate::routes::input::Input;
use crate::state::{
    add_years, DnsRec, DomainChange, DomainRec, MailboxRec, OrderPlan, OrderRec, SubscriptionRec,
    World, MAILBOX_PRICE,
};
use cmr::types::{
    DomainStatus, MailboxStatus, OrderStatus, RecordType, ServiceProvider, SubscriptionStatus,
};

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
    let order_id = world.orders[index].id.clone();
    let now = Instant::now();
    let failure = start(world, &user_id, &order_id, &plan, now);
    let order = &mut world.orders[index];
    order.processed = true;
    order.processing_since = Some(now);
    order.status = OrderStatus::Pending;
    order.failure = failure;
    let action = world.ids.action_id();
    Ok(Done::ok(
        "Order is being processed",
        json!({ "orderId": order_id, "status": "PENDING" }),
    )
    .with_action(action))
}

/// Records the order; with `confirm` it is paid and processed at once.
pub(super) fn place_order(
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
    }
    let id = world.ids.cmr_id();
    let now = Instant::now();
    let failure = if confirm {
        start(world, &user_id, &id, &plan, now)
    } else {
        None
    };
    world.orders.push(OrderRec {
        id: id.clone(),
        user_id,
        status: OrderStatus::Pending,
        created: OffsetDateTime::now_utc(),
        total,
        plan,
        processed: confirm,
        processing_since: confirm.then_some(now),
        failure,
    });
    Ok(id)
}

/// Starts a paid order: decides whether it will fail, and creates what it provides unless
/// it will (so a failed order's domains, subscriptions and mailboxes never exist).
fn start(
    world: &mut World,
    user_id: &str,
    order_id: &str,
    plan: &OrderPlan,
    now: Instant,
) -> Option<String> {
    let failure = failure_of(world, plan);
    if failure.is_none() {
        materialize(world, user_id, order_id, plan, now);
    }
    failure
}

/// Creates what a paid order provides: domains (PENDING until the order completes), one
/// subscription per domain unless adding to one, and provisioning mailboxes. `now` is the
/// order's processing start, so its domains and mailboxes move in step with it.
fn materialize(world: &mut World, user_id: &str, order_id: &str, plan: &OrderPlan, now: Instant) {
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
            forwarding_asked: Vec::new(),
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
                order_id: Some(order_id.to_owned()),
                pending_update: None,
            });
        }
    }
}
