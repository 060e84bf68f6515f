//! The partner-wide domain list (read from the index).

use serde::{Deserialize, Serialize};

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
        pairs
            .into_iter()
            .map(|(k, v)| format!("{k}={}", crate::routes::encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
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
}
