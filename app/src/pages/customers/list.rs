use super::list_customers;
use crate::components::pager::Pager;
use crate::model::customer::CustomerSort;
use crate::routes::{self, encode};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use std::time::Duration;

/// Search waits this long after the last keystroke before asking CMR (its rate limit is 5/s).
const DEBOUNCE: Duration = Duration::from_millis(350);

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
    let query = use_query_map();
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
    let customers = Resource::new(
        move || (q.get(), page.get(), sort.get()),
        |(q, page, sort)| list_customers(q, page, sort, None),
    );

    let navigate = use_navigate();
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
                let options = NavigateOptions {
                    replace: true,
                    ..Default::default()
                };
                navigate(&list_url(&text, 1, sort.get_untracked()), options);
            },
            DEBOUNCE,
        )
        .ok();
        pending_search.set_value(handle);
    };

    view! {
        <Title text="Customers" />
        <div class="page-head">
            <h1>"Customers"</h1>
            <A href=routes::NEW_CUSTOMER attr:class="button-primary">
                "New customer"
            </A>
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
                        navigate_sort(&list_url(&q.get_untracked(), page.get_untracked(), sort), Default::default());
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
        <Transition fallback=|| view! { <p class="muted" aria-busy="true">"Loading customers…"</p> }>
            {move || Suspend::new(async move {
                match customers.await {
                    Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                    Ok(list) if list.rows.is_empty() => {
                        let q = q.get_untracked();
                        view! {
                            <section class="empty-state">
                                <p>
                                    {if q.is_empty() {
                                        "No customers yet.".to_string()
                                    } else {
                                        format!("No customers match “{q}”.")
                                    }}
                                </p>
                            </section>
                        }
                            .into_any()
                    }
                    Ok(list) => {
                        let (q, sort) = (q.get_untracked(), sort.get_untracked());
                        let prev = (list.page > 1).then(|| list_url(&q, list.page - 1, sort));
                        let next = list.has_next.then(|| list_url(&q, list.page + 1, sort));
                        let count = match list.total {
                            Some(total) => format!("{total} customer{}", if total == 1 { "" } else { "s" }),
                            None => "Total unknown (CMR did not say)".to_string(),
                        };
                        view! {
                            <p class="muted result-count" aria-live="polite">{count}</p>
                            <table class="table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Company"</th>
                                        <th scope="col">"Country"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {list
                                        .rows
                                        .into_iter()
                                        .map(|row| {
                                            let href = routes::customer(&row.id);
                                            view! {
                                                <tr>
                                                    <td><A href=href>{row.name}</A></td>
                                                    <td>{row.email}</td>
                                                    <td>{row.company}</td>
                                                    <td>{row.country}</td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                            <Pager page=list.page total_pages=list.total_pages prev next />
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}
