//! Staff management and sessions: disabling (sessions end at once), roles and the last admin,
//! password resets that must be replaced, unlocking, and ending sessions, through the real
//! router over HTTP with a real Postgres.

use crate::common;

use app::error::AppError;
use app::model::{Role, SessionView, StaffAccount};
use app::server::auth::sign_in::DISABLED;
use common::{spawn, TestApp, PASSWORD};
use sqlx::PgPool;

const TEMPORARY: &str = "a temporary password 42";

async fn staff_list(app: &TestApp, cookie: &str) -> Vec<StaffAccount> {
    let answer = app.call("/api/staff/list", Some(cookie), &[]).await;
    assert!(answer.is_ok(), "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

async fn audit_actions(app: &TestApp, target: i64) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE target_kind = 'staff' AND target_id = $1 ORDER BY id",
    )
    .bind(target.to_string())
    .fetch_all(&app.state.db)
    .await
    .unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_disabled_account_is_signed_out_at_once_and_cannot_sign_in(db: PgPool) {
    let app = spawn(db).await;
    app.staff("admin@example.com", Role::Admin).await;
    let ed = app.staff("ed@example.com", Role::Editor).await;
    let admin = app.sign_in("admin@example.com", PASSWORD).await;
    let ed_cookie = app.sign_in("ed@example.com", PASSWORD).await;
    assert!(app.is_signed_in(&ed_cookie).await);

    let id = ed.id.to_string();
    let answer = app
        .call("/api/staff/disable", Some(&admin), &[("id", &id)])
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    assert!(
        !app.is_signed_in(&ed_cookie).await,
        "the open session ended"
    );
    let page = app.get("/customers", Some(&ed_cookie)).await;
    assert_eq!(page.status, 303, "the next click lands on the sign-in page");

    let refused = app
        .call(
            "/api/auth/sign_in",
            None,
            &[("email", "ed@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(refused.error(), AppError::Rejected(DISABLED.into()));
    let listed = staff_list(&app, &admin).await;
    let row = listed.iter().find(|a| a.staff.id == ed.id).unwrap();
    assert!(row.disabled);
    assert_eq!(row.open_sessions, 0);

    let answer = app
        .call("/api/staff/enable", Some(&admin), &[("id", &id)])
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    let again = app.sign_in("ed@example.com", PASSWORD).await;
    assert!(app.is_signed_in(&again).await, "enabled again, it signs in");
    assert_eq!(
        audit_actions(&app, ed.id).await,
        ["staff.disable", "staff.enable"]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_cannot_demote_or_disable_themself(db: PgPool) {
    let app = spawn(db).await;
    let ann = app.staff("ann@example.com", Role::Admin).await;
    let cookie = app.sign_in("ann@example.com", PASSWORD).await;
    let id = ann.id.to_string();
    for (path, form) in [
        (
            "/api/staff/role",
            vec![("id", id.as_str()), ("role", "viewer")],
        ),
        ("/api/staff/disable", vec![("id", id.as_str())]),
    ] {
        let answer = app.call(path, Some(&cookie), &form).await;
        assert!(
            matches!(answer.error(), AppError::Rejected(ref m) if m.contains("your own")),
            "{path}: {}",
            answer.body
        );
    }
    assert_eq!(staff_list(&app, &cookie).await[0].staff.role, Role::Admin);
}

/// Two admins demote (or disable) each other at the same moment: one wins, the other is
/// refused, and an active admin always remains. Repeated, so the interleavings vary.
#[sqlx::test(migrations = "../migrations")]
async fn two_admins_removing_each_other_at_once_leave_one_admin(db: PgPool) {
    let app = spawn(db).await;
    let a = app.staff("a@example.com", Role::Admin).await;
    let b = app.staff("b@example.com", Role::Admin).await;
    for round in 0..6 {
        let (a_cookie, b_cookie) = (
            app.sign_in("a@example.com", PASSWORD).await,
            app.sign_in("b@example.com", PASSWORD).await,
        );
        let (a_id, b_id) = (a.id.to_string(), b.id.to_string());
        let (path, extra): (&str, Vec<(&str, &str)>) = if round % 2 == 0 {
            ("/api/staff/role", vec![("role", "editor")])
        } else {
            ("/api/staff/disable", vec![])
        };
        let form = |id: &str| {
            let mut form = vec![("id", id.to_string())];
            form.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
            form
        };
        let (fa, fb) = (form(&b_id), form(&a_id));
        let fa: Vec<(&str, &str)> = fa.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let fb: Vec<(&str, &str)> = fb.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (one, two) = tokio::join!(
            app.call(path, Some(&a_cookie), &fa),
            app.call(path, Some(&b_cookie), &fb)
        );
        let wins = [one.is_ok(), two.is_ok()].iter().filter(|w| **w).count();
        assert_eq!(wins, 1, "round {round}: {} / {}", one.body, two.body);
        let admins: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM staff WHERE role = 'admin' AND disabled_at IS NULL",
        )
        .fetch_one(&app.state.db)
        .await
        .unwrap();
        assert_eq!(admins, 1, "round {round}: exactly one active admin remains");
        // Back to two admins for the next round.
        sqlx::query("UPDATE staff SET role = 'admin', disabled_at = NULL")
            .execute(&app.state.db)
            .await
            .unwrap();
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_reset_password_must_be_changed_before_anything_else(db: PgPool) {
    let app = spawn(db).await;
    app.staff("admin@example.com", Role::Admin).await;
    let ed = app.staff("ed@example.com", Role::Editor).await;
    let admin = app.sign_in("admin@example.com", PASSWORD).await;
    let old = app.sign_in("ed@example.com", PASSWORD).await;
    let id = ed.id.to_string();

    let weak = app
        .call(
            "/api/staff/reset_password",
            Some(&admin),
            &[("id", &id), ("password", "short")],
        )
        .await;
    assert!(weak.error().field("password").is_some(), "{}", weak.body);
    let answer = app
        .call(
            "/api/staff/reset_password",
            Some(&admin),
            &[("id", &id), ("password", TEMPORARY)],
        )
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    assert!(
        !app.is_signed_in(&old).await,
        "the reset ended the old session"
    );
    assert!(
        app.call(
            "/api/auth/sign_in",
            None,
            &[("email", "ed@example.com"), ("password", PASSWORD)]
        )
        .await
        .status
            == 409,
        "the old password no longer works"
    );

    let cookie = app.sign_in("ed@example.com", TEMPORARY).await;
    let page = app.get("/customers", Some(&cookie)).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.headers["location"], app::routes::CHANGE_PASSWORD);
    let refused = app.call("/api/customers/list", Some(&cookie), &[]).await;
    assert!(
        matches!(refused.error(), AppError::Rejected(ref m) if m.contains("new password")),
        "{}",
        refused.body
    );
    assert_eq!(
        app.get(app::routes::CHANGE_PASSWORD, Some(&cookie))
            .await
            .status,
        200
    );

    let same = app
        .call(
            "/api/auth/change_password",
            Some(&cookie),
            &[
                ("current_password", TEMPORARY),
                ("new_password", TEMPORARY),
                ("confirm_password", TEMPORARY),
            ],
        )
        .await;
    assert!(
        same.error().field("new_password").is_some(),
        "{}",
        same.body
    );
    let mine = "my very own password 7";
    let changed = app
        .call(
            "/api/auth/change_password",
            Some(&cookie),
            &[
                ("current_password", TEMPORARY),
                ("new_password", mine),
                ("confirm_password", mine),
            ],
        )
        .await;
    assert!(changed.is_ok(), "{}", changed.body);
    assert_eq!(
        app.get("/customers", Some(&cookie)).await.status,
        200,
        "the gate lifted"
    );
    assert_eq!(audit_actions(&app, ed.id).await, ["staff.reset_password"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_admin_unlocks_a_locked_out_account(db: PgPool) {
    let app = spawn(db).await;
    app.staff("admin@example.com", Role::Admin).await;
    let ed = app.staff("ed@example.com", Role::Editor).await;
    let admin = app.sign_in("admin@example.com", PASSWORD).await;
    let id = ed.id.to_string();
    let not_locked = app
        .call("/api/staff/unlock", Some(&admin), &[("id", &id)])
        .await;
    assert!(matches!(not_locked.error(), AppError::Rejected(_)));
    for _ in 0..11 {
        app.call(
            "/api/auth/sign_in",
            None,
            &[
                ("email", "ed@example.com"),
                ("password", "wrong password here"),
            ],
        )
        .await;
    }
    let listed = staff_list(&app, &admin).await;
    assert!(listed
        .iter()
        .any(|a| a.staff.id == ed.id && a.locked_until.is_some()));
    let answer = app
        .call("/api/staff/unlock", Some(&admin), &[("id", &id)])
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    let cookie = app.sign_in("ed@example.com", PASSWORD).await;
    assert!(
        app.is_signed_in(&cookie).await,
        "unlocked: the right password works at once"
    );
    assert_eq!(audit_actions(&app, ed.id).await, ["staff.unlock"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn only_admins_manage_staff(db: PgPool) {
    let app = spawn(db).await;
    let ann = app.staff("ann@example.com", Role::Admin).await;
    app.staff("ed@example.com", Role::Editor).await;
    let ed = app.sign_in("ed@example.com", PASSWORD).await;
    let id = ann.id.to_string();
    for path in [
        "/api/staff/list",
        "/api/staff/get",
        "/api/staff/role",
        "/api/staff/disable",
        "/api/staff/enable",
        "/api/staff/reset_password",
        "/api/staff/unlock",
        "/api/sessions/all",
    ] {
        let answer = app
            .call(
                path,
                Some(&ed),
                &[("id", &id), ("role", "admin"), ("password", TEMPORARY)],
            )
            .await;
        assert_eq!(answer.error(), AppError::Forbidden, "{path}");
    }
}

async fn my_sessions(app: &TestApp, cookie: &str) -> Vec<SessionView> {
    let answer = app.call("/api/sessions/mine", Some(cookie), &[]).await;
    assert!(answer.is_ok(), "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_session_ended_from_another_one_is_refused_on_its_next_request(db: PgPool) {
    let app = spawn(db).await;
    app.staff("ed@example.com", Role::Editor).await;
    let laptop = app.sign_in("ed@example.com", PASSWORD).await;
    let phone = app.sign_in("ed@example.com", PASSWORD).await;
    let sessions = my_sessions(&app, &laptop).await;
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    assert!(sessions
        .iter()
        .all(|s| s.ip.as_deref() == Some("127.0.0.1")));
    let body = serde_json::to_string(&sessions).unwrap();
    assert!(
        !body.contains(&laptop) && !body.contains(&phone),
        "no session id is shown"
    );

    let other = sessions.iter().find(|s| !s.current).unwrap();
    let handle = other.handle.to_string();
    let answer = app
        .call("/api/sessions/end", Some(&laptop), &[("handle", &handle)])
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    assert!(!app.is_signed_in(&phone).await, "the phone's session ended");
    assert!(app.is_signed_in(&laptop).await, "the laptop's did not");
    let again = app
        .call("/api/sessions/end", Some(&laptop), &[("handle", &handle)])
        .await;
    assert!(matches!(again.error(), AppError::Rejected(_)));
}

#[sqlx::test(migrations = "../migrations")]
async fn staff_end_only_their_own_sessions_and_admins_anyones(db: PgPool) {
    let app = spawn(db).await;
    app.staff("admin@example.com", Role::Admin).await;
    app.staff("ed@example.com", Role::Editor).await;
    let admin = app.sign_in("admin@example.com", PASSWORD).await;
    let ed = app.sign_in("ed@example.com", PASSWORD).await;
    let admin_handle = my_sessions(&app, &admin).await[0].handle.to_string();
    let refused = app
        .call("/api/sessions/end", Some(&ed), &[("handle", &admin_handle)])
        .await;
    assert!(
        matches!(refused.error(), AppError::Rejected(_)),
        "{}",
        refused.body
    );
    assert!(
        app.is_signed_in(&admin).await,
        "an editor cannot end an admin's session"
    );

    let all = app.call("/api/sessions/all", Some(&admin), &[]).await;
    let all: Vec<SessionView> = serde_json::from_str(&all.body).unwrap();
    assert_eq!(all.len(), 2);
    let ed_handle = all
        .iter()
        .find(|s| s.staff_email == "ed@example.com")
        .unwrap()
        .handle
        .to_string();
    let answer = app
        .call("/api/sessions/end", Some(&admin), &[("handle", &ed_handle)])
        .await;
    assert!(answer.is_ok(), "{}", answer.body);
    assert!(!app.is_signed_in(&ed).await);
}

/// The fault at the worst moment: both demotions are queued on the lock that keeps the last
/// admin when the database cuts their connections (one, then both). A cut change is rolled
/// back whole: never zero admins, never an audit entry for a change that did not happen, and
/// the lock is free again afterwards.
#[sqlx::test(migrations = "../migrations")]
async fn a_cut_connection_while_admins_remove_each_other_leaves_an_admin_and_a_true_log(
    db: PgPool,
) {
    let app = spawn(db).await;
    let a = app.staff("a@example.com", Role::Admin).await;
    let b = app.staff("b@example.com", Role::Admin).await;
    let holder = common::another_pool(&app.state.db).await;
    for kill in [1, 2] {
        let a_cookie = app.sign_in("a@example.com", PASSWORD).await;
        let b_cookie = app.sign_in("b@example.com", PASSWORD).await;
        // Another instance's change holds the lock, so both requests queue behind it.
        let mut lock = holder.acquire().await.unwrap();
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(app::server::db::staff::ADMINS_LOCK)
            .execute(&mut *lock)
            .await
            .unwrap();
        let demote = |id: i64| {
            vec![
                ("id".into(), id.to_string()),
                ("role".into(), "editor".into()),
            ]
        };
        let one = app.call_in_background("/api/staff/role", &a_cookie, demote(b.id));
        let two = app.call_in_background("/api/staff/role", &b_cookie, demote(a.id));
        common::kill_waiting(&app.state.db, &["advisory"], 2, kill).await;
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(app::server::db::staff::ADMINS_LOCK)
            .execute(&mut *lock)
            .await
            .unwrap();
        drop(lock);
        let answers = [one.await.unwrap(), two.await.unwrap()];
        let wins = answers.iter().filter(|(s, _)| *s == 200).count();
        for (status, body) in &answers {
            assert!(
                *status == 200 || *status == 500,
                "kill {kill}: {status} {body}"
            );
            assert!(
                !body.to_lowercase().contains("terminat"),
                "no internals: {body}"
            );
        }
        assert_eq!(wins, 2 - kill, "kill {kill}: {answers:?}");
        let admins: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM staff WHERE role = 'admin' AND disabled_at IS NULL",
        )
        .fetch_one(&app.state.db)
        .await
        .unwrap();
        assert_eq!(
            admins,
            2 - wins as i64,
            "kill {kill}: the cut change left nothing"
        );
        let logged: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_log WHERE action = 'staff.role' AND outcome = 'ok'",
        )
        .fetch_one(&app.state.db)
        .await
        .unwrap();
        assert_eq!(
            logged, 1,
            "kill {kill}: one logged change in all (from the first round)"
        );
        sqlx::query("UPDATE staff SET role = 'admin', disabled_at = NULL")
            .execute(&app.state.db)
            .await
            .unwrap();
    }
    holder.close().await;

    // The lock was released with the cut connections: the next pair runs as before.
    let a_cookie = app.sign_in("a@example.com", PASSWORD).await;
    let b_cookie = app.sign_in("b@example.com", PASSWORD).await;
    let (a_id, b_id) = (a.id.to_string(), b.id.to_string());
    let (disable_b, disable_a) = ([("id", b_id.as_str())], [("id", a_id.as_str())]);
    let (one, two) = tokio::join!(
        app.call("/api/staff/disable", Some(&a_cookie), &disable_b),
        app.call("/api/staff/disable", Some(&b_cookie), &disable_a)
    );
    assert_eq!(
        [one.is_ok(), two.is_ok()].iter().filter(|w| **w).count(),
        1,
        "{} / {}",
        one.body,
        two.body
    );
}
