//! Mailbox subscriptions (reference §4.7).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient::{self, other_spellings};
use super::{BillingCycle, Money, ServiceProvider, SubscriptionStatus};

/// One subscription, as `GET /subscriptions` lists it (documented).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Subscription {
    #[serde(default, deserialize_with = "lenient::string")]
    pub subscription_id: String,
    #[serde(default)]
    pub subscription_status: SubscriptionStatus,
    #[serde(default, deserialize_with = "lenient::u32")]
    pub total_mailbox_quantity: u32,
    #[serde(default)]
    pub billing_cycle: BillingCycle,
    /// A JSON number in CMR's sample; `null` reads as zero.
    #[serde(default, deserialize_with = "lenient::money")]
    pub price_per_mailbox: Money,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub period_start: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub period_end: Option<String>,
    #[serde(default)]
    pub service_provider: Option<ServiceProvider>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub auto_renew: bool,
    #[serde(default, deserialize_with = "lenient::string")]
    pub user_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(Subscription {
    "subscriptionId" <= ["id"],
    "subscriptionStatus" <= ["status"],
    "serviceProvider" <= ["workspaceType"],
});

/// Filters and paging of `GET /subscriptions` (documented; `limit` defaults to 50 there).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionQuery {
    pub status: Option<SubscriptionStatus>,
    pub component_subscription_id: Option<String>,
    pub domain: Option<String>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
}

/// What `POST /subscriptions/cancel` cancels: one key or the other, never both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CancelTarget {
    #[serde(rename = "subscriptionId")]
    Subscription(String),
    #[serde(rename = "domain")]
    Domain(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_subscription_sample_decodes() {
        let s: Subscription = serde_json::from_str(
            r#"{"subscriptionId":"1BNTZJG2Q041JWGS3NY9E1BZ9APA","subscriptionStatus":"ACTIVE",
                "totalMailboxQuantity":1,"billingCycle":"MONTHLY","pricePerMailbox":8,
                "periodStart":"2026-01-01T00:00:00.000Z","periodEnd":"2026-02-01T00:00:00.000Z",
                "serviceProvider":"GOOGLE","autoRenew":true,"userId":"U1","domain":"bestpremium.org"}"#,
        )
        .unwrap();
        assert_eq!(s.subscription_status, SubscriptionStatus::Active);
        assert_eq!(s.price_per_mailbox, Money::from_cents(800));
        assert_eq!(s.service_provider, Some(ServiceProvider::Google));
        assert_eq!(s.billing_cycle, BillingCycle::Monthly);
        assert_eq!(s.domain, "bestpremium.org");
    }

    #[test]
    fn a_cancel_target_serialises_as_a_single_key() {
        let json = serde_json::to_value(CancelTarget::Domain("a.com".into())).unwrap();
        assert_eq!(json, serde_json::json!({"domain": "a.com"}));
    }
}
