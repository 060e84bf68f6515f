//! `/orders/:id`: what was ordered, its price and who prepared, confirmed and approved it; the
//! confirmation (admins) that pays for it; then its status, asked of CMR with backoff until
//! CMR has the final word, with what it produced.

use super::list::state_badge;
use super::{check_order, get_order, order_status, ApproveOrder, ConfirmOrder};
use crate::components::alert::{Alert, ErrorAlert};
use crate::components::badge::StatusBadge;
use crate::components::confirm::PaidConfirm;
use crate::components::loaded::Loaded;
use crate::components::money::Money;
use crate::components::relative_time::RelativeTime;
use crate::error::AppError;
use crate::location;
use crate::model::order::{ConfirmOutcome, OrderKind, OrderState, OrderView, Produced};
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

/// How often an open order page asks again (the server asks CMR only on the order's turn).
const POLL: std::time::Duration = std::time::Duration::from_secs(3);

#[component]
pub fn OrderPage() -> impl IntoView {
    let params = location::params();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
            .unwrap_or(0)
    });
    let order = resource(move || id.get(), get_order);
    view! {
        <Loaded
            resource=order
            loading="Loading the order…"
            heading="Order"
            after_error=|| view! { <a href=routes::ORDERS>"Back to the orders"</a> }
            let:order
        >
            <LiveOrder first=order />
        </Loaded>
    }
}

/// The order, asked again every few seconds while CMR is still working on it.
#[component]
fn LiveOrder(first: OrderView) -> impl IntoView {
    let id = first.row.id;
    let current = RwSignal::new(first);
    let checking = RwSignal::new(false);
    let check_error = RwSignal::new(None::<AppError>);
    let refresh = move |forced: bool| {
        if checking.get_untracked() {
            return;
        }
        checking.set(true);
        leptos::task::spawn_local(async move {
            let answer = if forced {
                check_order(id).await
            } else {
                order_status(id).await
            };
            match answer {
                Ok(view) => {
                    current.set(view);
                    check_error.set(None);
                }
                Err(err) if forced => check_error.set(Some(err)),
                Err(_) => {}
            }
            checking.set(false);
        });
    };
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || {
                if !current.with_untracked(|o| o.row.state.is_final()) {
                    refresh(false);
                }
            },
            POLL,
        )
        .ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
    view! {
        {move || {
            let order = current.get();
            let title = format!("Order {}", order.row.cmr_order_id.clone().unwrap_or_default());
            view! {
                <Title text=title.clone() />
                <h1>{title} " " {state_badge(order.row.state)}</h1>
            }
        }}
        {move || current.get().row.state.eq(&OrderState::Unknown).then(|| view! {
            <Alert
                text="Outcome unknown: the order was sent to CMR, but its answer was lost. It is never sent again. CMR's status settles it: check its status below."
                warning=true
            />
        })}
        {move || view! { <Facts order=current.get() /> }}
        {move || {
            let order = current.get();
            (order.can_confirm || order.can_approve)
                .then(|| view! { <Confirm order on_done=Callback::new(move |()| refresh(true)) /> })
        }}
        {move || {
            let order = current.get();
            (order.row.state == OrderState::Prepared && !order.can_confirm).then(|| view! {
                <p class="muted">"Prepared: nothing is charged until an admin confirms it."</p>
            })
        }}
        {move || {
            let order = current.get();
            (order.row.state == OrderState::AwaitingApproval && !order.can_approve).then(|| view! {
                <p class="muted">"Confirmed above the approval limit: waits for a second admin's approval."</p>
            })
        }}
        <section class="card" aria-labelledby="status-heading">
            <h2 id="status-heading">"Status"</h2>
            <p aria-live="polite">
                {move || {
                    let state = current.get().row.state;
                    if state.is_final() {
                        format!("{}: CMR has the final word.", state.label())
                    } else if state.is_followed() {
                        format!("{}: asked of CMR every few seconds until it is done.", state.label())
                    } else {
                        format!("{}.", state.label())
                    }
                }}
            </p>
            {move || current.get().row.state.is_followed().then(|| view! {
                <button type="button" class="button-secondary"
                    disabled=move || checking.get()
                    on:click=move |_| refresh(true)>
                    {move || if checking.get() { "Asking CMR…" } else { "Check status now" }}
                </button>
            })}
            <ErrorAlert error=Signal::derive(move || check_error.get()) />
            {move || view! { <Produced order=current.get() /> }}
        </section>
        {move || view! { <Events order=current.get() /> }}
    }
}

#[component]
fn Facts(order: OrderView) -> impl IntoView {
    let row = order.row;
    view! {
        <section class="card" aria-labelledby="order-heading">
            <h2 id="order-heading">"What was ordered"</h2>
            <dl class="facts">
                <dt>"Customer"</dt>
                <dd><a href=routes::customer(&row.customer_id)>{row.customer.clone()}</a></dd>
                <dt>"Order"</dt>
                <dd>{row.summary.clone()}</dd>
                {(order.kind == OrderKind::NewDomains).then(|| view! {
                    <dt>"Registration"</dt>
                    <dd>{format!("{} year{}", order.years, if order.years == 1 { "" } else { "s" })}</dd>
                })}
                <dt>"Workspace"</dt>
                <dd>{if order.provider == "MICROSOFT" { "Microsoft 365" } else { "Google Workspace" }}</dd>
                <dt>"Mailbox auto-renew"</dt>
                <dd>{if order.auto_renew { "on" } else { "off" }}</dd>
                <dt>"Total"</dt>
                <dd>
                    {match row.total.clone() {
                        Some(total) => view! {
                            <Money amount=total />
                            {(!order.price_stated).then_some(" (estimate from CMR's list price: CMR stated none)")}
                        }.into_any(),
                        None => "not stated by CMR".into_any(),
                    }}
                </dd>
                <dt>"Prepared"</dt>
                <dd><RelativeTime at=row.created_at /> {format!(" by {}", row.prepared_by)}</dd>
                {order.confirmed_by.clone().map(|who| view! { <dt>"Confirmed by"</dt> <dd>{who}</dd> })}
                {order.approved_by.clone().map(|who| view! { <dt>"Approved by"</dt> <dd>{who}</dd> })}
                {order.action_id.clone().map(|a| view! { <dt>"CMR action id"</dt> <dd><code>{a}</code></dd> })}
                {order.note.clone().map(|note| view! { <dt>"Note"</dt> <dd>{note}</dd> })}
            </dl>
        </section>
    }
}

/// The paid step: an admin confirms (or a second admin approves) for the total shown.
#[component]
fn Confirm(order: OrderView, on_done: Callback<()>) -> impl IntoView {
    let confirm = ServerAction::<ConfirmOrder>::new();
    let approve = ServerAction::<ApproveOrder>::new();
    let approving = order.can_approve;
    let asking = RwSignal::new(false);
    let id = order.row.id;
    let total = order.row.total.clone();
    let total_cents = total.as_ref().map_or(0, |t| t.value.cents());
    let error = Signal::derive(move || {
        let result = if approving {
            approve.value().get()
        } else {
            confirm.value().get()
        };
        result.and_then(|r| r.err())
    });
    let pending = Signal::derive(move || confirm.pending().get() || approve.pending().get());
    Effect::new(move |_| {
        let done = if approving {
            approve.value().get()
        } else {
            confirm.value().get()
        };
        if let Some(done) = done {
            asking.set(false);
            if matches!(
                done,
                Ok(ConfirmOutcome::Sent | ConfirmOutcome::AwaitingApproval) | Err(_)
            ) {
                on_done.run(());
            }
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // One click, one request: the server refuses a repeat anyway.
        if pending.get_untracked() {
            return;
        }
        if approving {
            approve.dispatch(ApproveOrder { id, total_cents });
        } else {
            confirm.dispatch(ConfirmOrder { id, total_cents });
        }
    };
    let over_limit = match (&order.approval_above, &total) {
        (Some(limit), Some(total)) if !approving && total.value > limit.value => Some(format!(
            "This order is above the approval limit of {limit}: after you confirm, a second admin must approve it before it is sent."
        )),
        _ => None,
    };
    let button = if approving {
        "Approve and pay"
    } else {
        "Confirm and pay"
    };
    let (price, balance) = (total.clone(), order.balance.clone());
    view! {
        <form on:submit=submit class="card" aria-labelledby="confirm-heading">
            <h2 id="confirm-heading">{if approving { "Approve this order" } else { "Confirm this order" }}</h2>
            {over_limit.map(|text| view! { <Alert text warning=true /> })}
            <ErrorAlert error />
            {match (price, balance) {
                (Some(price), Some(balance)) => view! {
                    {move || if asking.get() {
                        view! {
                            <PaidConfirm
                                id="order"
                                price=price.clone()
                                balance=balance.clone()
                                action=button
                                pending
                                on_cancel=move |()| asking.set(false)
                            />
                        }.into_any()
                    } else {
                        let label = format!("{button} {}…", price);
                        view! {
                            <div class="form-actions">
                                <button type="button" class="button-primary" on:click=move |_| asking.set(true)>
                                    {label}
                                </button>
                            </div>
                        }.into_any()
                    }}
                }.into_any(),
                (None, _) => view! {
                    <Alert text="CMR stated no price for this order, so it cannot be confirmed here." warning=true />
                }.into_any(),
                (_, None) => view! {
                    <Alert text="The wallet balance could not be read from CMR; reload to try again." warning=true />
                }.into_any(),
            }}
        </form>
    }
}

fn produced_rows(items: Vec<Produced>, link: fn(&str) -> Option<String>) -> impl IntoView {
    items
        .into_iter()
        .map(|p| {
            let name = match link(&p.name) {
                Some(href) if p.status.is_some() => {
                    view! { <a href=href>{p.name.clone()}</a> }.into_any()
                }
                _ => p.name.clone().into_any(),
            };
            view! {
                <li>
                    {name} " "
                    {match p.status {
                        Some(status) => view! { <StatusBadge status /> }.into_any(),
                        None => view! { <span class="muted">"not created yet"</span> }.into_any(),
                    }}
                </li>
            }
        })
        .collect_view()
}

#[component]
fn Produced(order: OrderView) -> impl IntoView {
    let domain_link: fn(&str) -> Option<String> = |name| Some(routes::domain(name));
    let no_link: fn(&str) -> Option<String> = |_| None;
    let subscriptions: Vec<String> = {
        let mut ids: Vec<String> = order
            .mailboxes
            .iter()
            .filter_map(|m| m.subscription_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    view! {
        <h3>{if order.kind == OrderKind::NewDomains { "Domains" } else { "Domain" }}</h3>
        <ul class="plain">{produced_rows(order.domains, domain_link)}</ul>
        <h3>"Mailboxes"</h3>
        {if order.mailboxes.is_empty() {
            view! { <p class="muted">"No mailboxes in this order."</p> }.into_any()
        } else {
            view! { <ul class="plain">{produced_rows(order.mailboxes, no_link)}</ul> }.into_any()
        }}
        {(!subscriptions.is_empty()).then(|| view! {
            <p>{format!("Subscription: {}", subscriptions.join(", "))}</p>
        })}
        <p><a href=routes::customer(&order.row.customer_id)>"Open the customer"</a></p>
    }
}

#[component]
fn Events(order: OrderView) -> impl IntoView {
    let items = order
        .events
        .into_iter()
        .rev()
        .map(|e| {
            let source = match e.source.as_str() {
                "cmr" => "CMR's status",
                "webhook" => "CMR event",
                _ => "dashboard",
            };
            view! {
                <li>
                    <RelativeTime at=e.at /> " "
                    <strong>{e.status}</strong>
                    <span class="muted">{format!(" · {source}")}</span>
                    {e.detail.map(|d| view! { <span>{format!(" · {d}")}</span> })}
                </li>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="events-heading">
            <h2 id="events-heading">"History"</h2>
            <ol class="history">{items}</ol>
        </section>
    }
}
