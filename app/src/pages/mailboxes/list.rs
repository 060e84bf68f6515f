//! `/mailboxes`: every mailbox of the partner (from the partner index), searchable by address,
//! name, domain or customer, filtered by status; the state lives in the URL.

use super::list_mailboxes;
use crate::components::badge::StatusBadge;
use crate::components::loaded::Loaded;
use crate::components::pager::Pager;
use crate::components::relative_time::RelativeTime;
use crate::components::table::{Column, Row, Table, TableLoading};
use crate::model::mailbox::{MailboxFilter, MailboxList};
use crate::routes;
use cmr::types::MailboxStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

const COLUMNS: [Column; 6] = [
    Column::new("Address"),
    Column::new("Name"),
    Column::new("Domain"),
    Column::new("Customer"),
    Column::new("Status"),
    Column::new("Warmup"),
];

#[component]
pub fn MailboxesPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        MailboxFilter {
            q: q.get("q").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        }
    });
    let list = Resource::new(move || filter.get(), list_mailboxes);
    let export = move || {
        format!(
            "{}?{}",
            routes::MAILBOXES_EXPORT,
            filter.get().query_string()
        )
    };
    view! {
        <Title text="Mailboxes" />
        <h1>"Mailboxes"</h1>
        <form method="get" action=routes::MAILBOXES class="card filters" role="search">
            <div class="field">
                <label for="mailboxes-q">"Address, name, domain or customer"</label>
                <input id="mailboxes-q" name="q" type="search" maxlength="100"
                    value=move || filter.get().q autocomplete="off" />
            </div>
            <div class="field">
                <label for="mailboxes-status">"Status"</label>
                <select id="mailboxes-status" name="status">
                    <option value="">"All statuses"</option>
                    {move || {
                        let chosen = filter.get().status;
                        MailboxStatus::KNOWN
                            .iter()
                            .map(|s| {
                                let s = s.as_str().to_string();
                                let selected = s == chosen;
                                view! { <option value=s.clone() selected=selected>{s.clone()}</option> }
                            })
                            .collect_view()
                    }}
                </select>
            </div>
            <button type="submit" class="button-primary">"Show"</button>
            <a class="button-secondary" href=export download="">"Export CSV"</a>
        </form>
        <Loaded
            resource=list
            keep_previous=true
            fallback=|| view! { <TableLoading columns=COLUMNS.to_vec() rows=8 label="Loading mailboxes…" /> }
            let:list
        >
            <MailboxTable list filter=filter.get_untracked() />
        </Loaded>
    }
}

#[component]
fn MailboxTable(list: MailboxList, filter: MailboxFilter) -> impl IntoView {
    let link = move |page: u32| {
        let query = MailboxFilter {
            page,
            ..filter.clone()
        }
        .query_string();
        format!("{}?{query}", routes::MAILBOXES)
    };
    let prev = (list.page > 1).then(|| link(list.page - 1));
    let next = (list.page < list.total_pages).then(|| link(list.page + 1));
    let rows = list
        .rows
        .into_iter()
        .map(|m| {
            Row::new(vec![
                view! { <A href=routes::mailbox(&m.id)>{m.email.clone()}</A> }.into_any(),
                m.name.clone().into_any(),
                view! { <A href=routes::domain(&m.domain)>{m.domain.clone()}</A> }.into_any(),
                view! { <A href=routes::customer(&m.customer_id)>{m.customer.clone()}</A> }
                    .into_any(),
                view! { <StatusBadge status=m.status.clone() /> }.into_any(),
                if m.on_warmup { "on" } else { "off" }.into_any(),
            ])
        })
        .collect();
    view! {
        {match list.indexed_at {
            Some(at) => view! {
                <p class="fetched-at muted">
                    {format!("{} mailboxes · from the partner index, last fully refreshed ", list.total)}
                    <RelativeTime at /> "."
                </p>
            }.into_any(),
            None => view! {
                <p class="fetched-at muted">"The partner index is still being filled for the first time."</p>
            }.into_any(),
        }}
        <Table columns=COLUMNS.to_vec() rows empty="No mailbox matches." />
        <Pager page=list.page total_pages=Some(list.total_pages) prev next />
    }
}
