//! `GET /orders/status` and `GET /orders/details`, and an order as JSON (also for the control
//! handle).

use serde_json::{json, Value};

use crate::envelope::{money, ApiError, Done, Outcome};
use crate::routes::input::Input;
use crate::state::{iso, OrderRec, World};
use cmr::types::OrderStatus;

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
    // What the order creates, or would have created if it failed.
    let mailboxes: Vec<Value> = o
        .plan
        .mailboxes
        .iter()
        .flat_map(|(domain, list)| {
            list.iter().map(move |m| {
                json!({
                    "email": format!("{}@{domain}", m.username),
                    "firstName": m.first_name,
                    "lastName": m.last_name,
                    "domain": domain,
                })
            })
        })
        .collect();
    // Decided when processed, but only news once the order is FAILED.
    let failure_reason = o
        .failure
        .as_ref()
        .filter(|_| o.status == OrderStatus::Failed);
    json!({
        "orderId": o.id,
        "userId": o.user_id,
        "status": o.status.as_str(),
        "creationTime": iso(o.created),
        "totalPrice": money(o.total),
        "serviceProvider": o.plan.provider.as_str(),
        "domains": domains,
        "mailboxCount": mailbox_count,
        "mailboxes": mailboxes,
        "confirmed": o.processed,
        "failureReason": failure_reason,
    })
}

fn domain_status(world: &World, name: &str) -> Value {
    world
        .domain_named(name)
        .map_or(Value::Null, |d| json!(d.status.as_str()))
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
