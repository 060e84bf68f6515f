//! The partner wallet: the header's balance slot (refreshed in the background) and the wallet
//! page with its runway forecast.

use crate::components::fetched::{FetchedAt, FRESH_PARAM};
use crate::components::loaded::Loaded;
use crate::components::money::Money;
use crate::components::relative_time::{now_secs, relative};
use crate::components::table::{Column, Row, Table};
use crate::error::AppError;
use crate::location;
use crate::model::runway::{DueKind, RunwayView};
use crate::model::spend::{SpendLine, SpendSummary};
use crate::model::WalletView;
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;

#[cfg(feature = "ssr")]
use crate::{
    model::Role,
    server::reads::Freshness,
    server::{ctx, require_role, wallet},
};

/// How often the header's balance refreshes while a page stays open.
const REFRESH: Duration = Duration::from_secs(60);

#[server(prefix = "/api", endpoint = "wallet/summary")]
pub async fn wallet_summary() -> Result<WalletView, AppError> {
    require_role(Role::Viewer).await?;
    Ok(wallet::summary(&ctx::state(), Freshness::Cached).await?)
}

/// The balance in the header. Loaded with the page, then refreshed every minute without
/// reloading, but only while the tab is visible (a hidden tab has nobody to show it to, and
/// every refresh is a CMR call). The server never counts these refreshes as activity, so an
/// open tab does not keep an idle session alive. A failure shows a dash with the reason on
/// hover instead of breaking the header.
#[cfg(feature = "hydrate")]
fn tab_is_visible() -> bool {
    document().visibility_state() == web_sys::VisibilityState::Visible
}

#[cfg(not(feature = "hydrate"))]
fn tab_is_visible() -> bool {
    true
}

#[island]
pub fn WalletSlot() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    let wallet = resource(move || tick.get(), |_| wallet_summary());
    Effect::new(move |_| {
        // Browser only: effects do not run during server rendering.
        let _ = set_interval_with_handle(
            move || {
                if tab_is_visible() {
                    tick.update(|t| *t += 1);
                }
            },
            REFRESH,
        );
    });
    view! {
        <a class="wallet" href=crate::routes::WALLET aria-label="Wallet balance">
            <span class="wallet-label">"Wallet"</span>
            <Transition fallback=|| view! { <span class="wallet-amount muted">"…"</span> }>
                {move || Suspend::new(async move {
                    match wallet.await {
                        Ok(w) => {
                            // Kept for up to 30 s (see `server::reads`): say how fresh it is,
                            // and why it is amber or red.
                            let fresh = format!("From CMR {}", relative(w.fetched_at, now_secs()));
                            let title = match &w.note {
                                Some(note) => format!("{note} {fresh}"),
                                None => fresh,
                            };
                            let class = format!("wallet-amount {}", w.level.class());
                            view! {
                                <span class=class title=title>
                                    <Money amount=w.balance />
                                    {w.note.map(|note| view! { <span class="visually-hidden">{format!(" ({note})")}</span> })}
                                </span>
                            }.into_any()
                        }
                        Err(e) => {
                            view! {
                                <span class="wallet-amount muted" title=e.to_string()>
                                    "—"
                                </span>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </a>
    }
}

/// The runway: the balance against the auto-renewals of the next 90 days.
#[server(prefix = "/api", endpoint = "wallet/runway")]
pub async fn wallet_runway(fresh: Option<bool>) -> Result<RunwayView, AppError> {
    require_role(Role::Viewer).await?;
    wallet::runway(&ctx::state(), Freshness::asked(fresh)).await
}

/// What the dashboard spent from the wallet, per month and per customer.
#[server(prefix = "/api", endpoint = "wallet/spend")]
pub async fn wallet_spend() -> Result<SpendSummary, AppError> {
    require_role(Role::Viewer).await?;
    wallet::spend(&ctx::state()).await
}

#[component]
pub fn WalletPage() -> impl IntoView {
    let query = location::query();
    let fresh = Memo::new(move |_| query.read().get(FRESH_PARAM).is_some());
    let runway = resource(move || fresh.get(), |fresh| wallet_runway(Some(fresh)));
    view! {
        <Title text="Wallet" />
        <h1>"Wallet"</h1>
        <Loaded resource=runway loading="Reading the wallet and the renewals due…" let:view>
            <RunwayReport view />
        </Loaded>
        <Spend />
    }
}

/// The dashboard's own spend records: per month, per customer, and the CSV of every item.
#[component]
fn Spend() -> impl IntoView {
    let spend = resource(|| (), |_| wallet_spend());
    let columns = |first: &'static str| {
        vec![
            Column::new(first),
            Column::new("Charged"),
            Column::new("Outcome unknown"),
            Column::new("Items"),
        ]
    };
    let rows = |lines: Vec<SpendLine>| -> Vec<Row> {
        lines
            .into_iter()
            .map(|l| {
                Row::new(vec![
                    l.key.into_any(),
                    view! { <Money amount=l.charged /> }.into_any(),
                    view! { <Money amount=l.unknown /> }.into_any(),
                    l.items.to_string().into_any(),
                ])
            })
            .collect()
    };
    view! {
        <section class="card" aria-labelledby="spend-heading">
            <h2 id="spend-heading">"Spent through the dashboard"</h2>
            <p class="muted">
                "Renewals (and orders) staff sent from here, as the dashboard recorded them. "
                <a href=routes::SPEND_EXPORT download="">"Download every item (CSV)"</a>
            </p>
            <Loaded resource=spend loading="Summing the spend…" let:summary>
                <h3>"Per month"</h3>
                <Table columns=columns("Month") rows=rows(summary.months) empty="Nothing spent through the dashboard yet." />
                <h3>"Per customer"</h3>
                <Table columns=columns("Customer") rows=rows(summary.customers) empty="Nothing spent through the dashboard yet." />
            </Loaded>
        </section>
    }
}

const RENEWAL_COLUMNS: [Column; 4] = [
    Column::new("Due"),
    Column::new("Renews"),
    Column::new("Customer"),
    Column::new("Amount"),
];

#[component]
fn RunwayReport(view: RunwayView) -> impl IntoView {
    let r = view.runway;
    let verdict = match &r.runs_out {
        Some(out) if out.in_days == 0 && r.balance.value.is_negative() => {
            "The balance is below zero: CMR will refuse paid actions until the wallet is topped up."
                .to_string()
        }
        Some(out) => format!(
            "Without a top-up the balance runs out on {} (in {} day{}), at the renewal of {}.",
            out.on,
            out.in_days,
            if out.in_days == 1 { "" } else { "s" },
            out.label
        ),
        None => "The balance covers every auto-renewal known for the next 90 days.".to_string(),
    };
    let warning = r.runs_out.is_some();
    let horizon_rows = r
        .horizons
        .iter()
        .map(|h| {
            Row::new(vec![
                format!("Next {} days", h.days).into_any(),
                h.count.to_string().into_any(),
                view! { <Money amount=h.due.clone() /> }.into_any(),
                view! { <Money amount=h.after.clone() /> }.into_any(),
                h.unpriced.to_string().into_any(),
            ])
        })
        .collect();
    let renewal_rows = r
        .items
        .clone()
        .into_iter()
        .map(|d| {
            Row::new(vec![
                d.on.clone().into_any(),
                match d.kind {
                    DueKind::Domain => {
                        view! { <a href=routes::domain(&d.label)>{d.label.clone()}</a> }.into_any()
                    }
                    DueKind::Subscription => d.label.clone().into_any(),
                },
                view! { <a href=routes::customer(&d.customer_id)>{d.customer_id.clone()}</a> }
                    .into_any(),
                match d.amount {
                    Some(a) => view! { <Money amount=a /> }.into_any(),
                    None => view! { <span class="muted">"price not known yet"</span> }.into_any(),
                },
            ])
        })
        .collect();
    let other = (r.other_currency > 0).then(|| {
        format!(
            "{} renewal{} priced in another currency {} not added up.",
            r.other_currency,
            if r.other_currency == 1 {
                " is"
            } else {
                "s are"
            },
            if r.other_currency == 1 {
                "and is"
            } else {
                "and are"
            }
        )
    });
    view! {
        <section class="card" aria-labelledby="balance-heading">
            <h2 id="balance-heading">"Balance"</h2>
            <p class="balance-figure"><Money amount=r.balance.clone() /></p>
            <FetchedAt fetched_at=view.fetched_at page=routes::WALLET.to_string() />
            <p class=if warning { "alert alert-warning" } else { "alert alert-success" } role="status">{verdict}</p>
        </section>
        <section class="card" aria-labelledby="runway-heading">
            <h2 id="runway-heading">"Auto-renewals due"</h2>
            <p class="muted">
                "Subscriptions (mailboxes × price per mailbox, at the end of their period) and domains (their renewal price, at expiry) with auto-renew on, from the partner index."
            </p>
            <Table
                columns=vec![
                    Column::new("Within"),
                    Column::new("Renewals"),
                    Column::new("Due"),
                    Column::new("Balance after"),
                    Column::new("Not priced yet"),
                ]
                rows=horizon_rows
                empty=""
            />
            {other.map(|text| view! { <p class="muted">{text}</p> })}
            <RunwayChart points=r.points.clone() currency=r.balance.currency.clone() />
        </section>
        <section class="card" aria-labelledby="renewals-heading">
            <h2 id="renewals-heading">"Next 90 days, soonest first"</h2>
            <Table columns=RENEWAL_COLUMNS.to_vec() rows=renewal_rows empty="No auto-renewal due in the next 90 days." />
        </section>
    }
}

/// The projected balance as a step line over 90 days (server-rendered SVG), with the zero
/// line; the figures are in the table above for anyone who cannot see it.
#[component]
fn RunwayChart(points: Vec<(i32, i64)>, currency: String) -> impl IntoView {
    const W: f64 = 600.0;
    const H: f64 = 180.0;
    const DAYS: f64 = 90.0;
    let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(0) as f64;
    let min = points.iter().map(|p| p.1).min().unwrap_or(0).min(0) as f64;
    let span = (max - min).max(1.0);
    let x = |day: i32| f64::from(day) / DAYS * W;
    let y = |cents: i64| H - (cents as f64 - min) / span * H;
    let mut path = String::new();
    for (i, &(day, cents)) in points.iter().enumerate() {
        if i == 0 {
            path.push_str(&format!("M{:.1},{:.1}", x(day), y(cents)));
        } else {
            // A step: flat until the payment day, then down.
            path.push_str(&format!(" H{:.1} V{:.1}", x(day), y(cents)));
        }
    }
    path.push_str(&format!(" H{W:.1}"));
    let zero = y(0);
    let lowest = points.iter().map(|p| p.1).min().unwrap_or(0);
    let label = format!(
        "Projected balance over the next 90 days, lowest {:.2} {currency}.",
        lowest as f64 / 100.0
    );
    view! {
        <figure class="runway-chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=label.clone() preserveAspectRatio="none">
                <line x1="0" x2=W.to_string() y1=zero.to_string() y2=zero.to_string() class="zero-line" />
                <path d=path class="balance-line" />
            </svg>
            <figcaption class="muted">{label} " Today on the left, 90 days ahead on the right."</figcaption>
        </figure>
    }
}
