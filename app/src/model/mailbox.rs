//! Mailboxes: the partner-wide list, a mailbox's page, renaming it, and its credentials (only
//! ever sent to the browser after an admin asked for them).

use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAILBOXES_PER_PAGE: u32 = 25;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailboxFilter {
    /// Address, name, domain or customer.
    pub q: String,
    /// CMR's status (`ACTIVE`…), or empty for all.
    pub status: String,
    pub page: u32,
}

impl MailboxFilter {
    /// The filter as the list's URL query (defaults left out).
    pub fn query_string(&self) -> String {
        let mut pairs = Vec::new();
        if !self.q.trim().is_empty() {
            pairs.push(("q", self.q.trim().to_string()));
        }
        if !self.status.is_empty() {
            pairs.push(("status", self.status.clone()));
        }
        if self.page > 1 {
            pairs.push(("page", self.page.to_string()));
        }
        crate::routes::query(&pairs)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub domain: String,
    pub customer_id: String,
    pub customer: String,
    pub status: String,
    pub on_warmup: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxList {
    pub rows: Vec<MailboxRow>,
    pub total: i64,
    pub page: u32,
    pub total_pages: u32,
    pub indexed_at: Option<i64>,
    /// Editors may update the ticked mailboxes.
    pub can_edit: bool,
}

/// Mailboxes updated together (blank fields stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailboxBulkUpdate {
    pub ids: Vec<String>,
    pub first_name: String,
    pub last_name: String,
    /// An https URL.
    pub profile_picture: String,
}

/// What happened to one mailbox of a bulk update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    pub id: String,
    pub email: String,
    /// `None`: CMR accepted it (it applies it shortly); else why not.
    pub refused: Option<String>,
}

/// Mailboxes one bulk update may hold.
pub const MAX_BULK: usize = 100;

/// A profile picture's URL: https, at most 500 characters.
pub fn picture_url(input: &str) -> Result<Option<String>, &'static str> {
    let url = input.trim();
    if url.is_empty() {
        return Ok(None);
    }
    if url.len() > 500 || !url.starts_with("https://") || url.chars().any(char::is_whitespace) {
        return Err("Give the picture's https:// address (at most 500 characters).");
    }
    Ok(Some(url.to_string()))
}

/// A mailbox's page. Holds no credential: those come only from [`Credentials`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxDetail {
    pub row: MailboxRow,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub profile_picture: Option<String>,
    pub subscription_id: Option<String>,
    /// A rename staff asked for that CMR does not show yet: "First Last" and when (Unix s).
    pub requested: Option<(String, i64)>,
    /// Mailboxes left on the domain (removing the last one deletes the workspace).
    pub mailboxes_on_domain: i64,
    pub fetched_at: i64,
    pub can_edit: bool,
    pub can_remove: bool,
    pub can_reveal: bool,
}

/// What staff change: the names and the part before the @.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MailboxRename {
    pub id: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

/// A mailbox's admin credentials as CMR gives them, shown once an admin asked. Prints no
/// value.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Credentials {
    /// (field, value), in CMR's order.
    pub fields: Vec<(String, String)>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Credentials")
            .field("fields", &names)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_print_their_values() {
        let c = Credentials {
            fields: vec![("adminPassword".into(), "hunter2".into())],
        };
        let printed = format!("{c:?}");
        assert!(printed.contains("adminPassword") && !printed.contains("hunter2"));
    }

    #[test]
    fn picture_urls_must_be_https() {
        assert_eq!(picture_url(" "), Ok(None));
        assert_eq!(
            picture_url("https://example.com/a.png"),
            Ok(Some("https://example.com/a.png".into()))
        );
        assert!(picture_url("http://example.com/a.png").is_err());
        assert!(picture_url("javascript:alert(1)").is_err());
    }

    #[test]
    fn the_query_string_leaves_out_defaults() {
        assert_eq!(MailboxFilter::default().query_string(), "");
        let f = MailboxFilter {
            q: "ada".into(),
            status: "ACTIVE".into(),
            page: 3,
        };
        assert_eq!(f.query_string(), "q=ada&status=ACTIVE&page=3");
    }
}
