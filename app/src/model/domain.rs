//! The partner-wide domain list (read from the index).

use serde::{Deserialize, Serialize};

pub use super::date::days_left;

/// Rows per page of the domain list.
pub const DOMAINS_PER_PAGE: u32 = 50;

/// How the domain list is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DomainSort {
    /// Soonest expiry first (what needs a decision first); undated last.
    #[default]
    Expiry,
    Name,
}

impl DomainSort {
    pub fn as_str(self) -> &'static str {
        match self {
            DomainSort::Expiry => "expiry",
            DomainSort::Name => "name",
        }
    }

    pub fn parse(raw: &str) -> DomainSort {
        match raw {
            "name" => DomainSort::Name,
            _ => DomainSort::Expiry,
        }
    }
}

/// What the list shows: a search, a status, an order, a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct DomainFilter {
    /// Part of a domain name or of the owner's name or email.
    pub q: String,
    /// One CMR status (e.g. `GRACE_PERIOD`), or all when empty.
    pub status: String,
    pub sort: DomainSort,
    pub page: u32,
    /// One group of the expiry radar ([`Due`]), or all when empty.
    pub due: String,
}

/// The expiry radar's groups: domains that need a decision now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// In the grace period: renewable until the end of the 7th day after expiry (UTC).
    Grace,
    /// Expiring within [`RADAR_DAYS`] days (renewable).
    Expiring,
    /// The same with auto-renew off: nobody will renew them unless someone decides to.
    ExpiringManual,
    /// Past the grace period: not renewable through the API.
    Expired,
}

/// How far ahead the radar looks.
pub const RADAR_DAYS: i32 = 45;

impl Due {
    pub const ALL: [Due; 4] = [Due::Grace, Due::Expiring, Due::ExpiringManual, Due::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            Due::Grace => "grace",
            Due::Expiring => "expiring",
            Due::ExpiringManual => "expiring-manual",
            Due::Expired => "expired",
        }
    }

    pub fn parse(raw: &str) -> Option<Due> {
        Due::ALL.into_iter().find(|d| d.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Due::Grace => "In the grace period (renewable for up to 7 days after expiry)",
            Due::Expiring => "Expiring within 45 days",
            Due::ExpiringManual => "Expiring within 45 days with auto-renew off",
            Due::Expired => "Expired (no longer renewable through CMR)",
        }
    }
}

/// How many domains each radar group holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Radar {
    pub grace: i64,
    pub expiring: i64,
    pub expiring_manual: i64,
    pub expired: i64,
}

impl Radar {
    pub fn count(&self, due: Due) -> i64 {
        match due {
            Due::Grace => self.grace,
            Due::Expiring => self.expiring,
            Due::ExpiringManual => self.expiring_manual,
            Due::Expired => self.expired,
        }
    }
}

impl DomainFilter {
    /// The list's address with these filters (the page's state lives in the URL).
    pub fn query_string(&self) -> String {
        let mut pairs = vec![("sort", self.sort.as_str().to_string())];
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if !self.status.is_empty() {
            pairs.push(("status", self.status.clone()));
        }
        if !self.due.is_empty() {
            pairs.push(("due", self.due.clone()));
        }
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
        }
        crate::routes::query(&pairs)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainRow {
    pub name: String,
    pub customer_id: String,
    /// The owner's name as the index knows it (empty when not yet seen).
    pub customer: String,
    pub status: String,
    /// `YYYY-MM-DD`.
    pub expires_on: Option<String>,
    /// Days from today (UTC) to the expiry; negative once past.
    pub days_left: Option<i32>,
    pub auto_renew: bool,
    pub provider: Option<String>,
    pub mailboxes: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainList {
    pub rows: Vec<DomainRow>,
    pub total: i64,
    pub page: u32,
    pub total_pages: u32,
    /// When the index last finished a full pass (Unix seconds).
    pub indexed_at: Option<i64>,
    pub radar: Radar,
    /// What the signed-in staff member may do with chosen rows (decided on the server).
    pub can_edit: bool,
    pub can_renew: bool,
}

/// A forwarding setting (URL or catch-all email): what CMR applies now, and what staff asked
/// for that CMR has not confirmed yet (both are asynchronous at CMR).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Forwarding {
    pub active: Option<String>,
    /// The target asked for, and when (Unix seconds), while CMR shows something else.
    pub requested: Option<(String, i64)>,
}

/// The two kinds of forwarding CMR sets up on a domain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ForwardingKind {
    /// Visitors of the domain's web address are sent to a URL.
    #[default]
    Url,
    /// Catch-all: mail to any address at the domain goes to one address.
    Email,
}

/// What a change to several domains did, per CMR call (one per customer): the domains, and
/// `Err` with the reason when that call did not go through.
pub type BulkOutcome = Vec<(Vec<String>, Result<(), String>)>;

/// Everything the domain page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainDetail {
    /// When CMR gave this (Unix seconds).
    pub fetched_at: i64,
    /// The domain as a row of the domain table (status, expiry, owner, mailbox count).
    pub row: DomainRow,
    pub domain_id: String,
    /// `YYYY-MM-DD`.
    pub registered_on: Option<String>,
    pub purchase_type: Option<String>,
    pub url_forwarding: Forwarding,
    pub email_forwarding: Forwarding,
    /// Anything else CMR says about the domain, as label and text.
    pub other_facts: Vec<(String, String)>,
    /// Whether a renewal can be asked for now, or why not.
    pub renewable: Result<(), String>,
    pub mailboxes: super::customer::Section<super::customer::MailboxSummary>,
    pub subscriptions: super::customer::Section<super::customer::SubscriptionSummary>,
    pub history: Vec<super::audit::AuditView>,
    /// What the signed-in staff member may do here (decided on the server from the role).
    pub can_edit: bool,
    pub can_renew: bool,
}

/// Where a domain stands for renewal through CMR (the radar's groups as one rule; the renew
/// form will refuse outside [`RenewalWindow::Open`] and [`RenewalWindow::Grace`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalWindow {
    /// More than [`RADAR_DAYS`] days before expiry.
    TooEarly,
    /// Within [`RADAR_DAYS`] days of expiry, expiry day included.
    Open,
    /// After expiry, until the end of the 7th day after it (23:59:59 UTC).
    Grace,
    /// Past the grace period: CMR no longer renews it.
    Closed,
}

/// Days after expiry during which a domain can still be renewed.
pub const GRACE_DAYS: i32 = 7;

impl RenewalWindow {
    /// From the days left until expiry (negative once past), counted in UTC calendar days.
    pub fn from_days_left(days_left: i32) -> RenewalWindow {
        match days_left {
            d if d > RADAR_DAYS => RenewalWindow::TooEarly,
            d if d >= 0 => RenewalWindow::Open,
            d if d >= -GRACE_DAYS => RenewalWindow::Grace,
            _ => RenewalWindow::Closed,
        }
    }

    /// For a domain expiring on `expires_on` (`YYYY-MM-DD`), at `now` (Unix seconds).
    pub fn at(expires_on: &str, now: i64) -> Option<RenewalWindow> {
        days_left(expires_on, now).map(RenewalWindow::from_days_left)
    }
}

/// Whether CMR accepts a renewal of a domain in `status` expiring on `expires_on`, at `now`
/// (Unix seconds); the reason staff read when it does not.
pub fn renewable(status: &str, expires_on: Option<&str>, now: i64) -> Result<(), String> {
    match status {
        "RENEWING" => return Err("A renewal is already under way.".into()),
        "EXPIRED" => {
            return Err(
                "Expired domains cannot be renewed through CMR's API: contact CMR support.".into(),
            )
        }
        "ACTIVE" | "GRACE_PERIOD" => {}
        other => return Err(format!("A domain that is {other} cannot be renewed.")),
    }
    let Some(window) = expires_on.and_then(|on| RenewalWindow::at(on, now)) else {
        return Err("CMR did not say when this domain expires; refresh and try again.".into());
    };
    match window {
        RenewalWindow::Open | RenewalWindow::Grace => Ok(()),
        RenewalWindow::TooEarly => Err(format!(
            "Renewal opens {RADAR_DAYS} days before expiry ({}).",
            expires_on.unwrap_or_default()
        )),
        RenewalWindow::Closed => Err(
            "The grace period is over: CMR no longer renews this domain through its API.".into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-26T00:00:00Z.
    const DAY: i64 = 86_400;
    const TODAY: i64 = 1_795_651_200;

    #[test]
    fn renewal_is_refused_with_a_reason_outside_the_window_or_in_the_wrong_status() {
        assert_eq!(renewable("ACTIVE", Some("2026-12-01"), TODAY), Ok(()));
        assert_eq!(renewable("GRACE_PERIOD", Some("2026-11-20"), TODAY), Ok(()));
        let early = renewable("ACTIVE", Some("2027-06-01"), TODAY).unwrap_err();
        assert!(early.contains("opens 45 days"), "{early}");
        let expired = renewable("EXPIRED", Some("2026-10-01"), TODAY).unwrap_err();
        assert!(
            expired.contains("cannot be renewed through CMR"),
            "{expired}"
        );
        assert!(renewable("RENEWING", Some("2026-12-01"), TODAY).is_err());
        assert!(renewable("PENDING", Some("2026-12-01"), TODAY).is_err());
        assert!(renewable("ACTIVE", None, TODAY).is_err());
        // Grace ends with the 7th day after expiry, whatever status CMR still shows.
        assert!(renewable("GRACE_PERIOD", Some("2026-11-18"), TODAY).is_err());
    }

    #[test]
    fn the_renewal_window_opens_45_days_ahead_and_closes_after_the_7th_day() {
        use RenewalWindow::*;
        // 45 days ahead: open; 46: too early.
        assert_eq!(RenewalWindow::at("2027-01-10", TODAY), Some(Open));
        assert_eq!(RenewalWindow::at("2027-01-11", TODAY), Some(TooEarly));
        // Expiring today, at any second of it: still open.
        assert_eq!(RenewalWindow::at("2026-11-26", TODAY + DAY - 1), Some(Open));
        // The day after expiry: grace.
        assert_eq!(RenewalWindow::at("2026-11-25", TODAY), Some(Grace));
        // Expired 2026-11-19: the 7th day after is 11-26, renewable until 23:59:59 UTC.
        assert_eq!(
            RenewalWindow::at("2026-11-19", TODAY + DAY - 1),
            Some(Grace)
        );
        assert_eq!(RenewalWindow::at("2026-11-19", TODAY + DAY), Some(Closed));
        assert_eq!(RenewalWindow::at("2026-11-18", TODAY), Some(Closed));
        assert_eq!(RenewalWindow::at("not a date", TODAY), None);
    }
}
