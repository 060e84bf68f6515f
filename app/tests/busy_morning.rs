//! Benchmark, not a test: a busy Monday morning against the sandbox over loopback (0 added
//! latency). Twenty staff open one profile at once; twenty open twenty different profiles;
//! a signed-in page with no CMR data of its own (the staff page) under 16 concurrent requests.
//! Prints CMR calls and seconds. Run with
//!   DATABASE_URL=postgres://postgres@127.0.0.1:5432/cmr_admin_test \
//!   cargo test -p app --features ssr --test integration -- --ignored --nocapture busy_morning::
//! and copy the figures into BENCHMARKS.md. Loopback only, bounded (20 + 20 + 2,000 requests).

use crate::common;

use app::model::Role;
use common::{spawn, TestApp, PASSWORD};
use sqlx::PgPool;
use std::time::{Duration, Instant};

/// Loads every path at once, each as a signed-in page view; returns the time until the last
/// answer and how many answered 200.
async fn load_all(app: &TestApp, cookie: &str, paths: Vec<String>) -> (Duration, usize) {
    let started = Instant::now();
    let loads: Vec<_> = paths
        .into_iter()
        .map(|path| {
            let (http, url, cookie) = (app.http().clone(), app.url.clone(), cookie.to_string());
            tokio::spawn(async move {
                http.get(format!("{url}{path}"))
                    .header("cookie", format!("cmr_session={cookie}"))
                    .timeout(Duration::from_secs(60))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            })
        })
        .collect();
    let mut ok = 0;
    for load in loads {
        ok += usize::from(load.await.unwrap() == 200);
    }
    (started.elapsed(), ok)
}

/// Times `once` 80 times at 4 a second (the cadence the issue measures at: an idle machine is
/// faster back to back); the median.
async fn median_at_4_per_second<F, Fut>(mut once: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(80);
    for _ in 0..80 {
        let started = Instant::now();
        once().await;
        times.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    times.sort();
    times[times.len() / 2]
}

/// GETs `url` (with CMR's key header when given); the body.
async fn fetch(http: &reqwest::Client, url: &str, key: Option<&str>) -> axum::body::Bytes {
    let mut request = http.get(url);
    if let Some(key) = key {
        request = request.header(cmr::API_KEY_HEADER, key);
    }
    request.send().await.unwrap().bytes().await.unwrap()
}

/// A bare axum + reqwest proxy for `upstream` (no session, no decoding): the baseline the
/// dashboard's per-call overhead is measured against. Its URL.
async fn bare_proxy(upstream: String) -> String {
    let client = reqwest::Client::new();
    let route = axum::routing::get(move || {
        let (client, upstream) = (client.clone(), upstream.clone());
        async move { fetch(&client, &upstream, Some(common::CMR_KEY)).await }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/users", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().route("/users", route))
            .await
            .unwrap()
    });
    url
}

#[sqlx::test(migrations = "../migrations")]
#[ignore = "benchmark: run explicitly with --ignored --nocapture"]
async fn busy_morning(db: PgPool) {
    // Logging as in production (`info`), not the test harness's `debug` capture: formatting
    // debug lines would be measured too.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(std::io::sink)
        .try_init();
    // The production pool's settings, not the test harness's.
    let pool = common::another_pool(&db).await;
    let app = spawn(pool.clone()).await;
    app.staff("bench@example.com", Role::Admin).await;
    let cookie = app.sign_in("bench@example.com", PASSWORD).await;
    let ids: Vec<String> = app
        .sandbox
        .control
        .users()
        .into_iter()
        .take(20)
        .map(|u| u.id)
        .collect();

    // One profile, once, alone (the budget is fresh).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.sandbox.control.clear_requests();
    let (alone, _) = load_all(&app, &cookie, vec![format!("/customers/{}", ids[0])]).await;
    let alone_calls = app.sandbox.control.requests().len();

    // Twenty staff, one profile (another one, so nothing is kept from the load above).
    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.sandbox.control.clear_requests();
    let same = vec![format!("/customers/{}", ids[1]); 20];
    let (same_time, same_ok) = load_all(&app, &cookie, same).await;
    let same_calls = app.sandbox.control.requests().len();

    // Twenty staff, twenty profiles.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.sandbox.control.clear_requests();
    let different = ids.iter().map(|id| format!("/customers/{id}")).collect();
    let (different_time, different_ok) = load_all(&app, &cookie, different).await;
    let different_calls = app.sandbox.control.requests().len();

    // The staff page (no CMR data of its own), 2,000 loads, 16 at a time.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    app.sandbox.control.clear_requests();
    let started = Instant::now();
    let mut served = 0;
    for _ in 0..125 {
        let (_, ok) = load_all(&app, &cookie, vec!["/staff".to_string(); 16]).await;
        served += ok;
    }
    let staff_rate = served as f64 / started.elapsed().as_secs_f64();
    let staff_calls = app.sandbox.control.requests().len();

    // One customer-list read, taken apart: through the dashboard (live and kept), the CMR
    // client alone (with and without the shared budget), the sandbox directly (raw and
    // decoded) and through a bare proxy. Every series at the same cadence, 4 a second.
    let (app_ref, cookie_ref) = (&app, cookie.as_str());
    let list = |fresh: bool| async move {
        let mut form = vec![("q", ""), ("page", "1"), ("sort", "name")];
        if fresh {
            form.push(("fresh", "true"));
        }
        let answer = app_ref
            .call("/api/customers/list", Some(cookie_ref), &form)
            .await;
        assert_eq!(answer.status, 200, "{}", answer.body);
    };
    let through = median_at_4_per_second(|| list(true)).await;
    let kept = median_at_4_per_second(|| list(false)).await;
    // The layers every request passes, without a page or server function: the health check,
    // anonymous and then with the session cookie (the guard's session and account query).
    let health = |cookie: Option<&'static str>| {
        let (http, url) = (app_ref.http().clone(), format!("{}/healthz", app_ref.url));
        async move {
            let mut request = http.get(url);
            if let Some(cookie) = cookie {
                request = request.header("cookie", format!("cmr_session={cookie}"));
            }
            assert!(request.send().await.unwrap().status().is_success());
        }
    };
    let layers = median_at_4_per_second(|| health(None)).await;
    let signed_cookie: &'static str = cookie.clone().leak();
    let layers_signed_in = median_at_4_per_second(|| health(Some(signed_cookie))).await;
    // One database round trip from the dashboard's pool: the floor under the two above.
    let db_ref = &app.state.db;
    let round_trip = median_at_4_per_second(|| async {
        sqlx::query("SELECT 1").execute(db_ref).await.unwrap();
    })
    .await;

    let query = &cmr::types::UserListQuery {
        page: Some(1),
        limit: Some(20),
        search: None,
    };
    let client = median_at_4_per_second(|| async {
        app_ref.state.cmr.list_users(query).await.unwrap();
    })
    .await;
    let bare = &cmr::client::CmrClient::new(cmr::client::ClientConfig::new(
        app.sandbox.base_url(),
        cmr::client::ApiKey::new(common::CMR_KEY.to_string()),
    ))
    .unwrap();
    let unshared = median_at_4_per_second(|| async {
        bare.list_users(query).await.unwrap();
    })
    .await;

    let direct_url = &format!("{}/users/list?page=1&limit=20", app.sandbox.base_url());
    let http = app.http();
    let direct = median_at_4_per_second(|| async {
        fetch(http, direct_url, Some(common::CMR_KEY)).await;
    })
    .await;
    let decoded = median_at_4_per_second(|| async {
        let body = fetch(http, direct_url, Some(common::CMR_KEY)).await;
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let users: Vec<cmr::types::User> =
            serde_json::from_value(value["data"]["users"].clone()).unwrap();
        assert!(!users.is_empty());
    })
    .await;
    let proxy_url = &bare_proxy(direct_url.clone()).await;
    let proxied = median_at_4_per_second(|| async {
        fetch(http, proxy_url, None).await;
    })
    .await;

    println!("one profile alone:           {alone:>8.2?}, {alone_calls} CMR calls");
    println!(
        "20 staff, one profile:       {same_time:>8.2?} until the last page, {same_calls} CMR calls, {same_ok}/20 answered"
    );
    println!(
        "20 staff, 20 profiles:       {different_time:>8.2?} until the last page, {different_calls} CMR calls, {different_ok}/20 answered"
    );
    println!(
        "staff page, 16 concurrent:   {staff_rate:>8.0} pages/s ({served}/2000 answered), {staff_calls} CMR calls"
    );
    println!(
        "customer list, live, 4/s:    {through:>8.2?} median through the dashboard, {direct:>8.2?} calling the sandbox directly"
    );
    println!("customer list, kept:         {kept:>8.2?} median (no CMR call)");
    println!("the layers alone (/healthz): {layers:>8.2?} median anonymous, {layers_signed_in:>8.2?} signed in");
    println!("one database round trip:     {round_trip:>8.2?} median (SELECT 1 from the pool)");
    println!("the CMR client alone:        {client:>8.2?} median (limiter, shared budget, HTTP, decoding)");
    println!("the CMR client, no shared budget: {unshared:>8.2?} median");
    println!("direct, decoded as the client does: {decoded:>8.2?} median");
    println!("through a bare axum + reqwest proxy: {proxied:>8.2?} median");
    drop(app);
    pool.close().await;
}
