//! Benchmark, not a test: the index at a large partner's size. Seeds the sandbox with 2,000
//! customers more (6,000 domains, about 21,000 mailboxes), runs one full sync pass at the
//! default share of the budget (2 calls a second), and times the index's questions at that
//! size. Run with
//!   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cmr_admin_test \
//!   cargo test --release -p app --features ssr --test integration -- --ignored --nocapture index_scale::
//! (about 20 minutes: the pass is paced by the budget; `INDEX_SCALE_CUSTOMERS` and
//! `INDEX_SCALE_PER_SECOND` change the size and the share). Loopback only; stops by itself.

use crate::common;

use app::server::index::store;
use app::server::index::sync::{SyncSettings, Syncer};
use cmr_sandbox::Sandbox;
use common::{spawn_on, CMR_KEY};
use sqlx::PgPool;
use std::time::{Duration, Instant};

fn setting(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The median of 21 runs of `query`.
async fn median<F, Fut, T>(mut query: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times = Vec::new();
    for _ in 0..21 {
        let started = Instant::now();
        query().await;
        times.push(started.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

#[sqlx::test(migrations = "../migrations")]
#[ignore = "benchmark: run explicitly with --ignored --nocapture"]
async fn index_at_a_large_partner(db: PgPool) {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(std::io::sink)
        .try_init();
    let customers = setting("INDEX_SCALE_CUSTOMERS", 2_000) as usize;
    let per_second = setting("INDEX_SCALE_PER_SECOND", 2);
    let app = spawn_on(db.clone(), Sandbox::seeded_large(CMR_KEY, customers)).await;
    let control = &app.sandbox.control;
    let (users, domains, mailboxes) = (
        control.users().len(),
        control.domains().len(),
        control.mailboxes().len(),
    );
    println!("seeded: {users} customers, {domains} domains, {mailboxes} mailboxes");
    control.clear_requests();

    let settings = SyncSettings {
        per_second,
        pass_every: Duration::from_secs(24 * 3600),
        ..SyncSettings::default()
    };
    let started = Instant::now();
    let sync = Syncer::new(db.clone(), app.state.cmr.clone(), settings).spawn();
    let calls = loop {
        let finished: Option<i32> = sqlx::query_scalar("SELECT last_pass_calls FROM index_sync")
            .fetch_one(&db)
            .await
            .unwrap();
        if let Some(calls) = finished {
            break calls;
        }
        assert!(started.elapsed() < Duration::from_secs(3 * 3600), "no pass");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let took = started.elapsed();
    sync.abort();
    let logged = control.requests().len();
    let counts = store::counts(&db).await.unwrap();
    assert_eq!(counts.domains, domains as i64);
    assert_eq!(counts.mailboxes, mailboxes as i64);

    let expiring = store::expiring_within(&db, 45, 10_000).await.unwrap().len();
    let expiring_time = median(|| store::expiring_within(&db, 45, 10_000)).await;
    let search_hits = store::search(&db, "bulk12", 20).await.unwrap();
    let search_time = median(|| store::search(&db, "bulk12", 20)).await;
    let sales_time = median(|| store::search(&db, "jamie", 20)).await;
    let owner_time = median(|| store::owner_of_domain(&db, "bulk1234-1.com")).await;

    println!(
        "full pass at {per_second} calls/s: {took:.1?}, {calls} CMR calls ({logged} in the sandbox's log), {:.2} calls/s",
        calls as f64 / took.as_secs_f64()
    );
    println!("index rows: {counts:?}");
    println!(
        "domains expiring within 45 days: {expiring} rows in {expiring_time:.2?} (median of 21)"
    );
    println!(
        "search \"bulk12\": {} customers, {} domains, {} mailboxes (20 of each at most) in {search_time:.2?}",
        search_hits.customers.len(),
        search_hits.domains.len(),
        search_hits.mailboxes.len()
    );
    println!("search \"jamie\" (a common mailbox name): {sales_time:.2?}");
    println!("owner of one domain (the look-up): {owner_time:.2?}");
}
