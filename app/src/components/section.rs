//! A titled table of one part of a page that loads on its own (a profile's domains, a
//! domain's mailboxes), or why that part could not be loaded.

use super::alert::Alert;
use super::badge::StatusBadge;
use super::table::{Column, Row, Table};
use crate::model::customer::{MailboxSummary, Section, SubscriptionSummary};
use leptos::prelude::*;

/// "on" / "off", as tables show a flag.
pub fn yes_no(on: bool) -> String {
    if on { "on" } else { "off" }.to_string()
}

/// A titled table of one section; cells under a Status header show as badges.
#[component]
fn SectionTable<T: Clone + Send + Sync + 'static>(
    title: &'static str,
    section: Section<T>,
    empty: &'static str,
    headers: &'static [&'static str],
    row: fn(T) -> Vec<String>,
) -> impl IntoView {
    let heading_id = format!("{}-heading", title.to_ascii_lowercase());
    let body = match section {
        Err(message) => view! { <Alert text=format!("Could not load: {message}") /> }.into_any(),
        Ok(items) => {
            let columns = headers.iter().map(|&h| Column::new(h)).collect();
            let rows = items
                .into_iter()
                .map(|item| {
                    let cells = row(item)
                        .into_iter()
                        .zip(headers.iter())
                        .map(|(cell, header)| {
                            // Statuses share the kit's one colour map.
                            if *header == "Status" {
                                view! { <StatusBadge status=cell /> }.into_any()
                            } else {
                                cell.into_any()
                            }
                        })
                        .collect();
                    Row::new(cells)
                })
                .collect();
            view! { <Table columns rows empty=empty /> }.into_any()
        }
    };
    let count_label = heading_id.clone();
    view! {
        <section class="card" aria-labelledby=count_label>
            <h2 id=heading_id>{title}</h2>
            {body}
        </section>
    }
}

/// The mailboxes section of a page (a profile, a domain).
#[component]
pub fn MailboxesSection(section: Section<MailboxSummary>, empty: &'static str) -> impl IntoView {
    view! {
        <SectionTable
            title="Mailboxes"
            section
            empty
            headers=&["Mailbox", "Name", "Status"]
            row=|m| vec![m.email, m.name, m.status]
        />
    }
}

/// The subscriptions section of a page (a profile, a domain).
#[component]
pub fn SubscriptionsSection(
    section: Section<SubscriptionSummary>,
    empty: &'static str,
) -> impl IntoView {
    view! {
        <SectionTable
            title="Subscriptions"
            section
            empty
            headers=&["Domain", "Status", "Mailboxes", "Price / mailbox", "Period ends", "Auto-renew"]
            row=|s| {
                vec![
                    s.domain,
                    s.status,
                    s.mailboxes.to_string(),
                    s.price_per_mailbox,
                    s.period_end.unwrap_or_default(),
                    yes_no(s.auto_renew),
                ]
            }
        />
    }
}
