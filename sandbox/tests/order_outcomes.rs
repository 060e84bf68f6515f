//! How processed orders end, over HTTP: a domain with a workspace or one marked by
//! `fail_domain_order` makes the order go PENDING → PROCESSING → FAILED, paid then refunded,
//! with nothing created and `*.order.failed` webhooks; a completed order sends one
//! `domain.order.success` per domain and one `mailbox.order.success` per domain with mailboxes,
//! then `mailbox.created` per mailbox, all naming the order.

mod common;

use std::time::Duration;

use cmr::types::{Money, Order, OrderStatus, SubscriptionStatus};
use cmr_sandbox::LifecycleTimings;
use common::{eventually, Api, Event, Receiver};
use serde_json::{json, Value};

/// Long enough that every status is seen by polling every 5 ms, short enough for a test.
const STEP: Duration = Duration::from_millis(400);

fn mailbox(username: &str, on_warmup: bool) -> Value {
    json!({ "username": username, "firstName": "Jamie", "lastName": "Lee", "onWarmup": on_warmup })
}

/// `POST /orders/json` for one-year domains, with mailboxes on the first.
fn domain_order(domains: &[&str], mailboxes: &[Value], confirm: bool) -> Value {
    json!({
        "domains": domains.iter().map(|d| json!({ "domain": d, "years": 1 })).collect::<Vec<_>>(),
        "mailboxes": { domains[0]: mailboxes },
        "billingCycle": "MONTHLY",
        "serviceProvider": "GOOGLE",
        "confirm": confirm,
    })
}

/// Creates an order for `user_id`; its id.
async fn create(api: &Api, user_id: &str, body: &Value) -> String {
    let (status, answer) = api
        .post(&format!("/orders/json?userId={user_id}"), body)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["unavailableDomains"], json!([]));
    answer["data"]["orderId"]
        .as_str()
        .expect("an orderId")
        .to_owned()
}

fn order(api: &Api, order_id: &str) -> Order {
    api.control()
        .orders()
        .into_iter()
        .find(|o| o.order_id == order_id)
        .expect("the order exists")
}

/// Every status the order shows until it ends, each once, in the order seen.
async fn statuses_until_done(api: &Api, order_id: &str) -> Vec<OrderStatus> {
    let mut seen: Vec<OrderStatus> = Vec::new();
    eventually("the order to end", || {
        let status = order(api, order_id).status;
        if seen.last() != Some(&status) {
            seen.push(status.clone());
        }
        matches!(status, OrderStatus::Completed | OrderStatus::Failed).then_some(())
    })
    .await;
    seen
}

fn of_order<'e>(events: &'e [Event], order_id: &str) -> Vec<&'e Event> {
    events
        .iter()
        .filter(|e| e.data["orderId"] == order_id)
        .collect()
}

fn names(events: &[&Event]) -> Vec<String> {
    events.iter().map(|e| e.event.clone()).collect()
}

#[tokio::test]
async fn an_order_with_a_workspace_domain_is_paid_then_fails_is_refunded_and_creates_nothing() {
    let api = Api::seeded();
    let control = api.control();
    control.set_timings(LifecycleTimings::uniform(STEP));
    let receiver = Receiver::start().await;
    control.send_webhooks_to(Some(receiver.url.clone()));
    control.add_workspace("brightline-outreach.com");
    let user = control.users()[2].clone();
    let before = control.wallet_balance();

    // Only the second domain has a workspace: the whole order fails.
    let body = domain_order(
        &["clearpath-sender.com", "brightline-outreach.com"],
        &[mailbox("jamie", false), mailbox("jamie.lee", true)],
        true,
    );
    let order_id = create(&api, &user.id, &body).await;
    // Paid like any other: two .com at 14.50, two mailboxes at 3.00, one warmup at 2.00.
    assert_eq!(
        control.wallet_balance(),
        before.checked_sub(Money::from_cents(3700)).unwrap()
    );

    let seen = statuses_until_done(&api, &order_id).await;
    assert_eq!(
        seen,
        [
            OrderStatus::Pending,
            OrderStatus::Processing,
            OrderStatus::Failed
        ]
    );
    assert_eq!(control.wallet_balance(), before, "refunded in full");
    let failed = order(&api, &order_id);
    assert_eq!(
        failed.failure_reason.as_deref(),
        Some("Workspace validation failed")
    );
    assert_eq!(failed.confirmed, Some(true));
    for name in ["clearpath-sender.com", "brightline-outreach.com"] {
        assert!(!control.domains().iter().any(|d| d.domain_name == name));
        assert!(!control.mailboxes().iter().any(|m| m.domain == name));
        assert!(!control.subscriptions().iter().any(|s| s.domain == name));
    }

    // The details still list what the order would have created.
    let (status, details) = api
        .get(&format!(
            "/orders/details?userId={}&orderId={order_id}",
            user.id
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(details["data"]["status"], "FAILED");
    assert_eq!(
        details["data"]["failureReason"],
        "Workspace validation failed"
    );
    assert_eq!(
        details["data"]["mailboxes"],
        json!([
            { "email": "jamie@clearpath-sender.com", "firstName": "Jamie", "lastName": "Lee",
              "domain": "clearpath-sender.com" },
            { "email": "jamie.lee@clearpath-sender.com", "firstName": "Jamie", "lastName": "Lee",
              "domain": "clearpath-sender.com" },
        ])
    );

    let events = receiver.drain(control).await;
    let mine = of_order(&events, &order_id);
    assert_eq!(names(&mine), ["domain.order.failed", "domain.order.failed"]);
    assert_eq!(
        mine[1].data,
        json!({
            "userId": user.id,
            "userEmail": user.profile.email,
            "orderId": order_id,
            "domainName": "brightline-outreach.com",
            "reason": "Workspace validation failed",
        })
    );
    assert_eq!(mine[0].data["domainName"], "clearpath-sender.com");
}

#[tokio::test]
async fn an_order_marked_to_fail_fails_with_that_reason_once_processed() {
    let api = Api::seeded();
    let control = api.control();
    control.set_timings(LifecycleTimings::uniform(STEP));
    let receiver = Receiver::start().await;
    control.send_webhooks_to(Some(receiver.url.clone()));
    control.fail_domain_order("Registrar-Trouble.net", "Registrar error");
    let user = control.users()[2].clone();
    let before = control.wallet_balance();

    let body = domain_order(&["registrar-trouble.net"], &[mailbox("ops", false)], false);
    let order_id = create(&api, &user.id, &body).await;
    let waiting = order(&api, &order_id);
    assert_eq!(control.wallet_balance(), before);
    assert_eq!(
        (waiting.confirmed, waiting.failure_reason),
        (Some(false), None)
    );

    let (status, answer) = api
        .post(
            &format!("/orders/process?userId={}", user.id),
            &json!({ "orderId": order_id }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    // 16.00 for the .net and 3.00 for the mailbox.
    assert_eq!(
        control.wallet_balance(),
        before.checked_sub(Money::from_cents(1900)).unwrap()
    );
    let seen = statuses_until_done(&api, &order_id).await;
    assert_eq!(
        seen,
        [
            OrderStatus::Pending,
            OrderStatus::Processing,
            OrderStatus::Failed
        ]
    );
    assert_eq!(control.wallet_balance(), before);
    assert_eq!(
        order(&api, &order_id).failure_reason.as_deref(),
        Some("Registrar error")
    );
    assert!(!control
        .domains()
        .iter()
        .any(|d| d.domain_name == "registrar-trouble.net"));

    let events = receiver.drain(control).await;
    let mine = of_order(&events, &order_id);
    assert_eq!(names(&mine), ["domain.order.failed"]);
    assert_eq!(mine[0].data["reason"], "Registrar error");
}

#[tokio::test]
async fn a_mailbox_order_marked_to_fail_sends_mailbox_order_failed() {
    let api = Api::seeded();
    let control = api.control();
    control.set_timings(LifecycleTimings::uniform(STEP));
    let receiver = Receiver::start().await;
    control.send_webhooks_to(Some(receiver.url.clone()));
    let sub = control
        .subscriptions()
        .into_iter()
        .find(|s| s.subscription_status == SubscriptionStatus::Active)
        .expect("the seed has an active subscription");
    control.fail_domain_order(&sub.domain, "Provider error");
    let mailboxes_before = control.mailboxes().len();
    let before = control.wallet_balance();

    let (status, answer) = api
        .post(
            &format!("/orders/create-mailbox-order/json?userId={}", sub.user_id),
            &json!({
                "subscriptionId": sub.subscription_id,
                "billingCycle": "MONTHLY",
                "mailboxes": { sub.domain.clone(): [mailbox("extra.sender", false)] },
                "confirm": true,
            }),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let order_id = answer["data"]["orderId"].as_str().unwrap().to_owned();
    assert!(control.wallet_balance() < before, "paid");
    assert_eq!(
        statuses_until_done(&api, &order_id).await.last(),
        Some(&OrderStatus::Failed)
    );
    assert_eq!(control.wallet_balance(), before);
    assert_eq!(control.mailboxes().len(), mailboxes_before);

    let events = receiver.drain(control).await;
    let mine = of_order(&events, &order_id);
    assert_eq!(names(&mine), ["mailbox.order.failed"]);
    assert_eq!(
        mine[0].data,
        json!({
            "userId": sub.user_id,
            "orderId": order_id,
            "domainName": sub.domain,
            "reason": "Provider error",
        })
    );
}

#[tokio::test]
async fn a_failing_order_the_wallet_cannot_cover_is_refused_and_nothing_changes() {
    let api = Api::seeded();
    let control = api.control();
    control.add_workspace("short-wallet.com");
    let user = control.users()[2].clone();
    let body = domain_order(&["short-wallet.com"], &[mailbox("ops", false)], false);
    let order_id = create(&api, &user.id, &body).await;
    control.set_wallet_balance(Money::from_cents(100));

    let (status, answer) = api
        .post(
            &format!("/orders/process?userId={}", user.id),
            &json!({ "orderId": order_id }),
        )
        .await;
    assert_eq!(status, 402, "{answer}");
    assert_eq!(answer["message"], "Insufficient wallet balance");
    assert_eq!(control.wallet_balance(), Money::from_cents(100));
    let waiting = order(&api, &order_id);
    assert_eq!(waiting.status, OrderStatus::Pending);
    assert_eq!(
        (waiting.confirmed, waiting.failure_reason),
        (Some(false), None)
    );

    // The same at creation with `confirm`: refused, and no order recorded.
    let orders_before = control.orders().len();
    let confirmed = domain_order(&["short-wallet.com"], &[], true);
    let (status, _) = api
        .post(&format!("/orders/json?userId={}", user.id), &confirmed)
        .await;
    assert_eq!(status, 402);
    assert_eq!(control.orders().len(), orders_before);
    assert_eq!(control.wallet_balance(), Money::from_cents(100));
}

#[tokio::test]
async fn a_completed_order_sends_its_success_events_once_each_then_its_mailboxes() {
    let api = Api::seeded();
    let control = api.control();
    control.set_timings(LifecycleTimings::uniform(Duration::from_millis(100)));
    let receiver = Receiver::start().await;
    control.send_webhooks_to(Some(receiver.url.clone()));
    let user = control.users()[2].clone();

    let body = domain_order(
        &["fresh-outbound.com", "fresh-outbound.net"],
        &[
            mailbox("ada", false),
            mailbox("grace", true),
            mailbox("linus", false),
        ],
        true,
    );
    let order_id = create(&api, &user.id, &body).await;
    receiver
        .wait_for("three mailbox.created", |events| {
            of_order(events, &order_id)
                .iter()
                .filter(|e| e.event == "mailbox.created")
                .count()
                == 3
        })
        .await;
    let events = receiver.drain(control).await;

    let mine = of_order(&events, &order_id);
    assert_eq!(
        names(&mine),
        [
            "domain.order.success",
            "domain.order.success",
            "mailbox.order.success",
            "mailbox.created",
            "mailbox.created",
            "mailbox.created",
        ]
    );
    let successes = events
        .iter()
        .filter(|e| e.event == "domain.order.success")
        .count();
    assert_eq!(
        successes, 2,
        "nothing sent twice, nothing without its orderId"
    );

    let domain = |name: &str| {
        control
            .domains()
            .into_iter()
            .find(|d| d.domain_name == name)
            .expect("the domain exists")
    };
    let com = domain("fresh-outbound.com");
    assert_eq!(
        mine[0].data,
        json!({
            "userId": user.id,
            "userEmail": user.profile.email,
            "orderId": order_id,
            "domainId": com.domain_id,
            "domainName": "fresh-outbound.com",
            "creationTime": com.creation_time,
            "expiryDate": com.expiry_date,
            "price": 14.5,
        })
    );
    assert_eq!(mine[1].data["domainName"], "fresh-outbound.net");
    assert_eq!(mine[1].data["price"], 16);

    let made: Vec<_> = control
        .mailboxes()
        .into_iter()
        .filter(|m| m.domain == "fresh-outbound.com")
        .collect();
    assert_eq!(made.len(), 3);
    let subscription_id = made[0].subscription_id.clone().expect("a subscription");
    let period_end = control
        .subscriptions()
        .into_iter()
        .find(|s| s.subscription_id == subscription_id)
        .expect("the subscription exists")
        .period_end;
    assert_eq!(
        mine[2].data,
        json!({
            "domainId": com.domain_id,
            "domainName": "fresh-outbound.com",
            "userId": user.id,
            "userEmail": user.profile.email,
            "subscriptionId": subscription_id,
            "orderId": order_id,
            "workspaceType": "GOOGLE",
            "creationTime": made[0].creation_time,
            "expiryDate": period_end,
            // Three mailboxes at 3.00 and one warmup at 2.00.
            "price": 11,
            "quantity": 3,
        })
    );
    for created in &mine[3..] {
        assert_eq!(created.data["subscriptionId"], subscription_id.as_str());
        assert!(made
            .iter()
            .any(|m| created.data["mailboxId"] == m.mailbox_id.as_str()));
    }

    let done = order(&api, &order_id);
    assert_eq!(done.status, OrderStatus::Completed);
    assert_eq!((done.confirmed, done.failure_reason), (Some(true), None));
    let emails: Vec<_> = done.mailboxes.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(
        emails,
        [
            "ada@fresh-outbound.com",
            "grace@fresh-outbound.com",
            "linus@fresh-outbound.com"
        ]
    );
    let (_, details) = api
        .get(&format!(
            "/orders/details?userId={}&orderId={order_id}",
            user.id
        ))
        .await;
    assert_eq!(details["data"]["failureReason"], Value::Null);
    assert!(details["data"]
        .as_object()
        .unwrap()
        .contains_key("failureReason"));
}
