//! Benchmark, not a test: server response times of the home and profile pages with 100 ms of
//! added latency on every sandbox call. Run with
//!   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cmr_admin_test \
//!   cargo test --features cmr-admin/ssr --test integration -- --ignored --nocapture page_latency::
//! and copy the printed figures into BENCHMARKS.md. Loopback only, 2 × 20 requests.

use crate::common;

use app::model::Role;
use cmr::types::UserListQuery;
use common::{spawn, PASSWORD};
use sqlx::PgPool;
use std::time::{Duration, Instant};

const RUNS: usize = 20;

fn summary(mut times: Vec<Duration>) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:.0} ms, p95 {:.0} ms, min {:.0} ms, max {:.0} ms (n={})",
        ms(times[times.len() / 2]),
        ms(times[(times.len() * 95).div_ceil(100) - 1]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    )
}

#[sqlx::test(migrations = "../migrations")]
#[ignore = "benchmark: run explicitly with --ignored --nocapture"]
async fn page_latency_with_100_ms_per_cmr_call(db: PgPool) {
    let app = spawn(db).await;
    app.staff("bench@example.com", Role::Viewer).await;
    let cookie = app.sign_in("bench@example.com", PASSWORD).await;
    let user = app
        .state
        .cmr
        .list_users(&UserListQuery::default())
        .await
        .unwrap()
        .data
        .items[0]
        .id
        .clone();
    app.sandbox
        .control
        .set_latency(None, Duration::from_millis(100));

    for (name, path) in [
        ("home", "/".to_string()),
        ("profile", format!("/customers/{user}")),
    ] {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let answer = app.get(&path, Some(&cookie)).await;
            times.push(started.elapsed());
            assert_eq!(answer.status, 200);
            // Let the client's 5 requests/second budget refill, so each run measures the
            // page, not the queue behind the previous one.
            tokio::time::sleep(Duration::from_millis(1200)).await;
        }
        println!("{name:8} {path}: {}", summary(times));
    }
}
