//! Orders: new domains with mailboxes, or mailboxes on an existing domain (reference §4.5).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient::{self, other_spellings};
use super::{BillingCycle, Money, OrderStatus, ServiceProvider};

/// Mailboxes to create, keyed by **domain name** (not id); each mailbox listed individually.
pub type MailboxesByDomain = BTreeMap<String, Vec<OrderMailbox>>;

/// One domain of `POST /orders/json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDomain {
    pub domain: String,
    pub years: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forward_to: Option<String>,
}

/// One mailbox of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderMailbox {
    /// Local part.
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture: Option<String>,
    /// Warmup is billed with the mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_warmup: Option<bool>,
}

/// Google OAuth settings for exporting Google mailboxes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoogleOauth {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google_oauth_route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
}

/// Body of `POST /orders/json?userId=` (documented).
///
/// `confirm: true` processes at once and debits the wallet; `false` only creates the order,
/// to be processed later. Never resubmit while waiting: duplicates register and charge twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewOrder {
    pub domains: Vec<OrderDomain>,
    pub mailboxes: MailboxesByDomain,
    pub billing_cycle: BillingCycle,
    pub confirm: bool,
    pub service_provider: ServiceProvider,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub microsoft_oauth_route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub google: Option<GoogleOauth>,
    /// Mailbox subscription renewal only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
}

/// Where `POST /orders/create-mailbox-order/json` puts the mailboxes: exactly one of the two.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailboxOrderTarget {
    /// Add to an active subscription.
    #[serde(rename = "subscriptionId")]
    Subscription(String),
    /// The domain's previous subscription was cancelled: CMR creates a new one.
    #[serde(rename = "domainId")]
    Domain(String),
}

/// Body of `POST /orders/create-mailbox-order/json?userId=` (guide).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxOrder {
    #[serde(flatten)]
    pub target: MailboxOrderTarget,
    pub billing_cycle: BillingCycle,
    pub mailboxes: MailboxesByDomain,
    pub confirm: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_renew: Option<bool>,
}

/// `data` of a created order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct OrderCreated {
    #[serde(default, deserialize_with = "lenient::string")]
    pub order_id: String,
    #[serde(default, deserialize_with = "lenient::names")]
    pub unavailable_domains: Vec<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(OrderCreated { "orderId" <= ["id"] });

/// `data` of `GET /orders/status` (shape inferred, cmr-api.md §4.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct OrderStatusReport {
    #[serde(default, deserialize_with = "lenient::string")]
    pub order_id: String,
    #[serde(default)]
    pub status: OrderStatus,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(OrderStatusReport {
    "orderId" <= ["id"],
    "status" <= ["orderStatus"],
});

/// One domain line of an order's details.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct OrderDomainLine {
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain: String,
    #[serde(default, deserialize_with = "lenient::u32")]
    pub years: u32,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub status: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(OrderDomainLine { "domain" <= ["domainName"] });

/// One planned mailbox of an order's details (shape inferred: the sandbox's; CMR's order
/// details were not found, cmr-api.md §4.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct OrderMailboxLine {
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub first_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub last_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(OrderMailboxLine { "domain" <= ["domainName"] });

/// An order's mailboxes as a list, or keyed by domain name as the order body sends them
/// (each item then takes its domain from the key, and its email from `username` if it has
/// none).
fn mailbox_lines<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<OrderMailboxLine>, D::Error> {
    use serde::de::Error as _;
    let value = Value::deserialize(d)?;
    let keyed = match &value {
        Value::Object(map) => !map.is_empty() && map.values().all(Value::is_array),
        _ => false,
    };
    if !keyed {
        return lenient::list_from(value).map_err(D::Error::custom);
    }
    let Value::Object(map) = value else {
        return Ok(Vec::new());
    };
    let mut lines = Vec::new();
    for (domain, items) in map {
        for mut line in lenient::list_from::<OrderMailboxLine>(items).map_err(D::Error::custom)? {
            if line.domain.is_empty() {
                line.domain.clone_from(&domain);
            }
            if line.email.is_empty() {
                if let Some(user) = line.extra.get("username").and_then(Value::as_str) {
                    line.email = format!("{user}@{domain}");
                }
            }
            lines.push(line);
        }
    }
    Ok(lines)
}

/// `data` of the order-details call (path and shape inferred, cmr-api.md §4.5).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Order {
    #[serde(default, deserialize_with = "lenient::string")]
    pub order_id: String,
    #[serde(default)]
    pub status: OrderStatus,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub creation_time: Option<String>,
    /// `None` when CMR sent `null` or nothing.
    #[serde(default, deserialize_with = "lenient::opt_money")]
    pub total_price: Option<Money>,
    #[serde(default)]
    pub service_provider: Option<ServiceProvider>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub domains: Vec<OrderDomainLine>,
    #[serde(default, deserialize_with = "lenient::u32")]
    pub mailbox_count: u32,
    /// The mailboxes the order creates (or would have created, if it failed).
    #[serde(default, deserialize_with = "mailbox_lines")]
    pub mailboxes: Vec<OrderMailboxLine>,
    /// `false` while the order waits for the process call; `None` when not stated.
    #[serde(default, deserialize_with = "lenient::opt_boolean")]
    pub confirmed: Option<bool>,
    /// Why CMR failed the order (e.g. `Workspace validation failed`, reference §4.5); `None`
    /// unless FAILED.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub failure_reason: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(Order {
    "orderId" <= ["id"],
    "status" <= ["orderStatus"],
    "creationTime" <= ["createdAt"],
    "totalPrice" <= ["total", "price"],
    "serviceProvider" <= ["workspaceType"],
    "mailboxCount" <= ["quantity"],
    "failureReason" <= ["reason"],
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_order_carries_exactly_one_target_key() {
        let order = MailboxOrder {
            target: MailboxOrderTarget::Subscription("SUB1".into()),
            billing_cycle: BillingCycle::Monthly,
            mailboxes: MailboxesByDomain::new(),
            confirm: true,
            auto_renew: None,
        };
        let json = serde_json::to_value(&order).unwrap();
        assert_eq!(json["subscriptionId"], "SUB1");
        assert!(json.get("domainId").is_none());
        assert_eq!(json["billingCycle"], "MONTHLY");
        let back: MailboxOrder = serde_json::from_value(json).unwrap();
        assert_eq!(back, order);
    }

    #[test]
    fn the_documented_order_created_sample_decodes() {
        let c: OrderCreated =
            serde_json::from_str(r#"{"orderId":"ORD1","unavailableDomains":[]}"#).unwrap();
        assert_eq!(c.order_id, "ORD1");
        assert!(c.unavailable_domains.is_empty());
    }

    #[test]
    fn an_order_with_a_numeric_total_decodes() {
        let o: Order = serde_json::from_str(
            r#"{"orderId":"O","status":"COMPLETED","totalPrice":27.5,"domains":[{"domain":"a.com","years":1}]}"#,
        )
        .unwrap();
        assert_eq!(o.total_price, Some(Money::from_cents(2750)));
        assert_eq!(o.status, OrderStatus::Completed);
        assert_eq!(o.domains[0].domain, "a.com");
        assert_eq!((o.confirmed, o.failure_reason), (None, None));
        assert!(o.mailboxes.is_empty());
    }

    #[test]
    fn a_failed_order_gives_its_reason_and_planned_mailboxes() {
        let o: Order = serde_json::from_str(
            r#"{"orderId":"O","status":"FAILED","confirmed":"true",
                "reason":"Workspace validation failed",
                "mailboxes":[{"email":"ada@a.com","firstName":"Ada","lastName":"Byron",
                              "domainName":"a.com"},null]}"#,
        )
        .unwrap();
        assert_eq!(o.status, OrderStatus::Failed);
        assert_eq!(o.confirmed, Some(true));
        assert_eq!(
            o.failure_reason.as_deref(),
            Some("Workspace validation failed")
        );
        assert_eq!(o.mailboxes.len(), 1);
        assert_eq!(
            (
                o.mailboxes[0].email.as_str(),
                o.mailboxes[0].domain.as_str()
            ),
            ("ada@a.com", "a.com")
        );
    }

    #[test]
    fn mailboxes_keyed_by_domain_as_in_the_order_body_decode_too() {
        let o: Order = serde_json::from_str(
            r#"{"orderId":"O","mailboxes":{"a.com":[{"username":"ada","firstName":"Ada",
                "lastName":"Byron"}],"b.net":[]}}"#,
        )
        .unwrap();
        assert_eq!(o.mailboxes.len(), 1);
        let line = &o.mailboxes[0];
        assert_eq!(
            (
                line.email.as_str(),
                line.domain.as_str(),
                line.first_name.as_str()
            ),
            ("ada@a.com", "a.com", "Ada")
        );
    }
}
