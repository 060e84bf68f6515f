//! One colour map for every CMR status (domains, mailboxes, subscriptions, orders): good,
//! in progress, needs attention, or ended. A status CMR adds later is shown as it comes, in
//! the neutral style, never hidden or renamed.

use leptos::prelude::*;

/// How a status looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Busy,
    Attention,
    Neutral,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Good => "badge badge-ok",
            Tone::Busy => "badge badge-busy",
            Tone::Attention => "badge badge-danger",
            Tone::Neutral => "badge",
        }
    }
}

/// The tone of a CMR status, whatever its spelling (`ACTIVE`, `active`, `in_progress`).
pub fn tone(status: &str) -> Tone {
    match status
        .trim()
        .to_ascii_uppercase()
        .replace([' ', '-'], "_")
        .as_str()
    {
        "ACTIVE" | "COMPLETED" | "DONE" | "REGISTERED" | "PAID" | "RENEWED" => Tone::Good,
        "PENDING"
        | "PROCESSING"
        | "IN_PROGRESS"
        | "CREATING_PASSWORD"
        | "RENEWING"
        | "TRANSFERRING"
        | "QUEUED"
        | "SENDING"
        | "AWAITING_CONFIRMATION"
        | "AWAITING_APPROVAL" => Tone::Busy,
        "EXPIRED" | "FAILED" | "CANCELLED" | "CANCELED" | "PAST_DUE" | "SUSPENDED" | "GRACE"
        | "GRACE_PERIOD" | "REDEMPTION" | "UNKNOWN" | "OUTCOME_UNKNOWN" => Tone::Attention,
        _ => Tone::Neutral,
    }
}

#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let class = tone(&status).class();
    view! { <span class=class>{status}</span> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_status_gets_its_tone_and_new_ones_stay_neutral() {
        assert_eq!(tone("ACTIVE"), Tone::Good);
        assert_eq!(tone("in progress"), Tone::Busy);
        assert_eq!(tone("past-due"), Tone::Attention);
        assert_eq!(tone("SOMETHING_NEW"), Tone::Neutral);
    }
}
