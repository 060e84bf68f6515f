//! What the customer pages show: small view types, built on the server from CMR's answers.

use super::audit::AuditView;
use cmr::types::{ProfileField, UserProfile};
use serde::{Deserialize, Serialize};

/// One row of the customer list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub company: String,
    pub country: String,
}

/// One page of customers. CMR may leave out its pagination: then the totals are `None` ("total
/// unknown") and `has_next` is a guess from a full page, so Next still works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerList {
    /// When CMR gave this page (Unix seconds): pages say how fresh they are.
    pub fetched_at: i64,
    pub rows: Vec<CustomerRow>,
    pub total: Option<u64>,
    pub page: u32,
    pub total_pages: Option<u32>,
    pub has_next: bool,
}

/// How the list is sorted (within the page CMR returns: its list call has no sort parameter).
/// Crosses the wire as its lower-case name, the same word the URL carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum CustomerSort {
    #[default]
    Name,
    Email,
    Company,
    Country,
}

impl CustomerSort {
    pub const ALL: [(CustomerSort, &'static str); 4] = [
        (CustomerSort::Name, "name"),
        (CustomerSort::Email, "email"),
        (CustomerSort::Company, "company"),
        (CustomerSort::Country, "country"),
    ];

    pub fn parse(s: &str) -> CustomerSort {
        Self::ALL
            .iter()
            .find(|(_, n)| *n == s)
            .map_or(CustomerSort::Name, |(k, _)| *k)
    }

    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("name", |(_, n)| n)
    }

    pub fn key(self, row: &CustomerRow) -> String {
        match self {
            CustomerSort::Name => row.name.to_lowercase(),
            CustomerSort::Email => row.email.to_lowercase(),
            CustomerSort::Company => row.company.to_lowercase(),
            CustomerSort::Country => row.country.clone(),
        }
    }
}

/// A part of a page that loads on its own: the data, or why it could not be loaded (the rest
/// of the page still shows).
pub type Section<T> = Result<Vec<T>, String>;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MailboxSummary {
    pub email: String,
    pub name: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionSummary {
    pub id: String,
    pub domain: String,
    pub status: String,
    pub mailboxes: u32,
    pub price_per_mailbox: String,
    pub period_end: Option<String>,
    pub auto_renew: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerDetail {
    /// When CMR gave this profile (Unix seconds).
    pub fetched_at: i64,
    pub id: String,
    pub profile: UserProfile,
    /// Profile fields CMR did not show (missing, `null`, not text): unknown, not empty.
    pub unknown_fields: Vec<ProfileField>,
    /// As rows of the domain list's table.
    pub domains: Section<super::domain::DomainRow>,
    pub mailboxes: Section<MailboxSummary>,
    pub subscriptions: Section<SubscriptionSummary>,
    pub history: Vec<AuditView>,
    /// What the signed-in staff member may do here (decided on the server from the role).
    pub can_edit: bool,
    pub can_delete: bool,
}

/// What the edit form opens with: the profile, the fields CMR did not show (marked unknown
/// and left out of the save unless staff type a value), and the country and state lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EditableProfile {
    pub profile: UserProfile,
    pub unknown_fields: Vec<ProfileField>,
    pub lists: super::geo::GeoLists,
}

/// What saving the edit form did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SaveOutcome {
    /// The form matched CMR's profile: no call was made.
    NothingChanged,
    /// These fields were changed.
    Saved(Vec<ProfileField>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sort_crosses_the_wire_as_the_word_in_the_url() {
        for (sort, word) in CustomerSort::ALL {
            assert_eq!(serde_json::to_value(sort).unwrap(), word);
            assert_eq!(CustomerSort::parse(word), sort);
        }
    }
}
