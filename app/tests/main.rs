//! Every integration test of the app, as one test binary: the harness (`common`) and the
//! application are compiled and linked once instead of once per file, which was a large part
//! of the test build (BENCHMARKS.md, "Build and test times"). Each file is a module; run one
//! with a filter on its name, e.g. `cargo test --features cmr-admin/ssr --test integration
//! -- orders::`.
#![cfg(feature = "ssr")]

mod common;

mod audit_log;
mod auth;
mod busy_morning;
mod customers;
mod domain_changes;
mod domains;
mod hardening;
mod index;
mod index_scale;
mod mailboxes;
mod operations;
mod orders;
mod page_latency;
mod read_ahead;
mod security;
mod shared_budget;
mod staff_admin;
mod subscriptions;
mod two_factor;
mod wallet;
mod webhooks;
