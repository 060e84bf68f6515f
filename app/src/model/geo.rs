//! Countries and states, as CMR lists them, for the address selects.

use serde::{Deserialize, Serialize};

/// A country or state for the address selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeoOption {
    pub code: String,
    pub name: String,
}

/// The address selects' lists as a form opens, loaded on the server with the form so it works
/// without JavaScript: every country, and the states of `country`. `None` is a list CMR did
/// not give (the browser then asks again).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GeoLists {
    pub countries: Option<Vec<GeoOption>>,
    pub country: String,
    pub states: Option<Vec<GeoOption>>,
}
