//! The partner-wide subscription list over HTTP, from the partner index filled from the CMR
//! sandbox: tabs, search, the lapsing view and the CSV; auto-renew on and off for several at
//! once (audited, one CMR call each); cancellation (admins only, typed, nothing sent
//! otherwise).
#![cfg(feature = "ssr")]

mod common;

use app::model::subscription::{AutoRenewOutcome, SubscriptionList, SubscriptionTab};
use app::model::Role;
use common::{fill_index, spawn_with, Answer, TestApp, PASSWORD};
use sqlx::PgPool;

async fn ready(db: &PgPool) -> TestApp {
    let app = spawn_with(db.clone(), |c| c.cmr_requests_per_second = 50).await;
    fill_index(&app, db).await;
    app
}

async fn signed_in(app: &TestApp, role: Role) -> String {
    let email = format!("{}@example.com", format!("{role:?}").to_lowercase());
    app.staff(&email, role).await;
    app.sign_in(&email, PASSWORD).await
}

fn ok<T: serde::de::DeserializeOwned>(answer: &Answer) -> T {
    assert!(answer.is_ok(), "{} {}", answer.status, answer.body);
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body))
}

async fn list(app: &TestApp, cookie: &str, tab: SubscriptionTab, q: &str) -> SubscriptionList {
    ok(&app
        .call(
            "/api/subscriptions/list",
            Some(cookie),
            &[
                ("filter[tab]", tab.as_str()),
                ("filter[q]", q),
                ("filter[page]", "1"),
            ],
        )
        .await)
}

async fn auto_renew(app: &TestApp, cookie: &str, ids: &[&str], on: bool) -> Answer {
    let mut form: Vec<(String, String)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (format!("ids[{i}]"), id.to_string()))
        .collect();
    form.push(("on".into(), on.to_string()));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.call("/api/subscriptions/auto_renew", Some(cookie), &pairs)
        .await
}

fn cmr_calls(app: &TestApp, path: &str) -> usize {
    app.sandbox.control.requests_to("POST", path).len()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_list_has_tabs_search_and_a_csv(db: PgPool) {
    let app = ready(&db).await;
    let viewer = signed_in(&app, Role::Viewer).await;
    let all = list(&app, &viewer, SubscriptionTab::All, "").await;
    let seeded = app.sandbox.control.subscriptions();
    assert_eq!(all.total, seeded.len() as i64);
    assert!(!all.can_edit && !all.can_cancel);
    let active = list(&app, &viewer, SubscriptionTab::Active, "").await;
    assert!(active.rows.iter().all(|r| r.status == "ACTIVE"));
    let expected_active = seeded
        .iter()
        .filter(|s| s.subscription_status.as_str() == "ACTIVE")
        .count();
    assert_eq!(active.total, expected_active as i64);
    let count_of = |tab| all.counts.iter().find(|(t, _)| *t == tab).unwrap().1;
    assert_eq!(count_of(SubscriptionTab::Active), active.total);

    // Search by domain.
    let domain = &seeded[0].domain;
    let found = list(&app, &viewer, SubscriptionTab::All, domain).await;
    assert!(found.rows.iter().any(|r| &r.domain == domain));
    assert!(found.total < all.total);

    // Past due ones are always in the lapsing view (their period has ended).
    let lapsing = list(&app, &viewer, SubscriptionTab::Lapsing, "").await;
    let past_due = list(&app, &viewer, SubscriptionTab::PastDue, "").await;
    assert!(past_due.total > 0);
    for r in &past_due.rows {
        assert!(lapsing.rows.iter().any(|l| l.id == r.id), "{} lapses", r.id);
    }
    assert!(lapsing
        .rows
        .iter()
        .all(|r| r.status == "PAST_DUE" || (!r.auto_renew && r.days_left.unwrap_or(99) <= 14)));

    let csv = app
        .get("/subscriptions/export.csv?tab=past_due", Some(&viewer))
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body.starts_with("subscription_id,customer_id"),
        "{}",
        csv.body
    );
    assert_eq!(csv.body.lines().count() as i64, past_due.total + 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn turning_auto_renew_off_puts_a_subscription_in_the_lapsing_view(db: PgPool) {
    let app = ready(&db).await;
    let editor = signed_in(&app, Role::Editor).await;
    let viewer = signed_in(&app, Role::Viewer).await;
    let active = list(&app, &editor, SubscriptionTab::Active, "").await;
    let soon: Vec<String> = active
        .rows
        .iter()
        .filter(|r| r.auto_renew && r.days_left.is_some_and(|d| d <= 14))
        .take(2)
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(
        soon.len(),
        2,
        "the seed has active subscriptions ending within 14 days"
    );
    let ids: Vec<&str> = soon.iter().map(String::as_str).collect();

    assert_eq!(auto_renew(&app, &viewer, &ids, false).await.status, 403);
    assert_eq!(cmr_calls(&app, "/subscriptions/toggle-autorenewal"), 0);

    let outcome: AutoRenewOutcome = ok(&auto_renew(&app, &editor, &ids, false).await);
    assert_eq!(outcome.changed.len(), 2, "{outcome:?}");
    assert_eq!(cmr_calls(&app, "/subscriptions/toggle-autorenewal"), 2);
    for id in &soon {
        let at_cmr = app
            .sandbox
            .control
            .subscriptions()
            .into_iter()
            .find(|s| &s.subscription_id == id)
            .unwrap();
        assert!(!at_cmr.auto_renew);
    }
    let lapsing = list(&app, &viewer, SubscriptionTab::Lapsing, "").await;
    for id in &soon {
        assert!(lapsing.rows.iter().any(|r| &r.id == id), "{id} lapses now");
    }
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'subscription.auto_renew'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(audited, 2);

    // Back on: out of the lapsing view again.
    let _: AutoRenewOutcome = ok(&auto_renew(&app, &editor, &ids, true).await);
    let lapsing = list(&app, &viewer, SubscriptionTab::Lapsing, "").await;
    assert!(!lapsing.rows.iter().any(|r| soon.contains(&r.id)));
}

#[sqlx::test(migrations = "../migrations")]
async fn only_an_admin_who_types_the_domain_cancels_a_subscription(db: PgPool) {
    let app = ready(&db).await;
    let editor = signed_in(&app, Role::Editor).await;
    let admin = signed_in(&app, Role::Admin).await;
    let target = list(&app, &admin, SubscriptionTab::Active, "").await.rows[0].clone();

    let refused = app
        .call(
            "/api/subscriptions/cancel",
            Some(&editor),
            &[("id", &target.id), ("confirm_domain", &target.domain)],
        )
        .await;
    assert_eq!(refused.status, 403);
    let mistyped = app
        .call(
            "/api/subscriptions/cancel",
            Some(&admin),
            &[("id", &target.id), ("confirm_domain", "not-the-domain.com")],
        )
        .await;
    assert_eq!(mistyped.status, 422);
    assert!(mistyped.error().field("confirm_domain").is_some());
    assert_eq!(cmr_calls(&app, "/subscriptions/cancel"), 0, "nothing sent");

    let done = app
        .call(
            "/api/subscriptions/cancel",
            Some(&admin),
            &[("id", &target.id), ("confirm_domain", &target.domain)],
        )
        .await;
    assert!(done.is_ok(), "{}", done.body);
    assert_eq!(cmr_calls(&app, "/subscriptions/cancel"), 1);
    let cancelled = list(&app, &admin, SubscriptionTab::Cancelled, &target.domain).await;
    assert!(cancelled.rows.iter().any(|r| r.id == target.id));
    let again = app
        .call(
            "/api/subscriptions/cancel",
            Some(&admin),
            &[("id", &target.id), ("confirm_domain", &target.domain)],
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(cmr_calls(&app, "/subscriptions/cancel"), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn every_subscription_function_refuses_a_call_without_a_session(db: PgPool) {
    let app = ready(&db).await;
    for path in [
        "/api/subscriptions/list",
        "/api/subscriptions/auto_renew",
        "/api/subscriptions/cancel",
    ] {
        assert_eq!(
            app.call(path, None, &[("id", "x")]).await.status,
            401,
            "{path}"
        );
    }
    assert_ne!(app.get("/subscriptions/export.csv", None).await.status, 200);
}
