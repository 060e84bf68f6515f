//! The audit log as staff read it.

use serde::{Deserialize, Serialize};

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditOutcome {
    Ok,
    Failed,
    /// The change was sent but CMR never confirmed it (timeout, dropped connection, 5xx).
    Unknown,
}

/// One audit entry as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    /// When, in seconds since the Unix epoch (the page shows it relative to now, with the
    /// absolute UTC time on hover).
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    /// (field, before, after)
    pub changes: Vec<(String, String, String)>,
    pub outcome: AuditOutcome,
    pub message: Option<String>,
    pub action_id: Option<String>,
}
