//! A domain's DNS (`/domains/:name/dns`): the records CMR serves and those it keeps disabled,
//! and (for editors) a draft of the zone: add, edit and remove records, or fill a mail
//! provider's template, with every record checked and the whole zone linted as staff type.
//! Nothing reaches CMR until staff review the difference and confirm it.

use super::{get_dns_zone, SaveDns};
use crate::components::alert::{Alert, ErrorAlert};
use crate::components::loaded::Loaded;
use crate::components::table::{Column, Row, Table};
use crate::components::toast::use_toasts;
use crate::location;
use crate::model::dns::{
    apply_template, check, describe, diff, lint, DnsZone, Problem, RecordDraft, SaveReport,
    Severity, Template, ZoneRecord, DMARC_AUTO_TAGS,
};
use crate::resource::resource;
use crate::routes;
use cmr::types::RecordType;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn DnsPage() -> impl IntoView {
    let params = location::params();
    let name = Memo::new(move |_| params.read().get("name").unwrap_or_default());
    let zone = resource(move || name.get(), get_dns_zone);
    let reload = Callback::new(move |()| zone.refetch());
    view! {
        <Title text=move || format!("DNS of {}", name.get()) />
        <Loaded
            resource=zone
            loading="Loading DNS records from CMR…"
            heading="DNS records"
            after_error=move || view! { <a href=routes::domain(&name.get_untracked())>"Back to the domain"</a> }
            let:zone
        >
            <Zone zone reload />
        </Loaded>
    }
}

const TYPES: [RecordType; 6] = [
    RecordType::A,
    RecordType::Aaaa,
    RecordType::Cname,
    RecordType::Mx,
    RecordType::Txt,
    RecordType::Ns,
];

fn record_columns(with_actions: bool) -> Vec<Column> {
    let mut columns = vec![
        Column::new("Host"),
        Column::new("Type"),
        Column::new("Priority"),
        Column::new("Value"),
        Column::new("TTL"),
    ];
    if with_actions {
        columns.push(Column::new("Actions"));
    }
    columns
}

fn ttl(ttl: Option<u64>) -> String {
    ttl.map_or_else(|| "—".into(), |t| format!("{t} s"))
}

#[component]
fn Zone(zone: DnsZone, reload: Callback<()>) -> impl IntoView {
    let domain = zone.domain.clone();
    let seen: Vec<RecordDraft> = zone.records.iter().map(|r| r.draft.clone()).collect();
    let seen = StoredValue::new(seen);
    let ttls = StoredValue::new(zone.records.clone());
    let working = RwSignal::new(seen.get_value());
    let provider = zone.provider.clone();
    let sending = zone.sending;
    let findings = {
        let domain = domain.clone();
        Memo::new(move |_| working.with(|w| lint(&domain, provider.as_deref(), sending, w)))
    };
    let changes = Memo::new(move |_| working.with(|w| seen.with_value(|s| diff(s, w))));
    // Which draft row the form edits (`None`: the form adds a record).
    let editing = RwSignal::new(None::<usize>);
    let disabled_rows: Vec<Row> = zone
        .disabled
        .iter()
        .map(|r| Row::new(cells(r, None)))
        .collect();
    let can_edit = zone.can_edit;
    let rows = {
        move || {
            working
                .get()
                .into_iter()
                .enumerate()
                .map(|(i, draft)| {
                    let ttl = ttls.with_value(|t| {
                        t.iter()
                            .find(|r| {
                                r.draft.record_id.is_some() && r.draft.record_id == draft.record_id
                            })
                            .and_then(|r| r.ttl)
                    });
                    let record = ZoneRecord { draft, ttl };
                    let actions = can_edit.then_some((i, working, editing));
                    Row::new(cells(&record, actions))
                })
                .collect::<Vec<_>>()
        }
    };
    view! {
        <div class="page-head">
            <div>
                <h1>{format!("DNS of {domain}")}</h1>
                <p class="muted">
                    <a href=routes::domain(&domain)>"Back to the domain"</a>
                    {zone.provider.clone().map(|p| format!(" · Mail provider: {p}"))}
                </p>
            </div>
        </div>
        <section class="card" aria-labelledby="records-heading">
            <h2 id="records-heading">
                {if can_edit { "Records (draft)" } else { "Records" }}
            </h2>
            {move || view! { <Table columns=record_columns(can_edit) rows=rows() empty="No DNS records." /> }}
        </section>
        <Lint findings />
        {can_edit.then(|| {
            let domain = domain.clone();
            view! {
                <RecordForm domain=domain.clone() working editing />
                <Templates domain=domain.clone() working />
                <Review domain seen working changes reload />
            }
        })}
        {(!zone.disabled.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="disabled-heading">
                <h2 id="disabled-heading">"Disabled records"</h2>
                <p class="muted">"CMR keeps these but does not serve them."</p>
                <Table columns=record_columns(false) rows=disabled_rows empty="" />
            </section>
        })}
    }
}

/// What a draft row's buttons change: its index, the draft, and which row the form edits.
type RowActions = (usize, RwSignal<Vec<RecordDraft>>, RwSignal<Option<usize>>);

/// A record's cells; with `actions`, Edit and Remove buttons that change the draft.
fn cells(record: &ZoneRecord, actions: Option<RowActions>) -> Vec<AnyView> {
    let r = &record.draft;
    let mut cells = vec![
        r.host.clone().into_any(),
        r.record_type.as_str().to_string().into_any(),
        r.priority.clone().into_any(),
        view! { <code class="dns-value">{r.value.clone()}</code> }.into_any(),
        if r.record_id.is_none() {
            "new".to_string()
        } else {
            ttl(record.ttl)
        }
        .into_any(),
    ];
    if let Some((i, working, editing)) = actions {
        let label = describe(r);
        cells.push(
            view! {
                <button type="button" class="button-link" aria-label=format!("Edit {label}")
                    on:click=move |_| editing.set(Some(i))>
                    "Edit"
                </button>
                " "
                <button type="button" class="button-link" aria-label=format!("Remove {label}")
                    on:click=move |_| {
                        working.update(|w| {
                            if i < w.len() {
                                w.remove(i);
                            }
                        });
                        editing.set(None);
                    }>
                    "Remove"
                </button>
            }
            .into_any(),
        );
    }
    cells
}

/// The zone's lint, updated as the draft changes.
#[component]
fn Lint(findings: Memo<Vec<crate::model::dns::Finding>>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="lint-heading">
            <h2 id="lint-heading">"Checks"</h2>
            <div aria-live="polite">
                {move || {
                    let found = findings.get();
                    if found.is_empty() {
                        view! { <p>"No problems found in these records."</p> }.into_any()
                    } else {
                        view! {
                            <ul class="plain lint">
                                {found
                                    .into_iter()
                                    .map(|f| {
                                        let (class, word) = match f.severity {
                                            Severity::Error => ("badge badge-danger", "Error"),
                                            Severity::Warning => ("badge badge-busy", "Warning"),
                                            Severity::Info => ("badge", "Note"),
                                        };
                                        view! { <li><span class=class>{word}</span> " " {f.message}</li> }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                        .into_any()
                    }
                }}
            </div>
        </section>
    }
}

/// Adds a record to the draft, or changes the one being edited; checked as staff type.
#[component]
fn RecordForm(
    domain: String,
    working: RwSignal<Vec<RecordDraft>>,
    editing: RwSignal<Option<usize>>,
) -> impl IntoView {
    let host = RwSignal::new(String::from("@"));
    let kind = RwSignal::new(String::from("MX"));
    let priority = RwSignal::new(String::from("10"));
    let value = RwSignal::new(String::new());
    let excluded = RwSignal::new(Vec::<String>::new());
    let problems = RwSignal::new(Vec::<Problem>::new());
    // Editing a row fills the form with it.
    Effect::new(move |_| {
        if let Some(i) = editing.get() {
            if let Some(r) = working.with_untracked(|w| w.get(i).cloned()) {
                host.set(r.host);
                kind.set(r.record_type.as_str().to_string());
                priority.set(r.priority);
                value.set(r.value);
                excluded.set(r.excluded_dmarc_tags);
                problems.set(Vec::new());
            }
        }
    });
    let draft = move || RecordDraft {
        record_id: editing
            .get_untracked()
            .and_then(|i| working.with_untracked(|w| w.get(i).and_then(|r| r.record_id.clone()))),
        host: host.get_untracked(),
        record_type: RecordType::parse(&kind.get_untracked()),
        value: value.get_untracked(),
        priority: priority.get_untracked(),
        excluded_dmarc_tags: excluded.get_untracked(),
    };
    let reset = move || {
        editing.set(None);
        value.set(String::new());
        excluded.set(Vec::new());
        problems.set(Vec::new());
    };
    let submit = {
        let domain = domain.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let draft = draft();
            let at = editing.get_untracked();
            let others: Vec<RecordDraft> = working.with_untracked(|w| {
                w.iter()
                    .enumerate()
                    .filter(|(j, _)| Some(*j) != at)
                    .map(|(_, r)| r.clone())
                    .collect()
            });
            match check(&domain, &draft, &others) {
                Ok(record) => {
                    working.update(|w| match at {
                        Some(i) if i < w.len() => w[i] = record,
                        _ => w.push(record),
                    });
                    reset();
                }
                Err(found) => problems.set(found),
            }
        }
    };
    let problem = move |field: &'static str| {
        move || {
            problems.with(|p| {
                p.iter()
                    .filter(|p| p.field == field)
                    .map(|p| p.message.clone())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
        }
    };
    let invalid = move |field: &'static str| {
        move || {
            if problems.with(|p| p.iter().any(|p| p.field == field)) {
                "true"
            } else {
                "false"
            }
        }
    };
    let is_mx = move || kind.get() == "MX";
    let is_dmarc = move || {
        kind.get() == "TXT" && host.with(|h| h.trim().to_ascii_lowercase().starts_with("_dmarc"))
    };
    view! {
        <section class="card" aria-labelledby="record-form-heading">
            <h2 id="record-form-heading">
                {move || if editing.get().is_some() { "Edit record" } else { "Add a record" }}
            </h2>
            <form on:submit=submit class="record-form" novalidate=true>
                <div class="field">
                    <label for="dns-host">"Host"</label>
                    <input id="dns-host" type="text" autocomplete="off" spellcheck="false"
                        prop:value=move || host.get()
                        on:input=move |ev| host.set(event_target_value(&ev))
                        aria-invalid=invalid("host") aria-describedby="dns-host-hint dns-host-error" />
                    <p class="muted" id="dns-host-hint">"@ for the domain itself, or a name like mail or _dmarc."</p>
                    <p class="field-error" id="dns-host-error">{problem("host")}</p>
                </div>
                <div class="field">
                    <label for="dns-type">"Type"</label>
                    <select id="dns-type" prop:value=move || kind.get()
                        on:change=move |ev| kind.set(event_target_value(&ev))
                        aria-invalid=invalid("record_type") aria-describedby="dns-type-error">
                        {TYPES.iter().map(|t| {
                            let t = t.as_str();
                            view! { <option value=t selected=move || kind.get() == t>{t}</option> }
                        }).collect_view()}
                    </select>
                    <p class="field-error" id="dns-type-error">{problem("record_type")}</p>
                </div>
                <div class="field" hidden=move || !is_mx()>
                    <label for="dns-priority">"Priority"</label>
                    <input id="dns-priority" type="number" min="0" max="65535" inputmode="numeric"
                        prop:value=move || priority.get()
                        on:input=move |ev| priority.set(event_target_value(&ev))
                        aria-invalid=invalid("priority") aria-describedby="dns-priority-error" />
                    <p class="field-error" id="dns-priority-error">{problem("priority")}</p>
                </div>
                <div class="field">
                    <label for="dns-value">"Value"</label>
                    <input id="dns-value" type="text" autocomplete="off" spellcheck="false"
                        prop:value=move || value.get()
                        on:input=move |ev| value.set(event_target_value(&ev))
                        aria-invalid=invalid("value") aria-describedby="dns-value-error" />
                    <p class="field-error" id="dns-value-error">{problem("value")}</p>
                </div>
                <fieldset class="field" hidden=move || !is_dmarc()>
                    <legend>"DMARC tags CMR must not add"</legend>
                    {DMARC_AUTO_TAGS.iter().map(|&tag| {
                        let id = format!("dmarc-{tag}");
                        let label_for = id.clone();
                        view! {
                            <label for=label_for class="checkbox">
                                <input id=id type="checkbox"
                                    prop:checked=move || excluded.with(|e| e.iter().any(|t| t == tag))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        excluded.update(|e| {
                                            e.retain(|t| t != tag);
                                            if on {
                                                e.push(tag.to_string());
                                            }
                                        });
                                    } />
                                {tag}
                            </label>
                        }
                    }).collect_view()}
                    <p class="field-error">{problem("excluded_dmarc_tags")}</p>
                </fieldset>
                <div class="form-actions">
                    <button type="submit" class="button-primary">
                        {move || if editing.get().is_some() { "Update in the draft" } else { "Add to the draft" }}
                    </button>
                    <button type="button" class="button-secondary" on:click=move |_| reset()>
                        "Clear"
                    </button>
                </div>
                <p class="muted">"Nothing is sent to CMR until you review and save the changes below."</p>
            </form>
        </section>
    }
}

/// Fills a mail provider's MX, SPF and DMARC records into the draft, for review.
#[component]
fn Templates(domain: String, working: RwSignal<Vec<RecordDraft>>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="templates-heading">
            <h2 id="templates-heading">"Mail templates"</h2>
            <p class="muted">"Replaces the MX and SPF records and adds DMARC when missing. You review the difference before anything is saved."</p>
            <div class="form-actions">
                {Template::ALL.into_iter().map(|template| {
                    let domain = domain.clone();
                    view! {
                        <button type="button" class="button-secondary"
                            on:click=move |_| working.update(|w| *w = apply_template(&domain, w, template))>
                            {format!("Set up {} mail", template.label())}
                        </button>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

/// The difference between the draft and CMR's zone, and saving it after a confirmation.
#[component]
fn Review(
    domain: String,
    seen: StoredValue<Vec<RecordDraft>>,
    working: RwSignal<Vec<RecordDraft>>,
    changes: Memo<crate::model::dns::ZoneDiff>,
    reload: Callback<()>,
) -> impl IntoView {
    let save = ServerAction::<SaveDns>::new();
    let reviewing = RwSignal::new(false);
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let report = Signal::derive(move || {
        save.value()
            .get()
            .and_then(|r| r.ok())
            .filter(|r| r.sent.iter().any(|l| l.result.is_err()))
    });
    let toasts = use_toasts();
    // All went through: say so and start again from what CMR now holds.
    Effect::new(move |_| {
        if let Some(Ok(done)) = save.value().get() {
            if done.sent.iter().all(|l| l.result.is_ok()) {
                toasts.success(format!(
                    "Saved {} change{} to CMR.",
                    done.sent.len(),
                    if done.sent.len() == 1 { "" } else { "s" }
                ));
                reload.run(());
            }
        }
    });
    let count = move || changes.with(|c| c.len());
    let confirm = move |_| {
        save.dispatch(SaveDns {
            name: domain.clone(),
            seen: seen.get_value(),
            edited: working.get_untracked(),
        });
        reviewing.set(false);
    };
    let list = |title: &'static str, items: Vec<String>| {
        (!items.is_empty()).then(|| {
            view! {
                <h3>{title}</h3>
                <ul>{items.into_iter().map(|i| view! { <li><code>{i}</code></li> }).collect_view()}</ul>
            }
        })
    };
    view! {
        <section class="card" aria-labelledby="review-heading">
            <h2 id="review-heading">"Changes"</h2>
            <ErrorAlert error />
            {move || report.get().map(|report| view! { <Report report reload /> })}
            {move || if count() == 0 {
                view! { <p class="muted">"The draft matches CMR's records: nothing to save."</p> }.into_any()
            } else if !reviewing.get() {
                view! {
                    <div class="form-actions">
                        <button type="button" class="button-primary" on:click=move |_| reviewing.set(true)>
                            {format!("Review {} change{}…", count(), if count() == 1 { "" } else { "s" })}
                        </button>
                        <button type="button" class="button-secondary"
                            on:click=move |_| working.set(seen.get_value())>
                            "Discard the draft"
                        </button>
                    </div>
                }.into_any()
            } else {
                let c = changes.get();
                view! {
                    <div class="confirm-dialog" role="group" aria-labelledby="diff-question">
                        <p id="diff-question" class="confirm-question">
                            {format!("Send these {} change{} to CMR, one at a time?", c.len(), if c.len() == 1 { "" } else { "s" })}
                        </p>
                        {list("Removed", c.removed.iter().map(describe).collect())}
                        {list("Changed", c.changed.iter().map(|(b, a)| format!("{} → {}", describe(b), describe(a))).collect())}
                        {list("Added", c.added.iter().map(describe).collect())}
                        <div class="form-actions">
                            <button type="button" class="button-primary" disabled=move || save.pending().get()
                                on:click=confirm.clone()>
                                "Save to CMR"
                            </button>
                            <button type="button" class="button-secondary" on:click=move |_| reviewing.set(false)>
                                "Back to the draft"
                            </button>
                        </div>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// What a save did, change by change; then the zone is read again.
#[component]
fn Report(report: SaveReport, reload: Callback<()>) -> impl IntoView {
    let failed = report.sent.iter().any(|l| l.result.is_err());
    let heading = if failed {
        "Not every change went through"
    } else {
        "Saved"
    };
    view! {
        <div class=if failed { "alert alert-warning" } else { "alert alert-success" } role="status">
            <p><strong>{heading}</strong></p>
            <ul>
                {report.sent.into_iter().map(|line| match line.result {
                    Ok(()) => view! { <li>{format!("Done: {}", line.label)}</li> }.into_any(),
                    Err(why) => view! { <li>{format!("Failed: {} ({why})", line.label)}</li> }.into_any(),
                }).collect_view()}
                {report.not_sent.into_iter().map(|label| view! { <li>{format!("Not sent: {label}")}</li> }).collect_view()}
            </ul>
            <button type="button" class="button-secondary" on:click=move |_| reload.run(())>
                "Reload the records from CMR"
            </button>
        </div>
        {failed.then(|| view! { <Alert text="The draft still holds the changes that did not go through." warning=true /> })}
    }
}
