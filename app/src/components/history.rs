//! The audit trail as staff read it: who did what and when, each changed field before and
//! after, and an outcome that is never hidden (an unknown outcome is flagged, not shown as ok).

use super::relative_time::RelativeTime;
use crate::model::audit::{AuditOutcome, AuditView};
use crate::model::profile;
use crate::resource::resource;
use leptos::prelude::*;
use std::future::Future;

/// How often a [`LiveHistory`] asks again (from the database: no CMR call).
const POLL: std::time::Duration = std::time::Duration::from_secs(5);

/// A titled history that shows what the page loaded with, then asks `fetch` again every few
/// seconds, so an event CMR sends appears without a reload. `fetch` answers `None` when it
/// could not read (the last entries stay).
#[component]
pub fn LiveHistory<F, Fut>(first: Vec<AuditView>, fetch: F, empty: &'static str) -> impl IntoView
where
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Option<Vec<AuditView>>> + Send + 'static,
{
    let tick = RwSignal::new(0u32);
    let latest = resource(
        move || tick.get(),
        move |tick| {
            let fetch = fetch.clone();
            async move {
                if tick == 0 {
                    None
                } else {
                    fetch().await
                }
            }
        },
    );
    Effect::new(move |_| {
        let handle = set_interval_with_handle(move || tick.update(|t| *t += 1), POLL).ok();
        on_cleanup(move || {
            if let Some(handle) = handle {
                handle.clear();
            }
        });
    });
    let entries = move || latest.get().flatten().unwrap_or_else(|| first.clone());
    view! {
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading">"History"</h2>
            <Transition fallback=|| ()>
                {move || view! { <History entries=entries() empty /> }}
            </Transition>
        </section>
    }
}

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
                                {match (e.target, e.target_href) {
                                    (Some(t), Some(href)) => Some(view! { <a href=href>{t}</a> }.into_any()),
                                    (Some(t), None) => Some(view! { <span class="muted">{t}</span> }.into_any()),
                                    _ => None,
                                }}
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
