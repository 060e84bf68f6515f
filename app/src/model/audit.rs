//! The audit log as staff read it.

use serde::{Deserialize, Serialize};

/// How an audited action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditOutcome {
    Ok,
    Failed,
    /// The change was sent but CMR never confirmed it (timeout, dropped connection, 5xx).
    Unknown,
}

/// One audit entry as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    /// When, in seconds since the Unix epoch (the page shows it relative to now, with the
    /// absolute UTC time on hover).
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    /// The target's page, when it has one.
    #[serde(default)]
    pub target_href: Option<String>,
    /// (field, before, after)
    pub changes: Vec<(String, String, String)>,
    pub outcome: AuditOutcome,
    pub message: Option<String>,
    pub action_id: Option<String>,
}

/// What the audit viewer's filters ask for (all optional; dates are `YYYY-MM-DD`, inclusive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    /// A staff account's id.
    pub staff: Option<i64>,
    pub action: String,
    /// One of [`TARGET_KINDS`].
    pub target_kind: String,
    /// The target's id (a customer id, a domain name, …): exact.
    pub target_id: String,
    /// `ok`, `error` or `unknown`.
    pub outcome: String,
    pub from: String,
    pub to: String,
    pub page: u32,
}

/// The kinds of record an entry can be about, with their names in the filter.
pub const TARGET_KINDS: [(&str, &str); 7] = [
    ("customer", "Customer"),
    ("domain", "Domain"),
    ("dns_record", "DNS record"),
    ("order", "Order"),
    ("mailbox", "Mailbox"),
    ("subscription", "Subscription"),
    ("staff", "Staff account"),
];

/// The outcomes, as the filter names them.
pub const OUTCOMES: [(&str, &str); 3] = [
    ("ok", "Done"),
    ("error", "Failed"),
    ("unknown", "Outcome unknown"),
];

impl AuditFilter {
    /// From the page's URL query.
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> AuditFilter {
        let text = |name: &str| get(name).map(|v| v.trim().to_string()).unwrap_or_default();
        AuditFilter {
            staff: get("staff").and_then(|s| s.trim().parse().ok()),
            action: text("action"),
            target_kind: text("target_kind"),
            target_id: text("target_id"),
            outcome: text("outcome"),
            from: text("from"),
            to: text("to"),
            page: get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1),
        }
    }

    /// The filter as the page's URL query (empty parts and page 1 left out).
    pub fn query_string(&self) -> String {
        let mut pairs = Vec::new();
        if let Some(staff) = self.staff {
            pairs.push(("staff", staff.to_string()));
        }
        for (name, value) in [
            ("action", &self.action),
            ("target_kind", &self.target_kind),
            ("target_id", &self.target_id),
            ("outcome", &self.outcome),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !value.is_empty() {
                pairs.push((name, value.clone()));
            }
        }
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
        }
        crate::routes::query(&pairs)
    }

    /// The same filter on another page.
    pub fn on_page(&self, page: u32) -> AuditFilter {
        AuditFilter {
            page,
            ..self.clone()
        }
    }

    /// Checks the parts a person types; errors keyed by field, all at once.
    pub fn check(&self) -> Result<(), std::collections::BTreeMap<String, String>> {
        let mut errors = std::collections::BTreeMap::new();
        if !self.target_kind.is_empty() && !TARGET_KINDS.iter().any(|(k, _)| *k == self.target_kind)
        {
            errors.insert(
                "target_kind".into(),
                "Choose a kind of record from the list.".into(),
            );
        }
        if !self.target_id.is_empty() && self.target_kind.is_empty() {
            errors.insert(
                "target_kind".into(),
                "Choose what kind of record the id belongs to.".into(),
            );
        }
        if !self.outcome.is_empty() && !OUTCOMES.iter().any(|(k, _)| *k == self.outcome) {
            errors.insert("outcome".into(), "Choose an outcome from the list.".into());
        }
        if self.action.chars().count() > 60 {
            errors.insert(
                "action".into(),
                "An action name is at most 60 characters.".into(),
            );
        }
        if self.target_id.chars().count() > 200 {
            errors.insert(
                "target_id".into(),
                "An id is at most 200 characters.".into(),
            );
        }
        let from = self.from_day();
        let to = self.to_day();
        if !self.from.is_empty() && from.is_none() {
            errors.insert("from".into(), "Enter a date like 2026-11-25.".into());
        }
        if !self.to.is_empty() && to.is_none() {
            errors.insert("to".into(), "Enter a date like 2026-11-25.".into());
        }
        if let (Some(from), Some(to)) = (from, to) {
            if from > to {
                errors.insert("to".into(), "The end date is before the start date.".into());
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The first day, as days since the Unix epoch.
    pub fn from_day(&self) -> Option<i64> {
        super::date::days_since_epoch(&self.from)
    }

    /// The last day (inclusive), as days since the Unix epoch.
    pub fn to_day(&self) -> Option<i64> {
        super::date::days_since_epoch(&self.to)
    }
}

/// One page of the audit viewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLogPage {
    pub entries: Vec<AuditView>,
    pub total: i64,
    pub page: u32,
    pub page_size: u32,
    /// Staff accounts to filter by: (id, email).
    pub staff: Vec<(i64, String)>,
    /// Actions seen in the log (the reader may see), for the filter.
    pub actions: Vec<String>,
    /// Whether the reader sees everything (admins) or customer data only.
    pub everything: bool,
}

/// The page of a target an entry names, when it has one.
pub fn target_href(kind: &str, id: &str) -> Option<String> {
    use crate::routes;
    Some(match kind {
        "customer" => routes::customer(id),
        "domain" => routes::domain(id),
        "dns_record" => routes::domain_dns(id.split('/').next()?),
        "order" => format!("{}/{}", routes::ORDERS, routes::encode(id)),
        "mailbox" => format!("{}/{}", routes::MAILBOXES, routes::encode(id)),
        "subscription" => format!(
            "{}?{}",
            routes::SUBSCRIPTIONS,
            routes::query(&[("q", id.to_string())])
        ),
        "staff" => routes::staff_account(id.parse().ok()?),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_goes_through_its_url_unchanged() {
        let filter = AuditFilter {
            staff: Some(3),
            action: "customer.update".into(),
            target_kind: "customer".into(),
            target_id: "U 1&2".into(),
            outcome: "ok".into(),
            from: "2026-11-01".into(),
            to: "2026-11-25".into(),
            page: 2,
        };
        let query = filter.query_string();
        let pairs: std::collections::HashMap<String, String> =
            url_pairs(&query).into_iter().collect();
        assert_eq!(AuditFilter::from_query(|k| pairs.get(k).cloned()), filter);
        assert_eq!(AuditFilter::default().query_string(), "");
    }

    fn url_pairs(query: &str) -> Vec<(String, String)> {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .map(|(k, v)| (k.to_string(), decode(v)))
            .collect()
    }

    fn decode(v: &str) -> String {
        let bytes = v.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn bad_filters_are_each_named() {
        let filter = AuditFilter {
            target_kind: "planet".into(),
            outcome: "maybe".into(),
            from: "2026-13-01".into(),
            to: "yesterday".into(),
            ..AuditFilter::default()
        };
        let errors = filter.check().unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["from", "outcome", "target_kind", "to"]);
        let backwards = AuditFilter {
            from: "2026-11-25".into(),
            to: "2026-11-01".into(),
            ..AuditFilter::default()
        };
        assert!(backwards.check().unwrap_err().contains_key("to"));
        assert!(AuditFilter::default().check().is_ok());
    }

    #[test]
    fn targets_link_to_their_pages() {
        assert_eq!(
            target_href("customer", "U1").as_deref(),
            Some("/customers/U1")
        );
        assert_eq!(
            target_href("dns_record", "example.com/r1").as_deref(),
            Some("/domains/example.com/dns")
        );
        assert_eq!(target_href("staff", "7").as_deref(), Some("/staff/7"));
        assert_eq!(target_href("wallet", "x"), None);
    }
}
