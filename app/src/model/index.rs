//! What the partner-wide index answers: search hits, and the sync's progress.

use serde::{Deserialize, Serialize};

/// One search over customers, domains and mailboxes, a few of each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchHits {
    pub customers: Vec<CustomerHit>,
    pub domains: Vec<DomainHit>,
    pub mailboxes: Vec<MailboxHit>,
    /// When the index last finished a full pass (Unix seconds); `None` before the first.
    pub indexed_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerHit {
    pub id: String,
    pub name: String,
    pub email: String,
    pub company: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainHit {
    pub name: String,
    pub customer_id: String,
    pub status: String,
    /// `YYYY-MM-DD`.
    pub expires_on: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxHit {
    pub email: String,
    pub name: String,
    pub customer_id: Option<String>,
    pub status: String,
}

/// The sync's state for the admin status page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// Whether this instance runs the sync at all (`CMR_INDEX_SYNC_PER_SECOND` above 0).
    pub enabled: bool,
    pub per_second: u32,
    /// A pass under way: its phase and how far it is, in CMR calls.
    pub running: Option<PassProgress>,
    /// When the last full pass finished (Unix seconds), how long it took, its calls.
    pub last_full_pass_at: Option<i64>,
    pub last_pass_seconds: Option<f64>,
    pub last_pass_calls: Option<i32>,
    pub customers: i64,
    pub domains: i64,
    pub subscriptions: i64,
    pub mailboxes: i64,
    pub gone: i64,
    pub errors: i32,
    pub last_error: Option<String>,
    pub last_error_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PassProgress {
    pub phase: String,
    pub calls_done: i32,
    pub calls_expected: i32,
    pub started_at: i64,
}
