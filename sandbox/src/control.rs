//! The test- and demo-facing handle on a running sandbox.

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use super::faults::FaultKind;
use super::routes::{domain_json, mailbox_json, order_json, subscription_json, user_json};
use super::state::{LifecycleTimings, World};
use super::{LoggedRequest, Shared};
use cmr::types::{Domain, Mailbox, Money, Order, Subscription, User};

/// Fault injection, the request log and state inspection. Clones share the same sandbox.
#[derive(Clone)]
pub struct SandboxControl {
    shared: Shared,
}

impl fmt::Debug for SandboxControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxControl").finish_non_exhaustive()
    }
}

impl SandboxControl {
    pub(crate) fn new(shared: Shared) -> SandboxControl {
        SandboxControl { shared }
    }

    // ---- faults -------------------------------------------------------------------------
    //
    // A fault's `path` may name a method too (`"PUT /users"`); without one it applies to
    // requests of any method.

    /// Delays requests whose path starts with `path_prefix` (`None`: every request) by `delay`.
    /// A zero delay removes the rule.
    pub fn set_latency(&self, path_prefix: Option<&str>, delay: Duration) {
        self.shared.lock_faults().set_latency(path_prefix, delay);
    }

    /// Answers the next `times` requests to `path` with `status` and CMR's error envelope,
    /// plus a `Retry-After: <seconds>` header when given.
    pub fn force_status(&self, path: &str, status: u16, times: u32, retry_after: Option<u64>) {
        let kind = FaultKind::Status {
            status,
            retry_after,
        };
        self.shared.lock_faults().add(path, times, kind);
    }

    /// Answers the next `times` requests to `path` with HTTP 200 and truncated JSON.
    pub fn malformed_body(&self, path: &str, times: u32) {
        self.shared
            .lock_faults()
            .add(path, times, FaultKind::Malformed);
    }

    /// Closes the connection of the next `times` requests to `path` without answering.
    pub fn drop_connection(&self, path: &str, times: u32) {
        self.shared.lock_faults().add(path, times, FaultKind::Drop);
    }

    /// Lets the next `times` requests to `path` run (and change state, as CMR would), then
    /// answers them with `status` and CMR's error envelope instead: CMR applied the change
    /// but the client cannot know it.
    pub fn fail_after_apply(&self, path: &str, status: u16, times: u32) {
        let kind = FaultKind::StatusAfterApply { status };
        self.shared.lock_faults().add(path, times, kind);
    }

    /// Lets the next `times` requests to `path` run (and change state), then closes their
    /// connection without answering.
    pub fn drop_after_apply(&self, path: &str, times: u32) {
        self.shared
            .lock_faults()
            .add(path, times, FaultKind::DropAfterApply);
    }

    /// Answers the next `times` requests to `path` with exactly `body` (e.g. a sample from
    /// CMR's docs) and `status`, without touching the state.
    pub fn respond_with(&self, path: &str, status: u16, body: impl Into<String>, times: u32) {
        let kind = FaultKind::Canned {
            status,
            body: body.into(),
        };
        self.shared.lock_faults().add(path, times, kind);
    }

    pub fn clear_faults(&self) {
        self.shared.lock_faults().clear();
    }

    // ---- request log --------------------------------------------------------------------

    /// The requests received so far, oldest first, including refused and faulted ones: the
    /// most recent [`REQUEST_LOG_CAPACITY`](super::REQUEST_LOG_CAPACITY).
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock_log().iter().cloned().collect()
    }

    /// Requests with this method and path (relative to `/api/v1/integration`).
    pub fn requests_to(&self, method: &str, path: &str) -> Vec<LoggedRequest> {
        self.shared
            .lock_log()
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method) && r.path == path)
            .cloned()
            .collect()
    }

    pub fn clear_requests(&self) {
        self.shared.lock_log().clear();
    }

    // ---- lifecycles and wallet ----------------------------------------------------------

    pub fn timings(&self) -> LifecycleTimings {
        self.shared.lock_world().timings
    }

    /// Changes how fast orders, mailboxes and renewals advance (affects changes in progress).
    pub fn set_timings(&self, timings: LifecycleTimings) {
        self.shared.lock_world().timings = timings;
    }

    pub fn wallet_balance(&self) -> Money {
        Money::from_cents(self.shared.lock_world().wallet)
    }

    pub fn set_wallet_balance(&self, balance: Money) {
        self.shared.lock_world().wallet = balance.cents();
    }

    pub fn api_key(&self) -> String {
        self.shared.api_key.to_string()
    }

    // ---- webhooks ------------------------------------------------------------------------

    /// Sends signed webhooks for lifecycle changes to `url` from now on (`None`: stop).
    pub fn send_webhooks_to(&self, url: Option<String>) {
        self.shared.set_webhook_url(url);
    }

    /// The registrar's expiry passing for good: the domain becomes EXPIRED and a
    /// `domain.expired` webhook goes out. `false` when no domain has that name.
    pub fn expire_domain(&self, name: &str) -> bool {
        let mut world = self.shared.lock_world();
        let Some(domain) = world
            .domains
            .iter_mut()
            .find(|d| d.name.eq_ignore_ascii_case(name))
        else {
            return false;
        };
        domain.status = cmr::types::DomainStatus::Expired;
        let data = serde_json::json!({
            "userId": domain.user_id,
            "domainId": domain.id,
            "domainName": domain.name,
        });
        world.outbox.push(("domain.expired", data));
        true
    }

    // ---- workspaces and orders that fail ----------------------------------------------

    /// Gives `name` a Google or Microsoft workspace, as if one had been set up elsewhere:
    /// `POST /domains/has-workspace` reports it, and an order for it processed from now on
    /// fails with `Workspace validation failed`. (A domain here with a mailbox, or a name
    /// containing `workspace`, has one already.)
    pub fn add_workspace(&self, name: &str) {
        let name = name.trim().to_ascii_lowercase();
        self.shared.lock_world().workspaces.insert(name);
    }

    /// Makes the workspace check of `name` time out: a failed item with `Workspace check
    /// timed out after 15 s` (504 in the single form), answered at once. Orders are not
    /// affected.
    pub fn stall_workspace_check(&self, name: &str) {
        let name = name.trim().to_ascii_lowercase();
        self.shared
            .lock_world()
            .stalled_workspace_checks
            .insert(name);
    }

    /// Makes every order for `name` processed from now on (a new domain, or mailboxes on
    /// it) fail with `reason`, e.g. `"Registrar error"`: it is paid, goes PENDING →
    /// PROCESSING → FAILED, is refunded, and creates nothing.
    pub fn fail_domain_order(&self, name: &str, reason: &str) {
        let name = name.trim().to_ascii_lowercase();
        self.shared
            .lock_world()
            .failing_domain_orders
            .insert(name, reason.to_owned());
    }

    // ---- changes made behind the API's back (as another CMR client would) ---------------

    /// Removes a domain with its DNS, workspace and mailboxes, as if it had been deleted
    /// elsewhere. `false` when no domain has that name.
    pub fn forget_domain(&self, name: &str) -> bool {
        let mut world = self.shared.lock_world();
        let Some(id) = world
            .domains
            .iter()
            .find(|d| d.name.eq_ignore_ascii_case(name))
            .map(|d| d.id.clone())
        else {
            return false;
        };
        world.domains.retain(|d| d.id != id);
        world.dns.retain(|r| r.domain_id != id);
        world.mailboxes.retain(|m| m.domain_id != id);
        world.subscriptions.retain(|s| s.domain_id != id);
        true
    }

    /// Removes a customer with everything it holds. `false` when no customer has that id.
    pub fn forget_user(&self, id: &str) -> bool {
        let names: Vec<String> = {
            let world = self.shared.lock_world();
            if !world.users.iter().any(|u| u.id == id) {
                return false;
            }
            world
                .domains
                .iter()
                .filter(|d| d.user_id == id)
                .map(|d| d.name.clone())
                .collect()
        };
        for name in names {
            self.forget_domain(&name);
        }
        let mut world = self.shared.lock_world();
        world.users.retain(|u| u.id != id);
        world.mailboxes.retain(|m| m.user_id != id);
        world.subscriptions.retain(|s| s.user_id != id);
        true
    }

    // ---- state inspection (as the API would show it) ------------------------------------

    pub fn users(&self) -> Vec<User> {
        self.inspect(|w| w.users.iter().map(user_json).collect())
    }

    pub fn user(&self, id: &str) -> Option<User> {
        self.users().into_iter().find(|u| u.id == id)
    }

    pub fn user_by_email(&self, email: &str) -> Option<User> {
        self.users()
            .into_iter()
            .find(|u| u.profile.email.eq_ignore_ascii_case(email))
    }

    pub fn domains(&self) -> Vec<Domain> {
        self.inspect(|w| w.domains.iter().map(domain_json).collect())
    }

    pub fn mailboxes(&self) -> Vec<Mailbox> {
        self.inspect(|w| w.mailboxes.iter().map(|m| mailbox_json(w, m)).collect())
    }

    pub fn subscriptions(&self) -> Vec<Subscription> {
        self.inspect(|w| {
            w.subscriptions
                .iter()
                .map(|s| subscription_json(w, s))
                .collect()
        })
    }

    pub fn orders(&self) -> Vec<Order> {
        self.inspect(|w| w.orders.iter().map(|o| order_json(w, o)).collect())
    }

    /// Settles lifecycles, renders with the endpoints' own JSON, and decodes with the public
    /// types — so tests see exactly what a client would.
    fn inspect<T: DeserializeOwned>(&self, render: impl FnOnce(&World) -> Vec<Value>) -> Vec<T> {
        let rendered = {
            let mut world = self.shared.lock_world();
            world.settle(Instant::now());
            render(&world)
        };
        rendered
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect()
    }
}
