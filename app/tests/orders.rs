//! Orders over HTTP, against the CMR sandbox: prepared once per form (nothing charged), paid
//! once per order however it is confirmed (twice, from two sessions at once, after a lost
//! answer, through two instances), never with a short wallet, never by an editor, never above
//! the approval limit without a second admin; followed to CMR's final word; listed, searched,
//! exported and looked up.

use crate::common;

use app::model::order::{
    ConfirmOutcome, MailboxDraft, OrderDraft, OrderKind, OrderList, OrderLookup, OrderState,
    OrderView,
};
use app::model::Role;
use cmr::types::Money;
use cmr_sandbox::LifecycleTimings;
use common::{another_pool, fill_index, spawn_beside, spawn_with, Answer, TestApp, PASSWORD};
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

// ---- helpers ------------------------------------------------------------------------------

async fn ready(db: &PgPool, approval_above: Option<Money>) -> TestApp {
    let app = spawn_with(db.clone(), |c| {
        c.cmr_requests_per_second = 50;
        c.order_approval_above = approval_above;
    })
    .await;
    fill_index(&app, db).await;
    app
}

async fn signed_in(app: &TestApp, email: &str, role: Role) -> String {
    app.staff(email, role).await;
    app.sign_in(email, PASSWORD).await
}

fn ok<T: serde::de::DeserializeOwned>(answer: &Answer) -> T {
    assert!(answer.is_ok(), "{} {}", answer.status, answer.body);
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body))
}

async fn form_key(app: &TestApp, cookie: &str) -> String {
    ok(&app.call("/api/forms/key", Some(cookie), &[]).await)
}

/// A seeded customer (the first the sandbox lists).
fn customer(app: &TestApp) -> String {
    app.sandbox.control.users()[0].id.clone()
}

fn mailbox(domain: &str, username: &str) -> MailboxDraft {
    MailboxDraft {
        domain: domain.into(),
        username: username.into(),
        first_name: "Ada".into(),
        last_name: "Lovelace".into(),
    }
}

/// A new domain with two mailboxes.
fn draft(customer: &str, domain: &str, key: &str) -> OrderDraft {
    OrderDraft {
        customer_id: customer.into(),
        kind: OrderKind::NewDomains,
        domains: vec![domain.into()],
        years: 1,
        mailboxes: vec![mailbox(domain, "ada"), mailbox(domain, "grace")],
        idempotency_key: key.into(),
        ..OrderDraft::default()
    }
}

async fn prepare_answer(app: &TestApp, cookie: &str, draft: &OrderDraft) -> Answer {
    let res = app
        .http()
        .post(format!("{}/api/orders/prepare", app.url))
        .header("origin", &app.url)
        .header("sec-fetch-site", "same-origin")
        .header("cookie", format!("cmr_session={cookie}"))
        .json(&json!({ "draft": draft }))
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    Answer {
        status,
        cookie: None,
        headers,
        body: res.text().await.unwrap(),
    }
}

async fn prepare(app: &TestApp, cookie: &str, domain: &str) -> i64 {
    let key = form_key(app, cookie).await;
    ok(&prepare_answer(app, cookie, &draft(&customer(app), domain, &key)).await)
}

async fn view(app: &TestApp, cookie: &str, id: i64) -> OrderView {
    ok(&app
        .call("/api/orders/get", Some(cookie), &[("id", &id.to_string())])
        .await)
}

async fn confirm(app: &TestApp, cookie: &str, id: i64, total_cents: i64) -> Answer {
    let (id, total) = (id.to_string(), total_cents.to_string());
    app.call(
        "/api/orders/confirm",
        Some(cookie),
        &[("id", &id), ("total_cents", &total)],
    )
    .await
}

async fn approve(app: &TestApp, cookie: &str, id: i64, total_cents: i64) -> Answer {
    let (id, total) = (id.to_string(), total_cents.to_string());
    app.call(
        "/api/orders/approve",
        Some(cookie),
        &[("id", &id), ("total_cents", &total)],
    )
    .await
}

/// Asks CMR now (as "Check status now" does), past the manual gap.
async fn check(app: &TestApp, cookie: &str, id: i64) -> OrderView {
    app.clock.advance(Duration::from_secs(3));
    ok(&app
        .call(
            "/api/orders/check",
            Some(cookie),
            &[("id", &id.to_string())],
        )
        .await)
}

fn calls(app: &TestApp, path: &str) -> usize {
    app.sandbox.control.requests_to("POST", path).len()
}

fn total_of(order: &OrderView) -> i64 {
    order
        .row
        .total
        .as_ref()
        .expect("CMR priced the order")
        .value
        .cents()
}

fn quick_orders(app: &TestApp) {
    app.sandbox
        .control
        .set_timings(LifecycleTimings::uniform(Duration::from_millis(200)));
}

// ---- preparing ----------------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn one_form_prepares_one_unpaid_order_priced_by_cmr(db: PgPool) {
    let app = ready(&db, None).await;
    let editor = signed_in(&app, "editor@example.com", Role::Editor).await;
    let before = app.sandbox.control.wallet_balance();
    let key = form_key(&app, &editor).await;
    let order = draft(&customer(&app), "fresh-outreach.com", &key);

    let first: i64 = ok(&prepare_answer(&app, &editor, &order).await);
    let again: i64 = ok(&prepare_answer(&app, &editor, &order).await);
    assert_eq!(first, again, "a repeat of the form opens the same order");
    assert_eq!(calls(&app, "/orders/json"), 1);
    assert_eq!(
        app.sandbox.control.wallet_balance(),
        before,
        "nothing charged"
    );

    let shown = view(&app, &editor, first).await;
    assert_eq!(shown.row.state, OrderState::Prepared);
    assert!(shown.price_stated);
    // .com registration (14.50) + two mailboxes (2 × 3.00).
    assert_eq!(total_of(&shown), 2050);
    assert!(!shown.can_confirm, "an editor prepares, an admin confirms");
    let sent = &app.sandbox.control.requests_to("POST", "/orders/json")[0];
    let body = sent.body.clone().expect("a JSON body");
    assert_eq!(body["confirm"], false);
    assert_eq!(
        body["mailboxes"]["fresh-outreach.com"][1]["username"],
        "grace"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_orders_are_refused_field_by_field_before_cmr_is_asked(db: PgPool) {
    let app = ready(&db, None).await;
    let editor = signed_in(&app, "editor@example.com", Role::Editor).await;
    let key = form_key(&app, &editor).await;
    let mut bad = draft(&customer(&app), "not a domain", &key);
    bad.years = 0;
    bad.mailboxes[1].username = "bad name".into();
    let answer = prepare_answer(&app, &editor, &bad).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    for field in ["domains", "years", "mailbox.1.username"] {
        assert!(
            answer.error().field(field).is_some(),
            "{field}: {}",
            answer.body
        );
    }

    // A domain with a Google workspace already: CMR would fail the order later.
    let taken = draft(&customer(&app), "acme-workspace.com", &key);
    let answer = prepare_answer(&app, &editor, &taken).await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert!(answer
        .error()
        .field("domains")
        .unwrap()
        .contains("workspace"));

    // A domain the partner already has.
    let owned = app.sandbox.control.domains()[0].domain_name.clone();
    let answer = prepare_answer(&app, &editor, &draft(&customer(&app), &owned, &key)).await;
    assert!(answer
        .error()
        .field("domains")
        .unwrap()
        .contains("already registered"));

    assert_eq!(calls(&app, "/orders/json"), 0, "nothing was sent");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wallet_short_of_the_known_mailbox_price_is_refused_before_cmr_is_asked(db: PgPool) {
    let app = ready(&db, None).await;
    let editor = signed_in(&app, "editor@example.com", Role::Editor).await;
    app.sandbox
        .control
        .set_wallet_balance(Money::from_cents(500));
    let key = form_key(&app, &editor).await;
    let answer = prepare_answer(&app, &editor, &draft(&customer(&app), "short.com", &key)).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.body.contains("Top up the wallet"), "{}", answer.body);
    assert_eq!(calls(&app, "/orders/json"), 0);
}

// ---- paying once --------------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn confirming_twice_sends_one_paid_call_and_charges_once(db: PgPool) {
    let app = ready(&db, None).await;
    let admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    let id = prepare(&app, &admin, "twice.com").await;
    let order = view(&app, &admin, id).await;
    assert!(order.can_confirm);
    let before = app.sandbox.control.wallet_balance().cents();

    let sent: ConfirmOutcome = ok(&confirm(&app, &admin, id, total_of(&order)).await);
    assert_eq!(sent, ConfirmOutcome::Sent);
    let again = confirm(&app, &admin, id, total_of(&order)).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("confirmed before"), "{}", again.body);

    assert_eq!(calls(&app, "/orders/process"), 1);
    assert_eq!(
        app.sandbox.control.wallet_balance().cents(),
        before - total_of(&order)
    );
    let spent: Vec<(String, i64)> = sqlx::query_as(
        "SELECT outcome, amount_cents FROM spend_log WHERE action = 'order.confirm'",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(spent, [("charged".to_string(), total_of(&order))]);
}

#[sqlx::test(migrations = "../migrations")]
async fn two_admins_confirming_at_once_send_one_paid_call(db: PgPool) {
    let app = ready(&db, None).await;
    let first = signed_in(&app, "first@example.com", Role::Admin).await;
    let second = signed_in(&app, "second@example.com", Role::Admin).await;
    let id = prepare(&app, &first, "race.com").await;
    let total = total_of(&view(&app, &first, id).await);
    let before = app.sandbox.control.wallet_balance().cents();
    // CMR answers slowly, so both requests are in flight together.
    app.sandbox
        .control
        .set_latency(Some("/orders/process"), Duration::from_millis(300));

    let (a, b) = tokio::join!(
        confirm(&app, &first, id, total),
        confirm(&app, &second, id, total)
    );
    let oks = [&a, &b].iter().filter(|r| r.is_ok()).count();
    assert_eq!(oks, 1, "{} / {}", a.body, b.body);
    assert_eq!(calls(&app, "/orders/process"), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - total);
}

#[sqlx::test(migrations = "../migrations")]
async fn two_instances_confirming_at_once_send_one_paid_call(db: PgPool) {
    let app = ready(&db, None).await;
    let other_pool = another_pool(&db).await;
    let other = spawn_beside(&app, other_pool.clone()).await;
    let here = signed_in(&app, "here@example.com", Role::Admin).await;
    let there = signed_in(&other, "there@example.com", Role::Admin).await;
    let id = prepare(&app, &here, "two-instances.com").await;
    let total = total_of(&view(&app, &here, id).await);
    let before = app.sandbox.control.wallet_balance().cents();
    app.sandbox
        .control
        .set_latency(Some("/orders/process"), Duration::from_millis(300));

    let (a, b) = tokio::join!(
        confirm(&app, &here, id, total),
        confirm(&other, &there, id, total)
    );
    assert_eq!([&a, &b].iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(calls(&app, "/orders/process"), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - total);
    other_pool.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_lost_answer_is_never_resent_and_cmr_status_settles_it(db: PgPool) {
    let app = ready(&db, None).await;
    let admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    quick_orders(&app);
    let id = prepare(&app, &admin, "lost-answer.com").await;
    let total = total_of(&view(&app, &admin, id).await);
    let before = app.sandbox.control.wallet_balance().cents();
    // CMR processes the order, and the connection drops before its answer arrives.
    app.sandbox.control.drop_after_apply("/orders/process", 1);

    let lost = confirm(&app, &admin, id, total).await;
    assert!(!lost.is_ok());
    assert!(lost.body.contains("Outcome unknown"), "{}", lost.body);
    assert_eq!(view(&app, &admin, id).await.row.state, OrderState::Unknown);
    let retry = confirm(&app, &admin, id, total).await;
    assert!(!retry.is_ok());
    assert!(retry.body.contains("never sent again"), "{}", retry.body);
    assert_eq!(calls(&app, "/orders/process"), 1, "never re-sent");
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - total);

    // CMR's status shows the order went through: it is followed to completion.
    let mut state = OrderState::Unknown;
    for _ in 0..40 {
        state = check(&app, &admin, id).await.row.state;
        if state == OrderState::Completed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state, OrderState::Completed);
    let outcome: String =
        sqlx::query_scalar("SELECT outcome FROM spend_log WHERE action = 'order.confirm'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(outcome, "charged", "the unknown spend is confirmed");
    assert_eq!(calls(&app, "/orders/process"), 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_short_wallet_is_refused_before_the_paid_call(db: PgPool) {
    let app = ready(&db, None).await;
    let admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    let id = prepare(&app, &admin, "short-wallet.com").await;
    let total = total_of(&view(&app, &admin, id).await);
    app.sandbox
        .control
        .set_wallet_balance(Money::from_cents(total - 1));

    let answer = confirm(&app, &admin, id, total).await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(answer.body.contains("Top up the wallet"), "{}", answer.body);
    assert_eq!(calls(&app, "/orders/process"), 0);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), total - 1);
    assert_eq!(view(&app, &admin, id).await.row.state, OrderState::Prepared);

    // A total other than the order's is refused too (a stale page).
    app.sandbox
        .control
        .set_wallet_balance(Money::from_cents(1_000_000));
    let answer = confirm(&app, &admin, id, total - 100).await;
    assert!(
        answer.body.contains("not what the confirmation named"),
        "{}",
        answer.body
    );
    assert_eq!(calls(&app, "/orders/process"), 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_editor_prepares_but_cannot_confirm_and_a_viewer_cannot_prepare(db: PgPool) {
    let app = ready(&db, None).await;
    let editor = signed_in(&app, "editor@example.com", Role::Editor).await;
    let viewer = signed_in(&app, "viewer@example.com", Role::Viewer).await;
    let id = prepare(&app, &editor, "editor-order.com").await;
    let total = total_of(&view(&app, &editor, id).await);

    assert_eq!(confirm(&app, &editor, id, total).await.status, 403);
    assert_eq!(approve(&app, &editor, id, total).await.status, 403);
    let key = form_key(&app, &viewer).await;
    let refused = prepare_answer(&app, &viewer, &draft(&customer(&app), "viewer.com", &key)).await;
    assert_eq!(refused.status, 403);
    let form = app
        .call(
            "/api/orders/form",
            Some(&viewer),
            &[("customer_id", &customer(&app))],
        )
        .await;
    assert_eq!(form.status, 403, "a viewer is not offered the order form");
    assert_eq!(calls(&app, "/orders/process"), 0);
    assert_eq!(calls(&app, "/orders/json"), 1, "only the editor's");
}

#[sqlx::test(migrations = "../migrations")]
async fn above_the_approval_limit_a_second_admin_must_approve(db: PgPool) {
    let app = ready(&db, Some(Money::from_cents(1000))).await;
    let first = signed_in(&app, "first@example.com", Role::Admin).await;
    let second = signed_in(&app, "second@example.com", Role::Admin).await;
    let id = prepare(&app, &first, "big-order.com").await;
    let order = view(&app, &first, id).await;
    let total = total_of(&order);
    assert!(total > 1000);
    let before = app.sandbox.control.wallet_balance().cents();

    let waiting: ConfirmOutcome = ok(&confirm(&app, &first, id, total).await);
    assert_eq!(waiting, ConfirmOutcome::AwaitingApproval);
    assert_eq!(
        calls(&app, "/orders/process"),
        0,
        "nothing sent before approval"
    );
    assert!(!view(&app, &first, id).await.can_approve);
    let own = approve(&app, &first, id, total).await;
    assert!(own.body.contains("second admin"), "{}", own.body);
    assert_eq!(calls(&app, "/orders/process"), 0);

    assert!(view(&app, &second, id).await.can_approve);
    let sent: ConfirmOutcome = ok(&approve(&app, &second, id, total).await);
    assert_eq!(sent, ConfirmOutcome::Sent);
    assert_eq!(calls(&app, "/orders/process"), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - total);
    let shown = view(&app, &second, id).await;
    assert!(shown.confirmed_by.is_some() && shown.approved_by.is_some());
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'order.%' ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(actions, ["order.create", "order.confirm", "order.approve"]);
}

// ---- following ----------------------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn an_order_is_followed_to_completion_and_its_webhooks_fill_in_what_it_made(db: PgPool) {
    let app = ready(&db, None).await;
    let admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    quick_orders(&app);
    app.sandbox
        .control
        .send_webhooks_to(Some(format!("{}/webhooks/cmr", app.url)));
    let id = prepare(&app, &admin, "followed.com").await;
    let total = total_of(&view(&app, &admin, id).await);
    let _: ConfirmOutcome = ok(&confirm(&app, &admin, id, total).await);

    let mut order = view(&app, &admin, id).await;
    for _ in 0..60 {
        order = check(&app, &admin, id).await;
        let made = order
            .mailboxes
            .iter()
            .all(|m| m.status.as_deref() == Some("ACTIVE"));
        if order.row.state == OrderState::Completed && made {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(order.row.state, OrderState::Completed, "{:?}", order.events);
    assert_eq!(order.domains[0].status.as_deref(), Some("ACTIVE"));
    let emails: Vec<&str> = order.mailboxes.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(emails, ["ada@followed.com", "grace@followed.com"]);
    assert!(order
        .mailboxes
        .iter()
        .all(|m| m.status.as_deref() == Some("ACTIVE")));
    assert!(
        order
            .events
            .iter()
            .any(|e| e.source == "webhook" && e.status == "domain.order.success"),
        "{:?}",
        order.events
    );
    // Polling after the end asks CMR nothing more.
    let asked = app
        .sandbox
        .control
        .requests_to("GET", "/orders/status")
        .len();
    check(&app, &admin, id).await;
    assert_eq!(
        app.sandbox
            .control
            .requests_to("GET", "/orders/status")
            .len(),
        asked
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_failed_order_says_why(db: PgPool) {
    let app = ready(&db, None).await;
    let admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    quick_orders(&app);
    app.sandbox
        .control
        .fail_domain_order("doomed.com", "Domain is taken at the registry");
    let id = prepare(&app, &admin, "doomed.com").await;
    let total = total_of(&view(&app, &admin, id).await);
    let _: ConfirmOutcome = ok(&confirm(&app, &admin, id, total).await);
    let mut order = view(&app, &admin, id).await;
    for _ in 0..40 {
        order = check(&app, &admin, id).await;
        if order.row.state.is_final() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(order.row.state, OrderState::Failed);
    assert!(
        order.note.as_deref().unwrap_or_default().contains("taken"),
        "{:?}",
        order.note
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_status_call_is_shared_by_everyone_watching_an_order(db: PgPool) {
    let app = ready(&db, None).await;
    let admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    app.sandbox
        .control
        .set_timings(LifecycleTimings::uniform(Duration::from_secs(600)));
    let id = prepare(&app, &admin, "watched.com").await;
    let total = total_of(&view(&app, &admin, id).await);
    let _: ConfirmOutcome = ok(&confirm(&app, &admin, id, total).await);
    app.sandbox.control.clear_requests();

    // Twenty open pages poll at once: one of them asks CMR, the rest read the database.
    let mut polls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let request = app
            .http()
            .post(format!("{}/api/orders/status", app.url))
            .header("origin", &app.url)
            .header("sec-fetch-site", "same-origin")
            .header("cookie", format!("cmr_session={admin}"))
            .form(&[("id", id.to_string())]);
        polls.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    while let Some(status) = polls.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(
        app.sandbox
            .control
            .requests_to("GET", "/orders/status")
            .len(),
        1
    );
}

// ---- list, export, look-up ---------------------------------------------------------------

#[sqlx::test(migrations = "../migrations")]
async fn orders_are_listed_by_tab_searched_exported_and_looked_up(db: PgPool) {
    let app = ready(&db, None).await;
    let admin = signed_in(&app, "admin@example.com", Role::Admin).await;
    let viewer = signed_in(&app, "viewer@example.com", Role::Viewer).await;
    let paid = prepare(&app, &admin, "listed-paid.com").await;
    let _unpaid = prepare(&app, &admin, "listed-unpaid.com").await;
    let total = total_of(&view(&app, &admin, paid).await);
    let _: ConfirmOutcome = ok(&confirm(&app, &admin, paid, total).await);

    let list = |tab: &'static str, q: &'static str| {
        let viewer = viewer.clone();
        let app = &app;
        async move {
            let answer = app
                .call(
                    "/api/orders/list",
                    Some(&viewer),
                    &[
                        ("filter[tab]", tab),
                        ("filter[q]", q),
                        ("filter[page]", "1"),
                    ],
                )
                .await;
            ok::<OrderList>(&answer)
        }
    };
    let all = list("all", "").await;
    assert_eq!(all.total, 2);
    assert!(!all.can_order, "a viewer sees orders but cannot place one");
    let unconfirmed = list("unconfirmed", "").await;
    assert_eq!(unconfirmed.rows.len(), 1);
    assert_eq!(unconfirmed.rows[0].domains, ["listed-unpaid.com"]);
    assert_eq!(
        list("pending", "").await.rows[0].domains,
        ["listed-paid.com"]
    );
    assert_eq!(list("all", "listed-paid").await.total, 1);
    // Wildcards are searched for as themselves, not as "everything".
    assert_eq!(list("all", "%").await.total, 0);
    assert_eq!(list("all", "listed_paid").await.total, 0);
    let cmr_id = all.rows[0].cmr_order_id.clone().unwrap();
    let by_id = app
        .call(
            "/api/orders/list",
            Some(&viewer),
            &[
                ("filter[tab]", "all"),
                ("filter[q]", &cmr_id),
                ("filter[page]", "1"),
            ],
        )
        .await;
    assert_eq!(ok::<OrderList>(&by_id).total, 1);

    let csv = app
        .get("/orders/export.csv?tab=unconfirmed", Some(&viewer))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("created,cmr_order_id"), "{}", csv.body);
    assert!(csv.body.contains("listed-unpaid.com") && !csv.body.contains("listed-paid.com"));

    let found: OrderLookup = ok(&app
        .call(
            "/api/orders/lookup",
            Some(&viewer),
            &[("customer", &customer(&app)), ("order_id", &cmr_id)],
        )
        .await);
    assert!(found.local_id.is_some());
    let missing = app
        .call(
            "/api/orders/lookup",
            Some(&viewer),
            &[("customer", &customer(&app)), ("order_id", "NO-SUCH-ORDER")],
        )
        .await;
    assert!(missing.body.contains("no order"), "{}", missing.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn every_order_function_refuses_a_call_without_a_session(db: PgPool) {
    let app = ready(&db, None).await;
    for path in [
        "/api/orders/list",
        "/api/orders/get",
        "/api/orders/status",
        "/api/orders/check",
        "/api/orders/form",
        "/api/orders/prepare",
        "/api/orders/confirm",
        "/api/orders/approve",
        "/api/orders/lookup",
    ] {
        let answer = app.call(path, None, &[("id", "1")]).await;
        assert_eq!(answer.status, 401, "{path}: {}", answer.body);
    }
    assert_ne!(app.get("/orders/export.csv", None).await.status, 200);
    assert_eq!(
        calls(&app, "/orders/json") + calls(&app, "/orders/process"),
        0
    );
}
