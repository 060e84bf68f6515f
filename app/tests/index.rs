//! The partner-wide index: the background sync (a full pass, resuming after a restart, one
//! instance of two, rows gone upstream), live reads refreshing it, and the look-up it enables.

use crate::common;

use app::model::Role;
use app::server::index::store;
use app::server::index::sync::{Step, SyncSettings, Syncer};
use common::{another_pool, spawn, spawn_beside, TestApp, PASSWORD};
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Duration;

/// Settings for driving the sync step by step: a new pass whenever the last one is done.
fn stepwise(lease: Duration) -> SyncSettings {
    SyncSettings {
        per_second: 0,
        pass_every: Duration::ZERO,
        lease,
    }
}

fn syncer(app: &TestApp, db: &PgPool, lease: Duration) -> Syncer {
    Syncer::new(db.clone(), app.state.cmr.clone(), stepwise(lease))
}

/// Steps until the pass under way finishes; the CMR calls it made.
async fn finish_pass(syncer: &Syncer) -> usize {
    let mut calls = 0;
    loop {
        match syncer.step().await.unwrap() {
            Step::Worked => calls += 1,
            Step::PassFinished => return calls,
            other => panic!("unexpected step: {other:?}"),
        }
        assert!(calls < 1_000, "the pass does not end");
    }
}

/// Every CMR request the sandbox logged, as "METHOD path?query".
fn logged(app: &TestApp) -> Vec<String> {
    app.sandbox
        .control
        .requests()
        .into_iter()
        .map(|r| {
            let query: Vec<String> = r.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("{} {}?{}", r.method, r.path, query.join("&"))
        })
        .collect()
}

async fn gone(db: &PgPool, table: &str, key: &str, value: &str) -> bool {
    sqlx::query_scalar(&format!(
        "SELECT gone_at IS NOT NULL FROM {table} WHERE {key} = $1"
    ))
    .bind(value)
    .fetch_one(db)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_pass_copies_the_partner_and_later_passes_mark_what_went_away(db: PgPool) {
    let app = spawn(db.clone()).await;
    let sync = syncer(&app, &db, Duration::from_secs(30));
    app.sandbox.control.clear_requests();
    let calls = finish_pass(&sync).await;

    let control = &app.sandbox.control;
    let counts = store::counts(&db).await.unwrap();
    assert_eq!(counts.customers, control.users().len() as i64);
    assert_eq!(counts.domains, control.domains().len() as i64);
    assert_eq!(counts.subscriptions, control.subscriptions().len() as i64);
    assert_eq!(counts.mailboxes, control.mailboxes().len() as i64);
    assert_eq!(counts.gone, 0);
    // Pages of the three partner-wide lists, then one call per customer; nothing twice.
    let requests = logged(&app);
    assert_eq!(requests.len(), calls, "{requests:#?}");
    let mut seen = HashMap::new();
    for request in &requests {
        *seen.entry(request).or_insert(0) += 1;
    }
    assert!(seen.values().all(|&n| n == 1), "a call repeated: {seen:#?}");
    let per_customer = requests
        .iter()
        .filter(|r| r.contains("/domains/by-user"))
        .count();
    assert_eq!(per_customer, control.users().len());
    let recorded: (i32, Option<i32>) =
        sqlx::query_as("SELECT calls_done, last_pass_calls FROM index_sync")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(recorded, (calls as i32, Some(calls as i32)));

    // Behind the dashboard's back: a domain and a whole customer disappear.
    let domain = control.domains()[0].domain_name.clone();
    let customer = control.users().pop().unwrap();
    assert!(control.forget_domain(&domain));
    assert!(control.forget_user(&customer.id));
    let domain_key = domain.to_lowercase();

    finish_pass(&sync).await;
    // A customer's domains come whole from one call: a missing one is gone at once.
    assert!(gone(&db, "index_domains", "name", &domain_key).await);
    // Paged lists can lose a row between pages while CMR changes: one miss is not enough.
    assert!(!gone(&db, "index_customers", "id", &customer.id).await);

    finish_pass(&sync).await;
    assert!(gone(&db, "index_customers", "id", &customer.id).await);
    let counts = store::counts(&db).await.unwrap();
    assert_eq!(counts.customers, control.users().len() as i64);
    assert_eq!(counts.domains, control.domains().len() as i64);
    assert_eq!(counts.subscriptions, control.subscriptions().len() as i64);
    assert_eq!(counts.mailboxes, control.mailboxes().len() as i64);
    assert!(counts.gone > 1, "{counts:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn after_a_restart_the_next_holder_resumes_where_the_pass_stopped(db: PgPool) {
    let app = spawn(db.clone()).await;
    app.sandbox.control.clear_requests();
    let lease = Duration::from_millis(400);
    let first = syncer(&app, &db, lease);
    for _ in 0..6 {
        assert_eq!(first.step().await.unwrap(), Step::Worked);
    }
    let before_crash = logged(&app);
    // The process dies without a word (no release); another one starts.
    drop(first);
    let second = syncer(&app, &db, lease);
    assert_eq!(
        second.step().await.unwrap(),
        Step::NotHolder,
        "the lease still runs"
    );
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    let rest = finish_pass(&second).await;

    let requests = logged(&app);
    assert_eq!(&requests[..before_crash.len()], &before_crash[..]);
    assert_eq!(requests.len(), before_crash.len() + rest, "{requests:#?}");
    let mut seen = HashMap::new();
    for request in &requests {
        *seen.entry(request).or_insert(0) += 1;
    }
    assert!(
        seen.values().all(|&n| n == 1),
        "nothing done twice: {seen:#?}"
    );
    let counts = store::counts(&db).await.unwrap();
    assert_eq!(counts.domains, app.sandbox.control.domains().len() as i64);
}

#[sqlx::test(migrations = "../migrations")]
async fn of_two_instances_one_syncs(db: PgPool) {
    let app = spawn(db.clone()).await;
    let other_db = another_pool(&db).await;
    let other = spawn_beside(&app, other_db.clone()).await;
    app.sandbox.control.clear_requests();
    let fast = SyncSettings {
        per_second: 40,
        pass_every: Duration::from_secs(3600),
        lease: Duration::from_secs(30),
    };
    let a = Syncer::new(db.clone(), app.state.cmr.clone(), fast).spawn();
    let b = Syncer::new(other_db.clone(), other.state.cmr.clone(), fast).spawn();
    // Long enough for a whole pass at this rate (the shared budget's 5 a second binds).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let finished: Option<i32> = sqlx::query_scalar("SELECT last_pass_calls FROM index_sync")
            .fetch_one(&db)
            .await
            .unwrap();
        if finished.is_some() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "no pass finished");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    a.abort();
    b.abort();
    let requests = logged(&app);
    let mut seen = HashMap::new();
    for request in &requests {
        *seen.entry(request).or_insert(0) += 1;
    }
    assert!(
        seen.values().all(|&n| n == 1),
        "two syncs would ask twice: {seen:#?}"
    );
    drop(other);
    other_db.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_sync_keeps_to_its_share_of_the_budget(db: PgPool) {
    let app = spawn(db.clone()).await;
    app.sandbox.control.clear_requests();
    let settings = SyncSettings {
        per_second: 2,
        pass_every: Duration::from_secs(3600),
        lease: Duration::from_secs(30),
    };
    let task = Syncer::new(db.clone(), app.state.cmr.clone(), settings).spawn();
    tokio::time::sleep(Duration::from_millis(3_100)).await;
    task.abort();
    let calls = app.sandbox.control.requests().len();
    // Two a second for three seconds, the first at once: at most 7.
    assert!((4..=7).contains(&calls), "{calls} calls in 3 s");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_live_profile_read_refreshes_the_index_and_the_lookup_finds_domains_and_mailboxes(
    db: PgPool,
) {
    let app = spawn(db.clone()).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let control = &app.sandbox.control;
    let mailbox = control.mailboxes().into_iter().next().unwrap();
    let owner = mailbox.user_id.clone().unwrap();
    let domain = mailbox.domain.clone();

    // Nothing indexed yet: the look-up says so.
    let answer = app
        .call("/api/customers/lookup", Some(&cookie), &[("q", &domain)])
        .await;
    assert_eq!(answer.status, 409, "{}", answer.body);
    assert!(
        answer.body.contains("once the index has seen them"),
        "{}",
        answer.body
    );

    // Opening the owner's profile reads CMR live, and the index learns from it.
    let page = app.get(&format!("/customers/{owner}"), Some(&cookie)).await;
    assert_eq!(page.status, 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let seen_by: Option<String> =
            sqlx::query_scalar("SELECT seen_by FROM index_domains WHERE name = lower($1)")
                .bind(&domain)
                .fetch_optional(&db)
                .await
                .unwrap();
        if seen_by.is_some() {
            assert_eq!(seen_by.as_deref(), Some("live"));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    for q in [domain.to_uppercase(), mailbox.email.clone()] {
        let answer = app
            .call("/api/customers/lookup", Some(&cookie), &[("q", &q)])
            .await;
        assert!(answer.is_ok(), "{q}: {}", answer.body);
        assert!(answer.body.contains(&owner), "{q}: {}", answer.body);
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn once_filled_the_index_counts_for_the_home_page_and_answers_searches(db: PgPool) {
    let app = spawn(db.clone()).await;
    app.staff("viv@example.com", Role::Viewer).await;
    app.staff("ada@example.com", Role::Admin).await;
    let viewer = app.sign_in("viv@example.com", PASSWORD).await;
    let admin = app.sign_in("ada@example.com", PASSWORD).await;
    finish_pass(&syncer(&app, &db, Duration::from_secs(30))).await;
    let control = &app.sandbox.control;

    // The home page: counts from the index, not from CMR.
    app.sandbox.control.clear_requests();
    let home = app.call("/api/home/summary", Some(&viewer), &[]).await;
    assert!(home.is_ok(), "{}", home.body);
    let summary: app::model::home::HomeSummary = serde_json::from_str(&home.body).unwrap();
    assert_eq!(summary.customers, Ok(control.users().len() as u64));
    assert_eq!(summary.mailboxes, Ok(control.mailboxes().len() as u64));
    assert_eq!(summary.domains, Some(control.domains().len() as u64));
    assert!(summary.counted_at.is_some());
    let counting_calls: Vec<String> = logged(&app)
        .into_iter()
        .filter(|r| !r.contains("/wallet"))
        .collect();
    assert!(counting_calls.is_empty(), "{counting_calls:?}");
    let page = app.get("/", Some(&viewer)).await;
    assert!(page.body.contains("Counts from the partner index"));

    // One search over the three kinds.
    let mailbox = control.mailboxes().into_iter().next().unwrap();
    let local = mailbox.email.split('@').next().unwrap().to_string();
    let answer = app
        .call(
            "/api/index/search",
            Some(&viewer),
            &[("q", &mailbox.domain)],
        )
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    let hits: app::model::index::SearchHits = serde_json::from_str(&answer.body).unwrap();
    assert!(hits
        .domains
        .iter()
        .any(|d| d.name == mailbox.domain.to_lowercase()));
    assert!(hits
        .mailboxes
        .iter()
        .any(|m| m.email == mailbox.email.to_lowercase()));
    let answer = app
        .call(
            "/api/index/search",
            Some(&viewer),
            &[("q", &format!("{local}@"))],
        )
        .await;
    let hits: app::model::index::SearchHits = serde_json::from_str(&answer.body).unwrap();
    assert!(
        hits.mailboxes
            .iter()
            .all(|m| m.email.starts_with(&format!("{local}@")))
            && !hits.mailboxes.is_empty(),
        "{hits:?}"
    );
    // LIKE's wildcards are searched for literally.
    let answer = app
        .call("/api/index/search", Some(&viewer), &[("q", "%%")])
        .await;
    let hits: app::model::index::SearchHits = serde_json::from_str(&answer.body).unwrap();
    assert!(hits.customers.is_empty() && hits.domains.is_empty() && hits.mailboxes.is_empty());
    let short = app
        .call("/api/index/search", Some(&viewer), &[("q", "a")])
        .await;
    assert_eq!(short.status, 422, "{}", short.body);
    let page = app
        .get(&format!("/search?q={}", mailbox.domain), Some(&viewer))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&mailbox.email.to_lowercase()),
        "the page lists the hit"
    );

    // The sync's status is for admins.
    let refused = app.call("/api/index/status", Some(&viewer), &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let status = app.call("/api/index/status", Some(&admin), &[]).await;
    assert!(status.is_ok(), "{}", status.body);
    let status: app::model::index::SyncStatus = serde_json::from_str(&status.body).unwrap();
    assert_eq!(status.domains, control.domains().len() as i64);
    assert!(status.last_full_pass_at.is_some() && status.running.is_none());
    let page = app.get("/index-status", Some(&admin)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Last full pass"));
}

/// CMR drops a sync call mid-pass (every retry of it): the step fails and says so in the
/// sync's status, the cursor stays, and the next steps finish the pass with nothing skipped.
#[sqlx::test(migrations = "../migrations")]
async fn a_call_failing_mid_pass_is_retried_by_the_next_step_and_nothing_is_skipped(db: PgPool) {
    let app = spawn(db.clone()).await;
    let sync = syncer(&app, &db, Duration::from_secs(30));
    for _ in 0..3 {
        assert_eq!(sync.step().await.unwrap(), Step::Worked);
    }
    // Every attempt of the next call is cut (the client retries reads, then gives up).
    app.sandbox.control.drop_connection("/domains/by-user", 10);
    let failed = loop {
        match sync.step().await.unwrap() {
            Step::Worked => continue,
            Step::Failed(message) => break message,
            other => panic!("unexpected step: {other:?}"),
        }
    };
    assert!(failed.contains("CMR"), "{failed}");
    let (errors, last_error): (i32, Option<String>) =
        sqlx::query_as("SELECT errors, last_error FROM index_sync")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(errors, 1);
    assert_eq!(last_error.as_deref(), Some(failed.as_str()));

    app.sandbox.control.clear_faults();
    finish_pass(&sync).await;
    let counts = store::counts(&db).await.unwrap();
    assert_eq!(counts.customers, app.sandbox.control.users().len() as i64);
    assert_eq!(counts.domains, app.sandbox.control.domains().len() as i64);
    assert_eq!(
        counts.mailboxes,
        app.sandbox.control.mailboxes().len() as i64
    );
}
