//! Mailboxes (reference §4.6). List and detail shapes are not documented; field names follow
//! CMR's webhook payloads and accept common alternatives.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient::{self, other_spellings};
use super::{MailboxStatus, ServiceProvider};

/// One mailbox.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct Mailbox {
    #[serde(default, deserialize_with = "lenient::string")]
    pub mailbox_id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: String,
    /// Local part; CMR's update call spells it `userName`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub user_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub first_name: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub last_name: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub profile_picture: Option<String>,
    #[serde(default)]
    pub status: MailboxStatus,
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub domain_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub subscription_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_id: Option<String>,
    #[serde(default)]
    pub service_provider: Option<ServiceProvider>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub on_warmup: bool,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub creation_time: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub expiry_date: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(Mailbox {
    "mailboxId" <= ["id"],
    "userName" <= ["username"],
    "status" <= ["mailboxStatus"],
    "domain" <= ["domainName"],
    "serviceProvider" <= ["workspaceType"],
    "creationTime" <= ["createdAt"],
});

/// `data` of `GET /mailboxes/admin-mailbox-details` (shape not documented).
///
/// Admin details can hold credentials, so `Debug` prints only the field names: this value
/// must never end up in a log line.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MailboxAdminDetails {
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

impl MailboxAdminDetails {
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
}

impl fmt::Debug for MailboxAdminDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailboxAdminDetails")
            .field("fields", &self.fields.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// One item of `mailboxData` in `PATCH /mailboxes/update-mailbox-details`. `None` = unchanged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxUpdate {
    pub mailbox_id: String,
    /// Note the capital N: CMR's spelling.
    #[serde(rename = "userName", default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remove_profile_picture: Option<bool>,
}

/// Per-item outcome of a bulk mailbox update; one item can fail while others succeed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailboxUpdateResult {
    #[serde(default, deserialize_with = "lenient::string")]
    pub mailbox_id: String,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub success: bool,
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_details_debug_shows_keys_but_not_values() {
        let d: MailboxAdminDetails =
            serde_json::from_str(r#"{"adminEmail":"a@b.c","adminPassword":"hunter2"}"#).unwrap();
        let debug = format!("{d:?}");
        assert!(debug.contains("adminPassword"));
        assert!(!debug.contains("hunter2"));
        assert_eq!(d.get_str("adminEmail"), Some("a@b.c"));
    }

    #[test]
    fn a_mailbox_update_uses_cmr_spelling_and_omits_unchanged_fields() {
        let u = MailboxUpdate {
            mailbox_id: "M1".into(),
            user_name: Some("ada".into()),
            ..MailboxUpdate::default()
        };
        let json = serde_json::to_value(&u).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"mailboxId": "M1", "userName": "ada"})
        );
    }

    #[test]
    fn a_mailbox_with_an_unknown_status_decodes() {
        let m: Mailbox =
            serde_json::from_str(r#"{"mailboxId":"M1","status":"SUSPENDED","username":"ada"}"#)
                .unwrap();
        assert_eq!(m.status.as_str(), "SUSPENDED");
        assert_eq!(m.user_name, "ada");
    }

    #[test]
    fn both_spellings_of_a_mailbox_field_decode_and_round_trip() {
        let m: Mailbox = serde_json::from_str(
            r#"{"mailboxId":"M1","id":"M9","status":"ACTIVE","mailboxStatus":"EXPIRED",
                "domain":null,"domainName":"a.com"}"#,
        )
        .unwrap();
        assert_eq!(m.mailbox_id, "M1");
        assert_eq!(m.status, MailboxStatus::Active);
        assert_eq!(m.domain, "a.com");
        assert!(m.extra.is_empty());
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["mailboxId"], "M1");
        assert_eq!(serde_json::from_value::<Mailbox>(json).unwrap(), m);
    }
}
