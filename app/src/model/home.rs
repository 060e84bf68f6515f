//! The home page's figures.

use super::audit::AuditView;
use serde::{Deserialize, Serialize};

/// The home page's figures; each loads independently.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomeSummary {
    pub wallet: Result<super::money::Amount, String>,
    pub customers: Result<u64, String>,
    pub subscriptions: Result<u64, String>,
    pub mailboxes: Result<u64, String>,
    /// Only the index can count domains partner-wide (CMR lists them per customer).
    pub domains: Option<u64>,
    /// When the counts come from the partner index: its last full pass (Unix seconds). `None`
    /// when they were read from CMR (before the index's first full pass).
    pub counted_at: Option<i64>,
    /// The domains' expiry radar, from the index (with the counts).
    pub radar: Option<super::domain::Radar>,
    /// Subscriptions that lapse within 14 days unless someone acts (from the index).
    pub lapsing: Option<u64>,
    pub recent: Vec<AuditView>,
    pub cmr: Option<CmrHealth>,
    /// When CMR gave the oldest figure shown (Unix seconds); `None` when none could be read.
    pub fetched_at: Option<i64>,
}

/// The last CMR call: how long it took and how it ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CmrHealth {
    pub ok: bool,
    pub status: Option<u16>,
    pub latency_ms: u64,
}
