//! Preparing an order: everything is checked before CMR hears of it (the names, the customer's
//! domain and its subscription for more mailboxes, the workspace check for new domains, the
//! wallet against what is known of the price), then CMR creates the order **unconfirmed**
//! (`confirm: false`: nothing is charged) under the form's idempotency key, and its price is
//! read back for the confirmation.

use super::store::{self, NewRecord};
use crate::error::AppError;
use crate::model::money::Amount;
use crate::model::order::{CheckedOrder, OrderDraft, OrderForm, OrderKind};
use crate::model::{Role, StaffView};
use crate::server::audit::{Change, Target};
use crate::server::customers::{read_domains, read_mailboxes, read_user, user_subscriptions};
use crate::server::db::idempotency::Finish;
use crate::server::errors::internal;
use crate::server::index::store as index;
use crate::server::mutation::{self, audited, Attempt};
use crate::server::reads::Freshness;
use crate::server::{wallet, AppState};
use cmr::types::{
    BillingCycle, DomainStatus, MailboxOrder, MailboxOrderTarget, MailboxesByDomain, NewOrder,
    OrderDomain, OrderMailbox, ServiceProvider, SubscriptionStatus, WorkspaceQuery,
};
use cmr::CmrError;
use serde_json::json;

const ACTION: &str = "order.create";

/// CMR's documented mailbox price per month (reference §6): the estimate when CMR states no
/// price for an order, and the part of a price known before CMR is asked.
pub const MAILBOX_PRICE: cmr::types::Money = cmr::types::Money::from_cents(300);

/// The form's starting point.
#[tracing::instrument(name = "order.form", skip_all)]
pub async fn form(
    state: &AppState,
    staff: &StaffView,
    customer_id: &str,
) -> Result<OrderForm, AppError> {
    let (user, domains, wallet) = tokio::join!(
        read_user(state, customer_id, Freshness::Cached),
        read_domains(state, customer_id, Freshness::Cached),
        wallet::summary(state, Freshness::Cached),
    );
    let user = user?.value;
    let mut names: Vec<String> = domains?
        .value
        .into_iter()
        .filter(|d| d.status == DomainStatus::Active)
        .map(|d| d.domain_name.to_ascii_lowercase())
        .collect();
    names.sort();
    let balance = wallet.ok().map(|w| w.balance);
    let currency = balance
        .as_ref()
        .map_or("USD".to_string(), |b| b.currency.clone());
    Ok(OrderForm {
        customer: label(&user),
        customer_id: user.id,
        domains: names,
        balance,
        mailbox_price: Amount::new(MAILBOX_PRICE, currency),
        can_order: staff.role.allows(Role::Editor),
    })
}

fn label(user: &cmr::types::User) -> String {
    let name = user.profile.full_name();
    match (name.trim().is_empty(), user.profile.email.is_empty()) {
        (false, false) => format!("{name} <{}>", user.profile.email),
        (true, false) => user.profile.email.clone(),
        _ => name,
    }
}

fn mailboxes_of(order: &CheckedOrder) -> MailboxesByDomain {
    order
        .mailboxes
        .iter()
        .map(|(domain, list)| {
            let list = list
                .iter()
                .map(|m| OrderMailbox {
                    username: m.username.clone(),
                    first_name: m.first_name.clone(),
                    last_name: m.last_name.clone(),
                    profile_picture: None,
                    on_warmup: None,
                })
                .collect();
            (domain.clone(), list)
        })
        .collect()
}

/// Where more mailboxes go: the domain's live subscription, or the domain itself when its
/// last subscription ended (CMR then starts a new one). Read live; names already in use on
/// the domain are refused here rather than by CMR.
async fn mailbox_target(
    state: &AppState,
    customer_id: &str,
    order: &CheckedOrder,
) -> Result<MailboxOrderTarget, AppError> {
    let name = &order.domains[0];
    let (domains, subscriptions, mailboxes) = tokio::join!(
        read_domains(state, customer_id, Freshness::Live),
        user_subscriptions(state, customer_id, Freshness::Live),
        read_mailboxes(state, customer_id, Freshness::Live),
    );
    let domain = domains?
        .value
        .into_iter()
        .find(|d| d.domain_name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            AppError::invalid(
                "existing_domain",
                format!("The customer has no domain {name}."),
            )
        })?;
    if domain.status != DomainStatus::Active {
        return Err(AppError::invalid(
            "existing_domain",
            format!(
                "{name} is {}: mailboxes need an active domain.",
                domain.status
            ),
        ));
    }
    let taken: Vec<String> = mailboxes?
        .value
        .iter()
        .filter(|m| m.domain.eq_ignore_ascii_case(name))
        .filter(|m| {
            order.mailboxes[name]
                .iter()
                .any(|d| m.user_name.eq_ignore_ascii_case(&d.username))
        })
        .map(|m| m.email.clone())
        .collect();
    if !taken.is_empty() {
        return Err(AppError::invalid(
            "mailboxes",
            format!("Already in use: {}.", taken.join(", ")),
        ));
    }
    let subscriptions = subscriptions?;
    let on_domain = subscriptions
        .iter()
        .filter(|s| s.domain.eq_ignore_ascii_case(name));
    let mut target = MailboxOrderTarget::Domain(domain.domain_id.clone());
    for s in on_domain {
        match s.subscription_status {
            SubscriptionStatus::Active => {
                target = MailboxOrderTarget::Subscription(s.subscription_id.clone());
                break;
            }
            SubscriptionStatus::Renewing | SubscriptionStatus::PastDue => {
                return Err(AppError::Rejected(format!(
                    "{name}'s subscription is {}: add mailboxes once it is active again.",
                    s.subscription_status
                )))
            }
            _ => {}
        }
    }
    Ok(target)
}

/// New domains must not be registered already (in the partner index) nor have a Google or
/// Microsoft workspace (CMR's check; a check that failed or timed out is a "no").
async fn check_new_domains(state: &AppState, order: &CheckedOrder) -> Result<(), AppError> {
    for name in &order.domains {
        let owner = index::owner_of_domain(&state.db, name)
            .await
            .map_err(|e| internal("order domain owner", e))?;
        if owner.is_some() {
            return Err(AppError::invalid(
                "domains",
                format!("{name} is already registered through this partner."),
            ));
        }
    }
    let provider = ServiceProvider::parse(&order.provider);
    let queries: Vec<WorkspaceQuery> = order
        .domains
        .iter()
        .map(|name| WorkspaceQuery {
            domain_name: name.clone(),
            service_provider: Some(provider.clone()),
        })
        .collect();
    let checks = state.cmr.check_workspaces(&queries).await?.data;
    let mut blocked = Vec::new();
    for name in &order.domains {
        match checks
            .iter()
            .find(|c| c.domain_name.eq_ignore_ascii_case(name))
        {
            Some(check) if check.is_clear() => {}
            Some(check) => blocked.push(format!(
                "{name} ({})",
                check.error.as_deref().unwrap_or("workspace check failed")
            )),
            None => blocked.push(format!("{name} (CMR did not check it)")),
        }
    }
    if blocked.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid(
            "domains",
            format!(
                "The workspace check did not pass for {}. CMR would fail the order; remove them \
                 or ask the customer to delete the existing workspace first.",
                blocked.join(", ")
            ),
        ))
    }
}

/// The part of the price known before CMR is asked (its documented mailbox price) must fit in
/// the wallet: otherwise nothing is sent at all.
async fn check_wallet(state: &AppState, order: &CheckedOrder) -> Result<(), AppError> {
    let wallet = wallet::summary(state, Freshness::Live).await?;
    let mailboxes = i64::try_from(order.mailbox_count()).unwrap_or(i64::MAX);
    let known = MAILBOX_PRICE
        .checked_mul(mailboxes)
        .ok_or_else(|| internal("order estimate", "overflow"))?;
    let known = Amount::new(known, wallet.balance.currency.clone());
    match wallet.balance.minus(&known) {
        Some(after) if !after.value.is_negative() => Ok(()),
        _ => Err(AppError::Rejected(format!(
            "The wallet holds {}, and {} mailboxes alone cost {known} a month. Top up the \
             wallet first; nothing was sent to CMR.",
            wallet.balance,
            order.mailbox_count()
        ))),
    }
}

/// Prepares the order: see the module's notes. Returns the dashboard's order id (the same one
/// again for a repeat of the same form).
#[tracing::instrument(name = "order.prepare", skip_all)]
pub async fn prepare(
    state: &AppState,
    staff: &StaffView,
    draft: OrderDraft,
) -> Result<i64, AppError> {
    let order = draft.check().map_err(AppError::Invalid)?;
    let customer_id = draft.customer_id.trim();
    let key = draft.idempotency_key.as_str();
    // A repeat of a form that already created its order goes to that order.
    if let Some(id) = store::by_key(&state.db, key)
        .await
        .map_err(|e| internal("order by key", e))?
    {
        return Ok(id);
    }
    let user = read_user(state, customer_id, Freshness::Cached)
        .await?
        .value;
    check_wallet(state, &order).await?;
    let target = match order.kind {
        OrderKind::NewDomains => {
            check_new_domains(state, &order).await?;
            None
        }
        OrderKind::MoreMailboxes => Some(mailbox_target(state, customer_id, &order).await?),
    };
    let claimed = json!({ "customer": customer_id, "order": order });
    if let Some(done) = mutation::claim_key(state, staff, key, ACTION, &claimed).await? {
        return done
            .get("order")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| internal("order replay", "no order id"));
    }
    let result = send(state, customer_id, &order, target).await;
    let attempt = Attempt {
        staff,
        action: ACTION,
        target: Target::Customer(customer_id),
        changes: vec![
            Change::new("order", serde_json::Value::Null, order.summary()),
            Change::new("confirmed", serde_json::Value::Null, false),
        ],
    };
    let reply = match audited(state, attempt, result).await {
        Ok(reply) => reply,
        Err(err) => {
            let finish = if matches!(err, AppError::OutcomeUnknown(_)) {
                Finish::Unknown
            } else {
                Finish::Failed
            };
            mutation::finish_key(state, key, finish).await;
            return Err(match err {
                AppError::OutcomeUnknown(_) => AppError::OutcomeUnknown(
                    "CMR did not confirm that it created the order. Nothing was charged: an \
                     order is only paid when it is confirmed. Prepare it again with a new form \
                     if it does not appear."
                        .into(),
                ),
                other => other,
            });
        }
    };
    let created = reply.data;
    let (total, price_stated) = price(state, customer_id, &created.order_id, &order).await;
    let note = (!created.unavailable_domains.is_empty()).then(|| {
        format!(
            "CMR left out unavailable domains: {}.",
            created.unavailable_domains.join(", ")
        )
    });
    let new = NewRecord {
        key,
        customer_id,
        customer_label: &label(&user),
        order: &order,
        total: total.as_ref(),
        currency: total.as_ref().map_or("USD", |t| t.currency.as_str()),
        price_stated,
        cmr_order_id: &created.order_id,
        action_id: reply.action_id.as_deref(),
        prepared_by: staff.id,
        note,
    };
    let id = store::insert(&state.db, new, state.clock.now())
        .await
        .map_err(|e| internal("order insert", e))?;
    mutation::finish_key(state, key, Finish::Done(json!({ "order": id }))).await;
    Ok(id)
}

/// The one CMR call that creates the order, unconfirmed.
async fn send(
    state: &AppState,
    customer_id: &str,
    order: &CheckedOrder,
    target: Option<MailboxOrderTarget>,
) -> Result<cmr::types::Reply<cmr::types::OrderCreated>, CmrError> {
    let auto_renew = Some(order.auto_renew);
    match target {
        None => {
            let body = NewOrder {
                domains: order
                    .domains
                    .iter()
                    .map(|name| OrderDomain {
                        domain: name.clone(),
                        years: order.years,
                        forward_to: None,
                    })
                    .collect(),
                mailboxes: mailboxes_of(order),
                billing_cycle: BillingCycle::Monthly,
                confirm: false,
                service_provider: ServiceProvider::parse(&order.provider),
                microsoft_oauth_route: None,
                google: None,
                auto_renew,
            };
            state.cmr.create_order(customer_id, &body).await
        }
        Some(target) => {
            let body = MailboxOrder {
                target,
                billing_cycle: BillingCycle::Monthly,
                mailboxes: mailboxes_of(order),
                confirm: false,
                auto_renew,
            };
            state.cmr.order_mailboxes(customer_id, &body).await
        }
    }
}

/// CMR's price for the created order (its details), or else the dashboard's estimate from the
/// documented mailbox price when there are no domains to price; `None` when neither is known.
async fn price(
    state: &AppState,
    customer_id: &str,
    order_id: &str,
    order: &CheckedOrder,
) -> (Option<Amount>, bool) {
    let currency = wallet::summary(state, Freshness::Cached)
        .await
        .map_or("USD".to_string(), |w| w.balance.currency);
    if let Ok(details) = state.cmr.order_details(customer_id, order_id).await {
        if let Some(total) = details.data.total_price {
            return (Some(Amount::new(total, currency)), true);
        }
    }
    let estimate = (order.kind == OrderKind::MoreMailboxes)
        .then(|| MAILBOX_PRICE.checked_mul(i64::try_from(order.mailbox_count()).ok()?))
        .flatten()
        .map(|m| Amount::new(m, currency));
    (estimate, false)
}
