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

/// One domain of `POST /domains/has-workspace` in its bulk form (reference §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceQuery {
    pub domain_name: String,
    /// Optional at CMR; left out of the body when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider: Option<ServiceProvider>,
}

/// One item of the bulk `POST /domains/has-workspace` answer.
///
/// Shape inferred (cmr-api.md §4.3: "success item = no workspace found, failed item carries
/// an error string"; the item's keys were not found). Accepted: `"status": "success" |
/// "failed"` or a boolean `success`, and `domainName` also spelled `domain`. Only an explicit
/// success counts as one: a missing or unknown outcome decodes as failed.
///
/// A failed item means a workspace exists **or** the check timed out (CMR gives each check
/// 15 s): never read it as "no workspace". Use [`WorkspaceCheck::is_clear`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct WorkspaceCheck {
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain_name: String,
    #[serde(default, deserialize_with = "check_succeeded")]
    pub success: bool,
    /// Why the check failed; `None` when CMR sent none (blank counts as none).
    #[serde(default, deserialize_with = "error_text")]
    pub error: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(WorkspaceCheck {
    "domainName" <= ["domain"],
    "success" <= ["status"],
});

impl WorkspaceCheck {
    /// No workspace was found and nothing went wrong: the domain can be ordered without
    /// failing later with `Workspace validation failed`.
    pub fn is_clear(&self) -> bool {
        self.success && self.error.is_none()
    }
}

/// `true` only for `true` or a success word: a failed check, a timeout or an outcome this
/// crate does not know must never read as "no workspace".
fn check_succeeded<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "success" | "succeeded" | "ok" | "true"
        ),
        _ => false,
    })
}

/// An error message; `null`, missing or blank → `None`.
fn error_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(lenient::opt_string(d)?.filter(|s| !s.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workspace_query_leaves_out_an_unstated_provider() {
        let queries = [
            WorkspaceQuery {
                domain_name: "acmecorp.com".into(),
                service_provider: Some(ServiceProvider::Google),
            },
            WorkspaceQuery {
                domain_name: "example.com".into(),
                service_provider: None,
            },
        ];
        assert_eq!(
            serde_json::to_value(queries).unwrap(),
            serde_json::json!([
                {"domainName": "acmecorp.com", "serviceProvider": "GOOGLE"},
                {"domainName": "example.com"}
            ])
        );
    }

    #[test]
    fn workspace_checks_decode_from_status_words_or_booleans() {
        let items: Vec<WorkspaceCheck> = serde_json::from_str(
            r#"[{"domainName":"a.com","status":"success"},
                {"domainName":"b.com","status":"failed","error":"Workspace already exists"},
                {"domain":"c.com","success":true,"error":null},
                {"domain":"d.com","success":false,"error":"Workspace check timed out"},
                {"domainName":"e.com","status":"SUCCESS","error":""},
                {"domainName":"f.com","status":"PENDING"},
                {"domainName":"g.com"},
                {"domainName":"h.com","success":true,"error":"Workspace already exists"}]"#,
        )
        .unwrap();
        let seen: Vec<(&str, bool, bool)> = items
            .iter()
            .map(|c| (c.domain_name.as_str(), c.success, c.is_clear()))
            .collect();
        assert_eq!(
            seen,
            [
                ("a.com", true, true),
                ("b.com", false, false),
                ("c.com", true, true),
                ("d.com", false, false),
                ("e.com", true, true),
                ("f.com", false, false),
                ("g.com", false, false),
                ("h.com", true, false),
            ]
        );
        assert_eq!(items[1].error.as_deref(), Some("Workspace already exists"));
        assert_eq!(items[4].error, None, "a blank error is no error");
        assert!(
            !items[0].extra.contains_key("status"),
            "{:?}",
            items[0].extra
        );
    }

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
