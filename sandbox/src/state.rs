//! The sandbox's world: customers, domains, DNS, mailboxes, subscriptions, orders, wallet.
//!
//! Lifecycles advance with elapsed time, computed when a request arrives ([`World::settle`]),
//! so tests wait for a few configured seconds instead of sleeping on a background task.
//! Seeded records sit still in their seeded state; records created through the API move.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::Instant;

use super::ids::IdGen;
use cmr::types::{
    DomainStatus, MailboxStatus, OrderMailbox, OrderStatus, RecordType, ServiceProvider,
    SubscriptionStatus, UserProfile,
};

/// How long each lifecycle step takes in the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LifecycleTimings {
    /// Order: PENDING for one step, PROCESSING for one more, then COMPLETED (its new domains
    /// become ACTIVE then), or FAILED when it was set to fail.
    pub order_step: Duration,
    /// Mailbox: IN_PROGRESS for one step, CREATING_PASSWORD for one more, then ACTIVE.
    pub mailbox_step: Duration,
    /// Domain or subscription renewal: RENEWING for one step, then ACTIVE with a new period.
    pub renewal_step: Duration,
}

impl LifecycleTimings {
    /// Every step the same length.
    pub fn uniform(step: Duration) -> LifecycleTimings {
        LifecycleTimings {
            order_step: step,
            mailbox_step: step,
            renewal_step: step,
        }
    }
}

impl Default for LifecycleTimings {
    fn default() -> LifecycleTimings {
        LifecycleTimings::uniform(Duration::from_secs(3))
    }
}

pub(crate) struct UserRec {
    pub id: String,
    pub profile: UserProfile,
    pub created: OffsetDateTime,
}

/// A time-driven change in progress.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DomainChange {
    /// Registered by an order; ACTIVE when the order completes.
    Registering {
        ready_at: Instant,
    },
    Renewing {
        since: Instant,
        years: u32,
    },
}

pub(crate) struct DomainRec {
    pub id: String,
    pub name: String,
    pub user_id: String,
    pub status: DomainStatus,
    pub created: OffsetDateTime,
    pub expiry: OffsetDateTime,
    pub auto_renew: bool,
    pub provider: ServiceProvider,
    pub purchase_type: &'static str,
    pub domain_forwarding: Option<String>,
    pub email_forwarding: Option<String>,
    pub change: Option<DomainChange>,
    /// Forwarding asked for and not applied yet (CMR applies it asynchronously).
    pub forwarding_asked: Vec<ForwardingAsked>,
}

/// Which forwarding a request changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ForwardingKind {
    Url,
    Email,
}

#[derive(Debug, Clone)]
pub(crate) struct ForwardingAsked {
    pub kind: ForwardingKind,
    pub to: String,
    pub since: Instant,
}

pub(crate) struct DnsRec {
    pub id: String,
    pub domain_id: String,
    pub host: String,
    pub value: String,
    pub record_type: RecordType,
    pub priority: String,
    pub ttl: u32,
    pub disabled: bool,
}

pub(crate) struct MailboxRec {
    pub id: String,
    pub user_id: String,
    pub domain_id: String,
    pub domain: String,
    pub subscription_id: Option<String>,
    pub user_name: String,
    pub first_name: String,
    pub last_name: String,
    pub profile_picture: Option<String>,
    pub status: MailboxStatus,
    pub provider: ServiceProvider,
    pub on_warmup: bool,
    pub created: OffsetDateTime,
    pub provisioning_since: Option<Instant>,
    /// The order that created it (`None` for seeded mailboxes); `mailbox.created` names it.
    pub order_id: Option<String>,
    /// A profile change CMR accepted ("will update shortly"), applied one mailbox step later.
    pub pending_update: Option<MailboxChange>,
}

/// Profile fields a mailbox update changes (`None`: unchanged), and since when it waits.
#[derive(Clone, Debug)]
pub(crate) struct MailboxChange {
    pub since: Instant,
    pub user_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// `Some(None)`: remove the picture.
    pub picture: Option<Option<String>>,
}

pub(crate) struct SubscriptionRec {
    pub id: String,
    pub user_id: String,
    pub domain_id: String,
    pub domain: String,
    pub status: SubscriptionStatus,
    pub price_per_mailbox: i64,
    pub period_start: OffsetDateTime,
    pub period_end: OffsetDateTime,
    pub provider: ServiceProvider,
    pub auto_renew: bool,
    pub renewing_since: Option<Instant>,
}

/// What an order will create once processed.
#[derive(Clone)]
pub(crate) struct OrderPlan {
    /// New domains: (name, years, forwardTo).
    pub domains: Vec<(String, u32, Option<String>)>,
    /// Mailboxes keyed by domain name.
    pub mailboxes: BTreeMap<String, Vec<OrderMailbox>>,
    /// For mailbox orders: the subscription to add to (else one is created per domain).
    pub subscription_id: Option<String>,
    pub provider: ServiceProvider,
    pub auto_renew: bool,
}

pub(crate) struct OrderRec {
    pub id: String,
    pub user_id: String,
    pub status: OrderStatus,
    pub created: OffsetDateTime,
    pub total: i64,
    pub plan: OrderPlan,
    /// `false` until processed (`confirm: true` or the process call).
    pub processed: bool,
    pub processing_since: Option<Instant>,
    /// Why it fails: decided when processed (`order_outcome::failure_of`), shown once FAILED.
    pub failure: Option<String>,
}

/// Everything the sandbox knows. Guarded by one `std::sync::Mutex`, never held across `.await`.
pub(crate) struct World {
    pub users: Vec<UserRec>,
    pub domains: Vec<DomainRec>,
    pub dns: Vec<DnsRec>,
    pub mailboxes: Vec<MailboxRec>,
    pub subscriptions: Vec<SubscriptionRec>,
    pub orders: Vec<OrderRec>,
    /// Partner wallet in cents.
    pub wallet: i64,
    pub currency: String,
    pub timings: LifecycleTimings,
    pub ids: IdGen,
    /// Webhook events the lifecycle produced, waiting for the sender (`webhooks.rs`):
    /// (event, data).
    pub outbox: Vec<(&'static str, serde_json::Value)>,
    /// Lower-case names given a workspace by `SandboxControl::add_workspace`.
    pub workspaces: BTreeSet<String>,
    /// Lower-case names whose workspace check times out (`stall_workspace_check`).
    pub stalled_workspace_checks: BTreeSet<String>,
    /// Lower-case name → the reason its orders fail with (`fail_domain_order`).
    pub failing_domain_orders: BTreeMap<String, String>,
}

/// Prices in cents.
pub(crate) const MAILBOX_PRICE: i64 = 300;
pub(crate) const WARMUP_PRICE: i64 = 200;

/// What one ordered mailbox costs: the mailbox, plus warmup when asked for.
pub(crate) fn mailbox_price(mailbox: &OrderMailbox) -> i64 {
    MAILBOX_PRICE
        + if mailbox.on_warmup == Some(true) {
            WARMUP_PRICE
        } else {
            0
        }
}

impl World {
    pub(crate) fn empty() -> World {
        World {
            users: Vec::new(),
            domains: Vec::new(),
            dns: Vec::new(),
            mailboxes: Vec::new(),
            subscriptions: Vec::new(),
            orders: Vec::new(),
            wallet: 0,
            currency: "USD".to_owned(),
            timings: LifecycleTimings::default(),
            ids: IdGen::new(0x0000_C01D_3A11),
            outbox: Vec::new(),
            workspaces: BTreeSet::new(),
            stalled_workspace_checks: BTreeSet::new(),
            failing_domain_orders: BTreeMap::new(),
        }
    }

    pub(crate) fn user(&self, id: &str) -> Option<&UserRec> {
        self.users.iter().find(|u| u.id == id)
    }

    pub(crate) fn domain_named(&self, name: &str) -> Option<&DomainRec> {
        self.domains
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
    }

    /// Whether `name` has a Google or Microsoft workspace: it is here with at least one
    /// mailbox, was given one by `SandboxControl::add_workspace`, or (a demo convenience, as
    /// `taken` is for availability) its name contains `workspace`. Providers are not told
    /// apart.
    pub(crate) fn has_workspace(&self, name: &str) -> bool {
        let name = name.trim().to_ascii_lowercase();
        name.contains("workspace")
            || self.workspaces.contains(&name)
            || self
                .domain_named(&name)
                .is_some_and(|d| self.mailboxes.iter().any(|m| m.domain_id == d.id))
    }

    /// Registration/renewal price of a domain by TLD.
    pub(crate) fn domain_price(name: &str) -> i64 {
        match name.rsplit('.').next().unwrap_or_default() {
            "com" => 1450,
            "net" => 1600,
            "org" => 1325,
            "io" => 4200,
            "co" => 2800,
            _ => 1800,
        }
    }

    /// Debits the wallet, or explains why it cannot.
    pub(crate) fn debit(&mut self, cents: i64) -> Result<(), i64> {
        if cents > self.wallet {
            return Err(self.wallet);
        }
        self.wallet -= cents;
        Ok(())
    }

    /// Advances every time-driven lifecycle to `now`.
    pub(crate) fn settle(&mut self, now: Instant) {
        let t = self.timings;
        let mut outbox = std::mem::take(&mut self.outbox);
        let mut finished = Vec::new();
        for (index, order) in self.orders.iter_mut().enumerate() {
            let Some(since) = order.processing_since else {
                continue;
            };
            let stage = steps_done(now, since, t.order_step);
            order.status = match stage {
                0 => OrderStatus::Pending,
                1 => OrderStatus::Processing,
                // A failing order ends at the step where the others complete.
                _ if order.failure.is_some() => OrderStatus::Failed,
                _ => OrderStatus::Completed,
            };
            if stage >= 2 {
                order.processing_since = None;
                finished.push(index);
            }
        }
        // Before the mailbox loop: an order's events go out before its `mailbox.created`.
        for index in finished {
            super::order_outcome::finish(self, index, &mut outbox);
        }
        let today = OffsetDateTime::now_utc();
        for domain in &mut self.domains {
            match domain.change {
                // `domain.order.success` comes from the order's completion (it names the order).
                Some(DomainChange::Registering { ready_at }) if now >= ready_at => {
                    domain.status = DomainStatus::Active;
                    domain.change = None;
                }
                Some(DomainChange::Renewing { since, years }) if now >= since + t.renewal_step => {
                    // Renewal extends from the old expiry, or from today if already past it.
                    let from = domain.expiry.max(today);
                    domain.expiry = add_years(from, years);
                    domain.status = DomainStatus::Active;
                    domain.change = None;
                    outbox.push(("domain.renewal.success", domain_event(domain)));
                }
                _ => {}
            }
            // Forwarding requests apply after one step, each confirmed by its event.
            let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut domain.forwarding_asked)
                .into_iter()
                .partition(|asked| now >= asked.since + t.renewal_step);
            domain.forwarding_asked = waiting;
            for asked in due {
                let action = match asked.kind {
                    ForwardingKind::Url => {
                        domain.domain_forwarding = Some(asked.to.clone());
                        "domain-forwarding"
                    }
                    ForwardingKind::Email => {
                        domain.email_forwarding = Some(asked.to.clone());
                        "email-forwarding"
                    }
                };
                outbox.push((
                    "dns-record.updated",
                    dns_event(domain, action, serde_json::json!({ "forwardTo": asked.to })),
                ));
            }
        }
        for mailbox in &mut self.mailboxes {
            let due = mailbox
                .pending_update
                .as_ref()
                .is_some_and(|c| now >= c.since + t.mailbox_step);
            if let Some(change) = due.then(|| mailbox.pending_update.take()).flatten() {
                let mut updated = serde_json::Map::new();
                if let Some(v) = change.user_name {
                    updated.insert("userName".into(), v.clone().into());
                    mailbox.user_name = v;
                }
                if let Some(v) = change.first_name {
                    updated.insert("firstName".into(), v.clone().into());
                    mailbox.first_name = v;
                }
                if let Some(v) = change.last_name {
                    updated.insert("lastName".into(), v.clone().into());
                    mailbox.last_name = v;
                }
                if let Some(v) = change.picture {
                    updated.insert("profilePicture".into(), v.clone().into());
                    mailbox.profile_picture = v;
                }
                outbox.push((
                    "mailbox.updated",
                    serde_json::json!({
                        "userId": mailbox.user_id,
                        "mailboxId": mailbox.id,
                        "email": format!("{}@{}", mailbox.user_name, mailbox.domain),
                        "updatedFields": updated,
                    }),
                ));
            }
            let Some(since) = mailbox.provisioning_since else {
                continue;
            };
            let stage = steps_done(now, since, t.mailbox_step);
            mailbox.status = match stage {
                0 => MailboxStatus::InProgress,
                1 => MailboxStatus::CreatingPassword,
                _ => MailboxStatus::Active,
            };
            if stage >= 2 {
                mailbox.provisioning_since = None;
                outbox.push((
                    "mailbox.created",
                    serde_json::json!({
                        "userId": mailbox.user_id,
                        "mailboxId": mailbox.id,
                        "email": format!("{}@{}", mailbox.user_name, mailbox.domain),
                        "firstName": mailbox.first_name,
                        "lastName": mailbox.last_name,
                        "subscriptionId": mailbox.subscription_id,
                        "domainName": mailbox.domain,
                        "orderId": mailbox.order_id,
                    }),
                ));
            }
        }
        for sub in &mut self.subscriptions {
            if let Some(since) = sub.renewing_since {
                if now >= since + t.renewal_step {
                    sub.period_start = sub.period_end.max(today);
                    sub.period_end = sub.period_start + Duration::from_secs(30 * 86_400);
                    sub.status = SubscriptionStatus::Active;
                    sub.renewing_since = None;
                    outbox.push((
                        "subscription.renewal.success",
                        serde_json::json!({
                            "userId": sub.user_id,
                            "subscriptionId": sub.id,
                            "domain": sub.domain,
                            "subscriptionStatus": "ACTIVE",
                            "periodEnd": iso(sub.period_end),
                        }),
                    ));
                }
            }
        }
        super::webhooks::trim(&mut outbox);
        self.outbox = outbox;
    }
}

/// A domain event's data, as CMR's documented domain events carry it.
fn domain_event(domain: &DomainRec) -> serde_json::Value {
    serde_json::json!({
        "userId": domain.user_id,
        "domainId": domain.id,
        "domainName": domain.name,
        "expiryDate": iso(domain.expiry),
    })
}

/// `dns-record.updated`'s data (reference §5.3: action, domain name, userId, the record).
pub(crate) fn dns_event(
    domain: &DomainRec,
    action: &str,
    record: serde_json::Value,
) -> serde_json::Value {
    serde_json::json!({
        "action": action,
        "userId": domain.user_id,
        "domainId": domain.id,
        "domainName": domain.name,
        "record": record,
    })
}

fn steps_done(now: Instant, since: Instant, step: Duration) -> u32 {
    let elapsed = now.saturating_duration_since(since);
    if step.is_zero() {
        return u32::MAX;
    }
    u32::try_from(elapsed.as_nanos() / step.as_nanos()).unwrap_or(u32::MAX)
}

/// `years` later on the same calendar day (Feb 29 → Feb 28).
pub(crate) fn add_years(at: OffsetDateTime, years: u32) -> OffsetDateTime {
    let target = at.year() + i32::try_from(years).unwrap_or(0);
    at.replace_year(target)
        .or_else(|_| at.replace_day(28).and_then(|d| d.replace_year(target)))
        .unwrap_or(at)
}

/// RFC 3339 in UTC, as CMR's ISO timestamps.
pub(crate) fn iso(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
