//! Orders: the list of orders the dashboard placed (with the look-up of any CMR order id), an
//! order's page (confirmation, approval, status), and the new-order form. The server functions
//! are here; the pages are in the submodules.

mod detail;
mod list;
mod new;

pub use detail::OrderPage;
pub use list::OrdersPage;
pub use new::NewOrderPage;

use crate::error::AppError;
use crate::model::order::{
    ConfirmOutcome, OrderDraft, OrderFilter, OrderForm, OrderList, OrderLookup, OrderView,
};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{ctx, orders, require_role},
};

#[server(prefix = "/api", endpoint = "orders/list")]
pub async fn list_orders(filter: OrderFilter) -> Result<OrderList, AppError> {
    let staff = require_role(Role::Viewer).await?;
    orders::list(&ctx::state(), &staff, filter).await
}

#[server(prefix = "/api", endpoint = "orders/get")]
pub async fn get_order(id: i64) -> Result<OrderView, AppError> {
    let staff = require_role(Role::Viewer).await?;
    orders::view(&ctx::state(), &staff, id).await
}

/// The order page's polling: asks CMR when it is this order's turn (the backoff is shared by
/// every viewer and instance), else reads the database.
#[server(prefix = "/api", endpoint = "orders/status")]
pub async fn order_status(id: i64) -> Result<OrderView, AppError> {
    let staff = require_role(Role::Viewer).await?;
    let state = ctx::state();
    orders::follow(&state, id, false).await?;
    orders::view(&state, &staff, id).await
}

/// "Check status now": asks CMR at once (at most every two seconds per order).
#[server(prefix = "/api", endpoint = "orders/check")]
pub async fn check_order(id: i64) -> Result<OrderView, AppError> {
    let staff = require_role(Role::Viewer).await?;
    let state = ctx::state();
    orders::follow(&state, id, true).await?;
    orders::view(&state, &staff, id).await
}

#[server(prefix = "/api", endpoint = "orders/form")]
pub async fn new_order_form(customer_id: String) -> Result<OrderForm, AppError> {
    let staff = require_role(Role::Editor).await?;
    orders::form(&ctx::state(), &staff, &customer_id).await
}

/// Prepares an order (CMR creates it unconfirmed: nothing is charged). JSON: the mailbox
/// lines are a list of records.
#[server(prefix = "/api", endpoint = "orders/prepare", input = server_fn::codec::Json)]
pub async fn prepare_order(draft: OrderDraft) -> Result<i64, AppError> {
    let staff = require_role(Role::Editor).await?;
    orders::prepare(&ctx::state(), &staff, draft).await
}

/// Pays for the order (admins only), for the total the page named.
#[server(prefix = "/api", endpoint = "orders/confirm")]
pub async fn confirm_order(id: i64, total_cents: i64) -> Result<ConfirmOutcome, AppError> {
    let staff = require_role(Role::Admin).await?;
    orders::confirm(&ctx::state(), &staff, id, total_cents).await
}

/// A second admin approves an order above the approval limit: it is sent.
#[server(prefix = "/api", endpoint = "orders/approve")]
pub async fn approve_order(id: i64, total_cents: i64) -> Result<ConfirmOutcome, AppError> {
    let staff = require_role(Role::Admin).await?;
    orders::approve(&ctx::state(), &staff, id, total_cents).await
}

/// Any CMR order by id, for the customer who placed it.
#[server(prefix = "/api", endpoint = "orders/lookup")]
pub async fn lookup_order(customer: String, order_id: String) -> Result<OrderLookup, AppError> {
    require_role(Role::Viewer).await?;
    orders::lookup(&ctx::state(), &customer, &order_id).await
}
