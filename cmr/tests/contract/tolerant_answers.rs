//! Answers that differ from the expected shape only cosmetically still decode: both spellings
//! of a field, `null` for numbers and lists, money as text or number, a profile without an id,
//! refusals in plain text and lists without pagination. Every body is written out as CMR
//! might send it and served verbatim by the sandbox.

use cmr::types::{
    DomainStatus, MailboxStatus, Money, OrderStatus, PageQuery, ProfileField, SubscriptionQuery,
    SubscriptionStatus, UserListQuery,
};
use cmr::CmrError;

use crate::common::{body_keys, harness, only_request, sorted};

// ---- 1. two spellings of one field ----------------------------------------------------------

#[tokio::test]
async fn a_mailbox_with_both_spellings_of_a_field_decodes_and_the_canonical_name_wins() {
    let h = harness();
    h.control().respond_with(
        "/mailboxes/mailbox",
        200,
        r#"{"status":200,"message":"ok","data":{
            "mailboxId":"MBX_CANONICAL","id":"MBX_ALIAS","email":"ada@lakeshore.io",
            "userName":"ada","username":"ada.alias","status":"ACTIVE","mailboxStatus":"EXPIRED",
            "domain":"","domainName":"lakeshore.io",
            "creationTime":null,"createdAt":"2026-01-02T00:00:00.000Z",
            "serviceProvider":"GOOGLE","workspaceType":"MICROSOFT"}}"#,
        1,
    );
    let m = h
        .client
        .mailbox("MBX_CANONICAL")
        .await
        .expect("decodes")
        .data;
    assert_eq!(m.mailbox_id, "MBX_CANONICAL");
    assert_eq!(m.user_name, "ada");
    assert_eq!(m.status, MailboxStatus::Active);
    assert_eq!(
        m.domain, "lakeshore.io",
        "an empty canonical value gives way"
    );
    assert_eq!(
        m.creation_time.as_deref(),
        Some("2026-01-02T00:00:00.000Z"),
        "a null canonical value gives way"
    );
    assert_eq!(
        m.service_provider,
        Some(cmr::types::ServiceProvider::Google)
    );
    assert!(
        !m.extra.contains_key("id") && !m.extra.contains_key("mailboxStatus"),
        "alias keys are not kept as extras: {:?}",
        m.extra
    );
}

#[tokio::test]
async fn domains_subscriptions_and_dns_records_with_both_spellings_decode() {
    let h = harness();
    h.control().respond_with(
        "/domains/by-user",
        200,
        r#"{"status":200,"message":"ok","data":{"domains":[
            {"domainId":"D1","id":"D1","domainName":"a.com","domain":"a.com","name":"a.com",
             "status":"ACTIVE","domainStatus":"ACTIVE","creationTime":"2026-01-01",
             "registrationDate":"2025-12-31","createdAt":"2025-12-30",
             "expiryDate":"2027-01-01","expireOn":"2027-01-01","expiresAt":"2027-01-01",
             "serviceProvider":"GOOGLE","workspaceType":"GOOGLE"}]}}"#,
        1,
    );
    let domains = h.client.user_domains("U1").await.expect("decodes").data;
    let d = &domains.items[0];
    assert_eq!(
        (d.domain_id.as_str(), d.domain_name.as_str()),
        ("D1", "a.com")
    );
    assert_eq!(d.status, DomainStatus::Active);
    assert_eq!(d.creation_time.as_deref(), Some("2026-01-01"));
    assert_eq!(d.expiry_date.as_deref(), Some("2027-01-01"));

    h.control().respond_with(
        "/subscriptions",
        200,
        r#"{"status":200,"message":"ok","data":{"subscriptions":[
            {"subscriptionId":"S1","id":"S1","subscriptionStatus":"PAST_DUE","status":"ACTIVE",
             "serviceProvider":"GOOGLE","workspaceType":"GOOGLE"}],
            "pagination":{"totalSearchedCount":1,"total":1,"totalCount":1,"currentPage":1,
                          "nextPage":null,"totalPages":1}}}"#,
        1,
    );
    let subs = h
        .client
        .subscriptions(&SubscriptionQuery::default())
        .await
        .expect("decodes")
        .data;
    assert_eq!(subs.items[0].subscription_id, "S1");
    assert_eq!(
        subs.items[0].subscription_status,
        SubscriptionStatus::PastDue
    );
    assert_eq!(subs.pagination.total, Some(1));

    h.control().respond_with(
        "/dns",
        200,
        r#"{"status":200,"message":"ok","data":{
            "records":[{"recordId":"R1","id":"R1","host":"@","value":"smtp.google.com",
                        "recordType":"MX","type":"MX","priority":"1","ttl":3600}],
            "disabledRecords":[]}}"#,
        1,
    );
    let dns = h
        .client
        .dns_records("U1", "a.com")
        .await
        .expect("decodes")
        .data;
    assert_eq!(dns.records[0].record_id, "R1");
    assert_eq!(dns.records[0].record_type, cmr::types::RecordType::Mx);
}

#[tokio::test]
async fn orders_a_wallet_and_a_created_user_with_both_spellings_decode() {
    let h = harness();
    h.control().respond_with(
        "/orders/details",
        200,
        r#"{"status":200,"message":"ok","data":{
            "orderId":"O1","id":"O1","status":"COMPLETED","orderStatus":"FAILED",
            "creationTime":"2026-03-01","createdAt":"2026-02-28",
            "totalPrice":"27.50","total":27.5,"price":1,
            "mailboxCount":3,"quantity":9,
            "domains":[{"domain":"a.com","domainName":"a.com","years":1}]}}"#,
        1,
    );
    let order = h
        .client
        .order_details("U1", "O1")
        .await
        .expect("decodes")
        .data;
    assert_eq!(order.order_id, "O1");
    assert_eq!(order.status, OrderStatus::Completed);
    assert_eq!(order.creation_time.as_deref(), Some("2026-03-01"));
    assert_eq!(order.total_price, Some(Money::from_cents(2750)));
    assert_eq!(order.mailbox_count, 3);
    assert_eq!(order.domains[0].domain, "a.com");

    h.control().respond_with(
        "/orders/status",
        200,
        r#"{"status":200,"message":"ok","data":{"orderId":"O1","id":"O1","status":"PROCESSING","orderStatus":"PROCESSING"}}"#,
        1,
    );
    let status = h
        .client
        .order_status("U1", "O1")
        .await
        .expect("decodes")
        .data;
    assert_eq!(status.status, OrderStatus::Processing);

    h.control().respond_with(
        "/wallet",
        200,
        r#"{"status":200,"message":"ok","data":{"balance":"1250.00","walletBalance":1250,"amount":"1,250.00","currency":"USD"}}"#,
        1,
    );
    let wallet = h.client.wallet().await.expect("decodes").data;
    assert_eq!(wallet.balance, Money::from_cents(125_000));

    h.control().respond_with(
        "/users",
        200,
        r#"{"status":200,"message":"User created","data":{"id":"H8M9JV2S9HMPYFQW393AZHQVD4XM","userId":"H8M9JV2S9HMPYFQW393AZHQVD4XM"}}"#,
        1,
    );
    let created = h
        .client
        .create_user(&cmr::types::NewUser::default())
        .await
        .expect("decodes")
        .data;
    assert_eq!(created.id, "H8M9JV2S9HMPYFQW393AZHQVD4XM");
}

// ---- 2. null where a number or a list is expected -------------------------------------------

#[tokio::test]
async fn null_lists_read_as_empty_and_a_single_object_as_a_one_item_list() {
    let h = harness();
    h.control().respond_with(
        "/dns",
        200,
        r#"{"status":200,"message":"ok","data":{"records":null,
            "disabledRecords":{"recordId":"R3","host":"old","value":"198.51.100.7","recordType":"A","priority":null,"ttl":null}}}"#,
        1,
    );
    let dns = h
        .client
        .dns_records("U1", "a.com")
        .await
        .expect("decodes")
        .data;
    assert!(dns.records.is_empty());
    assert_eq!(dns.disabled_records.len(), 1);
    assert_eq!(dns.disabled_records[0].ttl, None);
    assert_eq!(dns.disabled_records[0].priority, "");

    h.control().respond_with(
        "/orders/details",
        200,
        r#"{"status":200,"message":"ok","data":{"orderId":"O1","status":null,"domains":null,"mailboxCount":null,"totalPrice":null}}"#,
        1,
    );
    let order = h
        .client
        .order_details("U1", "O1")
        .await
        .expect("decodes")
        .data;
    assert!(order.domains.is_empty());
    assert_eq!(order.mailbox_count, 0);
    assert_eq!(order.total_price, None);

    h.control().respond_with(
        "/orders/details",
        200,
        r#"{"status":200,"message":"ok","data":{"orderId":"O2","domains":{"domain":"b.net","years":"2"}}}"#,
        1,
    );
    let order = h
        .client
        .order_details("U1", "O2")
        .await
        .expect("decodes")
        .data;
    assert_eq!(order.domains.len(), 1);
    assert_eq!(order.domains[0].years, 2);

    h.control().respond_with(
        "/domains/by-user",
        200,
        r#"{"status":200,"message":"ok","data":{"domains":null}}"#,
        1,
    );
    let domains = h.client.user_domains("U1").await.expect("decodes").data;
    assert!(domains.items.is_empty());

    h.control().respond_with(
        "/mailboxes/single",
        200,
        r#"{"status":200,"message":"ok","data":{"mailboxes":{"mailboxId":"M1","email":"a@b.com"}}}"#,
        1,
    );
    let mailboxes = h.client.user_mailboxes("U1").await.expect("decodes").data;
    assert_eq!(mailboxes.items.len(), 1);
    assert_eq!(mailboxes.items[0].mailbox_id, "M1");
}

#[tokio::test]
async fn null_numbers_read_as_zero_or_unknown() {
    let h = harness();
    h.control().respond_with(
        "/subscriptions",
        200,
        r#"{"status":200,"message":"ok","data":{"subscriptions":[
            {"subscriptionId":"S1","subscriptionStatus":"ACTIVE","totalMailboxQuantity":null,
             "billingCycle":null,"pricePerMailbox":8,"autoRenew":null,"serviceProvider":null}],
            "pagination":{"totalSearchedCount":null,"currentPage":null,"nextPage":null,"totalPages":null}}}"#,
        1,
    );
    let page = h
        .client
        .subscriptions(&SubscriptionQuery::default())
        .await
        .expect("decodes")
        .data;
    let s = &page.items[0];
    assert_eq!(s.total_mailbox_quantity, 0);
    assert!(!s.auto_renew);
    assert_eq!(s.service_provider, None);
    assert_eq!(page.pagination.total, None);
    assert_eq!(page.pagination.current_page, 1);
    assert!(!page.pagination.has_next());
}

// ---- 3. money as text, number or null -------------------------------------------------------

#[tokio::test]
async fn money_reads_from_every_spelling_and_null() {
    let h = harness();
    h.control().respond_with(
        "/domains/renewal-price",
        200,
        r#"{"status":200,"message":"ok","data":[
            {"domainName":"a.net","domainId":"D1","years":1,"renewalPrice":"12.50"},
            {"domainName":"b.net","domainId":"D2","years":1,"renewalPrice":"12.5"},
            {"domainName":"c.net","domainId":"D3","years":1,"renewalPrice":12.5},
            {"domainName":"d.net","domainId":"D4","years":1,"renewalPrice":12},
            {"domainName":"e.net","domainId":"D5","years":1,"renewalPrice":null}]}"#,
        1,
    );
    let prices = h
        .client
        .domain_renewal_prices("U1", &["a.net", "b.net", "c.net", "d.net", "e.net"])
        .await
        .expect("decodes")
        .data;
    let cents: Vec<Option<i64>> = prices
        .iter()
        .map(|p| p.renewal_price.map(Money::cents))
        .collect();
    assert_eq!(
        cents,
        [Some(1250), Some(1250), Some(1250), Some(1200), None],
        "an unstated price is not free"
    );

    h.control().respond_with(
        "/subscriptions",
        200,
        r#"{"status":200,"message":"ok","data":{"subscriptions":[
            {"subscriptionId":"S1","pricePerMailbox":"12.50"},
            {"subscriptionId":"S2","pricePerMailbox":null}]}}"#,
        1,
    );
    let subs = h
        .client
        .subscriptions(&SubscriptionQuery::default())
        .await
        .expect("decodes")
        .data;
    assert_eq!(subs.items[0].price_per_mailbox, Money::from_cents(1250));
    assert_eq!(subs.items[1].price_per_mailbox, Money::ZERO);

    h.control().respond_with(
        "/orders/details",
        200,
        r#"{"status":200,"message":"ok","data":{"orderId":"O1","totalPrice":"12.5"}}"#,
        1,
    );
    let order = h
        .client
        .order_details("U1", "O1")
        .await
        .expect("decodes")
        .data;
    assert_eq!(order.total_price, Some(Money::from_cents(1250)));

    h.control().respond_with(
        "/wallet",
        200,
        r#"{"status":200,"message":"ok","data":{"balance":null,"currency":null}}"#,
        1,
    );
    let wallet = h.client.wallet().await.expect("decodes").data;
    assert_eq!(wallet.balance, Money::ZERO);
    assert_eq!(wallet.currency, "USD");
}

// ---- 4. a profile without an id ------------------------------------------------------------

#[tokio::test]
async fn a_user_without_an_id_gets_the_requested_id_and_lists_keep_it_with_an_empty_id() {
    let h = harness();
    h.control().respond_with(
        "/users",
        200,
        r#"{"status":200,"message":"User fetched successfully","data":{
            "firstName":"Ada","lastName":"Lovelace","company":"Analytical Engines",
            "email":"ada@engines.io","phoneCc":"44","phone":"2075550100",
            "addressLineOne":"12 St James's Square","addressLineTwo":"","addressLineThree":"",
            "city":"London","state":"London","postalCode":"SW1Y 4JH","country":"GB",
            "languagePreference":"en"}}"#,
        1,
    );
    let user = h
        .client
        .get_user("PWM7Y25RYZ450YNM8K8FX9GK5AHX")
        .await
        .expect("decodes")
        .data;
    assert_eq!(user.id, "PWM7Y25RYZ450YNM8K8FX9GK5AHX");
    assert_eq!(user.profile.first_name, "Ada");

    h.control().respond_with(
        "/users/list",
        200,
        r#"{"status":200,"message":"ok","data":{"users":[
            {"id":"U1","firstName":"Ada"},{"firstName":"Nameless"}],
            "pagination":{"totalSearchedCount":2,"currentPage":1,"nextPage":null,"totalPages":1}}}"#,
        1,
    );
    let list = h
        .client
        .list_users(&UserListQuery::default())
        .await
        .expect("decodes")
        .data;
    let ids: Vec<&str> = list.items.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["U1", ""]);
}

// ---- 5. profile fields CMR did not show -----------------------------------------------------

#[tokio::test]
async fn a_profile_field_cmr_left_out_is_unknown_and_not_written_back() {
    let h = harness();
    let seeded = h
        .control()
        .users()
        .into_iter()
        .find(|u| !u.profile.address_line_two.is_empty())
        .expect("a seeded customer with an address line two");
    let body = format!(
        r#"{{"status":200,"message":"User fetched successfully","data":{{
            "id":"{id}","firstName":"Hannah","lastName":"Kowalski","company":"Tolerant Tests Ltd",
            "email":"hannah.kowalski@tolerant-tests.example","phoneCc":"1","phone":"3125550142",
            "addressLineOne":"200 E Randolph St","addressLineThree":"Floor 12",
            "city":"Chicago","state":"Illinois","postalCode":"60601","country":"US",
            "languagePreference":"en"}}}}"#,
        id = seeded.id
    );
    h.control().respond_with("/users", 200, body, 1);
    let user = h.client.get_user(&seeded.id).await.expect("decodes").data;
    assert_eq!(user.unknown_fields, [ProfileField::AddressLineTwo]);
    assert_eq!(user.profile.address_line_two, "");
    let json = serde_json::to_value(&user).unwrap();
    assert!(
        json.get("unknownFields").is_none() && json.get("unknown_fields").is_none(),
        "never serialised: {json}"
    );

    let mut profile = user.profile.clone();
    profile.city = "Evanston".into();
    h.client
        .update_user(&seeded.id, &profile, &[ProfileField::AddressLineTwo])
        .await
        .expect("update");
    let request = only_request(h.control(), "PUT", "/users");
    let expected: Vec<&str> = ProfileField::ALL
        .into_iter()
        .filter(|f| *f != ProfileField::AddressLineTwo)
        .map(ProfileField::wire_name)
        .collect();
    assert_eq!(body_keys(&request), sorted(&expected));
    let stored = h.control().user(&seeded.id).expect("stored");
    assert_eq!(stored.profile.city, "Evanston");
    assert_eq!(
        stored.profile.address_line_two, seeded.profile.address_line_two,
        "the field CMR did not show was left as it was"
    );
}

#[tokio::test]
async fn null_object_and_array_profile_fields_are_unknown_not_empty() {
    let h = harness();
    h.control().respond_with(
        "/users",
        200,
        r#"{"status":200,"message":"ok","data":{"id":"U1","firstName":"Ada","lastName":"",
            "company":null,"email":"ada@engines.io","phoneCc":44,"phone":["2075550100"],
            "addressLineOne":"12 St James's Square","addressLineTwo":"","addressLineThree":"",
            "city":"London","state":"London","postalCode":"SW1Y 4JH","country":"GB",
            "languagePreference":{"code":"en"}}}"#,
        1,
    );
    let user = h.client.get_user("U1").await.expect("decodes").data;
    assert_eq!(
        user.unknown_fields,
        [
            ProfileField::Company,
            ProfileField::Phone,
            ProfileField::LanguagePreference
        ],
        "in ProfileField::ALL order; a real empty string is known"
    );
    assert_eq!(user.profile.company, "");
    assert_eq!(user.profile.phone, "");
    assert_eq!(user.profile.language_preference, "");
    assert_eq!(user.profile.phone_cc, "44");
}

// ---- 6. refusals whose body is not JSON -----------------------------------------------------

#[tokio::test]
async fn a_plain_text_conflict_keeps_cmrs_words() {
    let h = harness();
    h.control()
        .respond_with("/users", 409, "  Email already\n\texists  \n", 1);
    let err = h
        .client
        .create_user(&cmr::types::NewUser::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, CmrError::Conflict { message, .. } if message == "Email already exists"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_plain_text_or_html_422_is_a_validation_error() {
    let h = harness();
    let long = "years must be between 1 and 10 ".repeat(20);
    h.control()
        .respond_with("/domains/renewal-price", 422, "years is\r\n  required", 1);
    h.control()
        .respond_with("/domains/renewal-price", 422, long.clone(), 1);
    h.control().respond_with(
        "/domains/renewal-price",
        422,
        "<html><body><h1>422 Unprocessable</h1><p>user@secret.example</p></body></html>",
        1,
    );
    let mut errors = Vec::new();
    for _ in 0..3 {
        errors.push(
            h.client
                .domain_renewal_prices("U1", &["a.net"])
                .await
                .unwrap_err(),
        );
    }
    assert_eq!(
        errors[0],
        CmrError::Validation {
            status: 422,
            message: "years is required".into(),
            field: None,
        }
    );
    let CmrError::Validation {
        status: 422,
        message,
        ..
    } = &errors[1]
    else {
        panic!("{:?}", errors[1])
    };
    assert!(message.chars().count() <= 300, "{}", message.len());
    assert!(message.starts_with("years must be between 1 and 10 years must"));
    assert_eq!(
        errors[2],
        CmrError::Validation {
            status: 422,
            message: "CMR refused the request (HTTP 422)".into(),
            field: None,
        },
        "an HTML page is not CMR's message"
    );
}

// ---- 7. lists without pagination ------------------------------------------------------------

#[tokio::test]
async fn a_full_page_without_pagination_says_more_may_follow_without_inventing_a_total() {
    let h = harness();
    h.control().respond_with(
        "/users/list",
        200,
        r#"{"status":200,"message":"ok","data":{"users":[
            {"id":"U01","firstName":"A"},{"id":"U02","firstName":"B"},{"id":"U03","firstName":"C"},
            {"id":"U04","firstName":"D"},{"id":"U05","firstName":"E"},{"id":"U06","firstName":"F"},
            {"id":"U07","firstName":"G"},{"id":"U08","firstName":"H"},{"id":"U09","firstName":"I"},
            {"id":"U10","firstName":"J"},{"id":"U11","firstName":"K"},{"id":"U12","firstName":"L"},
            {"id":"U13","firstName":"M"},{"id":"U14","firstName":"N"},{"id":"U15","firstName":"O"},
            {"id":"U16","firstName":"P"},{"id":"U17","firstName":"Q"},{"id":"U18","firstName":"R"},
            {"id":"U19","firstName":"S"},{"id":"U20","firstName":"T"}]}}"#,
        1,
    );
    let asked = UserListQuery {
        page: Some(3),
        limit: Some(20),
        search: None,
    };
    let page = h.client.list_users(&asked).await.expect("decodes").data;
    assert_eq!(page.items.len(), 20);
    assert_eq!(page.pagination.total, None, "CMR did not say");
    assert_eq!(page.pagination.total_pages, None);
    assert_eq!(page.pagination.current_page, 3);
    assert!(page.pagination.has_next());
    assert!(page.pagination.has_previous());
}

#[tokio::test]
async fn a_short_page_without_pagination_is_the_last_one() {
    let h = harness();
    h.control().respond_with(
        "/mailboxes",
        200,
        r#"{"status":200,"message":"ok","data":{"mailboxes":[{"mailboxId":"M1"},{"mailboxId":"M2"}]}}"#,
        1,
    );
    let asked = PageQuery {
        page: Some(2),
        limit: Some(10),
    };
    let page = h.client.all_mailboxes(&asked).await.expect("decodes").data;
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.pagination.total, None);
    assert_eq!(page.pagination.current_page, 2);
    assert!(!page.pagination.has_next());

    h.control().respond_with(
        "/subscriptions",
        200,
        r#"{"status":200,"message":"ok","data":[{"subscriptionId":"S1"},{"subscriptionId":"S2"}]}"#,
        1,
    );
    let asked = SubscriptionQuery {
        limit: Some(2),
        ..SubscriptionQuery::default()
    };
    let page = h.client.subscriptions(&asked).await.expect("decodes").data;
    assert_eq!(page.pagination.total, None);
    assert_eq!(page.pagination.current_page, 1);
    assert!(page.pagination.has_next(), "a full page may have a next");
}

#[tokio::test]
async fn a_bare_list_from_an_unpaged_endpoint_is_complete() {
    let h = harness();
    h.control().respond_with(
        "/mailboxes/single",
        200,
        r#"{"status":200,"message":"ok","data":[{"mailboxId":"M1"},{"mailboxId":"M2"}]}"#,
        1,
    );
    let page = h.client.user_mailboxes("U1").await.expect("decodes").data;
    assert_eq!(page.pagination.total, Some(2));
    assert_eq!(page.pagination.total_pages, Some(1));
    assert!(!page.pagination.has_next());
}
