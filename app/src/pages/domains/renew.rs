//! The renewal review (`/domains/renew?d=a.com&d=b.net`): one domain from its page or many
//! from the radar. CMR's prices and the wallet are read live; what cannot be renewed says
//! why; one total, one confirmation naming the balance after, sent once.

use super::{get_renewal_quote, RenewDomains};
use crate::components::alert::{Alert, ErrorAlert};
use crate::components::badge::StatusBadge;
use crate::components::confirm::PaidConfirm;
use crate::components::loaded::Loaded;
use crate::components::money::Money;
use crate::components::table::{Column, Row, Table};
use crate::location;
use crate::model::renewal::{RenewalOutcome, RenewalQuote, RenewalRequest, RenewalResult};
use crate::pages::customers::form_key;
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RenewPage() -> impl IntoView {
    let query = location::query();
    let names = Memo::new(move |_| query.read().get_all("d").unwrap_or_default());
    let quote = resource(move || names.get(), get_renewal_quote);
    view! {
        <Title text="Renew domains" />
        <h1>"Renew domains"</h1>
        <p class="muted">
            "Prices and the wallet balance are read from CMR now. Renewal charges the partner wallet."
        </p>
        <Loaded
            resource=quote
            loading="Asking CMR for prices…"
            after_error=|| view! { <a href=routes::DOMAINS>"Back to the domain list"</a> }
            let:quote
        >
            <Review quote />
        </Loaded>
    }
}

const COLUMNS: [Column; 5] = [
    Column::new("Domain"),
    Column::new("Status"),
    Column::new("Expires"),
    Column::new("Price"),
    Column::new("Renewable"),
];

#[component]
fn Review(quote: RenewalQuote) -> impl IntoView {
    let renew = ServerAction::<RenewDomains>::new();
    let key = resource(|| (), |_| form_key());
    let asking = RwSignal::new(false);
    let error = Signal::derive(move || renew.value().get().and_then(|r| r.err()));
    let outcome = Signal::derive(move || renew.value().get().and_then(|r| r.ok()));
    let rows = quote
        .lines
        .clone()
        .into_iter()
        .map(|l| {
            Row::new(vec![
                view! { <a href=routes::domain(&l.name)>{l.name.clone()}</a> }.into_any(),
                view! { <StatusBadge status=l.status.clone() /> }.into_any(),
                l.expires_on
                    .clone()
                    .unwrap_or_else(|| "—".into())
                    .into_any(),
                match l.price {
                    Some(price) => view! { <Money amount=price /> }.into_any(),
                    None => "—".into_any(),
                },
                match l.refused {
                    None => format!(
                        "yes, {} year{}",
                        l.years,
                        if l.years == 1 { "" } else { "s" }
                    )
                    .into_any(),
                    Some(why) => view! { <span class="field-error">{why}</span> }.into_any(),
                },
            ])
        })
        .collect();
    let domains = StoredValue::new(quote.renewable());
    let count = domains.with_value(Vec::len);
    let total = StoredValue::new(quote.total.clone());
    let balance = StoredValue::new(quote.balance.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(Ok(key)) = key.get_untracked() else {
            return;
        };
        renew.dispatch(RenewDomains {
            request: RenewalRequest {
                domains: domains.get_value(),
                total_cents: total.with_value(|t| t.value.cents()),
                idempotency_key: key,
            },
        });
    };
    let blocked = quote.blocked.clone();
    let can_confirm = blocked.is_none();
    view! {
        <section class="card" aria-labelledby="review-heading">
            <h2 id="review-heading">{format!("{} domain{} chosen", quote.lines.len(), if quote.lines.len() == 1 { "" } else { "s" })}</h2>
            <Table columns=COLUMNS.to_vec() rows empty="No domain chosen." />
            <dl class="facts totals">
                <dt>"Total"</dt>
                <dd><Money amount=quote.total.clone() /></dd>
                <dt>"Wallet balance"</dt>
                <dd><Money amount=quote.balance.clone() /></dd>
                <dt>"Balance after"</dt>
                <dd>
                    {match quote.after.clone() {
                        Some(after) => view! { <Money amount=after /> }.into_any(),
                        None => "—".into_any(),
                    }}
                </dd>
            </dl>
            {blocked.map(|text| view! { <Alert text warning=true /> })}
        </section>
        {move || match outcome.get() {
            Some(outcome) => view! { <Outcome outcome /> }.into_any(),
            None if count == 0 => view! {
                <p><a href=routes::DOMAINS>"Back to the domain list"</a></p>
            }.into_any(),
            None => view! {
                <form on:submit=submit class="card">
                    <ErrorAlert error />
                    {move || if asking.get() {
                        view! {
                            <PaidConfirm
                                id="renew"
                                price=total.get_value()
                                balance=balance.get_value()
                                action="Renew now"
                                pending=renew.pending()
                                on_cancel=move |()| asking.set(false)
                            />
                        }.into_any()
                    } else {
                        view! {
                            <div class="form-actions">
                                <button
                                    type="button"
                                    class="button-primary"
                                    disabled=move || !can_confirm || key.get().is_none()
                                    on:click=move |_| asking.set(true)
                                >
                                    {format!("Renew {count} domain{}…", if count == 1 { "" } else { "s" })}
                                </button>
                                <a href=routes::DOMAINS>"Cancel"</a>
                            </div>
                        }.into_any()
                    }}
                </form>
            }.into_any(),
        }}
    }
}

/// What the renewal did, per customer (one CMR call each).
#[component]
fn Outcome(outcome: RenewalOutcome) -> impl IntoView {
    let items = outcome
        .groups
        .into_iter()
        .map(|(names, result)| {
            let names = names.join(", ");
            match result {
                RenewalResult::Queued => view! {
                    <li class="alert alert-success" role="status">
                        {format!("Renewal queued for {names}: they show RENEWING until CMR confirms.")}
                    </li>
                }
                .into_any(),
                RenewalResult::Refused(why) => view! {
                    <li class="alert alert-error" role="alert">
                        {format!("Not renewed: {names}. {why}")}
                    </li>
                }
                .into_any(),
                RenewalResult::Unknown(why) => view! {
                    <li class="alert alert-warning" role="alert">{format!("{names}: {why}")}</li>
                }
                .into_any(),
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="outcome-heading">
            <h2 id="outcome-heading">"Result"</h2>
            <ul class="plain">{items}</ul>
            <p><a href=routes::DOMAINS>"Back to the domain list"</a></p>
        </section>
    }
}
