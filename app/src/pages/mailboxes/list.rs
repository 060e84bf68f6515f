//! `/mailboxes`: every mailbox of the partner (from the partner index), searchable by address,
//! name, domain or customer, filtered by status; the state lives in the URL.

use super::{list_mailboxes, UpdateMailboxes};
use crate::components::alert::ErrorAlert;
use crate::components::badge::StatusBadge;
use crate::components::loaded::Loaded;
use crate::components::pager::Pager;
use crate::components::relative_time::RelativeTime;
use crate::components::table::{Column, Row, Table, TableLoading};
use crate::location;
use crate::model::mailbox::MailboxBulkUpdate;
use crate::model::mailbox::{MailboxFilter, MailboxList};
use crate::resource::resource;
use crate::routes;
use cmr::types::MailboxStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use std::collections::BTreeSet;

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
    let query = location::query();
    let filter = Memo::new(move |_| {
        let q = query.read();
        MailboxFilter {
            q: q.get("q").unwrap_or_default(),
            status: q.get("status").unwrap_or_default(),
            page: q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1),
        }
    });
    // The bulk update is held here: its results outlive the table it refreshes.
    let update = ServerAction::<UpdateMailboxes>::new();
    let changed = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let list = resource(
        move || (filter.get(), changed.get()),
        |(f, _)| list_mailboxes(f),
    );
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
            <MailboxTable list filter=filter.get_untracked() update />
        </Loaded>
        <UpdateResults update />
    }
}

#[component]
fn MailboxTable(
    list: MailboxList,
    filter: MailboxFilter,
    update: ServerAction<UpdateMailboxes>,
) -> impl IntoView {
    let chosen = RwSignal::new(BTreeSet::<String>::new());
    let can_edit = list.can_edit;
    let mut columns = COLUMNS.to_vec();
    if can_edit {
        columns.insert(0, Column::new("Choose"));
    }
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
            let id = m.id.clone();
            let email = m.email.clone();
            let choose = can_edit.then(move || {
                let checked = {
                    let id = id.clone();
                    move || chosen.with(|c| c.contains(&id))
                };
                view! {
                    <input type="checkbox" aria-label=format!("Choose {email}") prop:checked=checked
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let id = id.clone();
                            chosen.update(|c| { if on { c.insert(id); } else { c.remove(&id); } });
                        } />
                }
                .into_any()
            });
            let mut cells = vec![
                view! { <a href=routes::mailbox(&m.id)>{m.email.clone()}</a> }.into_any(),
                m.name.clone().into_any(),
                view! { <a href=routes::domain(&m.domain)>{m.domain.clone()}</a> }.into_any(),
                view! { <a href=routes::customer(&m.customer_id)>{m.customer.clone()}</a> }
                    .into_any(),
                view! { <StatusBadge status=m.status.clone() /> }.into_any(),
                if m.on_warmup { "on" } else { "off" }.into_any(),
            ];
            if let Some(choose) = choose {
                cells.insert(0, choose);
            }
            Row::new(cells)
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
        {can_edit.then(|| view! { <BulkUpdate chosen update /> })}
        <Table columns rows empty="No mailbox matches." />
        <Pager page=list.page total_pages=Some(list.total_pages) prev next />
    }
}

/// The same names or picture for every ticked mailbox (blank fields stay as they are).
#[component]
fn BulkUpdate(
    chosen: RwSignal<BTreeSet<String>>,
    update: ServerAction<UpdateMailboxes>,
) -> impl IntoView {
    let (first, last, picture) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let message = move |field: &'static str| move || error.get().and_then(|e| e.field(field));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if update.pending().get_untracked() {
            return;
        }
        update.dispatch(UpdateMailboxes {
            request: MailboxBulkUpdate {
                ids: chosen.get_untracked().into_iter().collect(),
                first_name: first.get_untracked(),
                last_name: last.get_untracked(),
                profile_picture: picture.get_untracked(),
            },
        });
    };
    view! {
        <form on:submit=submit class="card filters" aria-labelledby="bulk-heading">
            <h2 id="bulk-heading">{move || format!("Update the ticked mailboxes ({})", chosen.with(BTreeSet::len))}</h2>
            <p class="muted">"Blank fields stay as they are. CMR applies changes shortly after accepting them."</p>
            <div class="field">
                <label for="bulk-first">"First name"</label>
                <input id="bulk-first" maxlength="60" autocomplete="off"
                    prop:value=move || first.get() on:input=move |ev| first.set(event_target_value(&ev)) />
                <p class="field-error">{message("first_name")}</p>
            </div>
            <div class="field">
                <label for="bulk-last">"Last name"</label>
                <input id="bulk-last" maxlength="60" autocomplete="off"
                    prop:value=move || last.get() on:input=move |ev| last.set(event_target_value(&ev)) />
                <p class="field-error">{message("last_name")}</p>
            </div>
            <div class="field">
                <label for="bulk-picture">"Profile picture (https:// address)"</label>
                <input id="bulk-picture" type="url" maxlength="500" autocomplete="off"
                    prop:value=move || picture.get() on:input=move |ev| picture.set(event_target_value(&ev)) />
                <p class="field-error">{message("profile_picture")}</p>
            </div>
            <button type="submit" class="button-primary"
                disabled=move || chosen.with(BTreeSet::is_empty) || update.pending().get()>
                {move || if update.pending().get() { "Sending…" } else { "Update the ticked mailboxes" }}
            </button>
        </form>
    }
}

/// What the last bulk update did, per mailbox.
#[component]
fn UpdateResults(update: ServerAction<UpdateMailboxes>) -> impl IntoView {
    let error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    view! {
        <ErrorAlert error />
        {move || update.value().get().and_then(|r| r.ok()).map(|results| {
            let accepted = results.iter().filter(|r| r.refused.is_none()).count();
            view! {
                <section class="card" aria-labelledby="results-heading">
                    <h2 id="results-heading">"Last update"</h2>
                    <p role="status">{format!("{accepted} of {} accepted by CMR; they show the change shortly.", results.len())}</p>
                    <ul class="plain">
                        {results.into_iter().filter_map(|r| r.refused.map(|why| view! {
                            <li class="field-error">{format!("{}: {why}", if r.email.is_empty() { r.id } else { r.email })}</li>
                        })).collect_view()}
                    </ul>
                </section>
            }
        })}
    }
}
