//! `/customers/:id/orders/new`: new domains with their mailboxes, or more mailboxes on a domain
//! the customer has. The form checks what it can as staff type (the server checks it all
//! again); "Prepare order" has CMR create the order unconfirmed (nothing is charged) and opens
//! its page, where an admin confirms the price.

use super::{new_order_form, PrepareOrder};
use crate::components::alert::{Alert, ErrorAlert};
use crate::components::loaded::Loaded;
use crate::components::money::Money;
use crate::error::AppError;
use crate::location;
use crate::model::money::Amount;
use crate::model::order::{domain_name, MailboxDraft, OrderDraft, OrderForm, OrderKind, YEARS};
use crate::pages::customers::form_key;
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NewOrderPage() -> impl IntoView {
    let params = location::params();
    let customer = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let form = resource(move || customer.get(), new_order_form);
    view! {
        <Title text="New order" />
        <h1>"New order"</h1>
        <Loaded
            resource=form
            loading="Loading the customer…"
            after_error=move || view! { <a href=routes::customer(&customer.get_untracked())>"Back to the customer"</a> }
            let:form
        >
            <OrderFormView form />
        </Loaded>
    }
}

/// One mailbox line: its fields as signals, and a key for the list.
#[derive(Clone, Copy)]
struct Line {
    key: u32,
    domain: RwSignal<String>,
    username: RwSignal<String>,
    first_name: RwSignal<String>,
    last_name: RwSignal<String>,
}

impl Line {
    fn new(key: u32) -> Line {
        Line {
            key,
            domain: RwSignal::new(String::new()),
            username: RwSignal::new(String::new()),
            first_name: RwSignal::new(String::new()),
            last_name: RwSignal::new(String::new()),
        }
    }

    fn draft(self) -> MailboxDraft {
        MailboxDraft {
            domain: self.domain.get(),
            username: self.username.get(),
            first_name: self.first_name.get(),
            last_name: self.last_name.get(),
        }
    }
}

#[component]
fn OrderFormView(form: OrderForm) -> impl IntoView {
    let prepare = ServerAction::<PrepareOrder>::new();
    let key = resource(|| (), |_| form_key());
    let navigate = location::navigator();
    let customer_id = StoredValue::new(form.customer_id.clone());
    let has_domains = !form.domains.is_empty();
    let kind = RwSignal::new(OrderKind::NewDomains);
    let domains_text = RwSignal::new(String::new());
    let years = RwSignal::new(1u32);
    let existing = RwSignal::new(form.domains.first().cloned().unwrap_or_default());
    let provider = RwSignal::new("GOOGLE".to_string());
    let auto_renew = RwSignal::new(true);
    let next_key = StoredValue::new(1u32);
    let lines = RwSignal::new(vec![Line::new(0)]);
    let shown_error = RwSignal::new(None::<AppError>);
    let draft = move || OrderDraft {
        customer_id: customer_id.get_value(),
        kind: kind.get(),
        domains: vec![domains_text.get()],
        years: years.get(),
        existing_domain: existing.get(),
        mailboxes: lines.get().into_iter().map(Line::draft).collect(),
        provider: provider.get(),
        auto_renew: auto_renew.get(),
        idempotency_key: key.get().and_then(Result::ok).unwrap_or_default(),
    };
    // The domains typed so far (for the mailbox lines' domain choice).
    let typed_domains = move || -> Vec<String> {
        let mut names: Vec<String> = domains_text
            .get()
            .split([',', '\n', ' '])
            .filter_map(domain_name)
            .collect();
        names.dedup();
        names
    };
    Effect::new(move |_| {
        if let Some(result) = prepare.value().get() {
            match result {
                Ok(id) => navigate.go_to(&routes::order(id)),
                Err(err) => shown_error.set(Some(err)),
            }
        }
    });
    let error = Signal::derive(move || shown_error.get());
    let field_error = move |field: String| move || error.get().and_then(|e| e.field(&field));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if prepare.pending().get_untracked() {
            return;
        }
        let draft = draft();
        // The same checks as the server's, before anything is sent.
        if let Err(errors) = draft.check() {
            shown_error.set(Some(AppError::Invalid(errors)));
            return;
        }
        shown_error.set(None);
        prepare.dispatch(PrepareOrder { draft });
    };
    let count = move || {
        lines
            .get()
            .iter()
            .filter(|l| !l.username.get().trim().is_empty())
            .count()
    };
    let price = form.mailbox_price.clone();
    let estimate = move || {
        let n = i64::try_from(count()).unwrap_or(0);
        price
            .value
            .checked_mul(n)
            .map(|m| Amount::new(m, price.currency.clone()))
    };
    let customer_link = routes::customer(&form.customer_id);
    view! {
        <p>"For " <a href=customer_link.clone()>{form.customer.clone()}</a></p>
        {(!form.can_order).then(|| view! { <Alert text="Your role cannot prepare orders." warning=true /> })}
        <form on:submit=submit class="card" novalidate>
            <ErrorAlert error />
            <fieldset>
                <legend>"What to order"</legend>
                <label class="checkbox">
                    <input type="radio" name="kind" value="new_domains"
                        prop:checked=move || kind.get() == OrderKind::NewDomains
                        on:change=move |_| kind.set(OrderKind::NewDomains) />
                    " New domains with mailboxes"
                </label>
                <label class="checkbox">
                    <input type="radio" name="kind" value="more_mailboxes" disabled=!has_domains
                        prop:checked=move || kind.get() == OrderKind::MoreMailboxes
                        on:change=move |_| kind.set(OrderKind::MoreMailboxes) />
                    {if has_domains { " More mailboxes on a domain the customer has" } else { " More mailboxes (the customer has no active domain yet)" }}
                </label>
            </fieldset>
            {move || match kind.get() {
                OrderKind::NewDomains => view! {
                    <div class="field">
                        <label for="order-domains">"Domains to register (one per line)"</label>
                        <textarea id="order-domains" rows="3" required
                            aria-describedby="order-domains-error"
                            prop:value=move || domains_text.get()
                            on:input=move |ev| domains_text.set(event_target_value(&ev))></textarea>
                        <p class="field-error" id="order-domains-error">{field_error("domains".into())}</p>
                    </div>
                    <div class="field">
                        <label for="order-years">"Registration years"</label>
                        <select id="order-years" aria-describedby="order-years-error"
                            on:change=move |ev| years.set(event_target_value(&ev).parse().unwrap_or(1))>
                            {YEARS.map(|y| view! { <option value=y.to_string() selected=move || years.get() == y>{y.to_string()}</option> }).collect_view()}
                        </select>
                        <p class="field-error" id="order-years-error">{field_error("years".into())}</p>
                    </div>
                }.into_any(),
                OrderKind::MoreMailboxes => {
                    let options = form.domains.clone();
                    view! {
                        <div class="field">
                            <label for="order-existing">"Domain"</label>
                            <select id="order-existing" aria-describedby="order-existing-error"
                                on:change=move |ev| existing.set(event_target_value(&ev))>
                                {options.into_iter().map(|d| {
                                    let selected = { let d = d.clone(); move || existing.get() == d };
                                    view! { <option value=d.clone() selected=selected>{d.clone()}</option> }
                                }).collect_view()}
                            </select>
                            <p class="field-error" id="order-existing-error">{field_error("existing_domain".into())}</p>
                        </div>
                    }.into_any()
                }
            }}
            <div class="field">
                <label for="order-provider">"Workspace"</label>
                <select id="order-provider" on:change=move |ev| provider.set(event_target_value(&ev))>
                    <option value="GOOGLE" selected=move || provider.get() == "GOOGLE">"Google Workspace"</option>
                    <option value="MICROSOFT" selected=move || provider.get() == "MICROSOFT">"Microsoft 365"</option>
                </select>
            </div>
            <label class="checkbox">
                <input type="checkbox" prop:checked=move || auto_renew.get()
                    on:change=move |ev| auto_renew.set(event_target_checked(&ev)) />
                " Renew the mailbox subscription every month"
            </label>
            <fieldset>
                <legend>"Mailboxes"</legend>
                <p class="field-error" id="order-mailboxes-error">{field_error("mailboxes".into())}</p>
                <For each=move || lines.get() key=|l| l.key let:line>
                    <MailboxLine line lines kind typed_domains existing error
                        on_remove=Callback::new(move |()| lines.update(|ls| ls.retain(|l| l.key != line.key))) />
                </For>
                <button type="button" class="button-secondary" on:click=move |_| {
                    let key = next_key.get_value();
                    next_key.set_value(key + 1);
                    let line = Line::new(key);
                    if let Some(first) = typed_domains().first() {
                        line.domain.set(first.clone());
                    }
                    lines.update(|ls| ls.push(line));
                }>"Add a mailbox"</button>
            </fieldset>
            <dl class="facts totals">
                <dt>"Mailboxes"</dt>
                <dd>{move || format!("{} × {} a month", count(), form.mailbox_price)}</dd>
                <dt>"Known so far"</dt>
                <dd>{move || estimate().map(|amount| view! { <Money amount /> })}</dd>
                <dt>"Wallet balance"</dt>
                <dd>
                    {match form.balance.clone() {
                        Some(balance) => view! { <Money amount=balance /> }.into_any(),
                        None => "could not be read".into_any(),
                    }}
                </dd>
            </dl>
            <p class="muted">
                "Domain registration is priced by CMR. Preparing creates the order at CMR without paying for it; its page then shows CMR's total and the balance after, and an admin confirms it."
            </p>
            <div class="form-actions">
                <button type="submit" class="button-primary"
                    disabled=move || !form.can_order || prepare.pending().get() || key.get().is_none()>
                    {move || if prepare.pending().get() { "Checking and preparing…" } else { "Prepare order" }}
                </button>
                <a href=customer_link>"Cancel"</a>
            </div>
        </form>
    }
}

#[component]
fn MailboxLine(
    line: Line,
    lines: RwSignal<Vec<Line>>,
    kind: RwSignal<OrderKind>,
    typed_domains: impl Fn() -> Vec<String> + Copy + Send + Sync + 'static,
    existing: RwSignal<String>,
    error: Signal<Option<AppError>>,
    on_remove: Callback<()>,
) -> impl IntoView {
    let n = line.key;
    let id = move |field: &str| format!("mailbox-{n}-{field}");
    // Errors are keyed by the line's position in the submitted list, which is its place now.
    let position = move || lines.with(|ls| ls.iter().position(|l| l.key == n).unwrap_or(0));
    let message = move |field: &'static str| {
        move || {
            error
                .get()
                .and_then(|e| e.field(&format!("mailbox.{}.{field}", position())))
        }
    };
    let domain_choice = move || match kind.get() {
        OrderKind::MoreMailboxes => {
            view! { <span>{move || format!("@{}", existing.get())}</span> }.into_any()
        }
        OrderKind::NewDomains => view! {
            <select id=id("domain") aria-label="Domain"
                on:change=move |ev| line.domain.set(event_target_value(&ev))>
                <option value="">"Choose a domain"</option>
                {move || typed_domains().into_iter().map(|d| {
                    let selected = { let d = d.clone(); move || line.domain.get() == d };
                    view! { <option value=d.clone() selected=selected>{format!("@{d}")}</option> }
                }).collect_view()}
            </select>
        }
        .into_any(),
    };
    view! {
        <div class="mailbox-line" role="group" aria-label=move || format!("Mailbox {}", position() + 1)>
            <div class="field">
                <label for=id("username")>"Address"</label>
                <input id=id("username") autocomplete="off" maxlength="64"
                    prop:value=move || line.username.get()
                    on:input=move |ev| line.username.set(event_target_value(&ev)) />
                <p class="field-error">{message("username")}</p>
            </div>
            <div class="field">
                <span class="label">"Domain"</span>
                {domain_choice}
                <p class="field-error">{message("domain")}</p>
            </div>
            <div class="field">
                <label for=id("first")>"First name"</label>
                <input id=id("first") autocomplete="off" maxlength="60"
                    prop:value=move || line.first_name.get()
                    on:input=move |ev| line.first_name.set(event_target_value(&ev)) />
                <p class="field-error">{message("first_name")}</p>
            </div>
            <div class="field">
                <label for=id("last")>"Last name"</label>
                <input id=id("last") autocomplete="off" maxlength="60"
                    prop:value=move || line.last_name.get()
                    on:input=move |ev| line.last_name.set(event_target_value(&ev)) />
                <p class="field-error">{message("last_name")}</p>
            </div>
            <button type="button" class="button-secondary" on:click=move |_| on_remove.run(())>
                {move || format!("Remove mailbox {}", position() + 1)}
            </button>
        </div>
    }
}
