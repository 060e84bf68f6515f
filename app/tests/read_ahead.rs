//! Reads that start beside their session check (`routes::READ_AHEAD_FNS`): the read's CMR call
//! need not wait for the database, but its answer must. Each test holds the session check up
//! by locking the sessions table, as a slow database would, and changes the session or its
//! account at the worst moment: after the read reached CMR, before the check could look.

use crate::common;

use app::error::AppError;
use app::model::Role;
use common::{another_pool, spawn, spawn_beside, TestApp, PASSWORD};
use sqlx::{PgPool, Postgres, Transaction};
use std::time::{Duration, Instant};

const LIST: &str = "/api/customers/list";

fn list_form() -> Vec<(String, String)> {
    [
        ("q", ""),
        ("page", "1"),
        ("sort", "name"),
        ("fresh", "true"),
    ]
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .to_vec()
}

/// Signs a new staff member in and makes one read, so this instance has confirmed the session.
async fn signed_in(app: &TestApp, role: Role) -> (i64, String) {
    let staff = app.staff("reader@example.com", role).await;
    let cookie = app.sign_in("reader@example.com", PASSWORD).await;
    let answer = app.call(LIST, Some(&cookie), &pairs(&list_form())).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    (staff.id, cookie)
}

fn pairs(form: &[(String, String)]) -> Vec<(&str, &str)> {
    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Holds every session check until the transaction ends: its lock on the sessions table
/// makes the check's query wait.
async fn hold_session_checks(db: &PgPool) -> Transaction<'static, Postgres> {
    let mut tx = db.begin().await.unwrap();
    sqlx::query("LOCK TABLE staff_sessions IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx
}

/// Waits (up to 20 s) until `count` queries wait on a table lock: the session checks.
async fn until_checks_wait(db: &PgPool, count: usize) {
    use sqlx::Connection;
    let (watcher, _) = common::until_waiting(db, &["relation"], count).await;
    watcher.close().await.unwrap();
}

/// Waits (up to 20 s) until CMR has been called at least `count` times.
async fn until_cmr_called(app: &TestApp, count: usize) {
    let started = Instant::now();
    while app.sandbox.control.requests().len() < count {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "CMR was called {} times, not {count}",
            app.sandbox.control.requests().len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// A background call's status and body; a hang fails the test instead of stalling it.
async fn answered(call: tokio::task::JoinHandle<(u16, String)>) -> (u16, String) {
    tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("answered within 30 s")
        .unwrap()
}

/// The session behind a session cookie's value.
fn session_id(cookie: &str) -> tower_sessions::session::Id {
    cookie.parse().expect("a session id")
}

fn error_of(body: &str) -> AppError {
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not an AppError: {body}"))
}

#[sqlx::test(migrations = "../migrations")]
async fn a_read_reaches_cmr_while_its_check_waits_and_answers_only_after_it(db: PgPool) {
    let app = spawn(db.clone()).await;
    let (_, cookie) = signed_in(&app, Role::Viewer).await;
    app.sandbox.control.clear_requests();

    let checks = hold_session_checks(&db).await;
    let read = app.call_in_background(LIST, &cookie, list_form());
    until_checks_wait(&db, 1).await;
    until_cmr_called(&app, 1).await;
    assert_eq!(
        app.sandbox.control.requests()[0].path,
        "/users/list",
        "the read went ahead of its check"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!read.is_finished(), "the answer waits for the check");

    checks.commit().await.unwrap();
    let (status, body) = answered(read).await;
    assert_eq!(status, 200, "{body}");
    let first = &app.sandbox.control.users()[0];
    assert!(body.contains(&first.id), "the list came back: {body}");
}

#[sqlx::test(migrations = "../migrations")]
async fn reads_whose_session_ends_while_they_run_get_nothing(db: PgPool) {
    // The production pool's size (the test pool holds five: fewer than five held checks, the
    // lock and the reads' budget admissions need).
    let app_db = another_pool(&db).await;
    let app = spawn(app_db.clone()).await;
    let (staff_id, cookie) = signed_in(&app, Role::Viewer).await;
    app.sandbox.control.clear_requests();

    // Five different reads at once, held at their check; the session ends (signed out on
    // another instance, say) after every one of them reached CMR.
    let mut checks = hold_session_checks(&db).await;
    let reads: Vec<_> = ["", "a", "e", "o", "n"]
        .into_iter()
        .map(|q| {
            let mut form = list_form();
            form[0].1 = q.to_string();
            app.call_in_background(LIST, &cookie, form)
        })
        .collect();
    until_checks_wait(&db, 5).await;
    until_cmr_called(&app, 5).await;
    sqlx::query("DELETE FROM staff_sessions WHERE staff_id = $1")
        .bind(staff_id)
        .execute(&mut *checks)
        .await
        .unwrap();
    checks.commit().await.unwrap();

    let secret = &app.sandbox.control.users()[0].id;
    for read in reads {
        let (status, body) = answered(read).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(error_of(&body), AppError::Unauthorized);
        assert!(!body.contains(secret.as_str()), "no data: {body}");
    }

    // The session is forgotten: the next read with it waits for its check and never reaches
    // CMR.
    app.sandbox.control.clear_requests();
    let answer = app.call(LIST, Some(&cookie), &pairs(&list_form())).await;
    assert_eq!(answer.status, 401);
    assert!(app.sandbox.control.requests().is_empty());
    app_db.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_this_instance_has_not_confirmed_reaches_cmr_only_after_its_check(db: PgPool) {
    let first = spawn(db.clone()).await;
    let (_, cookie) = signed_in(&first, Role::Viewer).await;
    let second_db = another_pool(&db).await;
    let second = spawn_beside(&first, second_db.clone()).await;
    first.sandbox.control.clear_requests();

    let checks = hold_session_checks(&db).await;
    let read = second.call_in_background(LIST, &cookie, list_form());
    until_checks_wait(&db, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        first.sandbox.control.requests().is_empty(),
        "nothing reaches CMR before the check"
    );
    assert!(!read.is_finished());

    checks.commit().await.unwrap();
    let (status, body) = answered(read).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(first.sandbox.control.requests().len(), 1);
    second_db.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_account_changed_while_its_read_ran_is_answered_as_it_now_is(db: PgPool) {
    let app = spawn(db.clone()).await;
    let (staff_id, cookie) = signed_in(&app, Role::Editor).await;
    let customer = app.sandbox.control.users()[0].id.clone();
    let profile = vec![("id".to_string(), customer.clone())];
    let answer = app
        .call("/api/customers/profile", Some(&cookie), &pairs(&profile))
        .await;
    assert_eq!(answer.status, 200, "an editor may open the edit form");
    // CMR answers slowly, so the check is done while the read still waits for CMR: the read
    // must be stopped (refused) or dropped before it runs again (changed).
    app.sandbox
        .control
        .set_latency(Some("/users"), Duration::from_millis(500));

    // Each change to the account, made while a read that was allowed a moment ago runs.
    enum Expect {
        Answered,
        Refused(AppError),
        SentToChangePassword,
    }
    let changes = [
        ("display_name = 'Renamed'", Expect::Answered),
        ("role = 'viewer'", Expect::Refused(AppError::Forbidden)),
        (
            "disabled_at = now()",
            Expect::Refused(AppError::Unauthorized),
        ),
        ("must_change_password = true", Expect::SentToChangePassword),
    ];
    for (change, expected) in changes {
        // Back to a signed-in editor, confirmed by this instance.
        sqlx::query(
            "UPDATE staff SET role = 'editor', disabled_at = NULL, display_name = 'Test Person',
                    must_change_password = false WHERE id = $1",
        )
        .bind(staff_id)
        .execute(&db)
        .await
        .unwrap();
        let answer = app
            .call("/api/customers/profile", Some(&cookie), &pairs(&profile))
            .await;
        assert_eq!(answer.status, 200, "{change}: {}", answer.body);
        app.sandbox.control.clear_requests();

        let mut checks = hold_session_checks(&db).await;
        let read = app.call_in_background("/api/customers/profile", &cookie, profile.clone());
        until_checks_wait(&db, 1).await;
        until_cmr_called(&app, 1).await;
        sqlx::query(&format!("UPDATE staff SET {change} WHERE id = $1"))
            .bind(staff_id)
            .execute(&mut *checks)
            .await
            .unwrap();
        checks.commit().await.unwrap();

        let (status, body) = answered(read).await;
        let customer_email = &app.sandbox.control.users()[0].profile.email;
        match expected {
            // Still an editor: answered, by a second run as the account now is.
            Expect::Answered => {
                assert_eq!(status, 200, "{change}: {body}");
                assert!(body.contains(customer_email.as_str()), "{change}: {body}");
                assert_eq!(
                    app.sandbox.control.requests().len(),
                    2,
                    "{change}: read again"
                );
                continue;
            }
            Expect::Refused(refusal) => assert_eq!(error_of(&body), refusal, "{change}: {status}"),
            Expect::SentToChangePassword => match error_of(&body) {
                AppError::Rejected(message) => {
                    assert!(message.contains("new password"), "{change}: {message}")
                }
                other => panic!("{change}: {other:?}"),
            },
        }
        assert!(
            !body.contains(customer_email.as_str()),
            "{change}: no profile: {body}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_write_never_starts_before_its_check(db: PgPool) {
    let app = spawn(db.clone()).await;
    let (_, cookie) = signed_in(&app, Role::Editor).await;
    let customer = app.sandbox.control.users()[0].clone();
    app.sandbox.control.clear_requests();

    let checks = hold_session_checks(&db).await;
    let form = vec![
        ("id".to_string(), customer.id.clone()),
        ("confirm_email".to_string(), customer.profile.email.clone()),
    ];
    let write = app.call_in_background("/api/customers/delete", &cookie, form);
    until_checks_wait(&db, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        app.sandbox.control.requests().is_empty(),
        "a write waits for its check"
    );
    checks.commit().await.unwrap();
    let (status, body) = answered(write).await;
    // An editor may not delete: the check decided, and CMR never heard of it.
    assert_eq!(error_of(&body), AppError::Forbidden, "{status}");
    assert!(app.sandbox.control.requests().is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_signed_out_here_starts_no_read_ahead_of_its_check(db: PgPool) {
    let app = spawn(db.clone()).await;
    let (_, cookie) = signed_in(&app, Role::Viewer).await;
    let answer = app.call("/api/auth/sign_out", Some(&cookie), &[]).await;
    assert!(answer.is_ok(), "{}", answer.body);
    app.sandbox.control.clear_requests();

    let checks = hold_session_checks(&db).await;
    let read = app.call_in_background(LIST, &cookie, list_form());
    until_checks_wait(&db, 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(app.sandbox.control.requests().is_empty());
    checks.commit().await.unwrap();
    let (status, body) = answered(read).await;
    assert_eq!(error_of(&body), AppError::Unauthorized, "{status}");
    assert!(app.sandbox.control.requests().is_empty());
}

#[sqlx::test(migrations = "../migrations")]
async fn a_check_cut_off_by_the_database_answers_with_no_data(db: PgPool) {
    let app = spawn(db.clone()).await;
    let (_, cookie) = signed_in(&app, Role::Viewer).await;
    app.sandbox.control.clear_requests();

    // The check's connection is cut (a database restart, say) after the read reached CMR.
    let checks = hold_session_checks(&db).await;
    let read = app.call_in_background(LIST, &cookie, list_form());
    until_cmr_called(&app, 1).await;
    common::kill_waiting(&db, &["relation"], 1, 1).await;
    let (status, body) = answered(read).await;
    checks.commit().await.unwrap();

    assert_eq!(status, 500, "{body}");
    let secret = &app.sandbox.control.users()[0].id;
    assert!(!body.contains(secret.as_str()), "no data: {body}");
    // Not remembered either: the next read waits for its check (which now answers).
    assert_eq!(app.state.recent_sessions.staff(&session_id(&cookie)), None);
    let answer = app.call(LIST, Some(&cookie), &pairs(&list_form())).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
}
