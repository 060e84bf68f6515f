use crate::components::fetched::{FetchedAt, FRESH_PARAM};
use crate::components::history::History;
use crate::components::loaded::Loaded;
use crate::components::money::Money;
use crate::components::relative_time::RelativeTime;
use crate::error::AppError;
use crate::location;
use crate::model::domain::Due;
use crate::model::home::HomeSummary;
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::reads::Freshness,
    server::{ctx, home, require_role},
};

#[server(prefix = "/api", endpoint = "home/summary")]
pub async fn load_home(fresh: Option<bool>) -> Result<HomeSummary, AppError> {
    let staff = require_role(Role::Viewer).await?;
    let freshness = Freshness::asked(fresh);
    home::summary(&ctx::state(), &staff, freshness).await
}

/// A headline figure linking to its page; a figure CMR could not give shows a dash and why.
#[component]
fn Figure(
    label: &'static str,
    value: Result<AnyView, String>,
    #[prop(into)] href: String,
) -> impl IntoView {
    view! {
        <a href=href class="figure card">
            <span class="figure-label">{label}</span>
            {match value {
                Ok(v) => view! { <span class="figure-value">{v}</span> }.into_any(),
                Err(e) => view! { <span class="figure-value muted" title=e.clone()>"—"</span><span class="figure-error">{e}</span> }.into_any(),
            }}
        </a>
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let query = location::query();
    let fresh = Memo::new(move |_| query.read().get(FRESH_PARAM).is_some());
    let summary = resource(move || fresh.get(), |fresh| load_home(Some(fresh)));
    view! {
        <Title text="Home" />
        <h1>"Home"</h1>
        <Loaded resource=summary loading="Loading the summary…" let:s>
            {
                let count = |r: Result<u64, String>| r.map(|n| n.to_string().into_any());
                let wallet = s.wallet.map(|amount| view! { <Money amount /> }.into_any());
                view! {
                    {s.fetched_at.map(|fetched_at| view! { <FetchedAt fetched_at page=routes::HOME.to_string() /> })}
                    {s.counted_at.map(|at| view! {
                        <p class="fetched-at muted">
                            "Counts from the partner index, last fully refreshed " <RelativeTime at /> "."
                        </p>
                    })}
                    <div class="figures">
                        <Figure label="Wallet balance" value=wallet href=routes::WALLET />
                        <Figure label="Customers" value=count(s.customers) href=routes::CUSTOMERS />
                        {s.domains.map(|n| view! { <Figure label="Domains" value=Ok(n.to_string().into_any()) href=routes::DOMAINS /> })}
                        {s.radar.map(|radar| {
                            let link = |due: Due| format!("{}?due={}", routes::DOMAINS, due.as_str());
                            view! {
                                <Figure label="Domains in their grace period" value=Ok(radar.grace.to_string().into_any()) href=link(Due::Grace) />
                                <Figure label="Expiring in 45 days, auto-renew off" value=Ok(radar.expiring_manual.to_string().into_any()) href=link(Due::ExpiringManual) />
                            }
                        })}
                        <Figure label="Domains (subscriptions)" value=count(s.subscriptions) href=routes::SUBSCRIPTIONS />
                        {s.lapsing.map(|n| view! {
                            <Figure label="Subscriptions lapsing in 14 days" value=Ok(n.to_string().into_any()) href=routes::SUBSCRIPTIONS_LAPSING />
                        })}
                        <Figure label="Mailboxes" value=count(s.mailboxes) href=routes::MAILBOXES />
                    </div>
                    <section class="card" aria-labelledby="cmr-heading">
                        <h2 id="cmr-heading">"CMR connection"</h2>
                        {match s.cmr {
                            None => view! { <p class="muted">"No call made yet."</p> }.into_any(),
                            Some(h) => {
                                let status = h.status.map_or("no answer".to_string(), |s| format!("HTTP {s}"));
                                view! {
                                    <p>
                                        <span class=if h.ok { "badge badge-ok" } else { "badge badge-danger" }>
                                            {if h.ok { "reachable" } else { "problem" }}
                                        </span>
                                        {format!(" Last call: {status}, {} ms.", h.latency_ms)}
                                    </p>
                                }
                                    .into_any()
                            }
                        }}
                    </section>
                    <section class="card" aria-labelledby="recent-heading">
                        <h2 id="recent-heading">"Latest activity"</h2>
                        <History entries=s.recent empty="Nothing recorded yet." />
                        <p><a href=crate::routes::AUDIT>"The whole audit log"</a></p>
                    </section>
                }
            }
        </Loaded>
    }
}
