//! `POST /orders/json`: new domains, optionally with mailboxes on them.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::body::{order_options, parse_mailboxes};
use super::pricing::mailbox_cost;
use super::processing::place_order;
use crate::envelope::{ApiError, Done, Outcome};
use crate::routes::input::Input;
use crate::state::{OrderPlan, World};
use cmr::types::OrderMailbox;

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
