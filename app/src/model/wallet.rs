//! The partner wallet.

use serde::{Deserialize, Serialize};

/// The partner wallet as shown in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletView {
    pub balance: super::money::Amount,
    /// When CMR gave it (Unix seconds).
    pub fetched_at: i64,
}
