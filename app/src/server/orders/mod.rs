//! Orders: CMR has no "list orders" call, so the dashboard records every order it places
//! (`store`) and lists those; preparing one (`prepare`: created at CMR unconfirmed, nothing
//! charged), confirming it (`confirm`: the paid call, once), and following it to CMR's final
//! word (`follow`: status with backoff, webhooks, the look-up of any order id).

mod confirm;
mod follow;
mod prepare;
pub mod store;

pub use confirm::{approve, confirm};
pub use follow::{follow, lookup, on_event};
pub use prepare::{form, prepare, MAILBOX_PRICE};

use super::errors::internal;
use super::AppState;
use crate::error::AppError;
use crate::model::money::Amount;
use crate::model::order::{
    OrderFilter, OrderKind, OrderList, OrderState, OrderTab, OrderView, Produced,
};
use crate::model::{Role, StaffView};
use cmr::types::Money;

/// Rows one CSV export holds at most.
pub const EXPORT_LIMIT: i64 = 10_000;

#[tracing::instrument(name = "order.list", skip_all)]
pub async fn list(
    state: &AppState,
    staff: &StaffView,
    filter: OrderFilter,
) -> Result<OrderList, AppError> {
    let db_error = |e| internal("order list", e);
    let (rows, total) = store::list(&state.db, &filter).await.map_err(db_error)?;
    let by_state = store::counts(&state.db).await.map_err(db_error)?;
    let counts = OrderTab::ALL
        .into_iter()
        .map(|tab| {
            let n = by_state
                .iter()
                .filter(|(s, _)| {
                    tab.states().is_none_or(|states| {
                        OrderState::parse(s).is_some_and(|s| states.contains(&s))
                    })
                })
                .map(|(_, n)| n)
                .sum();
            (tab, n)
        })
        .collect();
    Ok(OrderList {
        rows: rows.iter().map(store::Record::row).collect(),
        total,
        page: filter.page,
        page_size: store::PAGE_SIZE,
        counts,
        can_order: staff.role.allows(Role::Editor),
    })
}

/// The list as CSV, with the list's tab and search.
pub async fn export_csv(state: &AppState, filter: &OrderFilter) -> Result<String, AppError> {
    let rows = store::export(&state.db, filter, EXPORT_LIMIT)
        .await
        .map_err(|e| internal("order export", e))?;
    let date = |at: time::OffsetDateTime| {
        crate::model::date::date_of(crate::model::date::today(at.unix_timestamp()))
    };
    Ok(super::csv::document(
        [
            "created",
            "cmr_order_id",
            "customer_id",
            "customer",
            "order",
            "domains",
            "total",
            "currency",
            "status",
            "prepared_by",
        ],
        rows.iter().map(|r| {
            [
                date(r.created_at),
                r.cmr_order_id.clone(),
                r.customer_id.clone(),
                r.customer_label.clone(),
                r.summary.clone(),
                r.request.0.domains.join(" "),
                r.total_cents
                    .map(|c| Money::from_cents(c).to_string())
                    .unwrap_or_default(),
                r.currency.clone(),
                r.state().label().to_string(),
                r.prepared_name.clone().unwrap_or_default(),
            ]
        }),
    ))
}

/// An order's page: the record, its history, and what it produced as the index knows it.
#[tracing::instrument(name = "order.view", skip_all)]
pub async fn view(state: &AppState, staff: &StaffView, id: i64) -> Result<OrderView, AppError> {
    let db_error = |e| internal("order view", e);
    let order = store::get(&state.db, id)
        .await
        .map_err(db_error)?
        .ok_or(AppError::NotFound)?;
    let events = store::events(&state.db, id).await.map_err(db_error)?;
    let request = &order.request.0;
    let domain_names = request.domains.clone();
    let emails: Vec<String> = request
        .mailboxes
        .iter()
        .flat_map(|(domain, list)| list.iter().map(move |m| format!("{}@{domain}", m.username)))
        .collect();
    let indexed_domains = store::indexed_domains(&state.db, &domain_names)
        .await
        .map_err(db_error)?;
    let indexed_mailboxes = store::indexed_mailboxes(&state.db, &emails)
        .await
        .map_err(db_error)?;
    let domains = domain_names
        .iter()
        .map(|name| Produced {
            name: name.clone(),
            status: indexed_domains
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, s)| s.clone()),
            subscription_id: None,
        })
        .collect();
    let mailboxes = emails
        .iter()
        .map(|email| {
            let seen = indexed_mailboxes.iter().find(|(e, _, _)| e == email);
            Produced {
                name: email.clone(),
                status: seen.map(|(_, s, _)| s.clone()),
                subscription_id: seen.and_then(|(_, _, sub)| sub.clone()),
            }
        })
        .collect();
    let admin = staff.role.allows(Role::Admin);
    let currency = order.currency.clone();
    let can_confirm = admin && order.state() == OrderState::Prepared;
    let can_approve = admin
        && order.state() == OrderState::AwaitingApproval
        && order.confirmed_by != Some(staff.id);
    let balance = if can_confirm || can_approve {
        super::wallet::summary(state, super::reads::Freshness::Cached)
            .await
            .ok()
            .map(|w| w.balance)
    } else {
        None
    };
    Ok(OrderView {
        balance,
        can_confirm,
        can_approve,
        kind: request.kind,
        years: if request.kind == OrderKind::NewDomains {
            request.years
        } else {
            0
        },
        provider: request.provider.clone(),
        auto_renew: request.auto_renew,
        action_id: order.action_id.clone(),
        price_stated: order.price_stated,
        note: order.note.clone(),
        confirmed_by: order.confirmed_name.clone(),
        approved_by: order.approved_name.clone(),
        events,
        domains,
        mailboxes,
        approval_above: state
            .config
            .order_approval_above
            .map(|m| Amount::new(m, currency)),
        row: order.row(),
    })
}
