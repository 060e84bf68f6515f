//! How a processed order ends: COMPLETED with its success webhooks, or FAILED as it was set
//! to (a new domain with a workspace, a domain marked by
//! [`SandboxControl::fail_domain_order`](super::SandboxControl::fail_domain_order)) with its
//! failure webhooks and the wallet refunded.
//!
//! Whether an order fails is decided when it is processed (paid); a failing order creates
//! nothing, so no domain, subscription or mailbox of it ever exists.

use serde_json::{json, Value};

use super::envelope::money;
use super::state::{iso, mailbox_price, DomainChange, OrderPlan, World};
use cmr::types::DomainStatus;

/// The reason CMR gives when a domain of the order already has a workspace (reference §4.3).
pub(crate) const WORKSPACE_FAILURE: &str = "Workspace validation failed";

type Outbox = Vec<(&'static str, Value)>;

/// Why an order processed now will fail, if it will: a domain marked by the control (its
/// reason), else a new domain that already has a workspace.
pub(crate) fn failure_of(world: &World, plan: &OrderPlan) -> Option<String> {
    let marked = plan
        .domains
        .iter()
        .map(|(name, _, _)| name)
        .chain(plan.mailboxes.keys())
        .find_map(|name| world.failing_domain_orders.get(&name.to_ascii_lowercase()));
    if let Some(reason) = marked {
        return Some(reason.clone());
    }
    // CMR validates workspaces while processing (reference §4.3); mailbox orders are on a
    // domain that has its workspace already.
    plan.domains
        .iter()
        .any(|(name, _, _)| world.has_workspace(name))
        .then(|| WORKSPACE_FAILURE.to_owned())
}

/// Called by `World::settle` once, when the order at `index` has just become COMPLETED or
/// FAILED.
pub(crate) fn finish(world: &mut World, index: usize, outbox: &mut Outbox) {
    let order = &world.orders[index];
    let (order_id, user_id, total) = (order.id.clone(), order.user_id.clone(), order.total);
    let (plan, failure) = (order.plan.clone(), order.failure.clone());
    let user_email = world
        .user(&user_id)
        .map_or(Value::Null, |u| json!(u.profile.email));
    let who = Who {
        order_id: &order_id,
        user_id: &user_id,
        user_email: &user_email,
    };
    match failure {
        Some(reason) => {
            // [I] CMR documents the debit, not what happens to it when the order fails: the
            // sandbox credits the whole total back, since nothing was registered or created.
            world.wallet += total;
            failed_events(&who, &plan, &reason, outbox);
        }
        None => {
            // The domains turn ACTIVE with the order even if the timings changed meanwhile,
            // so `domain.order.success` never describes a domain still PENDING.
            for domain in &mut world.domains {
                let ordered = plan
                    .domains
                    .iter()
                    .any(|(name, _, _)| domain.name.eq_ignore_ascii_case(name));
                if ordered
                    && domain.user_id == user_id
                    && matches!(domain.change, Some(DomainChange::Registering { .. }))
                {
                    domain.status = DomainStatus::Active;
                    domain.change = None;
                }
            }
            success_events(world, &who, &plan, outbox);
        }
    }
}

/// The order and customer every order event names.
struct Who<'a> {
    order_id: &'a str,
    user_id: &'a str,
    user_email: &'a Value,
}

/// One `domain.order.success` per new domain, then one `mailbox.order.success` per domain
/// that got mailboxes (reference §5.3's fields).
fn success_events(world: &World, who: &Who<'_>, plan: &OrderPlan, outbox: &mut Outbox) {
    for (name, years, _) in &plan.domains {
        // The newest of that name: the one this order registered.
        let Some(domain) = world
            .domains
            .iter()
            .rev()
            .find(|d| d.name.eq_ignore_ascii_case(name) && d.user_id == who.user_id)
        else {
            continue;
        };
        let price = World::domain_price(name) * i64::from(*years);
        outbox.push((
            "domain.order.success",
            json!({
                "userId": who.user_id,
                "userEmail": who.user_email,
                "orderId": who.order_id,
                "domainId": domain.id,
                "domainName": domain.name,
                "creationTime": iso(domain.created),
                "expiryDate": iso(domain.expiry),
                "price": money(price),
            }),
        ));
    }
    for (domain_name, planned) in &plan.mailboxes {
        let made: Vec<_> = world
            .mailboxes
            .iter()
            .filter(|m| {
                m.order_id.as_deref() == Some(who.order_id)
                    && m.domain.eq_ignore_ascii_case(domain_name)
            })
            .collect();
        let Some(first) = made.first() else {
            continue;
        };
        let period_end = first
            .subscription_id
            .as_ref()
            .and_then(|id| world.subscriptions.iter().find(|s| &s.id == id))
            .map(|s| iso(s.period_end));
        outbox.push((
            "mailbox.order.success",
            json!({
                "domainId": first.domain_id,
                "domainName": domain_name,
                "userId": who.user_id,
                "userEmail": who.user_email,
                "subscriptionId": first.subscription_id,
                "orderId": who.order_id,
                "workspaceType": plan.provider.as_str(),
                "creationTime": iso(first.created),
                "expiryDate": period_end,
                "price": money(planned.iter().map(mailbox_price).sum()),
                "quantity": made.len(),
            }),
        ));
    }
}

/// One `domain.order.failed` per domain of a domain order; one `mailbox.order.failed` for a
/// mailbox-only order (reference §5.3 documents only `reason`; the rest follows the success
/// events).
fn failed_events(who: &Who<'_>, plan: &OrderPlan, reason: &str, outbox: &mut Outbox) {
    if plan.domains.is_empty() {
        for domain_name in plan.mailboxes.keys() {
            outbox.push((
                "mailbox.order.failed",
                json!({
                    "userId": who.user_id,
                    "orderId": who.order_id,
                    "domainName": domain_name,
                    "reason": reason,
                }),
            ));
        }
        return;
    }
    for (name, _, _) in &plan.domains {
        outbox.push((
            "domain.order.failed",
            json!({
                "userId": who.user_id,
                "userEmail": who.user_email,
                "orderId": who.order_id,
                "domainName": name,
                "reason": reason,
            }),
        ));
    }
}
