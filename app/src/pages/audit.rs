//! `/audit`: the whole audit log, filtered by staff member, action, target, outcome and dates,
//! in pages, with a CSV of the filtered view. Admins read everything; other roles read the
//! customer-data entries only (the server decides, not the page).

use crate::components::alert::ErrorAlert;
use crate::components::history::History;
use crate::components::loaded::Loaded;
use crate::components::pager::Pager;
use crate::error::AppError;
use crate::location;
use crate::model::audit::{AuditFilter, AuditLogPage, OUTCOMES, TARGET_KINDS};
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{audit_log, ctx, require_role},
};

#[server(prefix = "/api", endpoint = "audit/page")]
pub async fn read_audit_log(filter: AuditFilter) -> Result<AuditLogPage, AppError> {
    let reader = require_role(Role::Viewer).await?;
    audit_log::page(&ctx::state(), &reader, &filter).await
}

fn href(filter: &AuditFilter) -> String {
    let query = filter.query_string();
    if query.is_empty() {
        routes::AUDIT.to_string()
    } else {
        format!("{}?{query}", routes::AUDIT)
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = location::query();
    let filter = Memo::new(move |_| {
        let q = query.read();
        AuditFilter::from_query(|name| q.get(name))
    });
    let page = resource(move || filter.get(), read_audit_log);
    let export = move || {
        let f = filter.get().on_page(1);
        format!("{}?{}", routes::AUDIT_EXPORT, f.query_string())
    };
    view! {
        <Title text="Audit" />
        <h1>"Audit log"</h1>
        <Loaded resource=page keep_previous=true loading="Loading the audit log…" let:page>
            <Filters page=page.clone() filter=filter.get_untracked() export=export() />
            <Entries page filter=filter.get_untracked() />
        </Loaded>
    }
}

#[component]
fn Filters(page: AuditLogPage, filter: AuditFilter, export: String) -> impl IntoView {
    let selected = |a: &str, b: &str| a == b;
    view! {
        <p class="muted">
            {if page.everything {
                "Every change and security event, newest first."
            } else {
                "Changes to customer data, newest first. Sign-ins and staff management are for admins."
            }}
        </p>
        <form method="get" action=routes::AUDIT class="card filters" role="search" aria-label="Filter the audit log">
            <div class="field">
                <label for="audit-staff">"Staff member"</label>
                <select id="audit-staff" name="staff">
                    <option value="">"Anyone"</option>
                    {page.staff.iter().map(|(id, email)| view! {
                        <option value=id.to_string() selected=filter.staff == Some(*id)>{email.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-action">"Action"</label>
                <select id="audit-action" name="action">
                    <option value="">"Any action"</option>
                    {page.actions.iter().map(|action| view! {
                        <option value=action.clone() selected=selected(action, &filter.action)>{action.clone()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-target-kind">"Record"</label>
                <select id="audit-target-kind" name="target_kind">
                    <option value="">"Any record"</option>
                    {TARGET_KINDS.iter().filter(|(kind, _)| page.everything || *kind != "staff").map(|(kind, label)| view! {
                        <option value=*kind selected=selected(kind, &filter.target_kind)>{*label}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-target-id">"Record id (customer id, domain name, …)"</label>
                <input id="audit-target-id" name="target_id" type="search" maxlength="200"
                    value=filter.target_id.clone() autocomplete="off" />
            </div>
            <div class="field">
                <label for="audit-outcome">"Outcome"</label>
                <select id="audit-outcome" name="outcome">
                    <option value="">"Any outcome"</option>
                    {OUTCOMES.iter().map(|(value, label)| view! {
                        <option value=*value selected=selected(value, &filter.outcome)>{*label}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-from">"From (UTC)"</label>
                <input id="audit-from" name="from" type="date" value=filter.from.clone() />
            </div>
            <div class="field">
                <label for="audit-to">"To (UTC, included)"</label>
                <input id="audit-to" name="to" type="date" value=filter.to.clone() />
            </div>
            <button type="submit" class="button-primary">"Filter"</button>
            <a class="button-secondary" href=routes::AUDIT>"Clear"</a>
            <a class="button-secondary" href=export download="">"Export CSV"</a>
        </form>
    }
}

#[component]
fn Entries(page: AuditLogPage, filter: AuditFilter) -> impl IntoView {
    let pages =
        ((page.total + i64::from(page.page_size) - 1) / i64::from(page.page_size)).max(1) as u32;
    let prev = (page.page > 1).then(|| href(&filter.on_page(page.page - 1)));
    let next = (page.page < pages).then(|| href(&filter.on_page(page.page + 1)));
    let empty = if filter == AuditFilter::default() {
        "Nothing has been recorded yet."
    } else {
        "No entries match these filters."
    };
    view! {
        <section class="card" aria-labelledby="entries-heading">
            <h2 id="entries-heading">
                {format!("{} entr{}", page.total, if page.total == 1 { "y" } else { "ies" })}
            </h2>
            <History entries=page.entries empty />
            <Pager page=page.page total_pages=Some(pages) prev next />
        </section>
    }
}

/// Shown by `Loaded` when the filters are refused (a bad date, say).
#[allow(dead_code)]
fn filter_error(error: AppError) -> impl IntoView {
    view! { <ErrorAlert error=Some(error) /> }
}
