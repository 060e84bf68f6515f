//! Sign-in, sessions, the lockout, first-run setup and the deny-by-default guard, through the
//! real router over HTTP with a real Postgres.

use crate::common;

use app::error::AppError;
use app::model::Role;
use app::server::auth::{bootstrap, setup, sign_in::BAD_CREDENTIALS};
use common::{spawn, PASSWORD};
use sqlx::PgPool;
use std::collections::BTreeSet;
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);

/// The only server functions that answer without a session.
const PUBLIC_FUNCTIONS: [&str; 3] = [
    "/api/auth/sign_in",
    "/api/auth/sign_in_code",
    "/api/setup/complete",
];

#[sqlx::test(migrations = "../migrations")]
async fn every_server_function_except_sign_in_and_setup_refuses_anonymous_callers(db: PgPool) {
    let app = spawn(db).await;
    let registered: Vec<_> = server_fn::axum::server_fn_paths().collect();
    assert!(
        registered.len() >= 6,
        "the registry lists the app's functions: {registered:?}"
    );
    let mut answered = BTreeSet::new();
    for (path, _method) in &registered {
        let answer = app.call(path, None, &[]).await;
        if answer.status == 401 {
            assert_eq!(answer.error(), AppError::Unauthorized, "{path}");
        } else {
            answered.insert(path.to_string());
        }
    }
    let public: BTreeSet<String> = PUBLIC_FUNCTIONS.iter().map(|p| p.to_string()).collect();
    assert_eq!(answered, public, "only these may answer anonymous callers");
}

#[sqlx::test(migrations = "../migrations")]
async fn no_server_function_is_reachable_by_get(db: PgPool) {
    let _app = spawn(db).await;
    for (path, method) in server_fn::axum::server_fn_paths() {
        assert_eq!(
            method,
            http::Method::POST,
            "{path} must not change state over GET"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_viewer_cannot_call_admin_functions(db: PgPool) {
    let app = spawn(db).await;
    app.staff("viewer@example.com", Role::Viewer).await;
    let cookie = app.sign_in("viewer@example.com", PASSWORD).await;
    let form = [
        ("email", "new@example.com"),
        ("display_name", "New"),
        ("role", "admin"),
        ("password", PASSWORD),
    ];
    let answer = app.call("/api/staff/create", Some(&cookie), &form).await;
    assert_eq!(answer.error(), AppError::Forbidden);
    let answer = app.call("/api/staff/list", Some(&cookie), &[]).await;
    assert_eq!(answer.error(), AppError::Forbidden);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM staff")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(count, 1, "nothing was created");

    app.staff("admin@example.com", Role::Admin).await;
    let admin = app.sign_in("admin@example.com", PASSWORD).await;
    let answer = app.call("/api/staff/create", Some(&admin), &form).await;
    assert!(answer.is_ok(), "an admin may: {}", answer.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn signing_in_issues_a_new_session_id(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Editor).await;
    let first = app.sign_in("ann@example.com", PASSWORD).await;
    // Signing in again while holding a session cycles its id; the old one is gone.
    let answer = app
        .call(
            "/api/auth/sign_in",
            Some(&first),
            &[("email", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    let set_cookie = answer.headers["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(
        !set_cookie.contains("Secure"),
        "plain-http dev falls back to a non-Secure cookie"
    );
    let second = answer.cookie.expect("a new cookie");
    assert_ne!(first, second);
    assert!(!app.is_signed_in(&first).await);
    assert!(app.is_signed_in(&second).await);
}

#[sqlx::test(migrations = "../migrations")]
async fn the_old_cookie_is_dead_after_sign_out(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    assert!(app.is_signed_in(&cookie).await);
    let answer = app.call("/api/auth/sign_out", Some(&cookie), &[]).await;
    assert!(answer.is_ok(), "{}", answer.body);
    assert!(!app.is_signed_in(&cookie).await);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM staff_sessions")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows, 0, "the session row was deleted server-side");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_row_names_its_account_and_ends_with_it(db: PgPool) {
    let app = spawn(db).await;
    let ann = app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    // The idle clock is written back a minute later: the row keeps naming its account.
    app.clock.advance(2 * MINUTE);
    assert!(app.is_signed_in(&cookie).await);
    let owners: Vec<Option<i64>> = sqlx::query_scalar("SELECT staff_id FROM staff_sessions")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(owners, vec![Some(ann.id)], "one session, Ann's");
    sqlx::query("DELETE FROM staff WHERE id = $1")
        .bind(ann.id)
        .execute(&app.state.db)
        .await
        .unwrap();
    assert!(!app.is_signed_in(&cookie).await, "the account is gone");
}

#[sqlx::test(migrations = "../migrations")]
async fn an_idle_session_expires_after_thirty_minutes(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    app.clock.advance(29 * MINUTE);
    assert!(
        app.is_signed_in(&cookie).await,
        "activity before the limit keeps it alive"
    );
    app.clock.advance(29 * MINUTE);
    assert!(
        app.is_signed_in(&cookie).await,
        "the idle clock restarted at the last request"
    );
    app.clock.advance(30 * MINUTE);
    assert!(!app.is_signed_in(&cookie).await, "30 idle minutes end it");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_busy_session_still_ends_twelve_hours_after_sign_in(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    for _ in 0..28 {
        app.clock.advance(25 * MINUTE); // 28 × 25 min = 11 h 40 min
        assert!(app.is_signed_in(&cookie).await);
    }
    app.clock.advance(25 * MINUTE); // 12 h 5 min
    assert!(!app.is_signed_in(&cookie).await);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let form = |email| [("email", email), ("password", "wrong password here")];
    let started = std::time::Instant::now();
    let unknown = app
        .call("/api/auth/sign_in", None, &form("nobody@example.com"))
        .await;
    let unknown_took = started.elapsed();
    let started = std::time::Instant::now();
    let wrong = app
        .call("/api/auth/sign_in", None, &form("ann@example.com"))
        .await;
    let wrong_took = started.elapsed();
    assert_eq!(unknown.error(), AppError::Rejected(BAD_CREDENTIALS.into()));
    assert_eq!(wrong.error(), unknown.error());
    assert_eq!(unknown.status, wrong.status);
    // Both paths run one argon2 verification; a missing one would make the unknown email
    // answer many times faster. (Loose on purpose: this is no benchmark.)
    assert!(
        unknown_took * 3 >= wrong_took,
        "unknown email took {unknown_took:?}, wrong password {wrong_took:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn ten_failures_lock_the_account_for_fifteen_minutes(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    for _ in 0..10 {
        let answer = app
            .call(
                "/api/auth/sign_in",
                None,
                &[("email", "ann@example.com"), ("password", "nope")],
            )
            .await;
        assert_eq!(answer.error(), AppError::Rejected(BAD_CREDENTIALS.into()));
    }
    let form = [("email", "ann@example.com"), ("password", PASSWORD)];
    let locked = app.call("/api/auth/sign_in", None, &form).await;
    match locked.error() {
        AppError::Rejected(message) => assert!(message.starts_with("Too many failed sign-ins")),
        other => panic!("expected the lockout, got {other:?}"),
    }
    let lockouts: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'auth.lockout'")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(lockouts, 1);

    app.clock.advance(16 * MINUTE);
    let answer = app.call("/api/auth/sign_in", None, &form).await;
    assert!(answer.is_ok(), "the lockout ends: {}", answer.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn failures_spread_beyond_fifteen_minutes_do_not_lock(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    for _ in 0..9 {
        app.call(
            "/api/auth/sign_in",
            None,
            &[("email", "ann@example.com"), ("password", "x")],
        )
        .await;
    }
    app.clock.advance(16 * MINUTE);
    app.call(
        "/api/auth/sign_in",
        None,
        &[("email", "ann@example.com"), ("password", "x")],
    )
    .await;
    app.sign_in("ann@example.com", PASSWORD).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_setup_token_creates_only_the_first_admin(db: PgPool) {
    let app = spawn(db).await;
    let url = bootstrap::announce_if_needed(&app.state)
        .await
        .unwrap()
        .expect("setup is open");
    let token = url.split("token=").nth(1).unwrap().to_string();
    let setup = |token: String| {
        let app = &app;
        async move {
            let form = [
                ("token", token.as_str()),
                ("email", "first@example.com"),
                ("display_name", "First Admin"),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ];
            app.call("/api/setup/complete", None, &form).await
        }
    };
    let answer = setup("0".repeat(64)).await;
    assert!(
        matches!(answer.error(), AppError::Rejected(_)),
        "a wrong token is refused"
    );

    let answer = setup(token.clone()).await;
    assert!(answer.is_ok(), "{}", answer.body);
    let cookie = answer.cookie.expect("the new admin is signed in");
    let me = app.call("/api/auth/whoami", Some(&cookie), &[]).await;
    assert!(me.body.contains("\"role\":\"admin\""), "{}", me.body);

    let again = setup(token).await;
    assert!(
        matches!(again.error(), AppError::Rejected(_)),
        "the token is spent"
    );
    assert_eq!(
        bootstrap::announce_if_needed(&app.state).await.unwrap(),
        None
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_stored_hash_is_argon2id_at_owasp_parameters(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM staff")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn changing_the_password_ends_other_sessions(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let here = app.sign_in("ann@example.com", PASSWORD).await;
    let elsewhere = app.sign_in("ann@example.com", PASSWORD).await;
    let new = "an entirely new password";
    let form = [
        ("current_password", PASSWORD),
        ("new_password", new),
        ("confirm_password", new),
    ];
    app.clock.advance(Duration::from_secs(2));
    let answer = app
        .call("/api/auth/change_password", Some(&here), &form)
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    assert!(app.is_signed_in(&here).await);
    assert!(!app.is_signed_in(&elsewhere).await);
    app.sign_in("ann@example.com", new).await;

    let wrong = [
        ("current_password", "bad"),
        ("new_password", new),
        ("confirm_password", new),
    ];
    let answer = app
        .call("/api/auth/change_password", Some(&here), &wrong)
        .await;
    assert!(answer.error().field("current_password").is_some());
}

#[sqlx::test(migrations = "../migrations")]
async fn sign_in_events_are_audited_without_the_password(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    app.call(
        "/api/auth/sign_in",
        None,
        &[("email", "ann@example.com"), ("password", "typo typo")],
    )
    .await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    app.call("/api/auth/sign_out", Some(&cookie), &[]).await;
    let rows: Vec<(String, String, String)> =
        sqlx::query_as("SELECT action, outcome, audit_log::text FROM audit_log ORDER BY id")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    let actions: Vec<_> = rows
        .iter()
        .map(|(a, o, _)| (a.as_str(), o.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("auth.sign_in", "error"),
            ("auth.sign_in", "ok"),
            ("auth.sign_out", "ok")
        ]
    );
    for (_, _, row) in &rows {
        assert!(
            !row.contains("typo typo") && !row.contains(PASSWORD),
            "{row}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn the_command_line_creates_an_admin_or_resets_one(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let new = "a brand new admin password";
    let (_, created) =
        setup::create_or_reset_admin(&app.state, "ANN@example.com", "Ann", new.into())
            .await
            .unwrap();
    assert!(!created, "an existing account is reset, not duplicated");
    let cookie = app.sign_in("ann@example.com", new).await;
    let me = app.call("/api/auth/whoami", Some(&cookie), &[]).await;
    assert!(me.body.contains("\"role\":\"admin\""), "{}", me.body);

    let (_, created) = setup::create_or_reset_admin(&app.state, "bo@example.com", "Bo", new.into())
        .await
        .unwrap();
    assert!(created);
    let short =
        setup::create_or_reset_admin(&app.state, "cy@example.com", "Cy", "short".into()).await;
    assert!(short.unwrap_err().field("password").is_some());
}
