//! Domains and their renewal (reference §4.3).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient::{self, other_spellings};
use super::{DomainStatus, Money, ServiceProvider};

/// A customer's domain.
///
/// Field names are inferred (cmr-api.md §4.3: the guide lists the facts, not the keys); they
/// follow the names CMR uses elsewhere (`domainId`, `domainName`, `creationTime`, `expiryDate`)
/// and accept the obvious alternatives (listed below the struct). Anything else is kept in
/// `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Domain {
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain_name: String,
    #[serde(default)]
    pub status: DomainStatus,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub creation_time: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub expiry_date: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub purchase_type: Option<String>,
    #[serde(default)]
    pub service_provider: Option<ServiceProvider>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub auto_renew: bool,
    /// URL forwarding config; `None` when not configured.
    #[serde(default)]
    pub domain_forwarding: Option<Value>,
    /// Catch-all email forwarding config; `None` when not configured.
    #[serde(default)]
    pub email_forwarding: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(Domain {
    "domainId" <= ["id"],
    "domainName" <= ["domain", "name"],
    "status" <= ["domainStatus"],
    "creationTime" <= ["registrationDate", "createdAt"],
    "expiryDate" <= ["expireOn", "expiresAt"],
    "serviceProvider" <= ["workspaceType"],
});

/// One item of `POST /domains/renewal-price` (documented; `renewalPrice` is a decimal string).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RenewalPrice {
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain_id: String,
    #[serde(default, deserialize_with = "lenient::u32")]
    pub years: u32,
    /// `None` when CMR sent `null` or nothing: an unstated price must not read as free.
    #[serde(default, deserialize_with = "lenient::opt_money")]
    pub renewal_price: Option<Money>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub expire_on: Option<String>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub auto_renew: bool,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One item of `PATCH /domains/toggle-auto-renew` (documented).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainAutoRenew {
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain_id: String,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub auto_renew: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_renewal_price_sample_decodes() {
        let p: RenewalPrice = serde_json::from_str(
            r#"{"domainName":"a.net","domainId":"D1","years":1,"renewalPrice":"14.50",
                "expireOn":"2026-12-01T00:00:00.000Z","autoRenew":true}"#,
        )
        .unwrap();
        assert_eq!(p.renewal_price, Some(Money::from_cents(1450)));
        assert_eq!(p.renewal_price.unwrap().to_string(), "14.50");
        assert_eq!(p.years, 1);
        assert!(p.auto_renew);
    }

    #[test]
    fn a_domain_with_unknown_status_and_alternative_keys_decodes() {
        let d: Domain = serde_json::from_str(
            r#"{"id":"D1","domain":"a.com","status":"LOCKED","expireOn":"2027-01-01",
                "domainForwarding":null,"registrar":"x"}"#,
        )
        .unwrap();
        assert_eq!(d.domain_id, "D1");
        assert_eq!(d.domain_name, "a.com");
        assert_eq!(d.status.as_str(), "LOCKED");
        assert_eq!(d.expiry_date.as_deref(), Some("2027-01-01"));
        assert_eq!(d.domain_forwarding, None);
        assert_eq!(d.extra["registrar"], "x");
    }
}
