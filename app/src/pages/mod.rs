//! One module per area: the page components next to the server functions they call.

pub mod auth;
pub mod customers;
pub mod home;
pub mod not_found;
pub mod placeholder;
pub mod staff;
pub mod wallet;
