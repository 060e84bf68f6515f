//! Countries and states, as CMR lists them, for the address selects.

use serde::{Deserialize, Serialize};

/// A country or state for the address selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoOption {
    pub code: String,
    pub name: String,
}
