//! `/subscriptions`: every subscription of the partner (from the partner index), by status tab
//! and with the "lapsing soon" view, searchable by customer or domain, exported as CSV;
//! editors turn auto-renew on or off for the ticked rows, admins renew or cancel one.

use super::{list_subscriptions, CancelSubscription, SetSubscriptionAutoRenew};
use crate::components::alert::ErrorAlert;
use crate::components::badge::StatusBadge;
use crate::components::confirm::{ConfirmPanel, TypedConfirm};
use crate::components::loaded::Loaded;
use crate::components::money::Money;
use crate::components::pager::Pager;
use crate::components::relative_time::RelativeTime;
use crate::components::table::{Column, Row, Table, TableLoading};
use crate::location;
use crate::model::subscription::{
    SubscriptionFilter, SubscriptionList, SubscriptionRow, SubscriptionTab,
};
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeSet;

const COLUMNS: [Column; 7] = [
    Column::new("Domain"),
    Column::new("Customer"),
    Column::new("Status"),
    Column::new("Period ends"),
    Column::new("Auto-renew"),
    Column::new("Mailboxes"),
    Column::new("Renews for"),
];

#[component]
pub fn SubscriptionsPage() -> impl IntoView {
    let query = location::query();
    let filter = Memo::new(move |_| {
        let q = query.read();
        SubscriptionFilter {
            tab: SubscriptionTab::parse(&q.get("tab").unwrap_or_default()),
            q: q.get("q").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        }
    });
    let changed = RwSignal::new(0u32);
    // Held here, not in the table: the table is drawn again once the change is made, and the
    // result must outlive it.
    let auto_renew = ServerAction::<SetSubscriptionAutoRenew>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = auto_renew.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let auto_renew_error = Signal::derive(move || auto_renew.value().get().and_then(|r| r.err()));
    let list = resource(
        move || (filter.get(), changed.get()),
        |(filter, _)| list_subscriptions(filter),
    );
    let export = move || {
        format!(
            "{}?{}",
            routes::SUBSCRIPTIONS_EXPORT,
            filter.get().query_string()
        )
    };
    view! {
        <Title text="Subscriptions" />
        <h1>"Subscriptions"</h1>
        <form method="get" action=routes::SUBSCRIPTIONS class="card filters" role="search">
            <div class="field">
                <label for="subscriptions-q">"Customer or domain"</label>
                <input id="subscriptions-q" name="q" type="search" maxlength="100"
                    value=move || filter.get().q autocomplete="off" />
            </div>
            <input type="hidden" name="tab" value=move || filter.get().tab.as_str() />
            <button type="submit" class="button-primary">"Search"</button>
            <a class="button-secondary" href=export download="">"Export CSV"</a>
        </form>
        <ErrorAlert error=auto_renew_error />
        {move || auto_renew.value().get().and_then(|r| r.ok()).map(|outcome| view! {
            <p role="status" class="alert alert-success">
                {format!("Changed {}.", outcome.changed.len())}
                {outcome.failed.into_iter().map(|(id, why)| view! {
                    <span class="field-error">{format!(" {id}: {why}")}</span>
                }).collect_view()}
            </p>
        })}
        <Loaded
            resource=list
            keep_previous=true
            fallback=|| view! { <TableLoading columns=COLUMNS.to_vec() rows=8 label="Loading subscriptions…" /> }
            let:list
        >
            <SubscriptionTable list filter=filter.get_untracked() changed auto_renew />
        </Loaded>
    }
}

fn link(filter: SubscriptionFilter) -> String {
    let query = filter.query_string();
    if query.is_empty() {
        routes::SUBSCRIPTIONS.to_string()
    } else {
        format!("{}?{query}", routes::SUBSCRIPTIONS)
    }
}

#[component]
fn SubscriptionTable(
    list: SubscriptionList,
    filter: SubscriptionFilter,
    changed: RwSignal<u32>,
    auto_renew: ServerAction<SetSubscriptionAutoRenew>,
) -> impl IntoView {
    let tabs = list
        .counts
        .iter()
        .map(|(tab, n)| {
            let href = link(SubscriptionFilter {
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
    let lapsing_note = (filter.tab == SubscriptionTab::Lapsing).then(|| view! {
        <p class="muted">"Past due, or with auto-renew off, and ending within 14 days: these lapse unless someone acts."</p>
    });
    let prev = (list.page > 1).then(|| {
        link(SubscriptionFilter {
            page: list.page - 1,
            ..filter.clone()
        })
    });
    let next = (list.page < list.total_pages).then(|| {
        link(SubscriptionFilter {
            page: list.page + 1,
            ..filter.clone()
        })
    });
    let chosen = RwSignal::new(BTreeSet::<String>::new());
    let can_edit = list.can_edit;
    let can_cancel = list.can_cancel;
    let mut columns = COLUMNS.to_vec();
    if can_edit {
        columns.insert(0, Column::new("Choose"));
    }
    if can_cancel {
        columns.push(Column::new("Actions"));
    }
    let rows = list
        .rows
        .into_iter()
        .map(|s| row(s, can_edit.then_some(chosen), can_cancel, changed))
        .collect();
    let empty = if filter.tab == SubscriptionTab::Lapsing {
        "Nothing lapses in the next 14 days."
    } else {
        "No subscription matches."
    };
    view! {
        <nav aria-label="Subscription status">
            <ul class="plain tabs">{tabs}</ul>
        </nav>
        {lapsing_note}
        {match list.indexed_at {
            Some(at) => view! {
                <p class="fetched-at muted">
                    {format!("{} subscriptions · from the partner index, last fully refreshed ", list.total)}
                    <RelativeTime at /> "."
                </p>
            }.into_any(),
            None => view! {
                <p class="fetched-at muted">"The partner index is still being filled for the first time."</p>
            }.into_any(),
        }}
        {can_edit.then(|| view! { <BulkAutoRenew chosen action=auto_renew /> })}
        <Table columns rows empty />
        <Pager page=list.page total_pages=Some(list.total_pages) prev next />
    }
}

fn row(
    s: SubscriptionRow,
    chosen: Option<RwSignal<BTreeSet<String>>>,
    can_cancel: bool,
    changed: RwSignal<u32>,
) -> Row {
    let ends = match (&s.period_end, s.days_left) {
        (Some(on), Some(left)) if left < 0 => format!("{on} ({} days ago)", -left),
        (Some(on), Some(left)) => format!("{on} (in {left} days)"),
        (Some(on), None) => on.clone(),
        _ => "—".into(),
    };
    let price = s.renewal_price();
    let (domain, customer) = (s.domain.clone(), s.customer.clone());
    let (domain_href, customer_href) =
        (routes::domain(&s.domain), routes::customer(&s.customer_id));
    let mut cells = vec![
        view! { <a href=domain_href>{domain}</a> }.into_any(),
        view! { <a href=customer_href>{customer}</a> }.into_any(),
        view! { <StatusBadge status=s.status.clone() /> }.into_any(),
        ends.into_any(),
        if s.auto_renew { "on" } else { "off" }.into_any(),
        s.mailboxes.to_string().into_any(),
        match price {
            Some(amount) => view! { <Money amount /> }.into_any(),
            None => "—".into_any(),
        },
    ];
    if let Some(chosen) = chosen {
        let id = s.id.clone();
        let checked = {
            let id = id.clone();
            move || chosen.with(|c| c.contains(&id))
        };
        cells.insert(
            0,
            view! {
                <input type="checkbox" aria-label=format!("Choose the subscription of {}", s.domain)
                    prop:checked=checked
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        let id = id.clone();
                        chosen.update(|c| { if on { c.insert(id); } else { c.remove(&id); } });
                    } />
            }
            .into_any(),
        );
    }
    if can_cancel {
        let renewable = matches!(s.status.as_str(), "ACTIVE" | "PAST_DUE");
        let open = !matches!(s.status.as_str(), "CANCELLED" | "EXPIRED");
        let renew = routes::subscription_renew(&s.id);
        let label = format!("Renew the subscription of {}…", s.domain);
        cells.push(if open {
            view! {
                {renewable.then(|| view! { <a href=renew aria-label=label>"Renew…"</a> })}
                <CancelPanel id=s.id.clone() domain=s.domain.clone() mailboxes=s.mailboxes changed />
            }
            .into_any()
        } else {
            "—".into_any()
        });
    }
    Row::new(cells)
}

/// Auto-renew on or off for the ticked rows (the page shows what happened to each).
#[component]
fn BulkAutoRenew(
    chosen: RwSignal<BTreeSet<String>>,
    action: ServerAction<SetSubscriptionAutoRenew>,
) -> impl IntoView {
    let send = move |on: bool| {
        let ids: Vec<String> = chosen.get_untracked().into_iter().collect();
        action.dispatch(SetSubscriptionAutoRenew { ids, on });
    };
    let none = move || chosen.with(BTreeSet::is_empty) || action.pending().get();
    view! {
        <div class="card bulk-actions" role="group" aria-label="Change the ticked subscriptions">
            <span>{move || format!("{} ticked", chosen.with(BTreeSet::len))}</span>
            <button type="button" class="button-secondary" disabled=none on:click=move |_| send(true)>
                "Turn auto-renew on"
            </button>
            <button type="button" class="button-secondary" disabled=none on:click=move |_| send(false)>
                "Turn auto-renew off"
            </button>
        </div>
    }
}

/// Cancel one subscription, after typing its domain.
#[component]
fn CancelPanel(
    id: String,
    domain: String,
    mailboxes: i32,
    changed: RwSignal<u32>,
) -> impl IntoView {
    let action = ServerAction::<CancelSubscription>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    view! {
        <ConfirmPanel summary="Cancel…">
            <p class="field-error">
                {format!("Cancelling deletes the workspace of {domain} and its {mailboxes} mailbox(es) at once and for good. CMR refunds nothing.")}
            </p>
            <ActionForm action>
                <input type="hidden" name="id" value=id />
                <ErrorAlert error />
                <TypedConfirm
                    name="confirm_domain"
                    label=format!("Type {domain} to confirm")
                    expected=domain.clone()
                    action="Cancel the subscription"
                    pending=action.pending()
                    error=Signal::derive(move || error.get().and_then(|e| e.field("confirm_domain")))
                />
            </ActionForm>
        </ConfirmPanel>
    }
}
