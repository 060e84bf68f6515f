//! `/mailboxes/:id`: the mailbox as CMR shows it now; its admin credentials only after an admin
//! asks (the page holds none before); renaming (editors) with "requested" until CMR shows it;
//! removal (admins, typed).

use super::{get_mailbox, RemoveMailbox, RenameMailbox, RevealCredentials};
use crate::components::alert::{Alert, ErrorAlert};
use crate::components::badge::StatusBadge;
use crate::components::confirm::{ConfirmPanel, TypedConfirm};
use crate::components::loaded::Loaded;
use crate::components::relative_time::RelativeTime;
use crate::location;
use crate::model::mailbox::{MailboxDetail, MailboxRename};
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn MailboxPage() -> impl IntoView {
    let params = location::params();
    let id = Memo::new(move |_| params.read().get("id").unwrap_or_default());
    let changed = RwSignal::new(0u32);
    let mailbox = resource(move || (id.get(), changed.get()), |(id, _)| get_mailbox(id));
    view! {
        <Loaded
            resource=mailbox
            loading="Loading the mailbox…"
            heading="Mailbox"
            after_error=|| view! { <a href=routes::MAILBOXES>"Back to the mailboxes"</a> }
            let:detail
        >
            <Mailbox detail changed />
        </Loaded>
    }
}

#[component]
fn Mailbox(detail: MailboxDetail, changed: RwSignal<u32>) -> impl IntoView {
    let row = detail.row.clone();
    // While a rename waits at CMR, look again every few seconds until CMR shows it.
    if detail.requested.is_some() {
        Effect::new(move |_| {
            let handle = set_timeout_with_handle(
                move || changed.update(|n| *n += 1),
                std::time::Duration::from_secs(3),
            )
            .ok();
            on_cleanup(move || {
                if let Some(handle) = handle {
                    handle.clear();
                }
            });
        });
    }
    view! {
        <Title text=row.email.clone() />
        <h1>{row.email.clone()} " " <StatusBadge status=row.status.clone() /></h1>
        <p class="fetched-at muted">"Read from CMR " <RelativeTime at=detail.fetched_at /> "."</p>
        {detail.requested.clone().map(|(name, at)| view! {
            <p class="alert alert-warning" role="status">
                {format!("Rename to “{name}” requested ")} <RelativeTime at />
                ": CMR applies it shortly; this page shows the new name once CMR does."
            </p>
        })}
        <section class="card" aria-labelledby="mailbox-heading">
            <h2 id="mailbox-heading">"Mailbox"</h2>
            <dl class="facts">
                <dt>"Name"</dt>
                <dd>{row.name.clone()}</dd>
                <dt>"Domain"</dt>
                <dd><a href=routes::domain(&row.domain)>{row.domain.clone()}</a></dd>
                <dt>"Customer"</dt>
                <dd><a href=routes::customer(&row.customer_id)>{row.customer.clone()}</a></dd>
                <dt>"Subscription"</dt>
                <dd>{detail.subscription_id.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"Warmup"</dt>
                <dd>{if row.on_warmup { "on" } else { "off" }}</dd>
                <dt>"CMR mailbox id"</dt>
                <dd><code>{row.id.clone()}</code></dd>
            </dl>
        </section>
        {detail.can_reveal.then(|| view! { <Reveal id=row.id.clone() /> })}
        {detail.can_edit.then(|| view! { <Rename detail=detail.clone() changed /> })}
        {detail.can_remove.then(|| view! { <Remove detail=detail.clone() /> })}
    }
}

/// The credentials, fetched only when an admin presses the button (each reveal is audited).
#[component]
fn Reveal(id: String) -> impl IntoView {
    let reveal = ServerAction::<RevealCredentials>::new();
    let error = Signal::derive(move || reveal.value().get().and_then(|r| r.err()));
    let id = StoredValue::new(id);
    view! {
        <section class="card" aria-labelledby="credentials-heading">
            <h2 id="credentials-heading">"Admin credentials"</h2>
            {move || match reveal.value().get().and_then(|r| r.ok()) {
                Some(credentials) => view! {
                    <dl class="facts">
                        {credentials.fields.into_iter().map(|(k, v)| view! {
                            <dt>{k}</dt><dd><code>{v}</code></dd>
                        }).collect_view()}
                    </dl>
                    <p class="muted">"Shown once, for you: reload the page to hide them. This reveal is in the audit log."</p>
                }.into_any(),
                None => view! {
                    <p class="muted">"Hidden. Revealing them is recorded in the audit log."</p>
                    <button type="button" class="button-secondary"
                        disabled=move || reveal.pending().get()
                        on:click=move |_| { reveal.dispatch(RevealCredentials { id: id.get_value() }); }>
                        "Reveal credentials"
                    </button>
                }.into_any(),
            }}
            <ErrorAlert error />
        </section>
    }
}

#[component]
fn Rename(detail: MailboxDetail, changed: RwSignal<u32>) -> impl IntoView {
    let rename = ServerAction::<RenameMailbox>::new();
    let error = Signal::derive(move || rename.value().get().and_then(|r| r.err()));
    let (username, first, last) = (
        RwSignal::new(detail.username.clone()),
        RwSignal::new(detail.first_name.clone()),
        RwSignal::new(detail.last_name.clone()),
    );
    let id = StoredValue::new(detail.row.id.clone());
    Effect::new(move |_| {
        if let Some(Ok(())) = rename.value().get() {
            changed.update(|n| *n += 1);
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        rename.dispatch(RenameMailbox {
            change: MailboxRename {
                id: id.get_value(),
                username: username.get_untracked(),
                first_name: first.get_untracked(),
                last_name: last.get_untracked(),
            },
        });
    };
    let message = move |field: &'static str| move || error.get().and_then(|e| e.field(field));
    let domain = detail.row.domain.clone();
    view! {
        <form on:submit=submit class="card" aria-labelledby="rename-heading">
            <h2 id="rename-heading">"Rename"</h2>
            <ErrorAlert error />
            <div class="field">
                <label for="rename-username">{format!("Address (before @{domain})")}</label>
                <input id="rename-username" maxlength="64" autocomplete="off"
                    prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev)) />
                <p class="field-error">{message("username")}</p>
            </div>
            <div class="field">
                <label for="rename-first">"First name"</label>
                <input id="rename-first" maxlength="60" autocomplete="off"
                    prop:value=move || first.get() on:input=move |ev| first.set(event_target_value(&ev)) />
                <p class="field-error">{message("first_name")}</p>
            </div>
            <div class="field">
                <label for="rename-last">"Last name"</label>
                <input id="rename-last" maxlength="60" autocomplete="off"
                    prop:value=move || last.get() on:input=move |ev| last.set(event_target_value(&ev)) />
                <p class="field-error">{message("last_name")}</p>
            </div>
            <div class="form-actions">
                <button type="submit" class="button-primary" disabled=move || rename.pending().get()>
                    {move || if rename.pending().get() { "Sending…" } else { "Request the rename" }}
                </button>
            </div>
        </form>
    }
}

#[component]
fn Remove(detail: MailboxDetail) -> impl IntoView {
    let action = ServerAction::<RemoveMailbox>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let email = detail.row.email.clone();
    let last = detail.mailboxes_on_domain <= 1;
    view! {
        <section class="card" aria-labelledby="remove-heading">
            <h2 id="remove-heading">"Remove"</h2>
            <p>"CMR removes a mailbox for good and refunds nothing. It refuses within 24 hours of the subscription's period end."</p>
            {last.then(|| view! {
                <Alert text="This is the last mailbox on its domain: removing it deletes the workspace too." warning=true />
            })}
            <ConfirmPanel summary="Remove this mailbox…">
                <ActionForm action>
                    <input type="hidden" name="id" value=detail.row.id.clone() />
                    <input type="hidden" name="customer_id" value=detail.row.customer_id.clone() />
                    <ErrorAlert error />
                    <TypedConfirm
                        name="confirm_email"
                        label=format!("Type {email} to confirm")
                        expected=email.clone()
                        action="Remove permanently"
                        pending=action.pending()
                        error=Signal::derive(move || error.get().and_then(|e| e.field("confirm_email")))
                    />
                </ActionForm>
            </ConfirmPanel>
        </section>
    }
}
