//! `/subscriptions/renew?s=<id>`: CMR's price and the wallet read live, CMR's rules checked
//! (a subscription whose domain is in its grace period or expired is not renewed), one
//! confirmation naming the balance after, sent once.

use super::{get_subscription_quote, RenewSubscription};
use crate::components::alert::{Alert, ErrorAlert};
use crate::components::badge::StatusBadge;
use crate::components::confirm::PaidConfirm;
use crate::components::loaded::Loaded;
use crate::components::money::Money;
use crate::location;
use crate::model::subscription::{SubscriptionQuote, SubscriptionRenewal};
use crate::pages::customers::form_key;
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RenewSubscriptionPage() -> impl IntoView {
    let query = location::query();
    let id = Memo::new(move |_| query.read().get("s").unwrap_or_default());
    let quote = resource(move || id.get(), get_subscription_quote);
    view! {
        <Title text="Renew a subscription" />
        <h1>"Renew a subscription"</h1>
        <p class="muted">
            "The price and the wallet balance are read from CMR now. Renewal charges the partner wallet."
        </p>
        <Loaded
            resource=quote
            loading="Asking CMR for the price…"
            after_error=|| view! { <a href=routes::SUBSCRIPTIONS>"Back to the subscriptions"</a> }
            let:quote
        >
            <Review quote />
        </Loaded>
    }
}

#[component]
fn Review(quote: SubscriptionQuote) -> impl IntoView {
    let renew = ServerAction::<RenewSubscription>::new();
    let key = resource(|| (), |_| form_key());
    let asking = RwSignal::new(false);
    let error = Signal::derive(move || renew.value().get().and_then(|r| r.err()));
    let done = Signal::derive(move || renew.value().get().and_then(|r| r.ok()));
    let id = StoredValue::new(quote.row.id.clone());
    let price = StoredValue::new(quote.price.clone());
    let balance = StoredValue::new(quote.balance.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(Ok(key)) = key.get_untracked() else {
            return;
        };
        if renew.pending().get_untracked() {
            return;
        }
        renew.dispatch(RenewSubscription {
            request: SubscriptionRenewal {
                id: id.get_value(),
                total_cents: price.with_value(|p| p.value.cents()),
                idempotency_key: key,
            },
        });
    };
    let row = quote.row.clone();
    let blocked = quote.blocked.clone();
    let can_confirm = blocked.is_none();
    view! {
        <section class="card" aria-labelledby="review-heading">
            <h2 id="review-heading">{format!("The subscription of {}", row.domain)}</h2>
            <dl class="facts totals">
                <dt>"Domain"</dt>
                <dd><a href=routes::domain(&row.domain)>{row.domain.clone()}</a></dd>
                <dt>"Customer"</dt>
                <dd><a href=routes::customer(&row.customer_id)>{row.customer_id.clone()}</a></dd>
                <dt>"Status"</dt>
                <dd><StatusBadge status=row.status.clone() /></dd>
                <dt>"Period ends"</dt>
                <dd>{row.period_end.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Mailboxes"</dt>
                <dd>{format!("{} × ", row.mailboxes)} <Money amount=row.price_per_mailbox.clone() /></dd>
                <dt>"Total"</dt>
                <dd><Money amount=quote.price.clone() /></dd>
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
        {move || match done.get() {
            Some(message) => view! {
                <p class="alert alert-success" role="status">{message}</p>
                <p><a href=routes::SUBSCRIPTIONS>"Back to the subscriptions"</a></p>
            }.into_any(),
            None => view! {
                <form on:submit=submit class="card">
                    <ErrorAlert error />
                    {move || if asking.get() {
                        view! {
                            <PaidConfirm
                                id="renew-subscription"
                                price=price.get_value()
                                balance=balance.get_value()
                                action="Renew now"
                                pending=renew.pending()
                                on_cancel=move |()| asking.set(false)
                            />
                        }.into_any()
                    } else {
                        view! {
                            <div class="form-actions">
                                <button type="button" class="button-primary"
                                    disabled=move || !can_confirm || key.get().is_none()
                                    on:click=move |_| asking.set(true)>
                                    "Renew for a month…"
                                </button>
                                <a href=routes::SUBSCRIPTIONS>"Cancel"</a>
                            </div>
                        }.into_any()
                    }}
                </form>
            }.into_any(),
        }}
    }
}
