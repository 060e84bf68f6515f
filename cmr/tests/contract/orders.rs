use std::time::Duration;

use cmr::types::{
    BillingCycle, DomainStatus, MailboxOrder, MailboxOrderTarget, MailboxStatus, MailboxesByDomain,
    Money, NewOrder, OrderDomain, OrderMailbox, OrderStatus, ServiceProvider, SubscriptionStatus,
};
use cmr::CmrError;
use cmr_sandbox::LifecycleTimings;

use crate::common::{body_keys, domain_in, harness, only_request, query, sorted};

fn mailbox(username: &str) -> OrderMailbox {
    OrderMailbox {
        username: username.into(),
        first_name: "Jamie".into(),
        last_name: "Lee".into(),
        profile_picture: None,
        on_warmup: None,
    }
}

fn order(domains: &[&str], confirm: bool) -> NewOrder {
    let mut mailboxes = MailboxesByDomain::new();
    mailboxes.insert(
        domains[0].into(),
        vec![mailbox("jamie"), mailbox("jamie.lee")],
    );
    NewOrder {
        domains: domains
            .iter()
            .map(|d| OrderDomain {
                domain: (*d).into(),
                years: 1,
                forward_to: None,
            })
            .collect(),
        mailboxes,
        billing_cycle: BillingCycle::Monthly,
        confirm,
        service_provider: ServiceProvider::Google,
        microsoft_oauth_route: None,
        google: None,
        auto_renew: Some(true),
    }
}

#[tokio::test]
async fn creating_an_order_posts_the_documented_body_and_moves_through_statuses() {
    let h = harness();
    h.control()
        .set_timings(LifecycleTimings::uniform(Duration::from_millis(300)));
    let user = h.control().users()[2].clone();
    let before = h.control().wallet_balance();

    let reply = h
        .client
        .create_order(&user.id, &order(&["brand-new-sender.com"], true))
        .await
        .expect("order");
    assert_eq!(reply.message, "Order created and queued for processing");
    assert!(reply.action_id.is_some());
    assert!(reply.data.unavailable_domains.is_empty());
    let order_id = reply.data.order_id.clone();
    // 14.50 for the .com plus two mailboxes at 3.00.
    assert_eq!(
        h.control().wallet_balance(),
        before.checked_sub(Money::from_cents(2050)).unwrap()
    );

    let request = only_request(h.control(), "POST", "/orders/json");
    assert_eq!(query(&request), [("userId", user.id.as_str())]);
    assert_eq!(
        body_keys(&request),
        sorted(&[
            "domains",
            "mailboxes",
            "billingCycle",
            "confirm",
            "serviceProvider",
            "autoRenew"
        ])
    );
    let body = request.body.unwrap();
    assert_eq!(
        body["domains"][0],
        serde_json::json!({"domain": "brand-new-sender.com", "years": 1})
    );
    assert_eq!(
        body["mailboxes"]["brand-new-sender.com"][0],
        serde_json::json!({"username": "jamie", "firstName": "Jamie", "lastName": "Lee"})
    );
    assert_eq!(body["billingCycle"], "MONTHLY");
    assert_eq!(body["serviceProvider"], "GOOGLE");

    let status = |h: &crate::common::Harness, id: String| {
        let client = h.client.clone();
        let user_id = user.id.clone();
        async move {
            client
                .order_status(&user_id, &id)
                .await
                .unwrap()
                .data
                .status
        }
    };
    assert_eq!(status(&h, order_id.clone()).await, OrderStatus::Pending);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(status(&h, order_id.clone()).await, OrderStatus::Processing);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(status(&h, order_id.clone()).await, OrderStatus::Completed);

    let status_request = &h.control().requests_to("GET", "/orders/status")[0];
    assert_eq!(
        query(status_request),
        [("userId", user.id.as_str()), ("orderId", order_id.as_str())]
    );
    let domain = h
        .control()
        .domains()
        .into_iter()
        .find(|d| d.domain_name == "brand-new-sender.com")
        .unwrap();
    assert_eq!(domain.status, DomainStatus::Active);
    let mailboxes = h.client.user_mailboxes(&user.id).await.unwrap().data.items;
    let new: Vec<_> = mailboxes
        .iter()
        .filter(|m| m.domain == "brand-new-sender.com")
        .collect();
    assert_eq!(new.len(), 2);
    assert!(new.iter().all(|m| m.status == MailboxStatus::Active));
}

#[tokio::test]
async fn a_new_orders_mailboxes_provision_step_by_step() {
    let h = harness();
    h.control()
        .set_timings(LifecycleTimings::uniform(Duration::from_millis(300)));
    let user = h.control().users()[2].clone();
    h.client
        .create_order(&user.id, &order(&["stepwise-sender.com"], true))
        .await
        .unwrap();
    let statuses = |h: &crate::common::Harness| {
        h.control()
            .mailboxes()
            .into_iter()
            .filter(|m| m.domain == "stepwise-sender.com")
            .map(|m| m.status)
            .collect::<Vec<_>>()
    };
    assert!(statuses(&h).iter().all(|s| *s == MailboxStatus::InProgress));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(statuses(&h)
        .iter()
        .all(|s| *s == MailboxStatus::CreatingPassword));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(statuses(&h).iter().all(|s| *s == MailboxStatus::Active));
}

#[tokio::test]
async fn an_unavailable_domain_is_reported_and_not_charged() {
    let h = harness();
    let user = h.control().users()[2].clone();
    let (_, taken) = domain_in(h.control(), DomainStatus::Active);
    let before = h.control().wallet_balance();
    let reply = h
        .client
        .create_order(
            &user.id,
            &order(&["fresh-outbound.net", taken.domain_name.as_str()], true),
        )
        .await
        .expect("order");
    assert_eq!(reply.data.unavailable_domains, [taken.domain_name.as_str()]);
    // Only the .net (16.00) and its two mailboxes (6.00).
    assert_eq!(
        h.control().wallet_balance(),
        before.checked_sub(Money::from_cents(2200)).unwrap()
    );
}

#[tokio::test]
async fn an_order_the_wallet_cannot_cover_is_payment_required() {
    let h = harness();
    h.control().set_wallet_balance(Money::from_cents(100));
    let user = h.control().users()[2].clone();
    let orders_before = h.control().orders().len();
    let err = h
        .client
        .create_order(&user.id, &order(&["too-expensive.io"], true))
        .await
        .unwrap_err();
    assert!(matches!(err, CmrError::PaymentRequired { .. }), "{err:?}");
    assert_eq!(h.control().orders().len(), orders_before);
    assert_eq!(h.control().wallet_balance(), Money::from_cents(100));
}

#[tokio::test]
async fn an_unconfirmed_order_is_charged_only_when_processed() {
    let h = harness();
    let user = h.control().users()[2].clone();
    let before = h.control().wallet_balance();
    let created = h
        .client
        .create_order(&user.id, &order(&["later-sender.org"], false))
        .await
        .unwrap()
        .data;
    assert_eq!(h.control().wallet_balance(), before);

    let reply = h
        .client
        .process_order(&user.id, &created.order_id)
        .await
        .expect("process");
    assert!(reply.action_id.is_some());
    assert!(h.control().wallet_balance() < before);
    let request = only_request(h.control(), "POST", "/orders/process");
    assert_eq!(query(&request), [("userId", user.id.as_str())]);
    assert_eq!(body_keys(&request), sorted(&["orderId"]));

    let again = h
        .client
        .process_order(&user.id, &created.order_id)
        .await
        .unwrap_err();
    assert!(matches!(again, CmrError::Conflict { .. }), "{again:?}");
}

#[tokio::test]
async fn ordering_mailboxes_on_an_active_subscription_adds_to_it() {
    let h = harness();
    let sub = h
        .control()
        .subscriptions()
        .into_iter()
        .find(|s| s.subscription_status == SubscriptionStatus::Active)
        .unwrap();
    let mut mailboxes = MailboxesByDomain::new();
    mailboxes.insert(sub.domain.clone(), vec![mailbox("new.sender")]);
    let order = MailboxOrder {
        target: MailboxOrderTarget::Subscription(sub.subscription_id.clone()),
        billing_cycle: BillingCycle::Monthly,
        mailboxes,
        confirm: true,
        auto_renew: None,
    };
    let reply = h
        .client
        .order_mailboxes(&sub.user_id, &order)
        .await
        .expect("mailbox order");
    assert!(!reply.data.order_id.is_empty());

    let request = only_request(h.control(), "POST", "/orders/create-mailbox-order/json");
    assert_eq!(query(&request), [("userId", sub.user_id.as_str())]);
    assert_eq!(
        body_keys(&request),
        sorted(&["subscriptionId", "billingCycle", "mailboxes", "confirm"])
    );
    let after = h
        .control()
        .subscriptions()
        .into_iter()
        .find(|s| s.subscription_id == sub.subscription_id)
        .unwrap();
    assert_eq!(after.total_mailbox_quantity, sub.total_mailbox_quantity + 1);
}

#[tokio::test]
async fn order_details_describe_the_order() {
    let h = harness();
    let user = h.control().users()[2].clone();
    let created = h
        .client
        .create_order(&user.id, &order(&["details-sender.com"], true))
        .await
        .unwrap()
        .data;
    let details = h
        .client
        .order_details(&user.id, &created.order_id)
        .await
        .expect("details")
        .data;
    assert_eq!(details.order_id, created.order_id);
    assert_eq!(details.total_price, Some(Money::from_cents(2050)));
    assert_eq!(details.domains[0].domain, "details-sender.com");
    assert_eq!(details.mailbox_count, 2);
    assert_eq!(details.confirmed, Some(true));
    assert_eq!(details.failure_reason, None);
    let planned: Vec<_> = details
        .mailboxes
        .iter()
        .map(|m| (m.email.as_str(), m.domain.as_str()))
        .collect();
    assert_eq!(
        planned,
        [
            ("jamie@details-sender.com", "details-sender.com"),
            ("jamie.lee@details-sender.com", "details-sender.com")
        ]
    );
    let request = only_request(h.control(), "GET", "/orders/details");
    assert_eq!(
        query(&request),
        [
            ("userId", user.id.as_str()),
            ("orderId", created.order_id.as_str())
        ]
    );
}

#[tokio::test]
async fn an_order_for_a_domain_with_a_workspace_ends_failed_with_the_documented_reason() {
    let h = harness();
    h.control()
        .set_timings(LifecycleTimings::uniform(Duration::from_millis(100)));
    let user = h.control().users()[2].clone();
    let before = h.control().wallet_balance();
    let created = h
        .client
        .create_order(&user.id, &order(&["has-a-tenant.com"], false))
        .await
        .unwrap()
        .data;
    // Set up after the order was created: CMR validates when it processes the order.
    h.control().add_workspace("has-a-tenant.com");
    h.client
        .process_order(&user.id, &created.order_id)
        .await
        .expect("processed");
    assert!(h.control().wallet_balance() < before, "paid");

    let mut details = None;
    for _ in 0..400 {
        let reply = h
            .client
            .order_details(&user.id, &created.order_id)
            .await
            .expect("details");
        if reply.data.status == OrderStatus::Failed {
            details = Some(reply.data);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let details = details.expect("the order fails");
    assert_eq!(
        details.failure_reason.as_deref(),
        Some("Workspace validation failed")
    );
    assert_eq!(h.control().wallet_balance(), before, "refunded");
    assert!(!h
        .control()
        .domains()
        .iter()
        .any(|d| d.domain_name == "has-a-tenant.com"));
}
