//! Staff accounts.

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
