//! The partner-wide subscription list over HTTP, from the partner index filled from the CMR
//! sandbox: tabs, search, the lapsing view and the CSV; auto-renew on and off for several at
//! once (audited, one CMR call each); cancellation (admins only, typed, nothing sent
//! otherwise).

use crate::common;

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

// A wildcard is searched for as itself, in every field the search covers (the customer id
// too): `%` matches nothing here rather than every subscription.
#[sqlx::test(migrations = "../migrations")]
async fn a_wildcard_in_the_search_matches_nothing_but_itself(db: PgPool) {
    let app = ready(&db).await;
    let viewer = signed_in(&app, Role::Viewer).await;
    let all = list(&app, &viewer, SubscriptionTab::All, "").await;
    assert!(all.total > 0);
    for wildcard in ["%", "%%", "\\%"] {
        let hits = list(&app, &viewer, SubscriptionTab::All, wildcard).await;
        assert_eq!(hits.total, 0, "{wildcard:?} matched {} rows", hits.total);
    }
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
        "/api/subscriptions/renewal_quote",
        "/api/subscriptions/renew",
    ] {
        assert_eq!(
            app.call(path, None, &[("id", "x")]).await.status,
            401,
            "{path}"
        );
    }
    assert_ne!(app.get("/subscriptions/export.csv", None).await.status, 200);
}

// ---- renewing (paid) ----------------------------------------------------------------------

use app::model::subscription::SubscriptionQuote;

async fn form_key(app: &TestApp, cookie: &str) -> String {
    ok(&app.call("/api/forms/key", Some(cookie), &[]).await)
}

async fn quote(app: &TestApp, cookie: &str, id: &str) -> SubscriptionQuote {
    ok(&app
        .call(
            "/api/subscriptions/renewal_quote",
            Some(cookie),
            &[("id", id)],
        )
        .await)
}

async fn renew(app: &TestApp, cookie: &str, id: &str, total: i64, key: &str) -> Answer {
    let total = total.to_string();
    app.call(
        "/api/subscriptions/renew",
        Some(cookie),
        &[
            ("request[id]", id),
            ("request[total_cents]", &total),
            ("request[idempotency_key]", key),
        ],
    )
    .await
}

fn renewals(app: &TestApp) -> usize {
    cmr_calls(app, "/subscriptions/renew-subscriptions")
}

/// An active subscription whose domain is active (renewable).
async fn renewable(app: &TestApp, cookie: &str) -> (String, SubscriptionQuote) {
    for row in list(app, cookie, SubscriptionTab::Active, "").await.rows {
        let q = quote(app, cookie, &row.id).await;
        if q.blocked.is_none() {
            return (row.id, q);
        }
    }
    panic!("the seed has a renewable subscription");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_renewal_is_sent_once_per_form_and_once_per_period(db: PgPool) {
    let app = ready(&db).await;
    let admin = signed_in(&app, Role::Admin).await;
    let (id, q) = renewable(&app, &admin).await;
    let price = q.price.value.cents();
    assert!(price > 0);
    let before = app.sandbox.control.wallet_balance().cents();
    let key = form_key(&app, &admin).await;

    let first = renew(&app, &admin, &id, price, &key).await;
    assert!(first.is_ok(), "{}", first.body);
    let again = renew(&app, &admin, &id, price, &key).await;
    assert!(
        again.is_ok(),
        "a repeat of the form replays: {}",
        again.body
    );
    assert_eq!(renewals(&app), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - price);

    // Another form (a second tab) for the same period is refused before CMR is asked.
    let other = form_key(&app, &admin).await;
    let second = renew(&app, &admin, &id, price, &other).await;
    assert_eq!(second.status, 409, "{}", second.body);
    assert_eq!(renewals(&app), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - price);
    let spent: i64 = sqlx::query_scalar(
        "SELECT sum(amount_cents)::int8 FROM spend_log WHERE action = 'subscription.renew'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(spent, price);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_subscription_whose_domain_is_in_its_grace_period_is_refused_before_cmr(db: PgPool) {
    let app = ready(&db).await;
    let admin = signed_in(&app, Role::Admin).await;
    let past_due = list(&app, &admin, SubscriptionTab::PastDue, "").await.rows;
    let graced = app
        .sandbox
        .control
        .domains()
        .into_iter()
        .filter(|d| d.status.as_str() == "GRACE_PERIOD")
        .map(|d| d.domain_name)
        .collect::<Vec<_>>();
    let row = past_due
        .iter()
        .find(|r| graced.contains(&r.domain))
        .expect("a past-due subscription on a grace-period domain");
    let q = quote(&app, &admin, &row.id).await;
    assert!(
        q.blocked
            .as_deref()
            .unwrap()
            .contains("renew the domain first"),
        "{q:?}"
    );
    let key = form_key(&app, &admin).await;
    let refused = renew(&app, &admin, &row.id, q.price.value.cents(), &key).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("GRACE_PERIOD"), "{}", refused.body);
    assert_eq!(renewals(&app), 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn editors_and_short_wallets_renew_nothing(db: PgPool) {
    let app = ready(&db).await;
    let admin = signed_in(&app, Role::Admin).await;
    let editor = signed_in(&app, Role::Editor).await;
    let (id, q) = renewable(&app, &admin).await;
    let price = q.price.value.cents();
    let key = form_key(&app, &editor).await;
    assert_eq!(renew(&app, &editor, &id, price, &key).await.status, 403);
    assert_eq!(
        app.call(
            "/api/subscriptions/renewal_quote",
            Some(&editor),
            &[("id", &id)]
        )
        .await
        .status,
        403
    );

    app.sandbox
        .control
        .set_wallet_balance(cmr::types::Money::from_cents(price - 1));
    let key = form_key(&app, &admin).await;
    let short = renew(&app, &admin, &id, price, &key).await;
    assert_eq!(short.status, 409, "{}", short.body);
    assert!(short.body.contains("Top up the wallet"), "{}", short.body);
    assert_eq!(renewals(&app), 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_lost_answer_is_settled_by_a_fresh_read_and_never_resent(db: PgPool) {
    let app = ready(&db).await;
    let admin = signed_in(&app, Role::Admin).await;
    app.sandbox
        .control
        .set_timings(cmr_sandbox::LifecycleTimings::uniform(
            std::time::Duration::from_secs(600),
        ));
    let (id, q) = renewable(&app, &admin).await;
    let price = q.price.value.cents();
    let before = app.sandbox.control.wallet_balance().cents();
    app.sandbox
        .control
        .drop_after_apply("/subscriptions/renew-subscriptions", 1);
    let key = form_key(&app, &admin).await;
    let answer = renew(&app, &admin, &id, price, &key).await;
    // CMR applied it; the re-read shows RENEWING, so it counts as queued.
    assert!(answer.is_ok(), "{}", answer.body);
    let retry = renew(&app, &admin, &id, price, &form_key(&app, &admin).await).await;
    assert!(!retry.is_ok());
    assert_eq!(renewals(&app), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - price);
}

#[sqlx::test(migrations = "../migrations")]
async fn two_admins_renewing_the_same_period_at_once_send_one_call(db: PgPool) {
    let app = ready(&db).await;
    let first = signed_in(&app, Role::Admin).await;
    app.staff("second@example.com", Role::Admin).await;
    let second = app.sign_in("second@example.com", PASSWORD).await;
    let (id, q) = renewable(&app, &first).await;
    let price = q.price.value.cents();
    let before = app.sandbox.control.wallet_balance().cents();
    app.sandbox.control.set_latency(
        Some("/subscriptions/renew-subscriptions"),
        std::time::Duration::from_millis(300),
    );
    let (k1, k2) = (form_key(&app, &first).await, form_key(&app, &second).await);
    let (a, b) = tokio::join!(
        renew(&app, &first, &id, price, &k1),
        renew(&app, &second, &id, price, &k2)
    );
    assert_eq!(
        [&a, &b].iter().filter(|r| r.is_ok()).count(),
        1,
        "{} / {}",
        a.body,
        b.body
    );
    assert_eq!(renewals(&app), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - price);
}
