//! Two-factor sign-in: enrolment confirmed by a first code, signing in with an app code (each
//! accepted once, also when replayed in parallel), recovery codes used once, wrong codes in
//! the sign-in throttle, and admins sent to enrol first when the dashboard requires it.

use crate::common;

use app::error::AppError;
use app::model::{Role, TwoFactorEnrolment};
use app::server::auth::two_factor::code_at;
use common::{spawn, spawn_with, TestApp, PASSWORD};
use sqlx::PgPool;
use std::time::Duration;

const STEP: Duration = Duration::from_secs(30);

/// Enrols `cookie`'s account; returns the secret (base32) and the recovery codes.
async fn enrol(app: &TestApp, cookie: &str) -> (String, Vec<String>) {
    let begun = app.call("/api/two_factor/begin", Some(cookie), &[]).await;
    assert!(begun.is_ok(), "{}", begun.body);
    let enrolment: TwoFactorEnrolment = serde_json::from_str(&begun.body).unwrap();
    assert!(
        enrolment.uri.starts_with("otpauth://totp/CMR%20Admin:"),
        "{}",
        enrolment.uri
    );
    assert!(
        enrolment.qr_svg.starts_with("<svg"),
        "an inline SVG QR code"
    );
    let secret = enrolment.secret.replace(' ', "");
    assert!(
        enrolment.uri.contains(&secret),
        "the QR code holds the same secret"
    );

    let wrong = app
        .call(
            "/api/two_factor/confirm",
            Some(cookie),
            &[("code", "000000")],
        )
        .await;
    assert!(wrong.error().field("code").is_some(), "{}", wrong.body);
    let code = code_at(&secret, app.state.clock.now().unix_timestamp()).unwrap();
    let confirmed = app
        .call("/api/two_factor/confirm", Some(cookie), &[("code", &code)])
        .await;
    assert!(confirmed.is_ok(), "{}", confirmed.body);
    let codes: Vec<String> = serde_json::from_str(&confirmed.body).unwrap();
    (secret, codes)
}

/// Signs in with the password; returns the pending session's cookie (not signed in yet).
async fn password_step(app: &TestApp, email: &str) -> String {
    let answer = app
        .call(
            "/api/auth/sign_in",
            None,
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    let location = answer
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        location.starts_with(app::routes::SIGN_IN_CODE),
        "{location:?}"
    );
    let cookie = answer.cookie.expect("a pending session");
    assert!(
        !app.is_signed_in(&cookie).await,
        "a password alone does not sign in"
    );
    cookie
}

async fn code_step(app: &TestApp, cookie: &str, code: &str) -> common::Answer {
    app.call("/api/auth/sign_in_code", Some(cookie), &[("code", code)])
        .await
}

fn now_code(app: &TestApp, secret: &str) -> String {
    code_at(secret, app.state.clock.now().unix_timestamp()).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn enrolment_then_sign_in_with_a_code_each_code_once(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Editor).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let (secret, codes) = enrol(&app, &cookie).await;
    assert_eq!(codes.len(), 10);
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM staff_recovery_codes")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    assert!(
        codes
            .iter()
            .all(|c| !stored.iter().any(|h| h.contains(c.as_str()))),
        "stored hashed"
    );

    // The code that confirmed enrolment was used: the same step's code is refused.
    let pending = password_step(&app, "ann@example.com").await;
    let replay = code_step(&app, &pending, &now_code(&app, &secret)).await;
    assert!(replay.error().field("code").is_some(), "{}", replay.body);
    assert!(!app.is_signed_in(&pending).await);

    app.clock.advance(STEP);
    let code = now_code(&app, &secret);
    let answer = code_step(&app, &pending, &code).await;
    assert!(answer.is_ok(), "{}", answer.body);
    let signed_in = answer.cookie.expect("a new session id after the code");
    assert_ne!(signed_in, pending, "the session id changes when signing in");
    assert!(app.is_signed_in(&signed_in).await);
    assert!(!app.is_signed_in(&pending).await, "the pending id is dead");

    // The same code again, in another sign-in within its window: refused.
    let second = password_step(&app, "ann@example.com").await;
    let replayed = code_step(&app, &second, &code).await;
    assert!(
        replayed.error().field("code").is_some(),
        "{}",
        replayed.body
    );
    // One step later (the previous code is still inside the ±1 window): refused too, since an
    // older step than the last accepted one never counts.
    app.clock.advance(STEP);
    assert!(code_step(&app, &second, &code)
        .await
        .error()
        .field("code")
        .is_some());
    let fresh = code_step(&app, &second, &now_code(&app, &secret)).await;
    assert!(fresh.is_ok(), "{}", fresh.body);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_code_sent_by_many_sign_ins_at_once_is_accepted_once(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let (secret, _) = enrol(&app, &cookie).await;
    app.clock.advance(STEP);
    let mut pendings = Vec::new();
    for _ in 0..6 {
        pendings.push(password_step(&app, "ann@example.com").await);
    }
    let code = now_code(&app, &secret);
    let mut calls = tokio::task::JoinSet::new();
    for pending in pendings {
        let (http, url, code) = (app.http().clone(), app.url.clone(), code.clone());
        calls.spawn(async move {
            http.post(format!("{url}/api/auth/sign_in_code"))
                .header("origin", &url)
                .header("sec-fetch-site", "same-origin")
                .header("cookie", format!("cmr_session={pending}"))
                .form(&[("code", code)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let statuses = calls.join_all().await;
    let accepted = statuses.iter().filter(|s| (200..300).contains(*s)).count();
    assert_eq!(
        accepted, 1,
        "one sign-in gets the code, the rest are refused: {statuses:?}"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_recovery_code_signs_in_once(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let (_, codes) = enrol(&app, &cookie).await;
    let pending = password_step(&app, "ann@example.com").await;
    // Typed in capitals with a space instead of the dash: still the code.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let answer = code_step(&app, &pending, &typed).await;
    assert!(answer.is_ok(), "{}", answer.body);
    let again = password_step(&app, "ann@example.com").await;
    let reused = code_step(&app, &again, &codes[3]).await;
    assert!(reused.error().field("code").is_some(), "{}", reused.body);
    let status = app
        .call("/api/two_factor/status", Some(&answer.cookie.unwrap()), &[])
        .await;
    assert!(
        status.body.contains("\"recovery_codes_left\":9"),
        "{}",
        status.body
    );
    let note: Option<String> = sqlx::query_scalar(
        "SELECT message FROM audit_log WHERE action = 'auth.sign_in' AND outcome = 'ok' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(note.as_deref(), Some("with a recovery code"));
}

#[sqlx::test(migrations = "../migrations")]
async fn wrong_codes_count_in_the_sign_in_throttle(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let (secret, _) = enrol(&app, &cookie).await;
    app.clock.advance(STEP);
    let pending = password_step(&app, "ann@example.com").await;
    // The password that started this sign-in cleared earlier failures: ten wrong codes lock.
    for _ in 0..10 {
        let answer = code_step(&app, &pending, "123456").await;
        assert_eq!(answer.status, 422, "{}", answer.body);
    }
    let locked = code_step(&app, &pending, &now_code(&app, &secret)).await;
    assert!(
        matches!(locked.error(), AppError::Rejected(ref m) if m.contains("Too many failed")),
        "even the right code waits out the lockout: {}",
        locked.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn turning_it_off_needs_the_password_and_a_code(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let (secret, _) = enrol(&app, &cookie).await;
    app.clock.advance(STEP);
    let code = now_code(&app, &secret);
    let wrong = app
        .call(
            "/api/two_factor/disable",
            Some(&cookie),
            &[("password", "not my password at all"), ("code", &code)],
        )
        .await;
    assert!(
        matches!(wrong.error(), AppError::Rejected(_)),
        "{}",
        wrong.body
    );
    let off = app
        .call(
            "/api/two_factor/disable",
            Some(&cookie),
            &[("password", PASSWORD), ("code", &code)],
        )
        .await;
    assert!(
        off.is_ok(),
        "the code was not used up by the wrong password: {}",
        off.body
    );
    let plain = app.sign_in("ann@example.com", PASSWORD).await;
    assert!(
        app.is_signed_in(&plain).await,
        "a password alone signs in again"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_must_enrol_before_anything_else_when_required(db: PgPool) {
    let app = spawn_with(db, |c| c.two_factor_for_admins = true).await;
    app.staff("admin@example.com", Role::Admin).await;
    app.staff("ed@example.com", Role::Editor).await;
    let ed = app.sign_in("ed@example.com", PASSWORD).await;
    assert_eq!(
        app.get("/customers", Some(&ed)).await.status,
        200,
        "only admins must"
    );

    let admin = app.sign_in("admin@example.com", PASSWORD).await;
    let home = app.get("/", Some(&admin)).await;
    assert_eq!(home.status, 303);
    assert_eq!(home.headers["location"], app::routes::TWO_FACTOR);
    let refused = app.call("/api/staff/list", Some(&admin), &[]).await;
    assert!(
        matches!(refused.error(), AppError::Rejected(ref m) if m.contains("two-factor")),
        "{}",
        refused.body
    );
    assert_eq!(
        app.get(app::routes::TWO_FACTOR, Some(&admin)).await.status,
        200
    );
    let (secret, _) = enrol(&app, &admin).await;
    assert_eq!(
        app.get("/", Some(&admin)).await.status,
        200,
        "enrolled: the gate lifts"
    );

    // Required: it cannot be turned off.
    app.clock.advance(STEP);
    let off = app
        .call(
            "/api/two_factor/disable",
            Some(&admin),
            &[("password", PASSWORD), ("code", &now_code(&app, &secret))],
        )
        .await;
    assert!(
        matches!(off.error(), AppError::Rejected(ref m) if m.contains("must keep")),
        "{}",
        off.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_pending_sign_in_expires_after_five_minutes(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let (secret, _) = enrol(&app, &cookie).await;
    let pending = password_step(&app, "ann@example.com").await;
    app.clock.advance(Duration::from_secs(5 * 60));
    let late = code_step(&app, &pending, &now_code(&app, &secret)).await;
    assert_eq!(
        late.error(),
        AppError::Rejected(app::model::staff::SIGN_IN_STARTS_AGAIN.into())
    );
    let none = code_step(&app, "no-such-session", "123456").await;
    assert!(
        matches!(none.error(), AppError::Rejected(_)),
        "no pending sign-in: {}",
        none.body
    );
}

/// The fault at the worst moment: four sign-ins send one code while the account's row is
/// locked (another transaction on it), so all four queue on the write that accepts a code
/// once; two of them then lose their database connection. At most one sign-in gets in, a cut one
/// never does, and the next step's code works as usual.
#[sqlx::test(migrations = "../migrations")]
async fn a_cut_connection_while_a_code_is_accepted_lets_at_most_one_in(db: PgPool) {
    let app = spawn(db).await;
    let ann = app.staff("ann@example.com", Role::Viewer).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let (secret, _) = enrol(&app, &cookie).await;
    app.clock.advance(STEP);
    let mut pendings = Vec::new();
    for _ in 0..4 {
        pendings.push(password_step(&app, "ann@example.com").await);
    }
    let code = now_code(&app, &secret);
    let sessions = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM staff_sessions WHERE staff_id = $1")
            .bind(ann.id)
            .fetch_one(&app.state.db)
            .await
            .unwrap()
    };
    let sessions_before = sessions().await;

    let holder = common::another_pool(&app.state.db).await;
    let mut lock = holder.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM staff WHERE id = $1 FOR UPDATE")
        .bind(ann.id)
        .execute(&mut *lock)
        .await
        .unwrap();
    let calls: Vec<_> = pendings
        .iter()
        .map(|pending| {
            app.call_in_background(
                "/api/auth/sign_in_code",
                pending,
                vec![("code".into(), code.clone())],
            )
        })
        .collect();
    common::kill_waiting(&app.state.db, &["transactionid", "tuple"], 4, 2).await;
    lock.rollback().await.unwrap();
    holder.close().await;
    let mut answers = Vec::new();
    for call in calls {
        answers.push(call.await.unwrap());
    }
    let accepted = answers
        .iter()
        .filter(|(s, _)| (200..300).contains(s))
        .count();
    assert_eq!(accepted, 1, "{answers:?}");
    let signed_in = {
        let mut n = 0;
        for pending in &pendings {
            n += usize::from(app.is_signed_in(pending).await);
        }
        n
    };
    assert_eq!(signed_in, 0, "pending ids never become sessions");
    assert_eq!(
        sessions().await - sessions_before,
        1,
        "one signed-in session, from the one accepted code: {answers:?}"
    );

    app.clock.advance(STEP);
    let again = password_step(&app, "ann@example.com").await;
    let fresh = code_step(&app, &again, &now_code(&app, &secret)).await;
    assert!(fresh.is_ok(), "{}", fresh.body);
}
