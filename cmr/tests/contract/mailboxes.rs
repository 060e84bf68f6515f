use cmr::types::{MailboxStatus, MailboxUpdate, PageQuery, SubscriptionStatus};
use cmr::CmrError;

use crate::common::{body_keys, harness, only_request, query, sorted};

#[tokio::test]
async fn all_mailboxes_are_paginated() {
    let h = harness();
    let total = h.control().mailboxes().len();
    let page = PageQuery {
        page: Some(2),
        limit: Some(10),
    };
    let reply = h.client.all_mailboxes(&page).await.expect("mailboxes").data;
    assert_eq!(reply.items.len(), 10);
    assert_eq!(reply.pagination.total, Some(total as u64));
    assert_eq!(reply.pagination.current_page, 2);
    let m = &reply.items[0];
    assert!(m.email.contains('@') && !m.mailbox_id.is_empty());
    let request = only_request(h.control(), "GET", "/mailboxes");
    assert_eq!(query(&request), [("page", "2"), ("limit", "10")]);
}

#[tokio::test]
async fn a_users_mailboxes_are_listed_by_user_id() {
    let h = harness();
    let user = h.control().users()[0].clone();
    let expected: Vec<_> = h
        .control()
        .mailboxes()
        .into_iter()
        .filter(|m| m.user_id.as_deref() == Some(&user.id))
        .collect();
    assert!(!expected.is_empty());
    let page = h
        .client
        .user_mailboxes(&user.id)
        .await
        .expect("mailboxes")
        .data;
    assert_eq!(page.items, expected);
    let request = only_request(h.control(), "GET", "/mailboxes/single");
    assert_eq!(query(&request), [("userId", user.id.as_str())]);
}

#[tokio::test]
async fn one_mailbox_is_fetched_by_mailbox_id_alone() {
    let h = harness();
    let expected = h.control().mailboxes()[7].clone();
    let reply = h
        .client
        .mailbox(&expected.mailbox_id)
        .await
        .expect("mailbox");
    assert_eq!(reply.data, expected);
    let request = only_request(h.control(), "GET", "/mailboxes/mailbox");
    assert_eq!(
        query(&request),
        [("mailboxId", expected.mailbox_id.as_str())]
    );
    let missing = h.client.mailbox("NOPE").await.unwrap_err();
    assert!(matches!(missing, CmrError::NotFound { .. }));
}

#[tokio::test]
async fn admin_details_are_fetched_by_user_and_mailbox_and_never_debug_printed() {
    let h = harness();
    let m = h.control().mailboxes()[3].clone();
    let user_id = m.user_id.clone().unwrap();
    let details = h
        .client
        .mailbox_admin_details(&user_id, &m.mailbox_id)
        .await
        .expect("admin details")
        .data;
    let password = details
        .get_str("adminPassword")
        .expect("a password")
        .to_owned();
    assert!(details.get_str("adminEmail").unwrap().starts_with("admin@"));
    assert!(!format!("{details:?}").contains(&password));
    let request = only_request(h.control(), "GET", "/mailboxes/admin-mailbox-details");
    assert_eq!(
        query(&request),
        [
            ("userId", user_id.as_str()),
            ("mailboxId", m.mailbox_id.as_str())
        ]
    );
}

#[tokio::test]
async fn updating_one_mailbox_sends_an_object_and_several_send_an_array() {
    let h = harness();
    let m = h.control().mailboxes()[0].clone();
    let user_id = m.user_id.clone().unwrap();
    let rename = MailboxUpdate {
        mailbox_id: m.mailbox_id.clone(),
        user_name: Some("renamed.sender".into()),
        first_name: Some("Renée".into()),
        ..MailboxUpdate::default()
    };
    let reply = h
        .client
        .update_mailbox_details(&user_id, std::slice::from_ref(&rename))
        .await
        .expect("update one");
    assert_eq!(reply.message, "Mailbox details will update shortly");
    assert!(reply.action_id.is_some());
    assert!(reply.data.is_empty());
    let single = only_request(h.control(), "PATCH", "/mailboxes/update-mailbox-details");
    assert_eq!(query(&single), [("userId", user_id.as_str())]);
    assert_eq!(body_keys(&single), sorted(&["mailboxData"]));
    assert_eq!(
        single.body.unwrap()["mailboxData"],
        serde_json::json!({"mailboxId": m.mailbox_id, "userName": "renamed.sender", "firstName": "Renée"})
    );
    // CMR applies it "shortly": the sandbox one mailbox step later.
    let before = h.client.mailbox(&m.mailbox_id).await.unwrap().data;
    assert_eq!(before.user_name, m.user_name, "not applied at once");
    h.control()
        .set_timings(cmr_sandbox::LifecycleTimings::uniform(
            std::time::Duration::ZERO,
        ));
    let after = h.client.mailbox(&m.mailbox_id).await.unwrap().data;
    assert_eq!(after.user_name, "renamed.sender");
    assert_eq!(after.first_name, "Renée");
    assert_eq!(after.email, format!("renamed.sender@{}", m.domain));

    h.control().clear_requests();
    let bulk = [
        MailboxUpdate {
            mailbox_id: m.mailbox_id.clone(),
            last_name: Some("Okafor".into()),
            ..MailboxUpdate::default()
        },
        MailboxUpdate {
            mailbox_id: "NOT_A_MAILBOX".into(),
            last_name: Some("Nobody".into()),
            ..MailboxUpdate::default()
        },
    ];
    let results = h
        .client
        .update_mailbox_details(&user_id, &bulk)
        .await
        .expect("bulk")
        .data;
    assert_eq!(results.len(), 2);
    assert!(results[0].success);
    assert!(!results[1].success);
    assert_eq!(results[1].mailbox_id, "NOT_A_MAILBOX");
    let request = only_request(h.control(), "PATCH", "/mailboxes/update-mailbox-details");
    assert!(request.body.unwrap()["mailboxData"].is_array());
}

#[tokio::test]
async fn removing_a_mailbox_sends_its_id_in_the_body() {
    let h = harness();
    let sub = h
        .control()
        .subscriptions()
        .into_iter()
        .find(|s| {
            s.subscription_status == SubscriptionStatus::Active && s.total_mailbox_quantity > 1
        })
        .unwrap();
    let m = h
        .control()
        .mailboxes()
        .into_iter()
        .find(|m| m.subscription_id.as_deref() == Some(&sub.subscription_id))
        .unwrap();
    let reply = h
        .client
        .remove_mailbox(&sub.user_id, &m.mailbox_id)
        .await
        .expect("remove");
    assert_eq!(reply.message, "Mailbox will be removed shortly");
    let request = only_request(h.control(), "DELETE", "/mailboxes/remove");
    assert_eq!(query(&request), [("userId", sub.user_id.as_str())]);
    assert_eq!(
        request.body.unwrap(),
        serde_json::json!({"mailboxId": m.mailbox_id})
    );
    assert!(h
        .control()
        .mailboxes()
        .iter()
        .all(|x| x.mailbox_id != m.mailbox_id));
}

#[tokio::test]
async fn a_mailbox_cannot_be_removed_within_24_hours_of_expiry() {
    let h = harness();
    let sub = h
        .control()
        .subscriptions()
        .into_iter()
        .find(|s| s.subscription_status == SubscriptionStatus::Renewing)
        .unwrap();
    let m = h
        .control()
        .mailboxes()
        .into_iter()
        .find(|m| {
            m.subscription_id.as_deref() == Some(&sub.subscription_id)
                && m.status == MailboxStatus::Active
        })
        .unwrap();
    let err = h
        .client
        .remove_mailbox(&sub.user_id, &m.mailbox_id)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CmrError::Validation { status: 422, .. }),
        "{err:?}"
    );
}
