//! The audit trail as staff read it: who did what and when, each changed field before and
//! after, and an outcome that is never hidden (an unknown outcome is flagged, not shown as ok).

use super::relative_time::RelativeTime;
use crate::model::audit::{AuditOutcome, AuditView};
use crate::model::profile;
use leptos::prelude::*;

/// Audit entries, newest first: who did what, when, the changed fields and the outcome.
#[component]
pub fn History(entries: Vec<AuditView>, empty: &'static str) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="muted">{empty}</p> }.into_any();
    }
    view! {
        <ol class="history">
            {entries
                .into_iter()
                .map(|e| {
                    view! {
                        <li class=match e.outcome {
                            AuditOutcome::Ok => "history-ok",
                            AuditOutcome::Unknown => "history-unknown",
                            AuditOutcome::Failed => "history-failed",
                        }>
                            <div class="history-head">
                                <RelativeTime at=e.at />
                                <strong>{e.actor}</strong>
                                <span class="badge">{e.action}</span>
                                {match e.outcome {
                                    AuditOutcome::Ok => None,
                                    AuditOutcome::Unknown => {
                                        Some(
                                            view! {
                                                <span class="badge badge-warning" title="The change was sent but CMR never confirmed it: check before retrying">
                                                    "outcome unknown"
                                                </span>
                                            }
                                                .into_any(),
                                        )
                                    }
                                    AuditOutcome::Failed => {
                                        Some(view! { <span class="badge badge-danger">"failed"</span> }.into_any())
                                    }
                                }}
                                {e.target.map(|t| view! { <span class="muted">{t}</span> })}
                            </div>
                            {(!e.changes.is_empty())
                                .then(|| {
                                    view! {
                                        <ul class="changes">
                                            {e
                                                .changes
                                                .into_iter()
                                                .map(|(field, before, after)| {
                                                    view! {
                                                        <li>
                                                            {profile::label_or(&field)}": "
                                                            <del>{shown(before)}</del>" → "<ins>{shown(after)}</ins>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    }
                                })}
                            {e.message.map(|m| view! { <p class="muted">{m}</p> })}
                            {e.action_id.map(|a| view! { <p class="muted">"CMR action "<code>{a}</code></p> })}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}

fn shown(value: String) -> String {
    if value.is_empty() {
        "(empty)".into()
    } else {
        value
    }
}
