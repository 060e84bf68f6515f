//! The partner-wide subscription list: its tabs, filters and rows, and the "lapsing soon" view.

use super::money::Amount;
use serde::{Deserialize, Serialize};

pub const SUBSCRIPTIONS_PER_PAGE: u32 = 25;
/// The lapsing view looks this many days ahead.
pub const LAPSING_DAYS: i32 = 14;

/// The list's tabs: CMR's subscription statuses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionTab {
    #[default]
    All,
    Active,
    Renewing,
    PastDue,
    Cancelled,
    Expired,
    /// Past due, or auto-renew off, and ending within [`LAPSING_DAYS`] days.
    Lapsing,
}

impl SubscriptionTab {
    pub const ALL: [SubscriptionTab; 7] = [
        SubscriptionTab::All,
        SubscriptionTab::Active,
        SubscriptionTab::Renewing,
        SubscriptionTab::PastDue,
        SubscriptionTab::Cancelled,
        SubscriptionTab::Expired,
        SubscriptionTab::Lapsing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionTab::All => "all",
            SubscriptionTab::Active => "active",
            SubscriptionTab::Renewing => "renewing",
            SubscriptionTab::PastDue => "past_due",
            SubscriptionTab::Cancelled => "cancelled",
            SubscriptionTab::Expired => "expired",
            SubscriptionTab::Lapsing => "lapsing",
        }
    }

    pub fn parse(s: &str) -> SubscriptionTab {
        SubscriptionTab::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .unwrap_or_default()
    }

    pub fn label(self) -> &'static str {
        match self {
            SubscriptionTab::All => "All",
            SubscriptionTab::Active => "Active",
            SubscriptionTab::Renewing => "Renewing",
            SubscriptionTab::PastDue => "Past due",
            SubscriptionTab::Cancelled => "Cancelled",
            SubscriptionTab::Expired => "Expired",
            SubscriptionTab::Lapsing => "Lapsing soon",
        }
    }

    /// CMR's status for a status tab (`None` for All and Lapsing).
    pub fn status(self) -> Option<&'static str> {
        match self {
            SubscriptionTab::Active => Some("ACTIVE"),
            SubscriptionTab::Renewing => Some("RENEWING"),
            SubscriptionTab::PastDue => Some("PAST_DUE"),
            SubscriptionTab::Cancelled => Some("CANCELLED"),
            SubscriptionTab::Expired => Some("EXPIRED"),
            SubscriptionTab::All | SubscriptionTab::Lapsing => None,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubscriptionFilter {
    pub tab: SubscriptionTab,
    /// Customer (name, email, id) or domain.
    pub q: String,
    pub page: u32,
}

impl SubscriptionFilter {
    /// The filter as the list's URL query (page 1 and the "all" tab left out).
    pub fn query_string(&self) -> String {
        let mut pairs = Vec::new();
        if self.tab != SubscriptionTab::All {
            pairs.push(("tab", self.tab.as_str().to_string()));
        }
        if !self.q.trim().is_empty() {
            pairs.push(("q", self.q.trim().to_string()));
        }
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
        }
        crate::routes::query(&pairs)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionRow {
    pub id: String,
    pub customer_id: String,
    pub customer: String,
    pub domain: String,
    pub status: String,
    /// `YYYY-MM-DD`.
    pub period_end: Option<String>,
    pub days_left: Option<i32>,
    pub auto_renew: bool,
    pub mailboxes: i32,
    pub price_per_mailbox: Amount,
}

impl SubscriptionRow {
    /// What renewing it costs at the current price: mailboxes × price per mailbox.
    pub fn renewal_price(&self) -> Option<Amount> {
        self.price_per_mailbox
            .value
            .checked_mul(i64::from(self.mailboxes))
            .map(|v| Amount::new(v, self.price_per_mailbox.currency.clone()))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionList {
    pub rows: Vec<SubscriptionRow>,
    pub total: i64,
    pub page: u32,
    pub total_pages: u32,
    /// Subscriptions per tab.
    pub counts: Vec<(SubscriptionTab, i64)>,
    /// Unix seconds of the index's last full pass; `None` while it is being filled.
    pub indexed_at: Option<i64>,
    pub can_edit: bool,
    pub can_cancel: bool,
}

/// The live review of renewing one subscription: CMR's price now and the wallet now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionQuote {
    pub row: SubscriptionRow,
    /// Mailboxes × price per mailbox, as CMR states them now.
    pub price: Amount,
    pub balance: Amount,
    pub after: Option<Amount>,
    /// Why it cannot be renewed now (CMR's own rules, or a short wallet); `None` when it can.
    pub blocked: Option<String>,
    pub fetched_at: i64,
}

/// What an admin confirmed: this subscription, for this price (cents), under the form's key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubscriptionRenewal {
    pub id: String,
    pub total_cents: i64,
    pub idempotency_key: String,
}

/// What a bulk auto-renew change did, per subscription.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutoRenewOutcome {
    pub changed: Vec<String>,
    /// (subscription, why not).
    pub failed: Vec<(String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cmr::types::Money;

    #[test]
    fn tabs_round_trip_and_name_their_status() {
        for tab in SubscriptionTab::ALL {
            assert_eq!(SubscriptionTab::parse(tab.as_str()), tab);
        }
        assert_eq!(SubscriptionTab::PastDue.status(), Some("PAST_DUE"));
        assert_eq!(SubscriptionTab::Lapsing.status(), None);
        assert_eq!(SubscriptionTab::parse("nonsense"), SubscriptionTab::All);
    }

    #[test]
    fn the_query_string_leaves_out_defaults() {
        assert_eq!(SubscriptionFilter::default().query_string(), "");
        let f = SubscriptionFilter {
            tab: SubscriptionTab::Lapsing,
            q: " acme ".into(),
            page: 2,
        };
        assert_eq!(f.query_string(), "tab=lapsing&q=acme&page=2");
    }

    #[test]
    fn the_renewal_price_is_mailboxes_times_the_price() {
        let row = SubscriptionRow {
            id: "S".into(),
            customer_id: "U".into(),
            customer: String::new(),
            domain: "a.com".into(),
            status: "ACTIVE".into(),
            period_end: None,
            days_left: None,
            auto_renew: true,
            mailboxes: 4,
            price_per_mailbox: Amount::new(Money::from_cents(300), "USD"),
        };
        assert_eq!(row.renewal_price().unwrap().value.cents(), 1200);
    }
}
