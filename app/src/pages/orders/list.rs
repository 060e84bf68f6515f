//! `/orders`: the orders the dashboard placed, by status tab, with search, pages and a CSV of
//! what is shown; and the look-up of any CMR order id (placed here or elsewhere).

use super::{list_orders, LookupOrder};
use crate::components::alert::ErrorAlert;
use crate::components::badge::StatusBadge;
use crate::components::loaded::Loaded;
use crate::components::money::Money;
use crate::components::pager::Pager;
use crate::components::relative_time::RelativeTime;
use crate::components::table::{Column, Row, Table, TableLoading};
use crate::location;
use crate::model::order::{OrderFilter, OrderList, OrderLookup, OrderState, OrderTab};
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

const COLUMNS: [Column; 6] = [
    Column::new("Order"),
    Column::new("Customer"),
    Column::new("What"),
    Column::new("Total"),
    Column::new("Status"),
    Column::new("Placed"),
];

/// The badge text of a state ("Outcome unknown").
pub fn state_badge(state: OrderState) -> impl IntoView {
    view! { <StatusBadge status=state.label() /> }
}

#[component]
pub fn OrdersPage() -> impl IntoView {
    let query = location::query();
    let filter = Memo::new(move |_| {
        let q = query.read();
        OrderFilter {
            tab: OrderTab::parse(&q.get("tab").unwrap_or_default()),
            q: q.get("q").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        }
    });
    let list = resource(move || filter.get(), list_orders);
    let export = move || format!("{}?{}", routes::ORDERS_EXPORT, filter.get().query_string());
    view! {
        <Title text="Orders" />
        <h1>"Orders"</h1>
        <p class="muted">
            "Orders placed from this dashboard. New orders start from a customer's profile."
        </p>
        <form method="get" action=routes::ORDERS class="card filters" role="search">
            <div class="field">
                <label for="orders-q">"Order id, customer or domain"</label>
                <input id="orders-q" name="q" type="search" maxlength="100"
                    value=move || filter.get().q autocomplete="off" />
            </div>
            <input type="hidden" name="tab" value=move || filter.get().tab.as_str() />
            <button type="submit" class="button-primary">"Search"</button>
            <a class="button-secondary" href=export download="">"Export CSV"</a>
        </form>
        <Loaded
            resource=list
            keep_previous=true
            fallback=|| view! { <TableLoading columns=COLUMNS.to_vec() rows=6 label="Loading orders…" /> }
            let:list
        >
            <OrderTable list filter=filter.get_untracked() />
        </Loaded>
        <Lookup />
    }
}

#[component]
fn OrderTable(list: OrderList, filter: OrderFilter) -> impl IntoView {
    let link = move |f: OrderFilter| {
        let query = f.query_string();
        if query.is_empty() {
            routes::ORDERS.to_string()
        } else {
            format!("{}?{query}", routes::ORDERS)
        }
    };
    let tabs = list
        .counts
        .iter()
        .map(|(tab, n)| {
            let href = link(OrderFilter {
                tab: *tab,
                q: filter.q.clone(),
                page: 1,
            });
            let current = (*tab == filter.tab).then_some("page");
            view! {
                <li><a href=href aria-current=current>{format!("{} ({n})", tab.label())}</a></li>
            }
        })
        .collect_view();
    let total_pages =
        u32::try_from((list.total + i64::from(list.page_size) - 1) / i64::from(list.page_size))
            .unwrap_or(1)
            .max(1);
    let page = list.page.max(1);
    let prev = (page > 1).then(|| {
        link(OrderFilter {
            page: page - 1,
            ..filter.clone()
        })
    });
    let next = (page < total_pages).then(|| {
        link(OrderFilter {
            page: page + 1,
            ..filter.clone()
        })
    });
    let rows = list
        .rows
        .into_iter()
        .map(|o| {
            Row::new(vec![
                view! { <a href=routes::order(o.id)>{o.cmr_order_id.clone().unwrap_or_else(|| format!("#{}", o.id))}</a> }.into_any(),
                view! { <a href=routes::customer(&o.customer_id)>{o.customer.clone()}</a> }.into_any(),
                o.summary.clone().into_any(),
                match o.total.clone() {
                    Some(total) => view! { <Money amount=total /> }.into_any(),
                    None => "not stated".into_any(),
                },
                state_badge(o.state).into_any(),
                view! { <RelativeTime at=o.created_at /> }.into_any(),
            ])
        })
        .collect();
    let empty = if filter.q.is_empty() && filter.tab == OrderTab::All {
        "No orders yet. Open a customer and choose “New order”."
    } else {
        "No order matches."
    };
    view! {
        <nav aria-label="Order status">
            <ul class="plain tabs">{tabs}</ul>
        </nav>
        <Table columns=COLUMNS.to_vec() rows empty />
        <Pager page total_pages=Some(total_pages) prev next />
    }
}

/// Any CMR order by id: CMR finds orders per customer, so the customer is asked too.
#[component]
fn Lookup() -> impl IntoView {
    let lookup = ServerAction::<LookupOrder>::new();
    let error = Signal::derive(move || lookup.value().get().and_then(|r| r.err()));
    let found = move || lookup.value().get().and_then(|r| r.ok());
    view! {
        <section class="card" aria-labelledby="lookup-heading">
            <h2 id="lookup-heading">"Look up any order"</h2>
            <p class="muted">"For orders placed elsewhere too: CMR is asked now."</p>
            <ActionForm action=lookup attr:class="filters">
                <div class="field">
                    <label for="lookup-order">"CMR order id"</label>
                    <input id="lookup-order" name="order_id" required maxlength="100" autocomplete="off" />
                </div>
                <div class="field">
                    <label for="lookup-customer">"Customer email or CMR user id"</label>
                    <input id="lookup-customer" name="customer" required maxlength="200" autocomplete="off" />
                </div>
                <button type="submit" class="button-primary" disabled=move || lookup.pending().get()>
                    {move || if lookup.pending().get() { "Asking CMR…" } else { "Look up" }}
                </button>
            </ActionForm>
            <ErrorAlert error />
            {move || found().map(|found| view! { <LookupResult found /> })}
        </section>
    }
}

#[component]
fn LookupResult(found: OrderLookup) -> impl IntoView {
    view! {
        <dl class="facts" aria-live="polite">
            <dt>"Order"</dt>
            <dd>
                {match found.local_id {
                    Some(id) => view! { <a href=routes::order(id)>{found.order_id.clone()}</a> }.into_any(),
                    None => found.order_id.clone().into_any(),
                }}
            </dd>
            <dt>"Status at CMR"</dt>
            <dd><StatusBadge status=found.status.clone() /></dd>
            <dt>"Customer"</dt>
            <dd><a href=routes::customer(&found.customer_id)>{found.customer_id.clone()}</a></dd>
            <dt>"Domains"</dt>
            <dd>{if found.domains.is_empty() { "—".to_string() } else { found.domains.join(", ") }}</dd>
            <dt>"Mailboxes"</dt>
            <dd>{found.mailbox_count}</dd>
            <dt>"Total"</dt>
            <dd>
                {match found.total.clone() {
                    Some(total) => view! { <Money amount=total /> }.into_any(),
                    None => "not stated".into_any(),
                }}
            </dd>
            {found.failure_reason.clone().map(|why| view! { <dt>"Why it failed"</dt> <dd>{why}</dd> })}
        </dl>
        {found.local_id.is_none().then(|| view! { <p class="muted">"Not placed from this dashboard."</p> })}
    }
}
