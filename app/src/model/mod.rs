//! Types and validation shared by the browser and the server. Nothing here knows about
//! Postgres, sessions or CMR's HTTP API, so it compiles for wasm too.

pub mod audit;
pub mod customer;
pub mod date;
pub mod dns;
pub mod domain;
pub mod geo;
pub mod home;
pub mod index;
pub mod mailbox;
pub mod money;
pub mod order;
pub mod profile;
pub mod renewal;
mod role;
pub mod runway;
pub mod secret;
pub mod spend;
pub mod staff;
pub mod subscription;
pub mod validate;
pub mod wallet;

pub use role::Role;
pub use secret::Secret;
pub use staff::{SessionView, StaffAccount, StaffView, TwoFactorEnrolment, TwoFactorStatus};
pub use wallet::WalletView;
