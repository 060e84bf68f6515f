//! What the dashboard spent from the wallet, summed (from its own records: CMR keeps no
//! history of the partner's paid actions that the dashboard could read).

use super::money::Amount;
use serde::{Deserialize, Serialize};

/// One sum: a month (`YYYY-MM`) or a customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendLine {
    pub key: String,
    pub charged: Amount,
    /// Sent, but CMR's answer was lost: it may have been charged.
    pub unknown: Amount,
    pub items: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpendSummary {
    /// Newest first.
    pub months: Vec<SpendLine>,
    /// Who cost most first.
    pub customers: Vec<SpendLine>,
}
