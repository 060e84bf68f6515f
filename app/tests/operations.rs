//! Running it in production: readiness, metrics, and two instances starting together on a
//! fresh database.

use crate::common;

use app::model::Role;
use common::{spawn, ScratchDatabase, PASSWORD};
use sqlx::PgPool;

/// Two instances starting at the same moment on a database that does not exist yet: both
/// create-or-find it and both apply (or find applied) every migration.
#[tokio::test]
async fn two_instances_starting_together_on_a_fresh_database_both_come_up() {
    for round in 0..3 {
        let database = ScratchDatabase::named(&format!("twostart{round}"));
        let (one, two) = tokio::join!(
            app::server::db::connect_and_migrate(&database.url),
            app::server::db::connect_and_migrate(&database.url)
        );
        let (one, two) = (one.unwrap(), two.unwrap());
        let applied: i64 =
            sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&one)
                .await
                .unwrap();
        let known = sqlx::migrate!("../migrations").iter().count() as i64;
        assert_eq!(applied, known, "round {round}: every migration once");
        one.close().await;
        two.close().await;
        database.drop().await;
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn readiness_names_what_is_missing(db: PgPool) {
    let app = spawn(db).await;
    let ready = app.get(app::routes::READY, None).await;
    assert_eq!(
        (ready.status, ready.body.as_str()),
        (200, "ready"),
        "public, no session"
    );
    assert_eq!(app.get(app::routes::HEALTH, None).await.status, 200);

    // CMR refuses the key: not ready (checked again once the minute's answer is old).
    app.state.key_check.forget();
    app.sandbox.control.force_status("/wallet", 401, 5, None);
    let refused = app.get(app::routes::READY, None).await;
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (503, "CMR refuses the API key")
    );
    app.sandbox.control.clear_faults();

    // A migration this build knows but the database lacks: not ready.
    app.state.key_check.forget();
    let newest = sqlx::migrate!("../migrations")
        .iter()
        .map(|m| m.version)
        .max()
        .unwrap();
    sqlx::query("UPDATE _sqlx_migrations SET success = false WHERE version = $1")
        .bind(newest)
        .execute(&app.state.db)
        .await
        .unwrap();
    let behind = app.get(app::routes::READY, None).await;
    assert_eq!(
        (behind.status, behind.body.as_str()),
        (503, "migrations not applied")
    );
}

fn sample(metrics: &str, name: &str, labels: &[&str]) -> f64 {
    metrics
        .lines()
        .filter(|line| line.starts_with(name) && labels.iter().all(|l| line.contains(l)))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_count_requests_cmr_calls_and_sign_in_failures(db: PgPool) {
    let metrics = app::server::metrics::handle();
    let app = spawn(db).await;
    let before = metrics.render();
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    assert_eq!(app.get("/customers", Some(&cookie)).await.status, 200);
    app.call(
        "/api/auth/sign_in",
        None,
        &[
            ("email", "ann@example.com"),
            ("password", "not the password!"),
        ],
    )
    .await;
    let after = metrics.render();
    let moved =
        |name: &str, labels: &[&str]| sample(&after, name, labels) - sample(&before, name, labels);
    assert!(
        moved(
            "http_requests_total",
            &["route=\"/customers\"", "status=\"200\""]
        ) >= 1.0,
        "{after}"
    );
    assert!(
        moved(
            "http_request_duration_seconds_count",
            &["route=\"/customers\""]
        ) >= 1.0
    );
    assert!(
        moved(
            "cmr_calls_total",
            &["endpoint=\"/users/list\"", "outcome=\"ok\""]
        ) >= 1.0,
        "{after}"
    );
    assert!(moved("sign_in_failures_total", &[]) >= 1.0);
    assert!(moved("read_cache_total", &["kind=\"customers\""]) >= 1.0);
    // Route patterns, not raw paths: no customer id becomes a label.
    assert!(!after.contains("route=\"/customers/U"), "{after}");

    // The metrics listener serves the same text.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app::server::metrics::router()).await });
    let served = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert!(served.text().await.unwrap().contains("http_requests_total"));
}

/// A migration that fails stops start-up with a message naming it, and leaves nothing of
/// itself behind (each migration runs in its own transaction).
#[tokio::test]
async fn a_failing_migration_stops_start_up_and_changes_nothing() {
    let database = ScratchDatabase::named("badmigration");
    database.create().await;
    // Something in the way of the first migration: a `staff` view it cannot replace.
    let db = sqlx::PgPool::connect(&database.url).await.unwrap();
    sqlx::query("CREATE VIEW staff AS SELECT 1 AS id")
        .execute(&db)
        .await
        .unwrap();
    let err = app::server::db::connect_and_migrate(&database.url)
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("20261123000001"),
        "names the migration: {message}"
    );
    let leftovers: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables
          WHERE table_schema = 'public' AND table_name IN ('sign_in_throttle', 'audit_log')",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(
        leftovers, 0,
        "the failed migration's other tables were rolled back"
    );
    db.close().await;
    database.drop().await;
}
