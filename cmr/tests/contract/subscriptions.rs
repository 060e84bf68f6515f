use std::time::Duration;

use cmr::types::{CancelTarget, MailboxStatus, Money, SubscriptionQuery, SubscriptionStatus};
use cmr::CmrError;
use cmr_sandbox::LifecycleTimings;

use crate::common::{body_keys, harness, only_request, query, sorted};

#[tokio::test]
async fn subscriptions_are_filtered_by_status_and_paginated() {
    let h = harness();
    let active = h
        .control()
        .subscriptions()
        .into_iter()
        .filter(|s| s.subscription_status == SubscriptionStatus::Active)
        .count();
    let filter = SubscriptionQuery {
        status: Some(SubscriptionStatus::Active),
        limit: Some(5),
        page: Some(1),
        ..SubscriptionQuery::default()
    };
    let reply = h
        .client
        .subscriptions(&filter)
        .await
        .expect("subscriptions");
    assert_eq!(reply.message, "Subscriptions fetched successfully");
    let page = reply.data;
    assert_eq!(page.items.len(), 5.min(active));
    assert!(page
        .items
        .iter()
        .all(|s| s.subscription_status == SubscriptionStatus::Active));
    assert_eq!(page.pagination.total, Some(active as u64));
    let s = &page.items[0];
    assert!(s.price_per_mailbox > Money::ZERO && s.period_end.is_some() && !s.domain.is_empty());
    let request = only_request(h.control(), "GET", "/subscriptions");
    assert_eq!(
        query(&request),
        [("status", "ACTIVE"), ("page", "1"), ("limit", "5")]
    );
}

#[tokio::test]
async fn filtering_by_domain_finds_its_subscription() {
    let h = harness();
    let expected = h.control().subscriptions()[4].clone();
    let filter = SubscriptionQuery {
        domain: Some(expected.domain.clone()),
        ..SubscriptionQuery::default()
    };
    let page = h.client.subscriptions(&filter).await.unwrap().data;
    assert_eq!(page.items, vec![expected.clone()]);
    let request = only_request(h.control(), "GET", "/subscriptions");
    assert_eq!(query(&request), [("domain", expected.domain.as_str())]);
}

#[tokio::test]
async fn renewing_subscriptions_posts_their_ids_and_debits_the_wallet() {
    let h = harness();
    h.control()
        .set_timings(LifecycleTimings::uniform(Duration::from_millis(150)));
    let sub = h
        .control()
        .subscriptions()
        .into_iter()
        .find(|s| s.subscription_status == SubscriptionStatus::Active)
        .unwrap();
    let before = h.control().wallet_balance();
    let reply = h
        .client
        .renew_subscriptions(&[&sub.subscription_id])
        .await
        .expect("renew");
    assert!(reply.action_id.is_some());
    let cost = sub
        .price_per_mailbox
        .checked_mul(i64::from(sub.total_mailbox_quantity))
        .unwrap();
    assert_eq!(
        h.control().wallet_balance(),
        before.checked_sub(cost).unwrap()
    );
    let request = only_request(h.control(), "POST", "/subscriptions/renew-subscriptions");
    assert_eq!(body_keys(&request), sorted(&["subscriptionIds"]));
    assert_eq!(
        request.body.unwrap()["subscriptionIds"][0],
        sub.subscription_id
    );

    let status = |h: &crate::common::Harness| {
        h.control()
            .subscriptions()
            .into_iter()
            .find(|s| s.subscription_id == sub.subscription_id)
            .unwrap()
    };
    assert_eq!(status(&h).subscription_status, SubscriptionStatus::Renewing);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let renewed = status(&h);
    assert_eq!(renewed.subscription_status, SubscriptionStatus::Active);
    assert!(renewed.period_end > sub.period_end);
}

#[tokio::test]
async fn a_subscription_whose_domain_is_in_grace_cannot_be_renewed() {
    let h = harness();
    let past_due = h
        .control()
        .subscriptions()
        .into_iter()
        .find(|s| s.subscription_status == SubscriptionStatus::PastDue)
        .unwrap();
    let err = h
        .client
        .renew_subscriptions(&[past_due.subscription_id])
        .await
        .unwrap_err();
    assert!(
        matches!(err, CmrError::Validation { status: 422, .. }),
        "{err:?}"
    );
    assert!(err.message().unwrap().contains("renew the domain first"));
}

#[tokio::test]
async fn toggling_subscription_auto_renew_sends_the_id_and_the_flag() {
    let h = harness();
    let sub = h.control().subscriptions()[0].clone();
    let reply = h
        .client
        .set_subscription_auto_renew(&sub.subscription_id, !sub.auto_renew)
        .await
        .expect("toggle");
    assert_eq!(reply.data["autoRenew"], !sub.auto_renew);
    let request = only_request(h.control(), "POST", "/subscriptions/toggle-autorenewal");
    assert_eq!(
        body_keys(&request),
        sorted(&["subscriptionId", "autoRenew"])
    );
    let after = h.control().subscriptions()[0].clone();
    assert_eq!(after.auto_renew, !sub.auto_renew);
}

#[tokio::test]
async fn cancelling_by_domain_sends_only_the_domain_and_stops_its_mailboxes() {
    let h = harness();
    let sub = h
        .control()
        .subscriptions()
        .into_iter()
        .find(|s| s.subscription_status == SubscriptionStatus::Active)
        .unwrap();
    let reply = h
        .client
        .cancel_subscription(&CancelTarget::Domain(sub.domain.clone()))
        .await
        .expect("cancel");
    assert_eq!(reply.message, "Subscription will be cancelled successfully");
    let request = only_request(h.control(), "POST", "/subscriptions/cancel");
    assert_eq!(
        request.body.unwrap(),
        serde_json::json!({"domain": sub.domain})
    );
    let after = h
        .control()
        .subscriptions()
        .into_iter()
        .find(|s| s.subscription_id == sub.subscription_id)
        .unwrap();
    assert_eq!(after.subscription_status, SubscriptionStatus::Cancelled);
    assert!(h
        .control()
        .mailboxes()
        .iter()
        .filter(|m| m.subscription_id.as_deref() == Some(&sub.subscription_id))
        .all(|m| m.status == MailboxStatus::Expired));
    let again = h
        .client
        .cancel_subscription(&CancelTarget::Subscription(sub.subscription_id))
        .await
        .unwrap_err();
    assert!(matches!(again, CmrError::Conflict { .. }), "{again:?}");
}

#[tokio::test]
async fn the_wallet_shows_its_balance_and_currency() {
    let h = harness();
    let wallet = h.client.wallet().await.expect("wallet").data;
    assert_eq!(wallet.balance, Money::from_cents(125_000));
    assert_eq!(wallet.balance.to_string(), "1250.00");
    assert_eq!(wallet.currency, "USD");
    let request = only_request(h.control(), "GET", "/wallet");
    assert!(request.query.is_empty());
}
