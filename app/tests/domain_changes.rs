//! Changes to domains over HTTP, against the CMR sandbox: renewals (sent once per form and
//! once per domain and period, never with a short wallet, never by an editor, never outside
//! the window, never re-sent after a lost answer), bulk auto-renew, forwarding, removal and
//! DNS saves (exact CMR bodies, validation, stale edits, a failure part way).

use crate::common;

use app::error::AppError;
use app::model::dns::{DnsZone, RecordDraft, SaveReport};
use app::model::domain::{BulkOutcome, DomainDetail, DomainList};
use app::model::renewal::{RenewalOutcome, RenewalQuote, RenewalResult};
use app::model::spend::SpendSummary;
use app::model::Role;
use cmr::types::{Domain, DomainStatus, MailboxStatus, Money, RecordType};
use cmr_sandbox::LifecycleTimings;
use common::{fill_index, spawn_with, Answer, TestApp, PASSWORD};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

// ---- helpers ------------------------------------------------------------------------------

/// The app with the partner index filled (the domain features find owners there).
///
/// CMR's budget is raised from the production 5 calls a second: filling the index takes 44
/// calls, which would otherwise be most of each test's time. Nothing here depends on pacing.
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

async fn post(app: &TestApp, path: &str, cookie: &str, form: &[(String, String)]) -> Answer {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.call(path, Some(cookie), &pairs).await
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ok<T: serde::de::DeserializeOwned>(answer: &Answer) -> T {
    assert!(answer.is_ok(), "{} {}", answer.status, answer.body);
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body))
}

fn owner_of(d: &Domain) -> String {
    d.extra["userId"].as_str().unwrap().to_string()
}

/// Days from today (UTC, as the sandbox counts) to the domain's expiry.
fn days_left(d: &Domain) -> i64 {
    let expiry = d.expiry_date.as_deref().and_then(|t| t.get(..10)).unwrap();
    let expiry = time::Date::parse(
        expiry,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap();
    (expiry - time::OffsetDateTime::now_utc().date()).whole_days()
}

/// An ACTIVE domain well inside its renewal window.
fn renewable_domain(app: &TestApp) -> Domain {
    app.sandbox
        .control
        .domains()
        .into_iter()
        .find(|d| d.status == DomainStatus::Active && (2..=40).contains(&days_left(d)))
        .expect("a seeded domain inside its renewal window")
}

/// Renewals stay RENEWING for the whole test (unless a test shortens this again).
fn slow_renewals(app: &TestApp) {
    let timings = LifecycleTimings {
        renewal_step: Duration::from_secs(600),
        ..app.sandbox.control.timings()
    };
    app.sandbox.control.set_timings(timings);
}

async fn form_key(app: &TestApp, cookie: &str) -> String {
    ok(&app.call("/api/forms/key", Some(cookie), &[]).await)
}

async fn quote(app: &TestApp, cookie: &str, names: &[&str]) -> RenewalQuote {
    ok(&quote_answer(app, cookie, names).await)
}

async fn quote_answer(app: &TestApp, cookie: &str, names: &[&str]) -> Answer {
    let form: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("domains[{i}]"), n.to_string()))
        .collect();
    post(app, "/api/domains/renewal_quote", cookie, &form).await
}

async fn renew(app: &TestApp, cookie: &str, names: &[&str], total_cents: i64, key: &str) -> Answer {
    let mut form: Vec<(String, String)> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("request[domains][{i}]"), n.to_string()))
        .collect();
    form.push(("request[total_cents]".into(), total_cents.to_string()));
    form.push(("request[idempotency_key]".into(), key.to_string()));
    post(app, "/api/domains/renew", cookie, &form).await
}

fn renew_calls(app: &TestApp) -> usize {
    app.sandbox
        .control
        .requests_to("POST", "/domains/renew")
        .len()
}

fn sandbox_domain(app: &TestApp, name: &str) -> Option<Domain> {
    app.sandbox
        .control
        .domains()
        .into_iter()
        .find(|d| d.domain_name == name)
}

async fn detail(app: &TestApp, cookie: &str, name: &str) -> DomainDetail {
    let answer = app
        .call(
            "/api/domains/get",
            Some(cookie),
            &[("name", name), ("fresh", "true")],
        )
        .await;
    ok(&answer)
}

async fn audit_targets(app: &TestApp, action: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT coalesce(target_id, '') FROM audit_log WHERE action = $1 ORDER BY target_id",
    )
    .bind(action)
    .fetch_all(&app.state.db)
    .await
    .unwrap()
}

async fn audit_outcomes(app: &TestApp, action: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT outcome FROM audit_log WHERE action = $1 ORDER BY id")
        .bind(action)
        .fetch_all(&app.state.db)
        .await
        .unwrap()
}

// ---- renewals -----------------------------------------------------------------------------

/// One form submitted eight times at once, then once more, renews and charges exactly once.
#[sqlx::test(migrations = "../migrations")]
async fn one_form_sent_nine_times_renews_and_charges_once(db: PgPool) {
    let app = ready(&db).await;
    slow_renewals(&app);
    let admin = signed_in(&app, Role::Admin).await;
    let domain = renewable_domain(&app);
    let name = domain.domain_name.clone();

    let review = quote(&app, &admin, &[&name]).await;
    assert_eq!(review.lines.len(), 1);
    assert_eq!(review.lines[0].refused, None, "{review:?}");
    assert_eq!(review.blocked, None, "{review:?}");
    let total = review.total.value.cents();
    assert!(total > 0);
    assert_eq!(
        Some(review.total.value),
        review.lines[0].price.as_ref().map(|p| p.value)
    );
    let before = app.sandbox.control.wallet_balance().cents();
    app.sandbox.control.clear_requests();

    let key = form_key(&app, &admin).await;
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, admin, name, key) = (app.clone(), admin.clone(), name.clone(), key.clone());
            tokio::spawn(async move { renew(&app, &admin, &[&name], total, &key).await })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let queued = RenewalOutcome {
        groups: vec![(vec![name.clone()], RenewalResult::Queued)],
    };
    let mut done = 0;
    for answer in &answers {
        if answer.is_ok() {
            assert_eq!(ok::<RenewalOutcome>(answer), queued);
            done += 1;
        } else {
            let AppError::Rejected(message) = answer.error() else {
                panic!("{} {}", answer.status, answer.body)
            };
            assert!(message.contains("already being sent"), "{message}");
        }
    }
    assert!(done >= 1, "one of them went through");

    // A reload of the confirmation replays the first answer.
    let again = renew(&app, &admin, &[&name], total, &key).await;
    assert_eq!(ok::<RenewalOutcome>(&again), queued);

    assert_eq!(renew_calls(&app), 1, "exactly one renewal reached CMR");
    assert_eq!(
        app.sandbox.control.wallet_balance().cents(),
        before - total,
        "charged once, the quoted total"
    );
    assert_eq!(detail(&app, &admin, &name).await.row.status, "RENEWING");
    assert_eq!(audit_targets(&app, "domain.renew").await, [name.as_str()]);

    // The spend log holds the one charge: in the wallet page's sums and in its CSV.
    assert_eq!(
        spend_rows(&app).await,
        [(name.clone(), total, "charged".to_string())]
    );
    let summary: SpendSummary = ok(&app.call("/api/wallet/spend", Some(&admin), &[]).await);
    assert_eq!(summary.months.len(), 1);
    assert_eq!(summary.months[0].charged.value.cents(), total);
    assert_eq!(summary.months[0].items, 1);
    assert_eq!(summary.customers[0].charged.value.cents(), total);
    let csv = app.get("/wallet/spend.csv", Some(&admin)).await;
    assert!(csv.is_ok(), "{}", csv.body);
    let lines: Vec<&str> = csv.body.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(lines[1].contains(&format!(",{name},")), "{}", lines[1]);
    assert!(lines[1].ends_with(",charged"), "{}", lines[1]);
}

/// The spend log's rows: (item, cents, outcome), oldest first.
async fn spend_rows(app: &TestApp) -> Vec<(String, i64, String)> {
    sqlx::query_as("SELECT target, amount_cents, outcome FROM spend_log ORDER BY id")
        .fetch_all(&app.state.db)
        .await
        .unwrap()
}

/// Two forms (two tabs) renewing the same domain at once: one renewal reaches CMR.
#[sqlx::test(migrations = "../migrations")]
async fn two_forms_for_the_same_domain_at_once_send_one_renewal(db: PgPool) {
    let app = ready(&db).await;
    slow_renewals(&app);
    let admin = signed_in(&app, Role::Admin).await;
    let name = renewable_domain(&app).domain_name;
    let total = quote(&app, &admin, &[&name]).await.total.value.cents();
    let before = app.sandbox.control.wallet_balance().cents();
    let (first, second) = (form_key(&app, &admin).await, form_key(&app, &admin).await);
    assert_ne!(first, second);
    app.sandbox.control.clear_requests();

    let names = [name.as_str()];
    let (a, b) = tokio::join!(
        renew(&app, &admin, &names, total, &first),
        renew(&app, &admin, &names, total, &second),
    );
    let (went, refused) = match (a.is_ok(), b.is_ok()) {
        (true, false) => (a, b),
        (false, true) => (b, a),
        _ => panic!("exactly one may go through:\n{}\n{}", a.body, b.body),
    };
    assert_eq!(
        ok::<RenewalOutcome>(&went).groups,
        [(vec![name.clone()], RenewalResult::Queued)]
    );
    let AppError::Rejected(message) = refused.error() else {
        panic!("{}", refused.body)
    };
    assert!(message.contains("Nothing was renewed"), "{message}");
    assert_eq!(renew_calls(&app), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - total);
}

/// A wallet short of the price blocks the review and the renewal; CMR's renew is never called.
#[sqlx::test(migrations = "../migrations")]
async fn a_short_wallet_is_refused_before_cmr_is_asked_to_renew(db: PgPool) {
    let app = ready(&db).await;
    let admin = signed_in(&app, Role::Admin).await;
    let name = renewable_domain(&app).domain_name;
    let price = quote(&app, &admin, &[&name]).await.total.value.cents();
    app.sandbox
        .control
        .set_wallet_balance(Money::from_cents(price - 1));
    app.sandbox.control.clear_requests();

    let review = quote(&app, &admin, &[&name]).await;
    let blocked = review.blocked.clone().expect("the review is blocked");
    assert!(blocked.contains("Top up"), "{blocked}");
    assert_eq!(review.total.value.cents(), price);

    let key = form_key(&app, &admin).await;
    let answer = renew(&app, &admin, &[&name], price, &key).await;
    let AppError::Rejected(message) = answer.error() else {
        panic!("{}", answer.body)
    };
    assert!(message.contains("Nothing was renewed"), "{message}");
    assert_eq!(renew_calls(&app), 0);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), price - 1);
    assert_eq!(
        sandbox_domain(&app, &name).unwrap().status,
        DomainStatus::Active
    );
}

/// Editors cannot review or renew, viewers cannot toggle auto-renew; nothing reaches CMR.
#[sqlx::test(migrations = "../migrations")]
async fn renewing_needs_an_admin_and_auto_renew_an_editor(db: PgPool) {
    let app = ready(&db).await;
    let editor = signed_in(&app, Role::Editor).await;
    let viewer = signed_in(&app, Role::Viewer).await;
    let name = renewable_domain(&app).domain_name;
    app.sandbox.control.clear_requests();

    assert_eq!(
        quote_answer(&app, &editor, &[&name]).await.error(),
        AppError::Forbidden
    );
    let key = form_key(&app, &editor).await;
    assert_eq!(
        renew(&app, &editor, &[&name], 1450, &key).await.error(),
        AppError::Forbidden
    );
    let toggle = pairs(&[("domains[0]", name.as_str()), ("on", "false")]);
    assert_eq!(
        post(&app, "/api/domains/auto_renew", &viewer, &toggle)
            .await
            .error(),
        AppError::Forbidden
    );
    assert!(
        app.sandbox.control.requests().is_empty(),
        "CMR was not called: {:?}",
        app.sandbox.control.requests()
    );
}

/// A domain expiring in more than 45 days is refused in the review and at renewal.
#[sqlx::test(migrations = "../migrations")]
async fn a_domain_outside_its_window_is_refused_before_cmr_is_called(db: PgPool) {
    let app = ready(&db).await;
    let admin = signed_in(&app, Role::Admin).await;
    let far = app
        .sandbox
        .control
        .domains()
        .into_iter()
        .find(|d| d.status == DomainStatus::Active && days_left(d) > 45)
        .expect("a seeded domain far from expiry");
    let name = far.domain_name;

    let review = quote(&app, &admin, &[&name]).await;
    let reason = review.lines[0].refused.clone().expect("refused");
    assert!(reason.contains("45 days"), "{reason}");
    assert!(review.blocked.is_some());
    assert_eq!(review.total.value.cents(), 0);

    app.sandbox.control.clear_requests();
    let key = form_key(&app, &admin).await;
    let answer = renew(&app, &admin, &[&name], 0, &key).await;
    let AppError::Rejected(message) = answer.error() else {
        panic!("{}", answer.body)
    };
    assert!(message.contains("45 days"), "{message}");
    assert_eq!(renew_calls(&app), 0);
}

/// A renewal whose request never reached CMR's books is reported unknown and never re-sent.
#[sqlx::test(migrations = "../migrations")]
async fn a_renewal_lost_on_the_way_is_unknown_and_never_sent_again(db: PgPool) {
    let app = ready(&db).await;
    slow_renewals(&app);
    let admin = signed_in(&app, Role::Admin).await;
    let name = renewable_domain(&app).domain_name;
    let total = quote(&app, &admin, &[&name]).await.total.value.cents();
    let before = app.sandbox.control.wallet_balance().cents();
    app.sandbox.control.drop_connection("/domains/renew", 1);
    app.sandbox.control.clear_requests();

    let key = form_key(&app, &admin).await;
    let outcome: RenewalOutcome = ok(&renew(&app, &admin, &[&name], total, &key).await);
    let [(names, RenewalResult::Unknown(message))] = outcome.groups.as_slice() else {
        panic!("expected an unknown outcome: {outcome:?}")
    };
    assert_eq!(names, std::slice::from_ref(&name));
    assert!(message.starts_with("Outcome unknown"), "{message}");
    assert_eq!(renew_calls(&app), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before);

    // The same form again: not re-sent.
    let again = renew(&app, &admin, &[&name], total, &key).await;
    assert!(
        matches!(again.error(), AppError::OutcomeUnknown(_)),
        "{}",
        again.body
    );
    // A new form for the same domain and period: refused by the period guard.
    let other = form_key(&app, &admin).await;
    let answer = renew(&app, &admin, &[&name], total, &other).await;
    let AppError::Rejected(message) = answer.error() else {
        panic!("{}", answer.body)
    };
    assert!(message.contains("answer was lost"), "{message}");
    assert_eq!(renew_calls(&app), 1, "never sent a second time");
    assert_eq!(audit_outcomes(&app, "domain.renew").await, ["unknown"]);
    assert_eq!(
        spend_rows(&app).await,
        [(name.clone(), total, "unknown".to_string())]
    );

    // Once a fresh read can tell (15 minutes on) and still shows no renewal, a new form may
    // renew it; the lost form itself stays answered "unknown".
    app.clock.advance(std::time::Duration::from_secs(16 * 60));
    let later = form_key(&app, &admin).await;
    let outcome: RenewalOutcome = ok(&renew(&app, &admin, &[&name], total, &later).await);
    assert!(
        matches!(outcome.groups.as_slice(), [(_, RenewalResult::Queued)]),
        "{outcome:?}"
    );
    assert_eq!(renew_calls(&app), 2);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - total);
    let again = renew(&app, &admin, &[&name], total, &key).await;
    assert!(
        matches!(again.error(), AppError::OutcomeUnknown(_)),
        "{}",
        again.body
    );
}

/// A renewal CMR applied but whose answer was lost is settled as queued by a re-read.
#[sqlx::test(migrations = "../migrations")]
async fn a_renewal_applied_with_its_answer_lost_settles_as_queued(db: PgPool) {
    let app = ready(&db).await;
    slow_renewals(&app);
    let admin = signed_in(&app, Role::Admin).await;
    let name = renewable_domain(&app).domain_name;
    let total = quote(&app, &admin, &[&name]).await.total.value.cents();
    let before = app.sandbox.control.wallet_balance().cents();
    app.sandbox.control.drop_after_apply("/domains/renew", 1);
    app.sandbox.control.clear_requests();

    let key = form_key(&app, &admin).await;
    let queued = vec![(vec![name.clone()], RenewalResult::Queued)];
    let outcome: RenewalOutcome = ok(&renew(&app, &admin, &[&name], total, &key).await);
    assert_eq!(outcome.groups, queued);
    assert_eq!(renew_calls(&app), 1);
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - total);

    let replay: RenewalOutcome = ok(&renew(&app, &admin, &[&name], total, &key).await);
    assert_eq!(replay.groups, queued);
    let other = form_key(&app, &admin).await;
    let answer = renew(&app, &admin, &[&name], total, &other).await;
    assert!(
        matches!(answer.error(), AppError::Rejected(_)),
        "{}",
        answer.body
    );
    assert_eq!(renew_calls(&app), 1, "no second call");
    assert_eq!(app.sandbox.control.wallet_balance().cents(), before - total);
    assert_eq!(audit_outcomes(&app, "domain.renew").await, ["ok"]);
    assert_eq!(detail(&app, &admin, &name).await.row.status, "RENEWING");
}

// ---- settings -----------------------------------------------------------------------------

/// Auto-renew for three domains of two customers: one CMR call per customer, one audit row per
/// domain, and CMR shows the new flag.
#[sqlx::test(migrations = "../migrations")]
async fn bulk_auto_renew_calls_cmr_once_per_customer(db: PgPool) {
    let app = ready(&db).await;
    let editor = signed_in(&app, Role::Editor).await;
    let mut by_owner: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in app.sandbox.control.domains() {
        by_owner
            .entry(owner_of(&d))
            .or_default()
            .push(d.domain_name.clone());
    }
    let pair = by_owner
        .values()
        .find(|names| names.len() == 2)
        .expect("a customer with two domains")
        .clone();
    let single = by_owner
        .values()
        .find(|names| names.len() == 1)
        .expect("a customer with one domain")
        .clone();
    let mut chosen: Vec<String> = pair.iter().chain(&single).cloned().collect();
    chosen.sort();
    // Start from `on` everywhere, so turning it off changes every one.
    for d in app.sandbox.control.domains() {
        if chosen.contains(&d.domain_name) && !d.auto_renew {
            let owner = owner_of(&d);
            app.state
                .cmr
                .set_domain_auto_renew(&owner, &[d.domain_name.as_str()], true)
                .await
                .unwrap();
        }
    }
    app.sandbox.control.clear_requests();

    let mut form: Vec<(String, String)> = chosen
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("domains[{i}]"), n.clone()))
        .collect();
    form.push(("on".into(), "false".into()));
    let outcome: BulkOutcome = ok(&post(&app, "/api/domains/auto_renew", &editor, &form).await);
    assert_eq!(outcome.len(), 2, "{outcome:?}");
    assert!(
        outcome.iter().all(|(_, result)| result.is_ok()),
        "{outcome:?}"
    );

    let patches = app
        .sandbox
        .control
        .requests_to("PATCH", "/domains/toggle-auto-renew");
    assert_eq!(patches.len(), 2, "one call per customer");
    let mut sent: Vec<Value> = patches.iter().map(|r| r.body.clone().unwrap()).collect();
    sent.sort_by_key(|b| b["domains"].as_array().unwrap().len());
    let owner = |name: &str| owner_of(&sandbox_domain(&app, name).unwrap());
    let mut pair_sorted = pair.clone();
    pair_sorted.sort();
    let mut pair_sent: Vec<String> = serde_json::from_value(sent[1]["domains"].clone()).unwrap();
    pair_sent.sort();
    assert_eq!(pair_sent, pair_sorted);
    assert_eq!(sent[1]["userId"], json!(owner(&pair[0])));
    assert_eq!(sent[1]["autoRenew"], json!(false));
    assert_eq!(
        sent[0],
        json!({ "userId": owner(&single[0]), "domains": single, "autoRenew": false })
    );

    for name in &chosen {
        assert!(!sandbox_domain(&app, name).unwrap().auto_renew, "{name}");
    }
    assert_eq!(audit_targets(&app, "domain.auto_renew").await, chosen);

    // Asked again, the audit's "before" is what the dashboard last knew (off), not a guess.
    let again: BulkOutcome = ok(&post(&app, "/api/domains/auto_renew", &editor, &form).await);
    assert!(again.iter().all(|(_, result)| result.is_ok()), "{again:?}");
    let befores: Vec<Value> = sqlx::query_scalar(
        "SELECT changes->0->'before' FROM audit_log WHERE action = 'domain.auto_renew'
          ORDER BY id DESC LIMIT 3",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(befores, vec![json!(false); 3]);
}

/// URL forwarding: a bad address is refused at its field; a good one is sent as
/// `{userId, domain, forwardTo}` and shows as requested until CMR applies it.
#[sqlx::test(migrations = "../migrations")]
async fn url_forwarding_is_checked_sent_and_shown_requested_then_active(db: PgPool) {
    let app = ready(&db).await;
    slow_renewals(&app); // CMR applies forwarding after one renewal step.
    let editor = signed_in(&app, Role::Editor).await;
    let domain = app
        .sandbox
        .control
        .domains()
        .into_iter()
        .find(|d| d.status == DomainStatus::Active)
        .unwrap();
    let (name, owner) = (domain.domain_name.clone(), owner_of(&domain));
    app.sandbox.control.clear_requests();

    let bad = pairs(&[
        ("name", name.as_str()),
        ("kind", "Url"),
        ("target", "landing page"),
    ]);
    let answer = post(&app, "/api/domains/forwarding", &editor, &bad).await;
    assert!(answer.error().field("target").is_some(), "{}", answer.body);
    assert!(
        app.sandbox.control.requests().is_empty(),
        "CMR was not called"
    );

    let url = "https://landing.example.org/offer";
    let good = pairs(&[("name", name.as_str()), ("kind", "Url"), ("target", url)]);
    let answer = post(&app, "/api/domains/forwarding", &editor, &good).await;
    assert!(answer.is_ok(), "{}", answer.body);
    let sent = app
        .sandbox
        .control
        .requests_to("POST", "/domains/domain-forwarding");
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body,
        Some(json!({ "userId": owner, "domain": name, "forwardTo": url }))
    );

    let page = detail(&app, &editor, &name).await;
    assert_eq!(
        page.url_forwarding
            .requested
            .as_ref()
            .map(|(to, _)| to.as_str()),
        Some(url)
    );
    assert_ne!(page.url_forwarding.active.as_deref(), Some(url));

    // CMR applies it (the step is shortened for the change already in progress).
    let timings = LifecycleTimings {
        renewal_step: Duration::from_millis(1),
        ..app.sandbox.control.timings()
    };
    app.sandbox.control.set_timings(timings);
    let page = detail(&app, &editor, &name).await;
    assert_eq!(page.url_forwarding.active.as_deref(), Some(url));
    assert_eq!(page.url_forwarding.requested, None);
}

/// Email forwarding on a domain whose mailboxes are not all ACTIVE is refused before CMR is
/// asked to forward.
#[sqlx::test(migrations = "../migrations")]
async fn email_forwarding_waits_for_every_mailbox_to_be_active(db: PgPool) {
    let app = ready(&db).await;
    let editor = signed_in(&app, Role::Editor).await;
    let waiting = app
        .sandbox
        .control
        .mailboxes()
        .into_iter()
        .find(|m| m.status != MailboxStatus::Active)
        .expect("a mailbox that is not ACTIVE");
    app.sandbox.control.clear_requests();

    let form = pairs(&[
        ("name", waiting.domain.as_str()),
        ("kind", "Email"),
        ("target", "ops@example.org"),
    ]);
    let answer = post(&app, "/api/domains/forwarding", &editor, &form).await;
    let AppError::Rejected(message) = answer.error() else {
        panic!("{}", answer.body)
    };
    assert!(message.contains(&waiting.email), "{message}");
    assert!(app
        .sandbox
        .control
        .requests_to("POST", "/domains/email-forwarding")
        .is_empty());
    assert!(
        app.sandbox
            .control
            .requests()
            .iter()
            .all(|r| r.method == "GET"),
        "only reads reached CMR"
    );
}

/// Removal needs the typed name, is refused (naming them) while mailboxes remain, and
/// otherwise removes the domain at CMR and from the list.
#[sqlx::test(migrations = "../migrations")]
async fn removing_a_domain_needs_its_name_and_no_mailboxes(db: PgPool) {
    let app = ready(&db).await;
    let admin = signed_in(&app, Role::Admin).await;
    let domains = app.sandbox.control.domains();
    let mailboxes = app.sandbox.control.mailboxes();
    let boxes_of = |name: &str| -> Vec<String> {
        mailboxes
            .iter()
            .filter(|m| m.domain == name)
            .map(|m| m.email.clone())
            .collect()
    };
    let busy = domains
        .iter()
        .find(|d| !boxes_of(&d.domain_name).is_empty())
        .unwrap();
    let free = domains
        .iter()
        .find(|d| boxes_of(&d.domain_name).is_empty())
        .expect("a domain without mailboxes");
    let form = |d: &Domain, typed: &str| {
        pairs(&[
            ("name", d.domain_name.as_str()),
            ("customer_id", owner_of(d).as_str()),
            ("confirm_name", typed),
        ])
    };
    app.sandbox.control.clear_requests();

    let answer = post(
        &app,
        "/api/domains/remove",
        &admin,
        &form(free, "wrong.com"),
    )
    .await;
    assert!(
        answer.error().field("confirm_name").is_some(),
        "{}",
        answer.body
    );

    let answer = post(
        &app,
        "/api/domains/remove",
        &admin,
        &form(busy, &busy.domain_name),
    )
    .await;
    let AppError::Rejected(message) = answer.error() else {
        panic!("{}", answer.body)
    };
    for email in boxes_of(&busy.domain_name) {
        assert!(message.contains(&email), "{email} in {message}");
    }
    assert!(app
        .sandbox
        .control
        .requests_to("DELETE", "/domains/remove")
        .is_empty());

    let answer = post(
        &app,
        "/api/domains/remove",
        &admin,
        &form(free, &free.domain_name.to_uppercase()),
    )
    .await;
    assert!(answer.status < 400, "{} {}", answer.status, answer.body);
    let removes = app.sandbox.control.requests_to("DELETE", "/domains/remove");
    assert_eq!(removes.len(), 1);
    assert_eq!(removes[0].param("userId"), Some(owner_of(free).as_str()));
    assert_eq!(
        removes[0].body,
        Some(json!({ "domains": [free.domain_name] }))
    );
    assert!(sandbox_domain(&app, &free.domain_name).is_none());
    let list: DomainList = ok(&app
        .call(
            "/api/domains/list",
            Some(&admin),
            &[("filter[q]", &free.domain_name)],
        )
        .await);
    assert!(
        list.rows.iter().all(|r| r.name != free.domain_name),
        "{list:?}"
    );
    assert_eq!(
        audit_targets(&app, "domain.remove").await,
        [free.domain_name.as_str()]
    );
}

// ---- DNS ----------------------------------------------------------------------------------

async fn zone(app: &TestApp, cookie: &str, name: &str) -> Vec<RecordDraft> {
    let zone: DnsZone = ok(&app
        .call("/api/dns/zone", Some(cookie), &[("name", name)])
        .await);
    assert_eq!(zone.domain, name);
    zone.records.into_iter().map(|r| r.draft).collect()
}

async fn save_answer(
    app: &TestApp,
    cookie: &str,
    name: &str,
    seen: &[RecordDraft],
    edited: &[RecordDraft],
) -> Answer {
    // The save travels as JSON (as the editor sends it), the other calls as forms.
    let res = app
        .http()
        .post(format!("{}/api/dns/save", app.url))
        .header("origin", &app.url)
        .header("sec-fetch-site", "same-origin")
        .header("cookie", format!("cmr_session={cookie}"))
        .json(&json!({ "name": name, "seen": seen, "edited": edited }))
        .send()
        .await
        .unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    let body = res.text().await.unwrap();
    Answer {
        status,
        cookie: None,
        headers,
        body,
    }
}

async fn save(
    app: &TestApp,
    cookie: &str,
    name: &str,
    seen: &[RecordDraft],
    edited: &[RecordDraft],
) -> SaveReport {
    ok(&save_answer(app, cookie, name, seen, edited).await)
}

/// DNS writes (POST, PUT, DELETE) that reached the sandbox.
fn dns_writes(app: &TestApp) -> Vec<cmr_sandbox::LoggedRequest> {
    app.sandbox
        .control
        .requests()
        .into_iter()
        .filter(|r| r.path == "/dns" && r.method != "GET")
        .collect()
}

/// `zone` with the record of `changed`'s id replaced by `changed`.
fn replaced(zone: &[RecordDraft], changed: RecordDraft) -> Vec<RecordDraft> {
    zone.iter()
        .map(|r| {
            if r.record_id == changed.record_id {
                changed.clone()
            } else {
                r.clone()
            }
        })
        .collect()
}

fn find(records: &[RecordDraft], t: RecordType, host: &str) -> RecordDraft {
    records
        .iter()
        .find(|r| r.record_type == t && r.host == host)
        .unwrap_or_else(|| panic!("no {t} on {host}: {records:?}"))
        .clone()
}

/// A DNS domain with its owner, and an editor's session.
async fn dns_setup(db: &PgPool) -> (TestApp, String, String, String) {
    let app = ready(db).await;
    let editor = signed_in(&app, Role::Editor).await;
    let domain = app
        .sandbox
        .control
        .domains()
        .into_iter()
        .find(|d| d.status == DomainStatus::Active)
        .unwrap();
    let owner = owner_of(&domain);
    (app, editor, domain.domain_name, owner)
}

/// Adding, changing and removing one record each send exactly one CMR call with exactly the
/// documented body, and each leaves one audit row.
#[sqlx::test(migrations = "../migrations")]
async fn each_dns_change_is_one_exact_cmr_call_and_one_audit_row(db: PgPool) {
    let (app, editor, name, owner) = dns_setup(&db).await;

    // (a) One MX added.
    let seen = zone(&app, &editor, &name).await;
    let mut edited = seen.clone();
    edited.push(RecordDraft::new(
        "@",
        RecordType::Mx,
        "backup-mx.example.net",
        "10",
    ));
    app.sandbox.control.clear_requests();
    let report = save(&app, &editor, &name, &seen, &edited).await;
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert!(report.sent[0].result.is_ok(), "{report:?}");
    assert!(report.not_sent.is_empty());
    let writes = dns_writes(&app);
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].method, "POST");
    assert_eq!(writes[0].param("userId"), Some(owner.as_str()));
    assert_eq!(
        writes[0].body,
        Some(json!({
            "domain": name,
            "records": [{
                "host": "@",
                "value": "backup-mx.example.net",
                "recordType": "MX",
                "priority": "10",
            }],
        }))
    );
    assert_eq!(audit_outcomes(&app, "dns.add").await, ["ok"]);

    // (b) One A record changed: no priority in the body.
    let seen = zone(&app, &editor, &name).await;
    let a = find(&seen, RecordType::A, "@");
    let edited = replaced(
        &seen,
        RecordDraft {
            value: "192.0.2.44".into(),
            ..a.clone()
        },
    );
    app.sandbox.control.clear_requests();
    let report = save(&app, &editor, &name, &seen, &edited).await;
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert!(report.sent[0].result.is_ok(), "{report:?}");
    let writes = dns_writes(&app);
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].method, "PUT");
    assert_eq!(writes[0].param("userId"), Some(owner.as_str()));
    assert_eq!(
        writes[0].body,
        Some(json!({
            "recordId": a.record_id,
            "domain": name,
            "host": "@",
            "value": "192.0.2.44",
            "recordType": "A",
        }))
    );
    assert_eq!(audit_outcomes(&app, "dns.update").await, ["ok"]);

    // (b') An MX changed: its priority is sent too.
    let seen = zone(&app, &editor, &name).await;
    let mx = seen
        .iter()
        .find(|r| r.record_type == RecordType::Mx && r.value != "backup-mx.example.net")
        .cloned()
        .unwrap();
    let edited = replaced(
        &seen,
        RecordDraft {
            priority: "20".into(),
            ..mx.clone()
        },
    );
    app.sandbox.control.clear_requests();
    let report = save(&app, &editor, &name, &seen, &edited).await;
    assert!(report.sent.iter().all(|l| l.result.is_ok()), "{report:?}");
    let writes = dns_writes(&app);
    assert_eq!(writes.len(), 1);
    assert_eq!(
        writes[0].body,
        Some(json!({
            "recordId": mx.record_id,
            "domain": name,
            "host": "@",
            "value": mx.value,
            "recordType": "MX",
            "priority": "20",
        }))
    );

    // (c) One record removed.
    let seen = zone(&app, &editor, &name).await;
    let cname = seen
        .iter()
        .find(|r| r.record_type == RecordType::Cname)
        .unwrap()
        .clone();
    let edited: Vec<RecordDraft> = seen
        .iter()
        .filter(|r| r.record_id != cname.record_id)
        .cloned()
        .collect();
    app.sandbox.control.clear_requests();
    let report = save(&app, &editor, &name, &seen, &edited).await;
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert!(report.sent[0].result.is_ok(), "{report:?}");
    let writes = dns_writes(&app);
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].method, "DELETE");
    let mut query = writes[0].query.clone();
    query.sort();
    assert_eq!(
        query,
        [
            ("recordId".to_string(), cname.record_id.clone().unwrap()),
            ("userId".to_string(), owner.clone()),
        ]
    );
    assert_eq!(audit_outcomes(&app, "dns.delete").await, ["ok"]);
    assert_eq!(audit_outcomes(&app, "dns.update").await, ["ok", "ok"]);

    let now = zone(&app, &editor, &name).await;
    assert!(now.iter().all(|r| r.record_id != cname.record_id));
    assert!(now
        .iter()
        .any(|r| r.record_type == RecordType::A && r.value == "192.0.2.44"));
    assert!(now.iter().any(|r| r.value == "backup-mx.example.net"));
}

/// Invalid records are refused with the error at `records[i].field`, and nothing is sent.
#[sqlx::test(migrations = "../migrations")]
async fn invalid_dns_records_are_refused_at_their_field_and_nothing_is_sent(db: PgPool) {
    let (app, editor, name, _) = dns_setup(&db).await;
    let seen = zone(&app, &editor, &name).await;
    app.sandbox.control.clear_requests();

    let mut edited = seen.clone();
    edited.push(RecordDraft::new("www", RecordType::A, "300.1.1.1", ""));
    let i = edited.len() - 1;
    let answer = save_answer(&app, &editor, &name, &seen, &edited).await;
    let AppError::Invalid(fields) = answer.error() else {
        panic!("{}", answer.body)
    };
    assert!(
        fields.contains_key(&format!("records[{i}].value")),
        "{fields:?}"
    );

    let mut edited = seen.clone();
    edited.insert(
        0,
        RecordDraft::new("@", RecordType::Cname, "target.example.net", ""),
    );
    let answer = save_answer(&app, &editor, &name, &seen, &edited).await;
    let AppError::Invalid(fields) = answer.error() else {
        panic!("{}", answer.body)
    };
    assert!(fields.contains_key("records[0].host"), "{fields:?}");

    assert!(dns_writes(&app).is_empty(), "nothing was sent");
}

/// A record changed at CMR after the editor loaded is not overwritten: nothing is sent.
#[sqlx::test(migrations = "../migrations")]
async fn a_dns_record_changed_meanwhile_refuses_the_stale_save(db: PgPool) {
    let (app, editor, name, _) = dns_setup(&db).await;
    let loaded = zone(&app, &editor, &name).await;
    let a = find(&loaded, RecordType::A, "@");
    let with_value = |value: &str| {
        replaced(
            &loaded,
            RecordDraft {
                value: value.into(),
                ..a.clone()
            },
        )
    };
    // Someone else saves first.
    let theirs = save(&app, &editor, &name, &loaded, &with_value("192.0.2.1")).await;
    assert!(theirs.sent.iter().all(|l| l.result.is_ok()), "{theirs:?}");
    app.sandbox.control.clear_requests();

    // This editor still holds the zone as loaded.
    let answer = save_answer(&app, &editor, &name, &loaded, &with_value("192.0.2.2")).await;
    let AppError::Rejected(message) = answer.error() else {
        panic!("{}", answer.body)
    };
    assert!(message.contains("changed at CMR"), "{message}");
    assert!(dns_writes(&app).is_empty(), "nothing was sent");
    let now = zone(&app, &editor, &name).await;
    assert_eq!(find(&now, RecordType::A, "@").value, "192.0.2.1");
}

/// When one change fails, the report shows what went through, what failed and what was not
/// sent, and nothing after the failure reaches CMR.
#[sqlx::test(migrations = "../migrations")]
async fn a_dns_save_failing_part_way_reports_each_change(db: PgPool) {
    let (app, editor, name, _) = dns_setup(&db).await;
    let seen = zone(&app, &editor, &name).await;
    let a = find(&seen, RecordType::A, "@");
    let cname = seen
        .iter()
        .find(|r| r.record_type == RecordType::Cname)
        .unwrap()
        .clone();
    // Removals first, then changes, then additions: remove the CNAME (ok), change the A
    // record (fails), add two records (not sent).
    let mut edited = replaced(
        &seen,
        RecordDraft {
            value: "192.0.2.99".into(),
            ..a.clone()
        },
    );
    edited.retain(|r| r.record_id != cname.record_id);
    edited.push(RecordDraft::new("www", RecordType::A, "192.0.2.80", ""));
    edited.push(RecordDraft::new("shop", RecordType::A, "192.0.2.81", ""));
    app.sandbox.control.force_status("PUT /dns", 500, 1, None);
    app.sandbox.control.clear_requests();

    let report = save(&app, &editor, &name, &seen, &edited).await;
    assert_eq!(report.sent.len(), 2, "{report:?}");
    assert!(
        report.sent[0].label.starts_with("Remove CNAME"),
        "{report:?}"
    );
    assert!(report.sent[0].result.is_ok(), "{report:?}");
    assert!(report.sent[1].label.starts_with("Change A @"), "{report:?}");
    assert!(report.sent[1].result.is_err(), "{report:?}");
    assert_eq!(report.not_sent.len(), 2, "{report:?}");
    assert!(report.not_sent.iter().any(|l| l.contains("www")));
    assert!(report.not_sent.iter().any(|l| l.contains("shop")));

    let methods: Vec<String> = dns_writes(&app).into_iter().map(|r| r.method).collect();
    assert_eq!(methods, ["DELETE", "PUT"], "nothing after the failure");
    assert_eq!(audit_outcomes(&app, "dns.delete").await, ["ok"]);
    assert_eq!(audit_outcomes(&app, "dns.update").await, ["unknown"]);
    assert!(audit_outcomes(&app, "dns.add").await.is_empty());
}

/// Every domain, DNS and wallet function refuses a call without a session, and each that
/// changes something refuses the role below the one it needs, before CMR is asked anything.
#[sqlx::test(migrations = "../migrations")]
async fn every_domain_function_checks_the_session_and_the_role(db: PgPool) {
    let app = spawn_with(db.clone(), |_| {}).await;
    let viewer = signed_in(&app, Role::Viewer).await;
    let editor = signed_in(&app, Role::Editor).await;
    app.sandbox.control.clear_requests();
    for path in [
        "/api/domains/get",
        "/api/domains/timeline",
        "/api/domains/renewal_quote",
        "/api/domains/renew",
        "/api/domains/auto_renew",
        "/api/domains/forwarding",
        "/api/domains/remove",
        "/api/dns/zone",
        "/api/dns/save",
        "/api/wallet/runway",
        "/api/wallet/spend",
    ] {
        let answer = app.call(path, None, &[("name", "example.com")]).await;
        assert_eq!(answer.status, 401, "{path}: {}", answer.body);
    }
    let anonymous_csv = app.get("/wallet/spend.csv", None).await;
    assert_ne!(anonymous_csv.status, 200, "{}", anonymous_csv.body);

    let below = [
        (
            "/api/domains/forwarding",
            &viewer,
            vec![
                ("name", "example.com"),
                ("kind", "Url"),
                ("target", "https://a.io"),
            ],
        ),
        (
            "/api/domains/remove",
            &editor,
            vec![
                ("name", "example.com"),
                ("customer_id", "U1"),
                ("confirm_name", "example.com"),
            ],
        ),
    ];
    for (path, cookie, form) in below {
        let answer = app.call(path, Some(cookie.as_str()), &form).await;
        assert!(
            matches!(answer.error(), AppError::Forbidden),
            "{path}: {}",
            answer.body
        );
    }
    let save = save_answer(&app, &viewer, "example.com", &[], &[]).await;
    assert!(matches!(save.error(), AppError::Forbidden), "{}", save.body);
    assert!(
        app.sandbox.control.requests().is_empty(),
        "CMR was never asked"
    );
}
