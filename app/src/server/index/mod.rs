//! The partner-wide index: a copy in Postgres of what partner-wide views need from CMR
//! (customers, their domains, subscriptions and mailboxes), filled by a background sync within
//! a share of CMR's budget and refreshed by every live read a page makes.

pub mod live;
pub mod store;
pub mod sync;
