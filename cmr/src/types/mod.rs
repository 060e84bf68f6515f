//! Request and response shapes of the CMR integration API.
//!
//! Serde only, so the browser half of the app can use them too. Decoding is forgiving on
//! purpose (a cosmetic difference should cost a field, never the answer): unknown fields are
//! kept in `extra` or ignored, missing optional fields default, `null` reads as empty (or
//! `None` where "not stated" matters), numbers and money may be strings, a list may be `null`
//! or a single item, a field may arrive under two names, and unknown enum values are kept in
//! `Other`. Wire names are exactly CMR's (camelCase); see [`lenient`].

pub mod lenient;

mod dns;
mod domains;
mod geo;
mod mailboxes;
mod money;
mod orders;
mod reply;
mod status;
mod subscriptions;
mod users;
mod wallet;

pub use dns::{DnsRecord, DnsRecordUpdate, DnsRecords, NewDnsRecord};
pub use domains::{Domain, DomainAutoRenew, RenewalPrice, WorkspaceCheck, WorkspaceQuery};
pub use geo::{Countries, GeoEntry, GeoList, States};
pub use mailboxes::{Mailbox, MailboxAdminDetails, MailboxUpdate, MailboxUpdateResult};
pub use money::{Money, ParseMoneyError};
pub use orders::{
    GoogleOauth, MailboxOrder, MailboxOrderTarget, MailboxesByDomain, NewOrder, Order,
    OrderCreated, OrderDomain, OrderDomainLine, OrderMailbox, OrderMailboxLine, OrderStatusReport,
};
pub use reply::{Page, PageQuery, Pagination, Reply};
pub use status::{
    BillingCycle, DomainStatus, MailboxStatus, OrderStatus, RecordType, ServiceProvider,
    SubscriptionStatus,
};
pub use subscriptions::{CancelTarget, Subscription, SubscriptionQuery};
pub use users::{CreatedUser, NewUser, ProfileField, User, UserListQuery, UserProfile};
pub use wallet::Wallet;
