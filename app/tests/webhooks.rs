//! CMR's webhooks: every refusal rule, delivery once per eventId (also when redelivered at
//! once), what events change in the index and the timeline, and secrets never kept.

use crate::common;

use app::model::Role;
use app::server::webhooks::signature::sign;
use common::{captured_logs, fill_index, spawn, TestApp, CMR_KEY, PASSWORD};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;

fn now(app: &TestApp) -> i64 {
    app.state.clock.now().unix_timestamp()
}

/// POSTs `body` to the webhook endpoint as CMR would (signed with the key unless `signature`
/// says otherwise); the status.
async fn deliver(app: &TestApp, body: &str, timestamp: i64, signature: Option<&str>) -> u16 {
    let signature = signature
        .map(str::to_string)
        .unwrap_or_else(|| sign(CMR_KEY.as_bytes(), timestamp, body.as_bytes()));
    app.http()
        .post(format!("{}/webhooks/cmr", app.url))
        .header("content-type", "application/json")
        .header("cmr-x-timestamp", timestamp.to_string())
        .header("cmr-x-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn stored(db: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM cmr_events")
        .fetch_one(db)
        .await
        .unwrap()
}

/// Waits (bounded) until every stored event has been applied.
async fn applied(db: &PgPool) {
    for _ in 0..100 {
        let pending: i64 =
            sqlx::query_scalar("SELECT count(*) FROM cmr_events WHERE applied_at IS NULL")
                .fetch_one(db)
                .await
                .unwrap();
        if pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("events never applied");
}

/// A running app with its index filled, and a `domain.expired` event (id `event_id`) for the
/// sandbox's first domain: (app, the domain's name, its owner, the body).
async fn expiry_event(db: &PgPool, event_id: &str) -> (TestApp, String, String, String) {
    let app = spawn(db.clone()).await;
    fill_index(&app, db).await;
    let domain = app.sandbox.control.domains().remove(0);
    let owner: String = sqlx::query_scalar("SELECT customer_id FROM index_domains WHERE name = $1")
        .bind(domain.domain_name.to_lowercase())
        .fetch_one(db)
        .await
        .unwrap();
    let body = json!({
        "event": "domain.expired",
        "eventId": event_id,
        "data": { "userId": owner, "domainName": domain.domain_name }
    })
    .to_string();
    (app, domain.domain_name, owner, body)
}

/// A domain's status in the index.
async fn indexed_status(db: &PgPool, name: &str) -> String {
    sqlx::query_scalar("SELECT status FROM index_domains WHERE name = $1")
        .bind(name.to_lowercase())
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_signed_event_updates_the_index_and_the_customers_timeline_once(db: PgPool) {
    let (app, name, owner, body) = expiry_event(&db, "evt_1").await;

    // The same delivery many times at once (CMR retries; a proxy may duplicate).
    let t = now(&app);
    let signature = sign(CMR_KEY.as_bytes(), t, body.as_bytes());
    let deliveries: Vec<_> = (0..20)
        .map(|_| {
            let request = app
                .http()
                .post(format!("{}/webhooks/cmr", app.url))
                .header("cmr-x-timestamp", t.to_string())
                .header("cmr-x-signature", &signature)
                .body(body.clone());
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for delivery in deliveries {
        statuses.push(delivery.await.unwrap());
    }
    assert!(statuses.iter().all(|&s| s == 200), "{statuses:?}");
    assert_eq!(stored(&db).await, 1, "stored once");
    applied(&db).await;
    assert_eq!(indexed_status(&db, &name).await, "EXPIRED");

    app.staff("viv@example.com", Role::Viewer).await;
    let cookie = app.sign_in("viv@example.com", PASSWORD).await;
    let page = app.get(&format!("/customers/{owner}"), Some(&cookie)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("domain.expired"), "on the timeline");
    let detail = app
        .call("/api/customers/get", Some(&cookie), &[("id", &owner)])
        .await;
    let detail: app::model::customer::CustomerDetail = serde_json::from_str(&detail.body).unwrap();
    let events: Vec<_> = detail
        .history
        .iter()
        .filter(|e| e.action == "domain.expired")
        .collect();
    assert_eq!(
        events.len(),
        1,
        "once on the timeline: {:?}",
        detail.history
    );
    assert_eq!(events[0].actor, "CMR");
}

#[sqlx::test(migrations = "../migrations")]
async fn every_refusal_rule_holds_and_nothing_is_stored(db: PgPool) {
    let app = spawn(db.clone()).await;
    let body = json!({ "event": "domain.expired", "eventId": "evt_r", "data": {} }).to_string();
    let t = now(&app);
    // Signed with another key.
    let forged = sign(b"not the partner key", t, body.as_bytes());
    assert_eq!(deliver(&app, &body, t, Some(&forged)).await, 401);
    // Signed for another body.
    let other = sign(CMR_KEY.as_bytes(), t, b"{}");
    assert_eq!(deliver(&app, &body, t, Some(&other)).await, 401);
    // Correctly signed, but six minutes old, or six minutes ahead.
    assert_eq!(deliver(&app, &body, t - 360, None).await, 401);
    assert_eq!(deliver(&app, &body, t + 360, None).await, 401);
    // No signature at all.
    let unsigned = app
        .http()
        .post(format!("{}/webhooks/cmr", app.url))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    // Too large (checked before anything else is read).
    let huge = format!(
        r#"{{"event":"x","eventId":"evt_big","data":{{"pad":"{}"}}}}"#,
        "a".repeat(300 * 1024)
    );
    assert_eq!(deliver(&app, &huge, t, None).await, 413);
    // Signed but not an event.
    for bad in [
        "[1,2]",
        r#"{"event":"x"}"#,
        r#"{"eventId":"e"}"#,
        "not json",
    ] {
        assert_eq!(deliver(&app, bad, t, None).await, 400, "{bad}");
    }
    assert_eq!(stored(&db).await, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unknown_event_is_kept_and_changes_nothing(db: PgPool) {
    let app = spawn(db.clone()).await;
    let body = json!({
        "eventType": "mailbox.teleported",
        "eventId": "evt_u",
        "data": { "userId": "U1", "somewhere": "else" }
    })
    .to_string();
    assert_eq!(deliver(&app, &body, now(&app), None).await, 200);
    applied(&db).await;
    let row: (String, Option<String>) =
        sqlx::query_as("SELECT event, apply_error FROM cmr_events WHERE event_id = 'evt_u'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(row, ("mailbox.teleported".to_string(), None));
}

#[sqlx::test(migrations = "../migrations")]
async fn secrets_in_a_payload_reach_neither_the_database_nor_the_log(db: PgPool) {
    let app = spawn(db.clone()).await;
    let secrets = ["Pa55w0rd-never-kept", "app pass word x", "JBSWY3DPEHPK3PXP"];
    let body = json!({
        "event": "prewarmup.order.success",
        "eventId": "evt_s",
        "data": {
            "userId": "U1",
            "mailboxDetails": [{
                "domain": "warm.example",
                "preWarmedUpMailboxes": [{
                    "mailboxId": "M1", "email": "sales@warm.example",
                    "password": secrets[0], "appPassword": secrets[1],
                    "authenticatorSecret": secrets[2]
                }]
            }]
        }
    })
    .to_string();
    assert_eq!(deliver(&app, &body, now(&app), None).await, 200);
    applied(&db).await;
    let data: Value = sqlx::query_scalar("SELECT data FROM cmr_events WHERE event_id = 'evt_s'")
        .fetch_one(&db)
        .await
        .unwrap();
    let stored = data.to_string();
    assert!(stored.contains("sales@warm.example"), "the rest is kept");
    let logs = captured_logs();
    for secret in secrets {
        assert!(!stored.contains(secret), "stored: {stored}");
        assert!(!logs.contains(secret), "logged");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sandbox_signs_its_lifecycle_events_and_the_dashboard_takes_them(db: PgPool) {
    let app = spawn(db.clone()).await;
    fill_index(&app, &db).await;
    let control = &app.sandbox.control;
    control.send_webhooks_to(Some(format!("{}/webhooks/cmr", app.url)));
    let domain = control.domains().remove(0).domain_name;
    assert!(control.expire_domain(&domain));
    for _ in 0..100 {
        let status: String =
            sqlx::query_scalar("SELECT status FROM index_domains WHERE name = lower($1)")
                .bind(&domain)
                .fetch_one(&db)
                .await
                .unwrap();
        if status == "EXPIRED" {
            let events: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM cmr_events WHERE event = 'domain.expired'",
            )
            .fetch_one(&db)
            .await
            .unwrap();
            assert_eq!(events, 1);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the sandbox's event never arrived");
}

#[sqlx::test(migrations = "../migrations")]
async fn mailbox_and_subscription_events_change_the_index_and_stored_ones_apply_after_a_restart(
    db: PgPool,
) {
    let app = spawn(db.clone()).await;
    fill_index(&app, &db).await;
    let subscription = app.sandbox.control.subscriptions().remove(0);
    let events = [
        json!({ "event": "mailbox.created", "eventId": "evt_m1", "data": {
            "userId": subscription.user_id, "mailboxId": "MBX_NEW", "email": "Sales@New.Example",
            "subscriptionId": subscription.subscription_id, "firstName": "Sam", "lastName": "Seller",
            "password": "never-kept" } }),
        json!({ "event": "mailbox.updated", "eventId": "evt_m2", "data": {
            "mailboxId": "MBX_NEW", "updatedFields": { "lastName": "Closer" } } }),
        json!({ "event": "subscription.past_due", "eventId": "evt_s1", "data": {
            "userId": subscription.user_id, "subscriptionId": subscription.subscription_id } }),
    ];
    for event in &events {
        assert_eq!(
            deliver(&app, &event.to_string(), now(&app), None).await,
            200
        );
        applied(&db).await;
    }
    let mailbox: (String, String, Option<String>) =
        sqlx::query_as("SELECT email, name, customer_id FROM index_mailboxes WHERE id = 'MBX_NEW'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        mailbox,
        (
            "sales@new.example".to_string(),
            "Sam Closer".to_string(),
            Some(subscription.user_id.clone())
        )
    );
    let status: String = sqlx::query_scalar("SELECT status FROM index_subscriptions WHERE id = $1")
        .bind(&subscription.subscription_id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(status, "PAST_DUE");

    // Stored, then the process stopped before applying it: the next start applies it.
    sqlx::query(
        "INSERT INTO cmr_events (event_id, event, sent_at, customer_id, data)
         VALUES ('evt_late', 'subscription.expired', now(), $1, $2)",
    )
    .bind(&subscription.user_id)
    .bind(json!({ "userId": subscription.user_id, "subscriptionId": subscription.subscription_id }))
    .execute(&db)
    .await
    .unwrap();
    app::server::webhooks::apply_pending(app.state.clone());
    applied(&db).await;
    let status: String = sqlx::query_scalar("SELECT status FROM index_subscriptions WHERE id = $1")
        .bind(&subscription.subscription_id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(status, "EXPIRED");
}

/// The database refuses the write at the worst moment: CMR hears 503 (so it delivers again),
/// nothing half-written stays, and the redelivery is stored and applied once.
#[sqlx::test(migrations = "../migrations")]
async fn a_failed_store_answers_503_and_the_redelivery_is_taken_once(db: PgPool) {
    let (app, name, _, body) = expiry_event(&db, "evt_db_down").await;
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_events() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN RAISE EXCEPTION 'disk full'; END $$;
         CREATE TRIGGER refuse_events BEFORE INSERT ON cmr_events
           FOR EACH ROW EXECUTE FUNCTION refuse_events();",
    )
    .execute(&db)
    .await
    .unwrap();

    assert_eq!(deliver(&app, &body, now(&app), None).await, 503);
    assert_eq!(stored(&db).await, 0);
    assert_ne!(
        indexed_status(&db, &name).await,
        "EXPIRED",
        "nothing applied from an event that was not stored"
    );

    sqlx::raw_sql("DROP TRIGGER refuse_events ON cmr_events")
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(deliver(&app, &body, now(&app), None).await, 200);
    assert_eq!(deliver(&app, &body, now(&app), None).await, 200);
    assert_eq!(stored(&db).await, 1);
    applied(&db).await;
    assert_eq!(indexed_status(&db, &name).await, "EXPIRED");
}
