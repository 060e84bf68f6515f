//! One domain: what CMR says about it, its mailboxes and subscription, renewal, auto-renew,
//! forwarding, removal and its timeline.

use super::{domain_timeline, get_domain, RemoveDomain, SetAutoRenew, SetForwarding};
use crate::components::alert::{Alert, ErrorAlert};
use crate::components::badge::StatusBadge;
use crate::components::confirm::{ConfirmPanel, TypedConfirm};
use crate::components::copy::CopyButton;
use crate::components::fetched::{FetchedAt, FRESH_PARAM};
use crate::components::history::LiveHistory;
use crate::components::loaded::Loaded;
use crate::components::relative_time::RelativeTime;
use crate::components::section::{yes_no, MailboxesSection, SubscriptionsSection};
use crate::components::toast::use_toasts;
use crate::location;
use crate::model::domain::{DomainDetail, Forwarding, ForwardingKind};
use crate::resource::resource;
use crate::routes;
use leptos::prelude::*;
use leptos_meta::Title;

/// "in 12 days", "today", "3 days ago".
pub fn days(days_left: i32) -> String {
    match days_left {
        0 => "today".into(),
        1 => "tomorrow".into(),
        -1 => "yesterday".into(),
        d if d > 0 => format!("in {d} days"),
        d => format!("{} days ago", -d),
    }
}

#[component]
pub fn DomainPage() -> impl IntoView {
    let params = location::params();
    let query = location::query();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let fresh = Memo::new(move |_| query.read().get(FRESH_PARAM).is_some());
    let domain = resource(
        move || (name.get(), fresh.get()),
        |(name, fresh)| get_domain(name, Some(fresh)),
    );
    let reload = Callback::new(move |()| domain.refetch());
    view! {
        <Loaded
            resource=domain
            keep_previous=true
            loading="Loading the domain…"
            heading="Domain"
            after_error=|| view! { <a href=routes::DOMAINS>"Back to the domain list"</a> }
            let:detail
        >
            <DomainView detail reload />
        </Loaded>
    }
}

#[component]
fn DomainView(detail: DomainDetail, reload: Callback<()>) -> impl IntoView {
    let row = detail.row.clone();
    let name = row.name.clone();
    let expires = match (&row.expires_on, row.days_left) {
        (Some(on), Some(left)) => format!("{on} ({})", days(left)),
        (Some(on), None) => on.clone(),
        _ => "—".into(),
    };
    let owner = if row.customer.is_empty() {
        row.customer_id.clone()
    } else {
        row.customer.clone()
    };
    let renew = match (&detail.renewable, detail.can_renew) {
        (Ok(()), true) => view! {
            <a href=routes::domains_renew([name.as_str()]) class="button-primary">"Renew…"</a>
        }
        .into_any(),
        (Err(why), _) => view! { <p class="muted">{format!("Renewal: {why}")}</p> }.into_any(),
        (Ok(()), false) => {
            view! { <p class="muted">"Renewable now; an admin can renew it."</p> }.into_any()
        }
    };
    let other_facts = detail
        .other_facts
        .iter()
        .map(|(label, value)| view! { <dt>{label.clone()}</dt> <dd>{value.clone()}</dd> })
        .collect_view();
    view! {
        <Title text=name.clone() />
        <div class="page-head">
            <div>
                <h1>{name.clone()} " " <StatusBadge status=row.status.clone() /></h1>
                <p class="muted">
                    "Owned by " <a href=routes::customer(&row.customer_id)>{owner}</a>
                </p>
                <FetchedAt fetched_at=detail.fetched_at page=routes::domain(&name) />
            </div>
            <div class="page-actions">
                {renew}
                <a href=routes::domain_dns(&name) class="button-secondary">"DNS records"</a>
            </div>
        </div>
        <div class="grid-2">
            <section class="card" aria-labelledby="facts-heading">
                <h2 id="facts-heading">"Registration"</h2>
                <dl class="facts">
                    <dt>"Expires"</dt>
                    <dd>{expires}</dd>
                    <dt>"Registered"</dt>
                    <dd>{detail.registered_on.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Auto-renew"</dt>
                    <dd>
                        {yes_no(row.auto_renew)}
                        {detail.can_edit.then(|| view! {
                            <AutoRenewToggle name=name.clone() on=row.auto_renew reload />
                        })}
                    </dd>
                    <dt>"Mail provider"</dt>
                    <dd>{row.provider.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Purchase"</dt>
                    <dd>{detail.purchase_type.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"CMR domain id"</dt>
                    <dd>
                        <code>{detail.domain_id.clone()}</code>
                        <CopyButton text=detail.domain_id.clone() label="Copy domain id" />
                    </dd>
                    {other_facts}
                </dl>
            </section>
            <section class="card" aria-labelledby="forwarding-heading">
                <h2 id="forwarding-heading">"Forwarding"</h2>
                <ForwardingForm
                    name=name.clone()
                    kind=ForwardingKind::Url
                    current=detail.url_forwarding.clone()
                    can_edit=detail.can_edit
                    reload
                />
                <ForwardingForm
                    name=name.clone()
                    kind=ForwardingKind::Email
                    current=detail.email_forwarding.clone()
                    can_edit=detail.can_edit
                    reload
                />
            </section>
        </div>
        <MailboxesSection section=detail.mailboxes.clone() empty="No mailboxes on this domain." />
        <SubscriptionsSection section=detail.subscriptions.clone() empty="No subscription for this domain." />
        <LiveHistory
            first=detail.history.clone()
            fetch={
                let name = name.clone();
                move || {
                    let name = name.clone();
                    async move { domain_timeline(name).await.ok() }
                }
            }
            empty="No changes or CMR events recorded for this domain yet."
        />
        {detail.can_renew.then(|| view! { <RemovePanel detail=detail.clone() /> })}
    }
}

/// Turns auto-renew the other way, after a click (harmless to repeat, so no dialog).
#[component]
fn AutoRenewToggle(name: String, on: bool, reload: Callback<()>) -> impl IntoView {
    let action = ServerAction::<SetAutoRenew>::new();
    let toasts = use_toasts();
    Effect::new(move |_| {
        if let Some(result) = action.value().get() {
            match result {
                Ok(groups) => match groups.into_iter().find_map(|(_, r)| r.err()) {
                    None => {
                        toasts.success(format!("Auto-renew is {}.", yes_no(!on)));
                        reload.run(());
                    }
                    Some(why) => toasts.error(why),
                },
                Err(err) => toasts.error(err.to_string()),
            }
        }
    });
    let label = if on {
        "Turn auto-renew off"
    } else {
        "Turn auto-renew on"
    };
    view! {
        " "
        <button
            type="button"
            class="button-secondary button-small"
            disabled=move || action.pending().get()
            on:click=move |_| {
                action.dispatch(SetAutoRenew { domains: vec![name.clone()], on: !on });
            }
        >
            {label}
        </button>
    }
}

/// One kind of forwarding: what CMR applies, what was asked and not yet confirmed, and (for
/// editors) the form to ask for a change.
#[component]
fn ForwardingForm(
    name: String,
    kind: ForwardingKind,
    current: Forwarding,
    can_edit: bool,
    reload: Callback<()>,
) -> impl IntoView {
    let action = ServerAction::<SetForwarding>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    Effect::new(move |_| {
        if let Some(Ok(())) = action.value().get() {
            reload.run(());
        }
    });
    let (title, field, input_type, placeholder, kind_value) = match kind {
        ForwardingKind::Url => (
            "Web address",
            "url-forwarding",
            "url",
            "https://example.com",
            "Url",
        ),
        ForwardingKind::Email => (
            "Catch-all email",
            "email-forwarding",
            "email",
            "inbox@example.com",
            "Email",
        ),
    };
    let state = match (&current.active, &current.requested) {
        (_, Some((to, at))) => view! {
            <p>
                <StatusBadge status="REQUESTED" />
                {format!(" {to}: asked ")} <RelativeTime at=*at />
                ", waiting for CMR to confirm."
                {current.active.clone().map(|a| format!(" Until then: {a}."))}
            </p>
        }
        .into_any(),
        (Some(to), None) => view! { <p>"Forwards to " <code>{to.clone()}</code></p> }.into_any(),
        (None, None) => view! { <p class="muted">"Not set up."</p> }.into_any(),
    };
    let note = (kind == ForwardingKind::Email)
        .then_some("CMR needs every mailbox on the domain ACTIVE before it forwards mail.");
    view! {
        <h3>{title}</h3>
        {state}
        {can_edit.then(|| view! {
            <ActionForm action=action attr:class="inline-form">
                <ErrorAlert error=Signal::derive(move || error.get().filter(|e| e.field("target").is_none())) />
                <input type="hidden" name="name" value=name.clone() />
                <input type="hidden" name="kind" value=kind_value />
                <div class="field">
                    <label for=field>{format!("Forward {} to", title.to_ascii_lowercase())}</label>
                    <input
                        id=field
                        name="target"
                        type=input_type
                        required=true
                        placeholder=placeholder
                        aria-describedby=format!("{field}-error")
                    />
                    <p class="field-error" id=format!("{field}-error")>
                        {move || error.get().and_then(|e| e.field("target"))}
                    </p>
                </div>
                {note.map(|n| view! { <p class="muted">{n}</p> })}
                <button type="submit" class="button-secondary" disabled=move || action.pending().get()>
                    {move || if action.pending().get() { "Asking CMR…" } else { "Ask CMR to forward" }}
                </button>
            </ActionForm>
        })}
    }
}

/// Removing is permanent: typed confirmation, and refused while mailboxes remain.
#[component]
fn RemovePanel(detail: DomainDetail) -> impl IntoView {
    let action = ServerAction::<RemoveDomain>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let name = detail.row.name.clone();
    let blocked = match &detail.mailboxes {
        Ok(m) if !m.is_empty() => Some(format!(
            "CMR refuses while {name} has mailboxes ({}): remove them first.",
            m.len()
        )),
        _ => None,
    };
    view! {
        <section class="card danger-zone" aria-labelledby="remove-heading">
            <h2 id="remove-heading">"Remove domain"</h2>
            <ConfirmPanel summary=format!("Remove {name}…")>
                <p>{format!("This removes {name} from its customer at CMR, with its DNS records. It cannot be undone.")}</p>
                {blocked.map(|text| view! { <Alert text warning=true /> })}
                <ActionForm action=action>
                    <ErrorAlert error=Signal::derive(move || {
                        error.get().filter(|e| e.field("confirm_name").is_none())
                    }) />
                    <input type="hidden" name="name" value=name.clone() />
                    <input type="hidden" name="customer_id" value=detail.row.customer_id.clone() />
                    <TypedConfirm
                        name="confirm_name"
                        label=format!("Type {name} to confirm")
                        expected=name.clone()
                        action="Remove permanently"
                        pending=action.pending()
                        error=Signal::derive(move || error.get().and_then(|e| e.field("confirm_name")))
                    />
                </ActionForm>
            </ConfirmPanel>
        </section>
    }
}
