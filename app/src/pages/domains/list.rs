//! The partner-wide domain list from the index, with search, a status filter, the order,
//! pages and a CSV export of what is shown. The state lives in the URL.

use super::detail::days;
use super::{list_domains, SetAutoRenew};
use crate::location;
use std::collections::BTreeSet;

use crate::components::badge::StatusBadge;
use crate::components::loaded::Loaded;
use crate::components::pager::Pager;
use crate::components::relative_time::RelativeTime;
use crate::components::table::{Column, Row, Table, TableLoading};
use crate::components::toast::use_toasts;
use crate::model::domain::{DomainFilter, DomainList, DomainRow, DomainSort, Due, Radar};
use crate::resource::resource;
use crate::routes;
use cmr::types::DomainStatus;
use leptos::prelude::*;
use leptos_meta::Title;

const COLUMNS: [Column; 7] = [
    Column::new("Domain"),
    Column::new("Customer"),
    Column::new("Status"),
    Column::new("Expires"),
    Column::new("Auto-renew"),
    Column::new("Provider"),
    Column::new("Mailboxes"),
];

#[component]
pub fn DomainsPage() -> impl IntoView {
    let query = location::query();
    let filter = Memo::new(move |_| {
        let q = query.read();
        DomainFilter {
            q: q.get("q").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            sort: DomainSort::parse(&q.get("sort").unwrap_or_default()),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
            due: q.get("due").unwrap_or_default(),
        }
    });
    let list = resource(move || filter.get(), list_domains);
    let export = move || format!("{}?{}", routes::DOMAINS_EXPORT, filter.get().query_string());
    view! {
        <Title text="Domains" />
        <h1>"Domains"</h1>
        <form method="get" action=routes::DOMAINS class="card filters" role="search">
            <div class="field">
                <label for="domains-q">"Domain or customer"</label>
                <input id="domains-q" name="q" type="search" maxlength="100"
                    value=move || filter.get().q autocomplete="off" />
            </div>
            <div class="field">
                <label for="domains-status">"Status"</label>
                <select id="domains-status" name="status">
                    <option value="">"All statuses"</option>
                    {move || {
                        // CMR's known statuses, and the chosen one if CMR has a new one.
                        let chosen = filter.get().status;
                        let mut statuses: Vec<String> = DomainStatus::KNOWN
                            .iter()
                            .map(|s| s.as_str().to_string())
                            .collect();
                        if !chosen.is_empty() && !statuses.contains(&chosen) {
                            statuses.push(chosen.clone());
                        }
                        statuses
                            .into_iter()
                            .map(|s| {
                                let selected = s == chosen;
                                view! { <option value=s.clone() selected=selected>{s.clone()}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
            <div class="field">
                <label for="domains-sort">"Order"</label>
                <select id="domains-sort" name="sort">
                    <option value="expiry" selected=move || filter.get().sort == DomainSort::Expiry>
                        "Soonest expiry first"
                    </option>
                    <option value="name" selected=move || filter.get().sort == DomainSort::Name>
                        "Name"
                    </option>
                </select>
            </div>
            <input type="hidden" name="due" value=move || filter.get().due />
            <button type="submit" class="button-primary">"Show"</button>
            <a class="button-secondary" href=export download="">"Export CSV"</a>
        </form>
        <Loaded
            resource=list
            keep_previous=true
            fallback=|| view! { <TableLoading columns=COLUMNS.to_vec() rows=8 label="Loading domains…" /> }
            let:list
        >
            <RadarCard radar=list.radar chosen=filter.get_untracked().due />
            <DomainTable list filter=filter.get_untracked() />
        </Loaded>
    }
}

/// The expiry radar: each group that needs a decision, its count, a link to its domains.
#[component]
fn RadarCard(radar: Radar, chosen: String) -> impl IntoView {
    let groups = Due::ALL
        .into_iter()
        .map(|due| {
            let href = format!(
                "{}?{}",
                routes::DOMAINS,
                DomainFilter {
                    due: due.as_str().to_string(),
                    ..DomainFilter::default()
                }
                .query_string()
            );
            let current = (chosen == due.as_str()).then_some("page");
            view! {
                <li>
                    <a href=href aria-current=current>
                        <strong>{radar.count(due)}</strong> " " {due.label()}
                    </a>
                </li>
            }
        })
        .collect_view();
    let clear = (!chosen.is_empty()).then(|| {
        view! { <p><a href=routes::DOMAINS>"Show every domain"</a></p> }
    });
    view! {
        <section class="card" aria-labelledby="radar-heading">
            <h2 id="radar-heading">"Expiry radar"</h2>
            <ul class="plain radar">{groups}</ul>
            {clear}
        </section>
    }
}

#[component]
fn DomainTable(list: DomainList, filter: DomainFilter) -> impl IntoView {
    let page_link = |page: u32| {
        format!(
            "{}?{}",
            routes::DOMAINS,
            DomainFilter {
                page,
                ..filter.clone()
            }
            .query_string()
        )
    };
    let prev = (list.page > 1).then(|| page_link(list.page - 1));
    let next = (list.page < list.total_pages).then(|| page_link(list.page + 1));
    let chosen = RwSignal::new(BTreeSet::<String>::new());
    let selectable = list.can_edit || list.can_renew;
    view! {
        {match list.indexed_at {
            Some(at) => view! {
                <p class="fetched-at muted">
                    {format!("{} domains · from the partner index, last fully refreshed ", list.total)}
                    <RelativeTime at /> "."
                </p>
            }.into_any(),
            None => view! {
                <p class="fetched-at muted">
                    {format!("{} domains so far: the partner index is still being filled for the first time.", list.total)}
                </p>
            }.into_any(),
        }}
        {selectable.then(|| view! { <BulkActions chosen can_edit=list.can_edit can_renew=list.can_renew /> })}
        <DomainRows rows=list.rows chosen=selectable.then_some(chosen) empty="No domain matches." />
        <Pager page=list.page total_pages=Some(list.total_pages) prev next />
    }
}

/// The domain table (the list's and a profile's): each name opens the domain. With `chosen`,
/// a first column of checkboxes picks rows for a bulk action.
#[component]
pub fn DomainRows(
    rows: Vec<DomainRow>,
    #[prop(default = None)] chosen: Option<RwSignal<BTreeSet<String>>>,
    empty: &'static str,
) -> impl IntoView {
    let mut columns = COLUMNS.to_vec();
    if chosen.is_some() {
        columns.insert(0, Column::new("Choose"));
    }
    let rows = rows
        .into_iter()
        .map(|d| {
            let owner = if d.customer.is_empty() {
                d.customer_id.clone()
            } else {
                d.customer.clone()
            };
            let expires = match (&d.expires_on, d.days_left) {
                (Some(on), Some(left)) => format!("{on} ({})", days(left)),
                (Some(on), None) => on.clone(),
                _ => "—".into(),
            };
            let name = d.name.clone();
            let href = routes::domain(&d.name);
            let mut cells = vec![
                view! { <a href=href>{d.name}</a> }.into_any(),
                view! { <a href=routes::customer(&d.customer_id)>{owner}</a> }.into_any(),
                view! { <StatusBadge status=d.status /> }.into_any(),
                expires.into_any(),
                if d.auto_renew { "on" } else { "off" }.into_any(),
                d.provider.unwrap_or_default().into_any(),
                d.mailboxes.to_string().into_any(),
            ];
            if let Some(chosen) = chosen {
                let checked = {
                    let name = name.clone();
                    move || chosen.with(|c| c.contains(&name))
                };
                cells.insert(
                    0,
                    view! {
                        <input
                            type="checkbox"
                            aria-label=format!("Choose {name}")
                            prop:checked=checked
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|c| {
                                    if on {
                                        c.insert(name.clone());
                                    } else {
                                        c.remove(&name);
                                    }
                                });
                            }
                        />
                    }
                    .into_any(),
                );
            }
            Row::new(cells)
        })
        .collect();
    view! { <Table columns rows empty=empty /> }
}

/// What can be done with the chosen rows: review their renewal (admins), turn auto-renew on
/// or off (editors). Appears once a row is chosen.
#[component]
fn BulkActions(
    chosen: RwSignal<BTreeSet<String>>,
    can_edit: bool,
    can_renew: bool,
) -> impl IntoView {
    let auto_renew = ServerAction::<SetAutoRenew>::new();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(result) = auto_renew.value().get() {
            match result {
                Ok(groups) => {
                    let failed: Vec<String> = groups
                        .iter()
                        .filter_map(|(names, r)| {
                            r.as_ref()
                                .err()
                                .map(|why| format!("{}: {why}", names.join(", ")))
                        })
                        .collect();
                    if failed.is_empty() {
                        toasts.success("Auto-renew changed. The list shows it after a reload.");
                        chosen.set(BTreeSet::new());
                    } else {
                        toasts.error(failed.join(" "));
                    }
                }
                Err(err) => toasts.error(err.to_string()),
            }
        }
    });
    let count = move || chosen.with(BTreeSet::len);
    let set = move |on: bool| {
        auto_renew.dispatch(SetAutoRenew {
            domains: chosen.get_untracked().into_iter().collect(),
            on,
        });
    };
    view! {
        <div class="bulk-actions" role="group" aria-label="Actions on chosen domains" hidden=move || count() == 0>
            <span>{move || format!("{} chosen", count())}</span>
            {can_renew.then(|| view! {
                <a
                    class="button-primary"
                    href=move || routes::domains_renew(chosen.with(|c| c.iter().cloned().collect::<Vec<_>>()).iter().map(String::as_str))
                >
                    "Review renewal…"
                </a>
            })}
            {can_edit.then(|| view! {
                <button type="button" class="button-secondary" disabled=move || auto_renew.pending().get() on:click=move |_| set(true)>
                    "Auto-renew on"
                </button>
                <button type="button" class="button-secondary" disabled=move || auto_renew.pending().get() on:click=move |_| set(false)>
                    "Auto-renew off"
                </button>
            })}
            <button type="button" class="button-link" on:click=move |_| chosen.set(BTreeSet::new())>
                "Clear"
            </button>
        </div>
    }
}
