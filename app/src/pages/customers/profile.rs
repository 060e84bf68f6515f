use super::{customer_timeline, get_customer, DeleteCustomer};
use crate::components::alert::{Alert, ErrorAlert};
use crate::components::confirm::{ConfirmPanel, TypedConfirm};
use crate::components::copy::CopyButton;
use crate::components::fetched::{FetchedAt, FRESH_PARAM};
use crate::components::history::LiveHistory;
use crate::components::loaded::Loaded;
use crate::components::section::{MailboxesSection, SubscriptionsSection};
use crate::location;
use crate::model::customer::CustomerDetail;
use crate::pages::domains::DomainRows;
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = location::params();
    let query = location::query();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let fresh = Memo::new(move |_| query.read().get(FRESH_PARAM).is_some());
    let customer = resource(
        move || (id.get(), fresh.get()),
        |(id, fresh)| get_customer(id, Some(fresh)),
    );
    view! {
        <Loaded
            resource=customer
            loading="Loading the customer…"
            heading="Customer"
            after_error=|| view! { <a href=routes::CUSTOMERS>"Back to the customer list"</a> }
            let:detail
        >
            <Profile detail />
        </Loaded>
    }
}

#[component]
fn Profile(detail: CustomerDetail) -> impl IntoView {
    let p = detail.profile.clone();
    let name = p.full_name();
    let edit_href = routes::customer_edit(&detail.id);
    let address: Vec<String> = [
        &p.address_line_one,
        &p.address_line_two,
        &p.address_line_three,
        &format!("{} {}", p.postal_code, p.city),
        &p.state,
        &p.country,
    ]
    .into_iter()
    .map(|s| s.trim().to_string())
    .filter(|s| !s.is_empty())
    .collect();
    view! {
        <Title text=name.clone() />
        <div class="page-head">
            <div>
                <h1>{name.clone()}</h1>
                <p class="muted">{p.company.clone()}</p>
                <FetchedAt fetched_at=detail.fetched_at page=routes::customer(&detail.id) />
            </div>
            {detail.can_edit.then(|| view! {
                <div class="form-actions">
                    <a href=routes::new_order(&detail.id) class="button-secondary">"New order"</a>
                    <a href=edit_href class="button-primary">"Edit profile"</a>
                </div>
            })}
        </div>
        <div class="grid-2">
            <section class="card" aria-labelledby="contact-heading">
                <h2 id="contact-heading">"Contact"</h2>
                <dl class="facts">
                    <dt>"CMR user id"</dt>
                    <dd>
                        <code>{detail.id.clone()}</code>
                        <CopyButton text=detail.id.clone() label="Copy user id" />
                    </dd>
                    <dt>"Email"</dt>
                    <dd>
                        <a href=format!("mailto:{}", p.email)>{p.email.clone()}</a>
                        <CopyButton text=p.email.clone() label="Copy email" />
                    </dd>
                    <dt>"Phone"</dt>
                    <dd>{format!("+{} {}", p.phone_cc, p.phone)}</dd>
                    <dt>"Language"</dt>
                    <dd>{p.language_preference.clone()}</dd>
                </dl>
            </section>
            <section class="card" aria-labelledby="address-heading">
                <h2 id="address-heading">"Address"</h2>
                <address>
                    {address.into_iter().map(|line| view! { {line}<br /> }).collect_view()}
                </address>
            </section>
        </div>
        <section class="card" aria-labelledby="domains-heading">
            <h2 id="domains-heading">"Domains"</h2>
            {match detail.domains.clone() {
                Ok(rows) => view! { <DomainRows rows empty="No domains." /> }.into_any(),
                Err(message) => view! { <Alert text=format!("Could not load: {message}") /> }.into_any(),
            }}
        </section>
        <MailboxesSection section=detail.mailboxes.clone() empty="No mailboxes." />
        <SubscriptionsSection section=detail.subscriptions.clone() empty="No subscriptions." />
        <LiveHistory
            first=detail.history.clone()
            fetch={
                let id = detail.id.clone();
                move || {
                    let id = id.clone();
                    async move { customer_timeline(id).await.ok() }
                }
            }
            empty="No changes recorded for this customer yet."
        />
        <p>
            <a href=crate::routes::audit_of("customer", &detail.id)>"This customer in the audit log"</a>
        </p>
        {detail.can_delete.then(|| view! { <DeleteCustomerPanel detail=detail.clone() /> })}
    }
}

/// Deleting is permanent: the panel names the customer and asks for their email (typed
/// exactly; the server checks it again).
#[component]
fn DeleteCustomerPanel(detail: CustomerDetail) -> impl IntoView {
    let action = ServerAction::<DeleteCustomer>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let name = detail.profile.full_name();
    let email = detail.profile.email.clone();
    let blocked = match (&detail.domains, &detail.mailboxes) {
        (Ok(d), Ok(m)) if !d.is_empty() || !m.is_empty() => Some(format!(
            "CMR will refuse while {name} has domains ({}) or mailboxes ({}).",
            d.len(),
            m.len()
        )),
        _ => None,
    };
    view! {
        <section class="card danger-zone" aria-labelledby="delete-heading">
            <h2 id="delete-heading">"Delete customer"</h2>
            <ConfirmPanel summary=format!("Delete {name}…")>
                <p>
                    {format!(
                        "This permanently deletes {name} at CMR, with their billing records and orders. It cannot be undone.",
                    )}
                </p>
                {blocked.map(|text| view! { <p class="alert alert-warning">{text}</p> })}
                <ActionForm action=action>
                    <ErrorAlert error=Signal::derive(move || {
                        error.get().filter(|e| e.field("confirm_email").is_none())
                    }) />
                    <input type="hidden" name="id" value=detail.id.clone() />
                    <TypedConfirm
                        name="confirm_email"
                        label=format!("Type {email} to confirm")
                        expected=email
                        action="Delete permanently"
                        pending=action.pending()
                        error=Signal::derive(move || error.get().and_then(|e| e.field("confirm_email")))
                    />
                </ActionForm>
            </ConfirmPanel>
        </section>
    }
}
