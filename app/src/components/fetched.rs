//! How fresh a page's CMR data is. The dashboard keeps CMR's answers for a few seconds (its
//! budget is 5 calls per second for the whole partner), so every page showing them says when
//! CMR gave them and offers a refresh that reads CMR again, bypassing what was kept.

use super::relative_time::RelativeTime;
use leptos::prelude::*;

/// The URL parameter a refresh link adds; its value (the time of the answer being replaced)
/// makes each refresh a new address, so the router loads again.
pub const FRESH_PARAM: &str = "fresh";

/// "From CMR 12 seconds ago · Refresh".
#[component]
pub fn FetchedAt(
    /// When CMR gave the data (seconds since the Unix epoch).
    fetched_at: i64,
    /// This page's address; the refresh link adds [`FRESH_PARAM`] to it.
    page: String,
) -> impl IntoView {
    let separator = if page.contains('?') { '&' } else { '?' };
    let refresh = format!("{page}{separator}{FRESH_PARAM}={fetched_at}");
    view! {
        <p class="fetched-at muted">
            "From CMR " <RelativeTime at=fetched_at /> " · "
            <a href=refresh aria-label="Refresh: read this again from CMR">
                "Refresh"
            </a>
        </p>
    }
}
