//! Everything that runs only on the server: configuration, state, sign-in and sessions, the
//! audit log, the database and the HTTP layers. Nothing here compiles for the browser.

pub mod audit;
pub mod audit_log;
pub mod auth;
pub mod clock;
pub mod cmr_budget;
pub mod config;
pub mod csv;
pub mod ctx;
pub mod customers;
pub mod db;
pub mod domains;
pub mod errors;
pub mod geo;
pub mod health;
pub mod home;
pub mod http;
pub mod index;
pub mod mailboxes;
pub mod metrics;
pub mod mutation;
pub mod orders;
pub mod reads;
pub mod reads_sync;
pub mod router;
pub mod staff;
pub mod startup;
pub mod state;
pub mod subscriptions;
pub mod wallet;
pub mod webhooks;

pub use auth::guard::{current_staff, require_role};
pub use state::AppState;
