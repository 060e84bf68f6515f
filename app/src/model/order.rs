//! Orders: what staff prepare (new domains with mailboxes, or more mailboxes on a domain the
//! customer has), the checks both the form and the server run on it, and how the dashboard
//! records an order from preparation to CMR's final word.

use super::money::Amount;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Domains one order may register.
pub const MAX_DOMAINS: usize = 20;
/// Mailboxes one order may create.
pub const MAX_MAILBOXES: usize = 100;
/// Registration years CMR accepts.
pub const YEARS: std::ops::RangeInclusive<u32> = 1..=10;
/// Longest first or last name.
const MAX_NAME: usize = 60;

/// CMR's two order calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// `POST /orders/json`: domains to register, with their mailboxes.
    #[default]
    NewDomains,
    /// `POST /orders/create-mailbox-order/json`: mailboxes on a domain the customer has.
    MoreMailboxes,
}

impl OrderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::NewDomains => "new_domains",
            OrderKind::MoreMailboxes => "more_mailboxes",
        }
    }

    pub fn parse(s: &str) -> OrderKind {
        if s == "more_mailboxes" {
            OrderKind::MoreMailboxes
        } else {
            OrderKind::NewDomains
        }
    }
}

/// One mailbox line of the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailboxDraft {
    /// One of the order's domains (new), or the existing domain.
    pub domain: String,
    /// Local part.
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

/// The order form as staff filled it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderDraft {
    pub customer_id: String,
    pub kind: OrderKind,
    /// New domains (one per line in the form).
    pub domains: Vec<String>,
    pub years: u32,
    /// The domain that gets more mailboxes.
    pub existing_domain: String,
    pub mailboxes: Vec<MailboxDraft>,
    /// `GOOGLE` or `MICROSOFT`.
    pub provider: String,
    /// Renew the mailbox subscription monthly.
    pub auto_renew: bool,
    /// Created when the form opened; written before CMR is called.
    pub idempotency_key: String,
}

impl Default for OrderDraft {
    fn default() -> OrderDraft {
        OrderDraft {
            customer_id: String::new(),
            kind: OrderKind::NewDomains,
            domains: Vec::new(),
            years: 1,
            existing_domain: String::new(),
            mailboxes: Vec::new(),
            provider: "GOOGLE".into(),
            auto_renew: true,
            idempotency_key: String::new(),
        }
    }
}

/// A domain name: trimmed, lower-case, no trailing dot; `None` when it cannot be one.
pub fn domain_name(input: &str) -> Option<String> {
    let name = input.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = name.len() <= 253
        && name.contains('.')
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    valid.then_some(name)
}

/// A mailbox's local part as CMR accepts it: letters, digits, `.`, `_`, `-`; no dot at either
/// end or two in a row; at most 64 characters. Lower-cased.
pub fn username(input: &str) -> Result<String, &'static str> {
    let name = input.trim().to_ascii_lowercase();
    if name.is_empty() {
        return Err("Enter the part before the @.");
    }
    if name.len() > 64 {
        return Err("At most 64 characters before the @.");
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err("Only letters, digits, '.', '_' and '-' before the @.");
    }
    if name.starts_with('.') || name.ends_with('.') || name.contains("..") {
        return Err("A dot cannot start or end the name or follow another dot.");
    }
    Ok(name)
}

/// An order that passed [`OrderDraft::check`]: names normalised, mailboxes grouped by domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedOrder {
    pub kind: OrderKind,
    /// New domains, or the one existing domain.
    pub domains: Vec<String>,
    pub years: u32,
    pub mailboxes: BTreeMap<String, Vec<MailboxDraft>>,
    pub provider: String,
    pub auto_renew: bool,
}

impl CheckedOrder {
    pub fn mailbox_count(&self) -> usize {
        self.mailboxes.values().map(Vec::len).sum()
    }

    /// "2 domains, 4 mailboxes".
    pub fn summary(&self) -> String {
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "es" });
        let mailboxes = plural(self.mailbox_count(), "mailbox");
        match self.kind {
            OrderKind::NewDomains => {
                let n = self.domains.len();
                format!(
                    "{n} new domain{}, {mailboxes}",
                    if n == 1 { "" } else { "s" }
                )
            }
            OrderKind::MoreMailboxes => format!("{mailboxes} on {}", self.domains.join(", ")),
        }
    }
}

impl OrderDraft {
    /// Every problem, by field (`domains`, `years`, `existing_domain`, `provider`,
    /// `mailboxes`, `mailbox.<n>.<field>`), or the order normalised.
    pub fn check(&self) -> Result<CheckedOrder, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let mut fail = |field: String, message: String| {
            errors.entry(field).or_insert(message);
        };
        let mut domains = Vec::new();
        match self.kind {
            OrderKind::NewDomains => {
                let typed: Vec<&str> = self
                    .domains
                    .iter()
                    .flat_map(|d| d.split([',', '\n', ' ']))
                    .map(str::trim)
                    .filter(|d| !d.is_empty())
                    .collect();
                if typed.is_empty() {
                    fail(
                        "domains".into(),
                        "Enter at least one domain to register.".into(),
                    );
                }
                if typed.len() > MAX_DOMAINS {
                    fail(
                        "domains".into(),
                        format!("One order registers at most {MAX_DOMAINS} domains."),
                    );
                }
                for d in typed {
                    match domain_name(d) {
                        Some(name) if domains.contains(&name) => {
                            fail("domains".into(), format!("{name} is listed twice."))
                        }
                        Some(name) => domains.push(name),
                        None => fail(
                            "domains".into(),
                            format!("{d} is not a domain name (like example.com)."),
                        ),
                    }
                }
                if !YEARS.contains(&self.years) {
                    fail("years".into(), "Register for 1 to 10 years.".into());
                }
            }
            OrderKind::MoreMailboxes => match domain_name(&self.existing_domain) {
                Some(name) => domains.push(name),
                None => fail(
                    "existing_domain".into(),
                    "Choose the domain that gets the mailboxes.".into(),
                ),
            },
        }
        if !matches!(self.provider.as_str(), "GOOGLE" | "MICROSOFT") {
            fail(
                "provider".into(),
                "Choose Google Workspace or Microsoft 365.".into(),
            );
        }
        let lines: Vec<(usize, &MailboxDraft)> = self
            .mailboxes
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                !(m.username.trim().is_empty()
                    && m.first_name.trim().is_empty()
                    && m.last_name.trim().is_empty())
            })
            .collect();
        if lines.is_empty() && self.kind == OrderKind::MoreMailboxes {
            fail("mailboxes".into(), "Add at least one mailbox.".into());
        }
        if lines.len() > MAX_MAILBOXES {
            fail(
                "mailboxes".into(),
                format!("One order creates at most {MAX_MAILBOXES} mailboxes."),
            );
        }
        let mut mailboxes: BTreeMap<String, Vec<MailboxDraft>> = BTreeMap::new();
        for (n, line) in lines {
            let domain = match self.kind {
                OrderKind::MoreMailboxes => domains.first().cloned(),
                OrderKind::NewDomains => domain_name(&line.domain).filter(|d| domains.contains(d)),
            };
            if domain.is_none() {
                fail(
                    format!("mailbox.{n}.domain"),
                    "Choose one of the order's domains.".into(),
                );
            }
            let username = match username(&line.username) {
                Ok(name) => name,
                Err(why) => {
                    fail(format!("mailbox.{n}.username"), why.into());
                    String::new()
                }
            };
            let mut name = |field: &str, value: &str, what: &str| {
                let value = value.trim();
                if value.is_empty() {
                    fail(format!("mailbox.{n}.{field}"), format!("Enter the {what}."));
                } else if value.chars().count() > MAX_NAME {
                    fail(
                        format!("mailbox.{n}.{field}"),
                        format!("At most {MAX_NAME} characters."),
                    );
                } else if value.chars().any(char::is_control) {
                    fail(
                        format!("mailbox.{n}.{field}"),
                        "No line breaks or control characters.".into(),
                    );
                }
                value.to_string()
            };
            let first_name = name("first_name", &line.first_name, "first name");
            let last_name = name("last_name", &line.last_name, "last name");
            let (Some(domain), false) = (domain, username.is_empty()) else {
                continue;
            };
            let list = mailboxes.entry(domain.clone()).or_default();
            if list.iter().any(|m| m.username == username) {
                fail(
                    format!("mailbox.{n}.username"),
                    format!("{username}@{domain} is listed twice."),
                );
            }
            list.push(MailboxDraft {
                domain,
                username,
                first_name,
                last_name,
            });
        }
        if errors.is_empty() {
            Ok(CheckedOrder {
                kind: self.kind,
                domains,
                years: self.years,
                mailboxes,
                provider: self.provider.clone(),
                auto_renew: self.auto_renew,
            })
        } else {
            Err(errors)
        }
    }
}

/// Where a dashboard order stands. The first three are the dashboard's own; the rest are
/// CMR's statuses, plus "outcome unknown" when CMR's answer to the paid call was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Created at CMR without confirmation: nothing charged yet.
    Prepared,
    /// Confirmed by one admin above the approval limit: waits for a second admin.
    AwaitingApproval,
    /// The paid call is on its way.
    Sending,
    Pending,
    Processing,
    Completed,
    Failed,
    /// The paid call's answer was lost: never sent again; settled by CMR's status.
    Unknown,
}

impl OrderState {
    pub const ALL: [OrderState; 8] = [
        OrderState::Prepared,
        OrderState::AwaitingApproval,
        OrderState::Sending,
        OrderState::Pending,
        OrderState::Processing,
        OrderState::Completed,
        OrderState::Failed,
        OrderState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Prepared => "prepared",
            OrderState::AwaitingApproval => "awaiting_approval",
            OrderState::Sending => "sending",
            OrderState::Pending => "pending",
            OrderState::Processing => "processing",
            OrderState::Completed => "completed",
            OrderState::Failed => "failed",
            OrderState::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        OrderState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// From CMR's order status (`PENDING`…); `None` for one the dashboard does not know.
    pub fn from_cmr(status: &str) -> Option<OrderState> {
        match status.to_ascii_uppercase().as_str() {
            "PENDING" => Some(OrderState::Pending),
            "PROCESSING" => Some(OrderState::Processing),
            "COMPLETED" => Some(OrderState::Completed),
            "FAILED" => Some(OrderState::Failed),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderState::Prepared => "Awaiting confirmation",
            OrderState::AwaitingApproval => "Awaiting approval",
            OrderState::Sending => "Sending",
            OrderState::Pending => "Pending",
            OrderState::Processing => "Processing",
            OrderState::Completed => "Completed",
            OrderState::Failed => "Failed",
            OrderState::Unknown => "Outcome unknown",
        }
    }

    /// CMR has the final word: nothing will change any more.
    pub fn is_final(self) -> bool {
        matches!(self, OrderState::Completed | OrderState::Failed)
    }

    /// Paid and under way at CMR, or possibly so: worth asking CMR about.
    pub fn is_followed(self) -> bool {
        matches!(
            self,
            OrderState::Sending
                | OrderState::Pending
                | OrderState::Processing
                | OrderState::Unknown
        )
    }
}

/// The list's tabs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderTab {
    #[default]
    All,
    /// Prepared or awaiting approval: not paid yet.
    Unconfirmed,
    Pending,
    Processing,
    Completed,
    Failed,
    Unknown,
}

impl OrderTab {
    pub const ALL: [OrderTab; 7] = [
        OrderTab::All,
        OrderTab::Unconfirmed,
        OrderTab::Pending,
        OrderTab::Processing,
        OrderTab::Completed,
        OrderTab::Failed,
        OrderTab::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderTab::All => "all",
            OrderTab::Unconfirmed => "unconfirmed",
            OrderTab::Pending => "pending",
            OrderTab::Processing => "processing",
            OrderTab::Completed => "completed",
            OrderTab::Failed => "failed",
            OrderTab::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> OrderTab {
        OrderTab::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .unwrap_or_default()
    }

    pub fn label(self) -> &'static str {
        match self {
            OrderTab::All => "All",
            OrderTab::Unconfirmed => "Awaiting confirmation",
            OrderTab::Pending => "Pending",
            OrderTab::Processing => "Processing",
            OrderTab::Completed => "Completed",
            OrderTab::Failed => "Failed",
            OrderTab::Unknown => "Outcome unknown",
        }
    }

    /// The states a tab shows (`None`: all).
    pub fn states(self) -> Option<Vec<OrderState>> {
        use OrderState as S;
        Some(match self {
            OrderTab::All => return None,
            OrderTab::Unconfirmed => vec![S::Prepared, S::AwaitingApproval],
            OrderTab::Pending => vec![S::Sending, S::Pending],
            OrderTab::Processing => vec![S::Processing],
            OrderTab::Completed => vec![S::Completed],
            OrderTab::Failed => vec![S::Failed],
            OrderTab::Unknown => vec![S::Unknown],
        })
    }
}

/// What the list asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderFilter {
    pub tab: OrderTab,
    /// CMR order id, customer (id, name, email) or domain.
    pub q: String,
    pub page: u32,
}

impl OrderFilter {
    /// The filter as the list's URL query (page 1 and the "all" tab are left out).
    pub fn query_string(&self) -> String {
        let mut pairs = Vec::new();
        if self.tab != OrderTab::All {
            pairs.push(("tab", self.tab.as_str().to_string()));
        }
        if !self.q.trim().is_empty() {
            pairs.push(("q", self.q.trim().to_string()));
        }
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
        }
        crate::routes::query(&pairs)
    }
}

/// One row of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderRow {
    pub id: i64,
    pub cmr_order_id: Option<String>,
    pub customer_id: String,
    pub customer: String,
    pub summary: String,
    pub domains: Vec<String>,
    pub total: Option<Amount>,
    pub state: OrderState,
    /// Unix seconds.
    pub created_at: i64,
    pub prepared_by: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderList {
    pub rows: Vec<OrderRow>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
    /// Orders per tab, for the tab labels.
    pub counts: Vec<(OrderTab, i64)>,
    pub can_order: bool,
}

/// One status the dashboard saw, and from where.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub at: i64,
    pub status: String,
    /// `dashboard`, `cmr` (its status call) or `webhook`.
    pub source: String,
    pub detail: Option<String>,
}

/// Something the order produced (or will), with where it stands in the partner index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Produced {
    pub name: String,
    /// From the index; `None` when CMR has not shown it yet.
    pub status: Option<String>,
    pub subscription_id: Option<String>,
}

/// An order's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderView {
    pub row: OrderRow,
    pub kind: OrderKind,
    pub years: u32,
    pub provider: String,
    pub auto_renew: bool,
    pub action_id: Option<String>,
    /// Whether the total is CMR's own (`false`: the dashboard's estimate from list prices).
    pub price_stated: bool,
    /// Why the last step was refused, or why CMR failed the order.
    pub note: Option<String>,
    pub confirmed_by: Option<String>,
    pub approved_by: Option<String>,
    pub events: Vec<OrderEvent>,
    pub domains: Vec<Produced>,
    pub mailboxes: Vec<Produced>,
    /// What the signed-in staff member may do with it now.
    pub can_confirm: bool,
    pub can_approve: bool,
    /// Orders above this need a second admin (`None`: no limit configured).
    pub approval_above: Option<Amount>,
    /// The wallet, for the confirmation (only read when the order can be confirmed now).
    pub balance: Option<Amount>,
}

/// What confirming (or approving) did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ConfirmOutcome {
    /// CMR accepted the paid call: the order is under way.
    Sent,
    /// Above the approval limit: waits for a second admin; nothing was sent.
    AwaitingApproval,
}

/// The order form's starting point: who orders, what they have, the wallet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderForm {
    pub customer_id: String,
    pub customer: String,
    /// The customer's domains that can get more mailboxes (ACTIVE).
    pub domains: Vec<String>,
    pub balance: Option<Amount>,
    /// The documented mailbox price per month (CMR: $3), for the estimate.
    pub mailbox_price: Amount,
    pub can_order: bool,
}

/// A CMR order looked up by id (placed here or elsewhere).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderLookup {
    pub order_id: String,
    pub customer_id: String,
    pub status: String,
    pub total: Option<Amount>,
    pub domains: Vec<String>,
    pub mailbox_count: u32,
    pub failure_reason: Option<String>,
    /// The dashboard's own record of it, when it placed it.
    pub local_id: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> OrderDraft {
        OrderDraft {
            customer_id: "U1".into(),
            domains: vec!["Acme-Mail.com\nacme-outreach.io".into()],
            mailboxes: vec![
                MailboxDraft {
                    domain: "acme-mail.com".into(),
                    username: "Ada".into(),
                    first_name: "Ada".into(),
                    last_name: "Lovelace".into(),
                },
                MailboxDraft::default(),
            ],
            ..OrderDraft::default()
        }
    }

    #[test]
    fn a_good_draft_is_normalised_and_blank_mailbox_lines_are_ignored() {
        let order = draft().check().unwrap();
        assert_eq!(order.domains, ["acme-mail.com", "acme-outreach.io"]);
        assert_eq!(order.mailbox_count(), 1);
        assert_eq!(order.mailboxes["acme-mail.com"][0].username, "ada");
        assert_eq!(order.summary(), "2 new domains, 1 mailbox");
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut d = draft();
        d.domains = vec!["not a domain, acme.com, ACME.com".into()];
        d.years = 11;
        d.provider = "YAHOO".into();
        d.mailboxes = vec![
            MailboxDraft {
                domain: "other.com".into(),
                username: "x".into(),
                first_name: "X".into(),
                last_name: "Y".into(),
            },
            MailboxDraft {
                domain: "acme.com".into(),
                username: "a..b".into(),
                first_name: "A".into(),
                last_name: String::new(),
            },
            MailboxDraft {
                domain: "acme.com".into(),
                username: "c".into(),
                first_name: "C".into(),
                last_name: String::new(),
            },
        ];
        let errors = d.check().unwrap_err();
        assert!(errors["domains"].contains("not is not a domain name"));
        assert!(errors.contains_key("years"));
        assert!(errors.contains_key("provider"));
        assert!(errors.contains_key("mailbox.0.domain"));
        assert!(errors["mailbox.1.username"].contains("dot"));
        assert_eq!(errors["mailbox.2.last_name"], "Enter the last name.");
    }

    #[test]
    fn repeats_are_refused() {
        let mut d = draft();
        d.domains = vec!["a.com a.com".into()];
        assert_eq!(d.check().unwrap_err()["domains"], "a.com is listed twice.");
        let mut d = draft();
        d.mailboxes.push(d.mailboxes[0].clone());
        assert!(d.check().unwrap_err()["mailbox.2.username"].contains("listed twice"));
    }

    #[test]
    fn more_mailboxes_need_a_domain_and_a_mailbox() {
        let d = OrderDraft {
            kind: OrderKind::MoreMailboxes,
            ..OrderDraft::default()
        };
        let errors = d.check().unwrap_err();
        assert!(errors.contains_key("existing_domain"));
        assert!(errors.contains_key("mailboxes"));
        let mut d = draft();
        d.kind = OrderKind::MoreMailboxes;
        d.existing_domain = "acme.com".into();
        d.mailboxes[0].domain = "ignored.com".into();
        let order = d.check().unwrap();
        assert_eq!(order.domains, ["acme.com"]);
        assert_eq!(order.mailboxes["acme.com"].len(), 1);
        assert_eq!(order.summary(), "1 mailbox on acme.com");
    }

    #[test]
    fn states_round_trip_and_map_from_cmr() {
        for s in OrderState::ALL {
            assert_eq!(OrderState::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            OrderState::from_cmr("completed"),
            Some(OrderState::Completed)
        );
        assert_eq!(OrderState::from_cmr("ON_HOLD"), None);
        assert!(OrderState::Unknown.is_followed());
        assert!(!OrderState::Prepared.is_followed());
        let all: usize = OrderTab::ALL
            .iter()
            .filter_map(|t| t.states())
            .map(|s| s.len())
            .sum();
        assert_eq!(
            all,
            OrderState::ALL.len(),
            "every state is on exactly one tab"
        );
    }
}
