//! The reference's sample answers, served verbatim by the sandbox, decode as written.

use cmr::types::{
    BillingCycle, DomainStatus, Money, NewUser, RecordType, ServiceProvider, SubscriptionQuery,
    SubscriptionStatus, UserProfile,
};

use crate::common::{domain_in, harness};

#[tokio::test]
async fn the_documented_create_user_answer_decodes_as_written() {
    let h = harness();
    h.control().respond_with(
        "/users",
        200,
        r#"{"status":200,"message":"User created","data":{"id":"H8M9JV2S9HMPYFQW393AZHQVD4XM"},"actionId":"ACT_7a078272-0fa7-4db4-a85b-c78697dacea1"}"#,
        1,
    );
    let reply = h
        .client
        .create_user(&NewUser::default())
        .await
        .expect("decodes");
    assert_eq!(reply.data.id, "H8M9JV2S9HMPYFQW393AZHQVD4XM");
    assert_eq!(reply.message, "User created");
    assert_eq!(
        reply.action_id.as_deref(),
        Some("ACT_7a078272-0fa7-4db4-a85b-c78697dacea1")
    );
}

#[tokio::test]
async fn the_documented_update_user_answer_decodes_as_written() {
    let h = harness();
    h.control().respond_with(
        "/users",
        200,
        r#"{"status":200,"message":"User credentials updated","data":null}"#,
        1,
    );
    let reply = h
        .client
        .update_user("PWM7Y25RYZ450YNM8K8FX9GK5AHX", &UserProfile::default(), &[])
        .await
        .expect("decodes");
    assert_eq!(reply.message, "User credentials updated");
    assert_eq!(reply.action_id, None);
}

#[tokio::test]
async fn the_documented_subscriptions_sample_decodes() {
    let h = harness();
    h.control().respond_with(
        "/subscriptions",
        200,
        r#"{"status":200,"message":"Subscriptions fetched successfully","data":{
            "subscriptions":[{"subscriptionId":"1BNTZJG2Q041JWGS3NY9E1BZ9APA","subscriptionStatus":"ACTIVE",
              "totalMailboxQuantity":1,"billingCycle":"MONTHLY","pricePerMailbox":8,
              "periodStart":"2026-05-01T00:00:00.000Z","periodEnd":"2026-06-01T00:00:00.000Z",
              "serviceProvider":"GOOGLE","autoRenew":true,"userId":"PWM7Y25RYZ450YNM8K8FX9GK5AHX",
              "domain":"bestpremium.org"}],
            "pagination":{"totalSearchedCount":2,"currentPage":1,"nextPage":2,"totalPages":1}}}"#,
        1,
    );
    let page = h
        .client
        .subscriptions(&SubscriptionQuery::default())
        .await
        .expect("decodes")
        .data;
    let s = &page.items[0];
    assert_eq!(s.subscription_id, "1BNTZJG2Q041JWGS3NY9E1BZ9APA");
    assert_eq!(s.subscription_status, SubscriptionStatus::Active);
    assert_eq!(s.total_mailbox_quantity, 1);
    assert_eq!(s.billing_cycle, BillingCycle::Monthly);
    assert_eq!(s.price_per_mailbox, Money::from_cents(800));
    assert_eq!(s.service_provider, Some(ServiceProvider::Google));
    assert!(s.auto_renew);
    assert_eq!(s.domain, "bestpremium.org");
    assert_eq!(page.pagination.total, Some(2));
    assert_eq!(page.pagination.next_page, Some(2));
    assert!(
        !page.pagination.has_next(),
        "currentPage >= totalPages wins over nextPage"
    );
}

#[tokio::test]
async fn the_documented_renewal_price_sample_with_a_string_price_decodes() {
    let h = harness();
    h.control().respond_with(
        "/domains/renewal-price",
        200,
        r#"{"status":200,"message":"Domain renewal prices fetched successfully","data":[
            {"domainName":"a.net","domainId":"D1","years":1,"renewalPrice":"14.50",
             "expireOn":"2026-12-01T00:00:00.000Z","autoRenew":true}]}"#,
        1,
    );
    let prices = h
        .client
        .domain_renewal_prices("8J7HM04FRXUT4VK86128K6D25APS", &["a.net"])
        .await
        .expect("decodes")
        .data;
    assert_eq!(prices[0].renewal_price, Some(Money::from_cents(1450)));
    assert_eq!(prices[0].renewal_price.unwrap().to_string(), "14.50");
    assert_eq!(
        prices[0].expire_on.as_deref(),
        Some("2026-12-01T00:00:00.000Z")
    );
}

#[tokio::test]
async fn the_documented_auto_renew_answer_decodes() {
    let h = harness();
    h.control().respond_with(
        "/domains/toggle-auto-renew",
        200,
        r#"{"status":200,"message":"Auto-renew toggled on for 1 domain.","data":[
            {"domainName":"a.net","domainId":"D1","autoRenew":true}]}"#,
        1,
    );
    let reply = h
        .client
        .set_domain_auto_renew("U", &["a.net"], true)
        .await
        .expect("decodes");
    assert_eq!(reply.message, "Auto-renew toggled on for 1 domain.");
    assert!(reply.data[0].auto_renew);
}

#[tokio::test]
async fn the_documented_dns_record_fields_decode() {
    let h = harness();
    let (owner, domain) = domain_in(h.control(), DomainStatus::Active);
    h.control().respond_with(
        "/dns",
        200,
        r#"{"status":200,"message":"ok","data":{
            "records":[{"recordId":"R1","host":"@","value":"smtp.google.com","recordType":"MX","priority":"1","ttl":3600},
                       {"recordId":"R2","host":"_dmarc","value":"v=DMARC1; p=none","recordType":"TXT","priority":"","ttl":3600}],
            "disabledRecords":[{"recordId":"R3","host":"old","value":"198.51.100.7","recordType":"A","priority":"","ttl":300}]}}"#,
        1,
    );
    let records = h
        .client
        .dns_records(&owner, &domain.domain_name)
        .await
        .expect("decodes")
        .data;
    assert_eq!(records.records.len(), 2);
    assert_eq!(records.records[0].record_type, RecordType::Mx);
    assert_eq!(records.records[0].priority, "1");
    assert_eq!(records.records[1].priority, "");
    assert_eq!(records.disabled_records[0].ttl, Some(300));
}

#[tokio::test]
async fn the_documented_order_answer_decodes() {
    let h = harness();
    h.control().respond_with(
        "/orders/json",
        200,
        r#"{"status":200,"message":"Order created and queued for processing",
            "data":{"orderId":"ORD_123","unavailableDomains":[]},"actionId":"ACT_5b1f"}"#,
        1,
    );
    let order = cmr::types::NewOrder {
        domains: Vec::new(),
        mailboxes: Default::default(),
        billing_cycle: BillingCycle::Monthly,
        confirm: false,
        service_provider: ServiceProvider::Google,
        microsoft_oauth_route: None,
        google: None,
        auto_renew: None,
    };
    let reply = h.client.create_order("U", &order).await.expect("decodes");
    assert_eq!(reply.data.order_id, "ORD_123");
    assert_eq!(reply.action_id.as_deref(), Some("ACT_5b1f"));
}

#[tokio::test]
async fn the_documented_mailbox_answers_without_data_decode() {
    let h = harness();
    h.control().respond_with(
        "/mailboxes/update-mailbox-details",
        200,
        r#"{"status":200,"message":"Mailbox details will update shortly","actionId":"ACT_9"}"#,
        1,
    );
    h.control().respond_with(
        "/mailboxes/remove",
        200,
        r#"{"status":200,"message":"Mailbox will be removed shortly"}"#,
        1,
    );
    let update = cmr::types::MailboxUpdate {
        mailbox_id: "M".into(),
        ..Default::default()
    };
    let reply = h
        .client
        .update_mailbox_details("U", &[update])
        .await
        .expect("decodes");
    assert_eq!(reply.action_id.as_deref(), Some("ACT_9"));
    assert!(reply.data.is_empty());
    let removed = h.client.remove_mailbox("U", "M").await.expect("decodes");
    assert_eq!(removed.message, "Mailbox will be removed shortly");
}

#[tokio::test]
async fn the_documented_cancel_answer_decodes() {
    let h = harness();
    h.control().respond_with(
        "/subscriptions/cancel",
        200,
        r#"{"status":200,"message":"Subscription will be cancelled successfully","data":null}"#,
        1,
    );
    let reply = h
        .client
        .cancel_subscription(&cmr::types::CancelTarget::Subscription("S".into()))
        .await
        .expect("decodes");
    assert_eq!(reply.message, "Subscription will be cancelled successfully");
}
