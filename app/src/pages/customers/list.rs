use super::list_customers;
use crate::components::fetched::{FetchedAt, FRESH_PARAM};
use crate::components::loaded::Loaded;
use crate::components::pager::Pager;
use crate::components::table::{Column, Row, SortDirection, Sorting, Table, TableLoading};
use crate::location;
use crate::model::customer::CustomerSort;
use crate::resource::resource;
use crate::routes::{self, encode};
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

/// Search waits this long after the last keystroke before asking CMR (its rate limit is 5/s).
const DEBOUNCE: Duration = Duration::from_millis(350);

/// The columns, each sortable by the same word the sort select and the URL use (the sort is
/// within the page CMR returns, ascending).
const COLUMNS: [Column; 4] = [
    Column::sortable("Name", "name"),
    Column::sortable("Email", "email"),
    Column::sortable("Company", "company"),
    Column::sortable("Country", "country"),
];

fn list_url(q: &str, page: u32, sort: CustomerSort) -> String {
    let mut url = url_encoded_pairs(&[("q", q), ("sort", sort.as_str())]);
    if page > 1 {
        url.push_str(&format!("&page={page}"));
    }
    format!("{}?{url}", routes::CUSTOMERS)
}

fn url_encoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = location::query();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let page = Memo::new(move |_| {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u32>().ok())
            .unwrap_or(1)
            .max(1)
    });
    let sort =
        Memo::new(move |_| CustomerSort::parse(&query.read().get("sort").unwrap_or_default()));
    let fresh = Memo::new(move |_| query.read().get(FRESH_PARAM).is_some());
    let customers = resource(
        move || (q.get(), page.get(), sort.get(), fresh.get()),
        |(q, page, sort, fresh)| list_customers(q, page, sort, Some(fresh)),
    );

    let navigate = location::navigator();
    let navigate_sort = navigate.clone();
    let pending_search = StoredValue::new(None::<TimeoutHandle>);
    let on_search = move |ev: leptos::ev::Event| {
        let text = event_target_value(&ev);
        if let Some(handle) = pending_search.get_value() {
            handle.clear();
        }
        let navigate = navigate.clone();
        let handle = set_timeout_with_handle(
            move || {
                navigate.replace(&list_url(&text, 1, sort.get_untracked()));
            },
            DEBOUNCE,
        )
        .ok();
        pending_search.set_value(handle);
    };
    // Typing then at once opening a result: the search still waiting to run must not win over
    // the click (it would take the page back to the list while the profile loads).
    let cancel_search = move |_: leptos::ev::MouseEvent| {
        if let Some(handle) = pending_search.get_value() {
            handle.clear();
        }
    };

    view! {
        <Title text="Customers" />
        <div class="page-head">
            <h1>"Customers"</h1>
            <a href=routes::NEW_CUSTOMER class="button-primary">
                "New customer"
            </a>
        </div>
        <form class="toolbar" method="get" action=routes::CUSTOMERS role="search">
            <div class="field grow">
                <label for="customer-search">"Search by email, name, company or CMR user id"</label>
                <input
                    id="customer-search"
                    name="q"
                    type="search"
                    value=move || q.get()
                    on:input=on_search
                    autocomplete="off"
                />
            </div>
            <div class="field">
                <label for="customer-sort">"Sort by"</label>
                <select
                    id="customer-sort"
                    name="sort"
                    on:change=move |ev| {
                        let sort = CustomerSort::parse(&event_target_value(&ev));
                        navigate_sort.go_to(&list_url(&q.get_untracked(), page.get_untracked(), sort));
                    }
                >
                    {CustomerSort::ALL
                        .iter()
                        .map(|(kind, name)| {
                            let kind = *kind;
                            view! {
                                <option value=*name selected=move || sort.get() == kind>
                                    {match kind {
                                        CustomerSort::Name => "Name",
                                        CustomerSort::Email => "Email",
                                        CustomerSort::Company => "Company",
                                        CustomerSort::Country => "Country",
                                    }}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <noscript>
                <button type="submit">"Search"</button>
            </noscript>
        </form>
        <div on:click=cancel_search>
        <Loaded
            resource=customers
            keep_previous=true
            fallback=|| view! { <TableLoading columns=COLUMNS.to_vec() label="Loading customers…" /> }
            let:list
        >
            {
                let (q, sort) = (q.get_untracked(), sort.get_untracked());
                let prev = (list.page > 1).then(|| list_url(&q, list.page - 1, sort));
                let next = list.has_next.then(|| list_url(&q, list.page + 1, sort));
                let count = match list.total {
                    Some(total) => format!("{total} customer{}", if total == 1 { "" } else { "s" }),
                    None => "Total unknown (CMR did not say)".to_string(),
                };
                let empty = if q.is_empty() {
                    "No customers yet.".to_string()
                } else {
                    format!("No customers match “{q}”.")
                };
                let show_pager = !list.rows.is_empty() || list.page > 1;
                let page = list.page;
                let this_page = list_url(&q, page, sort);
                let sorting = Sorting::new(sort.as_str(), SortDirection::Ascending, move |key| {
                    list_url(&q, page, CustomerSort::parse(key))
                });
                let rows = list
                    .rows
                    .into_iter()
                    .map(|row| {
                        Row::new(vec![
                            row.name.into_any(),
                            row.email.into_any(),
                            row.company.into_any(),
                            row.country.into_any(),
                        ])
                        .link(routes::customer(&row.id))
                    })
                    .collect();
                view! {
                    <p class="muted result-count" aria-live="polite">{count}</p>
                    <FetchedAt fetched_at=list.fetched_at page=this_page />
                    <Table columns=COLUMNS.to_vec() rows empty sorting />
                    {show_pager.then(|| view! { <Pager page=list.page total_pages=list.total_pages prev next /> })}
                }
            }
        </Loaded>
        </div>
    }
}
