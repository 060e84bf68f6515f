//! Types and validation shared by the browser and the server. Nothing here knows about
//! Postgres, sessions or CMR's HTTP API, so it compiles for wasm too.

pub mod customer;
pub mod money;
pub mod profile;
mod role;
pub mod secret;
mod staff;
pub mod validate;

pub use role::Role;
pub use secret::Secret;
pub use staff::{StaffView, WalletView};
