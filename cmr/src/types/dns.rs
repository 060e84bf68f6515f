//! DNS records of a customer's domain (reference §4.4).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::lenient::{self, other_spellings};
use super::RecordType;

/// One DNS record as `GET /dns` lists it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self", rename_all = "camelCase")]
pub struct DnsRecord {
    #[serde(default, deserialize_with = "lenient::string")]
    pub record_id: String,
    /// `@`, `mail`, `_dmarc`, …
    #[serde(default, deserialize_with = "lenient::string")]
    pub host: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub value: String,
    #[serde(default)]
    pub record_type: RecordType,
    /// A string; `""` when not applicable (anything but MX).
    #[serde(default, deserialize_with = "lenient::string")]
    pub priority: String,
    /// Seconds (e.g. 3600); `None` when CMR did not say.
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub ttl: Option<u64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

other_spellings!(DnsRecord {
    "recordId" <= ["id"],
    "recordType" <= ["type"],
});

/// `data` of `GET /dns?userId=&domain=`: active and disabled records.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsRecords {
    #[serde(default, deserialize_with = "lenient::list")]
    pub records: Vec<DnsRecord>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub disabled_records: Vec<DnsRecord>,
}

/// One item of `records` in `POST /dns?userId=`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewDnsRecord {
    pub host: String,
    pub value: String,
    pub record_type: RecordType,
    /// MX only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// DMARC tags CMR must not add; only for `TXT` on `_dmarc` (CMR answers 400 otherwise).
    #[serde(
        rename = "excludedDMARCtags",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub excluded_dmarc_tags: Option<Vec<String>>,
}

/// Body of `PUT /dns?userId=`: replaces the record's writable fields, so send all of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsRecordUpdate {
    pub record_id: String,
    pub domain: String,
    pub host: String,
    pub value: String,
    pub record_type: RecordType,
    /// Not in the guide's body; sent only when set (MX).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_record_fields_decode() {
        let r: DnsRecord = serde_json::from_str(
            r#"{"recordId":"R1","host":"@","value":"mx.example.com","recordType":"MX","priority":"10","ttl":3600}"#,
        )
        .unwrap();
        assert_eq!(r.record_type, RecordType::Mx);
        assert_eq!(r.priority, "10");
        assert_eq!(r.ttl, Some(3600));
    }

    #[test]
    fn a_numeric_priority_and_string_ttl_are_tolerated() {
        let r: DnsRecord = serde_json::from_str(
            r#"{"recordId":"R1","recordType":"MX","priority":10,"ttl":"300"}"#,
        )
        .unwrap();
        assert_eq!(r.priority, "10");
        assert_eq!(r.ttl, Some(300));
    }

    #[test]
    fn a_new_record_uses_the_documented_dmarc_key() {
        let r = NewDnsRecord {
            host: "_dmarc".into(),
            value: "v=DMARC1; p=none".into(),
            record_type: RecordType::Txt,
            priority: None,
            excluded_dmarc_tags: Some(vec!["ruf".into()]),
        };
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["excludedDMARCtags"][0], "ruf");
        assert_eq!(json["recordType"], "TXT");
        assert!(json.get("priority").is_none());
    }
}
