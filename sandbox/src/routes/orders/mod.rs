//! `/orders/*`: domain + mailbox orders, mailbox-only orders, processing and status.
//!
//! A processed order debits the wallet at once and then moves PENDING → PROCESSING →
//! COMPLETED with time; its domains turn ACTIVE on completion and its mailboxes provision.
//! An order for a domain with a workspace, or one set to fail by the control, ends FAILED
//! instead and is refunded (`crate::order_outcome`). Names containing `taken` stay
//! `unavailableDomains` at creation.
//!
//! The route table and the control handle reach the endpoints through this file only; the
//! modules below import one another, never this file.

mod body;
mod domain_order;
mod lookup;
mod mailbox_order;
mod pricing;
mod processing;

pub(crate) use domain_order::create;
pub(crate) use lookup::{details, order_json, status};
pub(crate) use mailbox_order::create_mailbox_order;
pub(crate) use processing::process;
