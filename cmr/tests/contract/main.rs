//! Contract tests: the real client against the seeded sandbox over loopback, one module per
//! area. Each test checks the request as CMR receives it (method, path, encoded query, key
//! header, JSON field names) and the decoded answer.
#![cfg(feature = "client")]

#[path = "../common/mod.rs"]
mod common;

mod dns;
mod documented_samples;
mod domains;
mod geo;
mod mailboxes;
mod orders;
mod sandbox_rules;
mod subscriptions;
mod tolerant_answers;
mod users;
