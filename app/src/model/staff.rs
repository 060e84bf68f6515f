use super::Role;
use serde::{Deserialize, Serialize};

/// The signed-in staff member as the browser may see it: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffView {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

/// The partner wallet as shown in the header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalletView {
    pub balance: super::money::Amount,
}
