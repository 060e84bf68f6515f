use cmr::types::{DnsRecordUpdate, DomainStatus, NewDnsRecord, RecordType};
use cmr::CmrError;

use crate::common::{body_keys, domain_in, harness, only_request, query, sorted};

#[tokio::test]
async fn dns_records_are_listed_with_the_documented_fields() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Active);
    let records = h
        .client
        .dns_records(&owner, &domain.domain_name)
        .await
        .expect("records")
        .data;
    let types: Vec<&RecordType> = records.records.iter().map(|r| &r.record_type).collect();
    for expected in [
        RecordType::A,
        RecordType::Mx,
        RecordType::Txt,
        RecordType::Cname,
    ] {
        assert!(types.contains(&&expected), "{expected} record");
    }
    let mx = records
        .records
        .iter()
        .find(|r| r.record_type == RecordType::Mx)
        .unwrap();
    assert!(!mx.priority.is_empty());
    let a = records
        .records
        .iter()
        .find(|r| r.record_type == RecordType::A)
        .unwrap();
    assert_eq!(a.priority, "", "priority is empty when not applicable");
    assert_eq!(a.ttl, Some(3600));
    assert!(records.records.iter().any(|r| r.host == "_dmarc"));
    assert!(records.records.iter().all(|r| r.record_id.len() == 28));

    let request = only_request(h.control(), "GET", "/dns");
    assert_eq!(
        query(&request),
        [
            ("userId", owner.as_str()),
            ("domain", domain.domain_name.as_str())
        ]
    );
}

#[tokio::test]
async fn adding_records_posts_domain_and_records_and_returns_generated_ids() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Active);
    let records = [
        NewDnsRecord {
            host: "track".into(),
            value: "links.example.net".into(),
            record_type: RecordType::Cname,
            priority: None,
            excluded_dmarc_tags: None,
        },
        NewDnsRecord {
            host: "@".into(),
            value: "mx2.example.net".into(),
            record_type: RecordType::Mx,
            priority: Some("20".into()),
            excluded_dmarc_tags: None,
        },
    ];
    let reply = h
        .client
        .add_dns_records(&owner, &domain.domain_name, &records)
        .await
        .expect("add");
    assert_eq!(reply.data.len(), 2);
    assert!(reply.data.iter().all(|r| r.record_id.len() == 28));
    assert_ne!(reply.data[0].record_id, reply.data[1].record_id);
    assert_eq!(reply.data[1].priority, "20");

    let request = only_request(h.control(), "POST", "/dns");
    assert_eq!(query(&request), [("userId", owner.as_str())]);
    assert_eq!(body_keys(&request), sorted(&["domain", "records"]));
    let body = request.body.unwrap();
    let first = body["records"][0].as_object().unwrap();
    let mut keys: Vec<&str> = first.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["host", "recordType", "value"]);
    assert_eq!(body["records"][1]["priority"], "20");

    let listed = h
        .client
        .dns_records(&owner, &domain.domain_name)
        .await
        .unwrap()
        .data;
    assert!(listed
        .records
        .iter()
        .any(|r| r.record_id == reply.data[0].record_id));
}

#[tokio::test]
async fn a_dmarc_record_gets_cmrs_auto_tags_unless_excluded() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Active);
    let record = NewDnsRecord {
        host: "_dmarc".into(),
        value: "v=DMARC1; p=reject".into(),
        record_type: RecordType::Txt,
        priority: None,
        excluded_dmarc_tags: Some(vec!["ruf".into()]),
    };
    let created = h
        .client
        .add_dns_records(&owner, &domain.domain_name, &[record])
        .await
        .expect("add dmarc")
        .data;
    let value = &created[0].value;
    assert!(value.contains("rua=mailto:"), "{value}");
    assert!(!value.contains("ruf="), "{value}");
    let request = only_request(h.control(), "POST", "/dns");
    assert_eq!(
        request.body.unwrap()["records"][0]["excludedDMARCtags"][0],
        "ruf"
    );
}

#[tokio::test]
async fn excluded_dmarc_tags_on_a_non_dmarc_record_are_refused() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Active);
    let record = NewDnsRecord {
        host: "@".into(),
        value: "v=spf1 -all".into(),
        record_type: RecordType::Txt,
        priority: None,
        excluded_dmarc_tags: Some(vec!["ruf".into()]),
    };
    let err = h
        .client
        .add_dns_records(&owner, &domain.domain_name, &[record])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CmrError::Validation { status: 400, .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn updating_a_record_puts_the_full_record() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Active);
    let records = h
        .client
        .dns_records(&owner, &domain.domain_name)
        .await
        .unwrap()
        .data;
    let spf = records
        .records
        .iter()
        .find(|r| r.record_type == RecordType::Txt && r.host == "@")
        .unwrap();
    let update = DnsRecordUpdate {
        record_id: spf.record_id.clone(),
        domain: domain.domain_name.clone(),
        host: "@".into(),
        value: "v=spf1 include:_spf.google.com include:mailgun.org ~all".into(),
        record_type: RecordType::Txt,
        priority: None,
    };
    let reply = h
        .client
        .update_dns_record(&owner, &update)
        .await
        .expect("update");
    let updated = reply.data.expect("the sandbox returns the record");
    assert_eq!(updated.value, update.value);
    let request = only_request(h.control(), "PUT", "/dns");
    assert_eq!(query(&request), [("userId", owner.as_str())]);
    assert_eq!(
        body_keys(&request),
        sorted(&["recordId", "domain", "host", "value", "recordType"])
    );
}

#[tokio::test]
async fn deleting_a_record_sends_its_id_in_the_query() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Active);
    let records = h
        .client
        .dns_records(&owner, &domain.domain_name)
        .await
        .unwrap()
        .data;
    let victim = records.records[0].record_id.clone();
    h.client
        .delete_dns_record(&owner, &victim)
        .await
        .expect("delete");
    let request = only_request(h.control(), "DELETE", "/dns");
    assert_eq!(
        query(&request),
        [("userId", owner.as_str()), ("recordId", victim.as_str())]
    );
    let after = h
        .client
        .dns_records(&owner, &domain.domain_name)
        .await
        .unwrap()
        .data;
    assert!(after.records.iter().all(|r| r.record_id != victim));
    let again = h
        .client
        .delete_dns_record(&owner, &victim)
        .await
        .unwrap_err();
    assert!(matches!(again, CmrError::NotFound { .. }));
}

#[tokio::test]
async fn another_users_domain_is_forbidden() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Active);
    let stranger = h
        .control()
        .users()
        .into_iter()
        .find(|u| u.id != owner)
        .unwrap();
    let err = h
        .client
        .dns_records(&stranger.id, &domain.domain_name)
        .await
        .unwrap_err();
    assert!(matches!(err, CmrError::Forbidden { .. }), "{err:?}");
}
