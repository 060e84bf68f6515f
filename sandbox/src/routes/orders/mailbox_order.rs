//! `POST /orders/create-mailbox-order/json`: mailboxes on a domain the user already has, added
//! to its live subscription or starting a new one.

use serde_json::json;

use super::body::{order_options, parse_mailboxes};
use super::pricing::mailbox_cost;
use super::processing::place_order;
use crate::envelope::{ApiError, Done, Outcome};
use crate::routes::input::Input;
use crate::state::{OrderPlan, World};
use cmr::types::{DomainStatus, SubscriptionStatus};

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
