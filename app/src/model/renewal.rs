//! Renewing domains: what the review shows before money is spent, and what happened after.

use super::money::Amount;
use serde::{Deserialize, Serialize};

/// One domain of a renewal review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenewalLine {
    pub name: String,
    pub customer_id: String,
    pub status: String,
    /// `YYYY-MM-DD`.
    pub expires_on: Option<String>,
    /// CMR's renewal price; `None` when CMR did not state one (never read as free).
    pub price: Option<Amount>,
    pub years: u32,
    /// Why this domain cannot be renewed now; `None` when it can.
    pub refused: Option<String>,
}

/// What renewing the chosen domains costs, against the wallet, read live from CMR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenewalQuote {
    pub lines: Vec<RenewalLine>,
    /// The price of the renewable lines.
    pub total: Amount,
    pub balance: Amount,
    /// The balance once the total is paid; `None` when it cannot be computed.
    pub after: Option<Amount>,
    /// Why nothing can be renewed from this review (short wallet, nothing renewable); `None`
    /// when the renewable lines can be.
    pub blocked: Option<String>,
    pub fetched_at: i64,
}

impl RenewalQuote {
    /// The domains a confirmation renews.
    pub fn renewable(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|l| l.refused.is_none())
            .map(|l| l.name.clone())
            .collect()
    }
}

/// What staff confirmed: these domains, for this total (in cents, as the review showed it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RenewalRequest {
    pub domains: Vec<String>,
    pub total_cents: i64,
    pub idempotency_key: String,
}

/// How the renewal of one customer's domains (one CMR call) ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RenewalResult {
    /// CMR queued it: the domains show RENEWING until CMR confirms.
    Queued,
    /// CMR refused it; nothing was charged.
    Refused(String),
    /// Sent, but CMR's answer was lost: it may have been charged. Never sent again blindly.
    Unknown(String),
}

/// The outcome of a confirmed renewal, per customer (CMR renews one customer's domains per
/// call).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RenewalOutcome {
    pub groups: Vec<(Vec<String>, RenewalResult)>,
}
