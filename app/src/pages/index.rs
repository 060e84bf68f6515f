//! The partner-wide index: one search over customers, domains and mailboxes, and the admin
//! page that shows how the background sync is doing.

use crate::components::alert::ErrorAlert;
use crate::components::badge::StatusBadge;
use crate::components::loaded::Loaded;
use crate::components::relative_time::RelativeTime;
use crate::error::AppError;
use crate::location;
use crate::model::index::{SearchHits, SyncStatus};
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::{ctx, index, require_role},
};

#[server(prefix = "/api", endpoint = "index/search")]
pub async fn search_index(q: String) -> Result<SearchHits, AppError> {
    require_role(Role::Viewer).await?;
    index::search(&ctx::state(), &q).await
}

#[server(prefix = "/api", endpoint = "index/status")]
pub async fn index_status() -> Result<SyncStatus, AppError> {
    require_role(Role::Admin).await?;
    index::status(&ctx::state()).await
}

/// "Indexed 3 minutes ago", or that the first pass is still running.
#[component]
fn IndexedAt(indexed_at: Option<i64>) -> impl IntoView {
    match indexed_at {
        Some(at) => view! {
            <p class="fetched-at muted">
                "From the index, last fully refreshed " <RelativeTime at /> "."
            </p>
        }
        .into_any(),
        None => view! {
            <p class="fetched-at muted">
                "The index is still being filled for the first time: results may be incomplete."
            </p>
        }
        .into_any(),
    }
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = location::query();
    let q = Memo::new(move |_| query.read().get("q").unwrap_or_default());
    let hits = resource(
        move || q.get(),
        |q| async move {
            if q.trim().is_empty() {
                Ok(None)
            } else {
                search_index(q).await.map(Some)
            }
        },
    );
    let error = Signal::derive(move || hits.get().and_then(|r| r.err()));
    view! {
        <Title text="Search" />
        <h1>"Search"</h1>
        <form method="get" action=routes::SEARCH class="card search-form" role="search">
            <div class="field">
                <label for="search-q">"Customer, domain or mailbox"</label>
                <input
                    id="search-q"
                    name="q"
                    type="search"
                    value=move || q.get()
                    placeholder="e.g. acme, acme-mail.com, sales@"
                    minlength="2"
                    maxlength="100"
                    autocomplete="off"
                />
            </div>
            <button type="submit" class="button-primary">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p aria-busy="true" class="muted">"Searching…"</p> }>
            <ErrorAlert error />
            {move || hits.get().and_then(|r| r.ok()).flatten().map(|hits| view! { <SearchResults hits /> })}
        </Suspense>
    }
}

#[component]
fn SearchResults(hits: SearchHits) -> impl IntoView {
    let nothing = hits.customers.is_empty() && hits.domains.is_empty() && hits.mailboxes.is_empty();
    let customers = hits.customers.into_iter().map(|c| {
        let href = routes::customer(&c.id);
        view! {
            <li>
                <a href=href>{c.name}</a>
                " · " {c.email}
                {(!c.company.is_empty()).then(|| format!(" · {}", c.company))}
            </li>
        }
    });
    let domains = hits.domains.into_iter().map(|d| {
        let href = routes::domain(&d.name);
        view! {
            <li>
                <a href=href>{d.name}</a> " " <StatusBadge status=d.status />
                {d.expires_on.map(|e| format!(" · expires {e}"))}
            </li>
        }
    });
    let mailboxes = hits.mailboxes.into_iter().map(|m| {
        let label = m.email.clone();
        let link = m.customer_id.map(|id| routes::customer(&id));
        view! {
            <li>
                {match link {
                    Some(href) => view! { <a href=href>{label}</a> }.into_any(),
                    None => label.into_any(),
                }}
                {(!m.name.is_empty()).then(|| format!(" · {}", m.name))} " "
                <StatusBadge status=m.status />
            </li>
        }
    });
    view! {
        <IndexedAt indexed_at=hits.indexed_at />
        {nothing.then(|| view! { <p class="empty">"Nothing in the index matches."</p> })}
        <div class="search-results">
            <section class="card" aria-labelledby="hits-customers">
                <h2 id="hits-customers">"Customers"</h2>
                <ul class="plain">{customers.collect_view()}</ul>
            </section>
            <section class="card" aria-labelledby="hits-domains">
                <h2 id="hits-domains">"Domains"</h2>
                <ul class="plain">{domains.collect_view()}</ul>
            </section>
            <section class="card" aria-labelledby="hits-mailboxes">
                <h2 id="hits-mailboxes">"Mailboxes"</h2>
                <ul class="plain">{mailboxes.collect_view()}</ul>
            </section>
        </div>
    }
}

/// How often the status page asks again while a pass runs.
const STATUS_POLL: Duration = Duration::from_secs(3);

#[component]
pub fn IndexStatusPage() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let status = resource(move || tick.get(), |_| index_status());
    Effect::new(move |_| {
        let handle = set_interval_with_handle(move || tick.update(|t| *t += 1), STATUS_POLL).ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
    view! {
        <Title text="Index" />
        <h1>"Partner index"</h1>
        <p class="muted">
            "A copy of the partner's customers, domains, subscriptions and mailboxes, kept by a background sync within its share of CMR's budget, and by every live read a page makes."
        </p>
        <Loaded resource=status keep_previous=true fallback=|| view! { <p aria-busy="true">"Loading…"</p> } let:s>
            <SyncStatusView s />
        </Loaded>
    }
}

#[component]
fn SyncStatusView(s: SyncStatus) -> impl IntoView {
    let running = s.running.map(|p| {
        let percent = if p.calls_expected > 0 {
            (f64::from(p.calls_done) * 100.0 / f64::from(p.calls_expected)).round()
        } else {
            0.0
        };
        view! {
            <section class="card" aria-labelledby="sync-running">
                <h2 id="sync-running">"Pass under way"</h2>
                <label for="sync-progress">
                    {format!("{percent}% — {} of about {} CMR calls; now: {}", p.calls_done, p.calls_expected, p.phase)}
                </label>
                <progress id="sync-progress" max=p.calls_expected value=p.calls_done></progress>
                <p class="muted">"Started " <RelativeTime at=p.started_at /> "."</p>
            </section>
        }
    });
    let idle = (!s.enabled).then(|| {
        view! {
            <p class="alert">
                "This instance does not run the sync (CMR_INDEX_SYNC_PER_SECOND is 0); another instance may."
            </p>
        }
    });
    view! {
        {idle}
        {running}
        <section class="card" aria-labelledby="sync-summary">
            <h2 id="sync-summary">"Index"</h2>
            <dl class="facts">
                <dt>"Last full pass"</dt>
                <dd>
                    {match s.last_full_pass_at {
                        Some(at) => view! {
                            <RelativeTime at />
                            {s.last_pass_seconds.map(|secs| format!(" · took {:.0} s", secs))}
                            {s.last_pass_calls.map(|calls| format!(" · {calls} CMR calls"))}
                        }.into_any(),
                        None => "none yet".into_any(),
                    }}
                </dd>
                <dt>"Share of CMR's budget"</dt>
                <dd>{format!("{} calls per second", s.per_second)}</dd>
                <dt>"Customers"</dt><dd>{s.customers}</dd>
                <dt>"Domains"</dt><dd>{s.domains}</dd>
                <dt>"Subscriptions"</dt><dd>{s.subscriptions}</dd>
                <dt>"Mailboxes"</dt><dd>{s.mailboxes}</dd>
                <dt>"Marked gone"</dt><dd>{s.gone}</dd>
                <dt>"Errors"</dt>
                <dd>
                    {s.errors}
                    {s.last_error.map(|e| view! { " · last: " {e} })}
                    {s.last_error_at.map(|at| view! { " (" <RelativeTime at /> ")" })}
                </dd>
            </dl>
            <p><a href=routes::SEARCH>"Search the index"</a></p>
        </section>
    }
}
