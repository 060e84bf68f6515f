//! The partner wallet.

use serde::{Deserialize, Serialize};

/// The partner wallet as shown in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletView {
    /// Already formatted, e.g. "1,250.00 USD".
    pub balance: String,
}
