//! Mailboxes over HTTP against the CMR sandbox: the partner-wide list from the index, a
//! mailbox's page without its credentials, the audited reveal (admins only, never logged),
//! renaming (editors) and removal (admins, typed, nothing sent otherwise).

use crate::common;

use app::model::mailbox::{Credentials, MailboxDetail, MailboxList};
use app::model::Role;
use common::{captured_logs, fill_index, spawn_with, Answer, TestApp, PASSWORD};
use sqlx::PgPool;

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

fn ok<T: serde::de::DeserializeOwned>(answer: &Answer) -> T {
    assert!(answer.is_ok(), "{} {}", answer.status, answer.body);
    serde_json::from_str(&answer.body).unwrap_or_else(|e| panic!("{e}: {}", answer.body))
}

async fn list(app: &TestApp, cookie: &str, q: &str, status: &str) -> MailboxList {
    ok(&app
        .call(
            "/api/mailboxes/list",
            Some(cookie),
            &[
                ("filter[q]", q),
                ("filter[status]", status),
                ("filter[page]", "1"),
            ],
        )
        .await)
}

/// An ACTIVE mailbox whose subscription ends more than a day from now.
fn removable(app: &TestApp) -> cmr::types::Mailbox {
    let today = time::OffsetDateTime::now_utc().date();
    let subs = app.sandbox.control.subscriptions();
    app.sandbox
        .control
        .mailboxes()
        .into_iter()
        .find(|m| {
            m.status.as_str() == "ACTIVE"
                && subs.iter().any(|s| {
                    Some(&s.subscription_id) == m.subscription_id.as_ref()
                        && s.subscription_status.as_str() == "ACTIVE"
                        && s.period_end
                            .as_deref()
                            .and_then(|p| p.get(..10))
                            .and_then(|p| {
                                time::Date::parse(
                                    p,
                                    time::macros::format_description!("[year]-[month]-[day]"),
                                )
                                .ok()
                            })
                            .is_some_and(|end| end > today + time::Duration::days(3))
                })
        })
        .expect("a removable seeded mailbox")
}

#[sqlx::test(migrations = "../migrations")]
async fn the_list_searches_and_filters_the_index(db: PgPool) {
    let app = ready(&db).await;
    let viewer = signed_in(&app, Role::Viewer).await;
    let all = list(&app, &viewer, "", "").await;
    assert_eq!(all.total, app.sandbox.control.mailboxes().len() as i64);
    let m = &app.sandbox.control.mailboxes()[0];
    let found = list(&app, &viewer, &m.email, "").await;
    assert_eq!(found.total, 1);
    assert_eq!(found.rows[0].id, m.mailbox_id);
    let active = list(&app, &viewer, "", "ACTIVE").await;
    assert!(active.total > 0 && active.rows.iter().all(|r| r.status == "ACTIVE"));
    let bad = app
        .call(
            "/api/mailboxes/list",
            Some(&viewer),
            &[
                ("filter[q]", ""),
                ("filter[status]", "DROP TABLE"),
                ("filter[page]", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);

    let csv = app
        .get("/mailboxes/export.csv?status=ACTIVE", Some(&viewer))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.starts_with("mailbox_id,email,"), "{}", csv.body);
    assert_eq!(csv.body.lines().count() as i64, active.total + 1);
    assert_ne!(app.get("/mailboxes/export.csv", None).await.status, 200);
}

// `%` and `_` are searched for as themselves: an address with an underscore is found by its
// address, and a lone wildcard matches only addresses that contain it.
#[sqlx::test(migrations = "../migrations")]
async fn wildcards_in_a_search_are_matched_literally(db: PgPool) {
    let app = ready(&db).await;
    let viewer = signed_in(&app, Role::Viewer).await;
    let id = app.sandbox.control.mailboxes()[0].mailbox_id.clone();
    sqlx::query("UPDATE index_mailboxes SET email = 'first_last@example.net' WHERE id = $1")
        .bind(&id)
        .execute(&db)
        .await
        .unwrap();
    let underscored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM index_mailboxes WHERE strpos(email, '_') > 0")
            .fetch_one(&db)
            .await
            .unwrap();

    let found = list(&app, &viewer, "first_last", "").await;
    assert_eq!(found.total, 1, "the address with its underscore");
    assert_eq!(found.rows[0].id, id);
    assert_eq!(list(&app, &viewer, "first%last", "").await.total, 0);
    assert_eq!(list(&app, &viewer, "firstXlast", "").await.total, 0);
    assert_eq!(list(&app, &viewer, "_", "").await.total, underscored);
    assert_eq!(list(&app, &viewer, "%", "").await.total, 0);
    assert_eq!(list(&app, &viewer, "\\", "").await.total, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn credentials_stay_hidden_until_an_admin_reveals_them_and_the_reveal_is_audited(db: PgPool) {
    let app = ready(&db).await;
    let editor = signed_in(&app, Role::Editor).await;
    let admin = signed_in(&app, Role::Admin).await;
    let m = removable(&app);
    let secret = format!("sandbox-{}", &m.mailbox_id[..6.min(m.mailbox_id.len())]);

    let page = app
        .get(&format!("/mailboxes/{}", m.mailbox_id), Some(&admin))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(&secret),
        "the page's HTML holds no credential"
    );
    let detail = app
        .call("/api/mailboxes/get", Some(&admin), &[("id", &m.mailbox_id)])
        .await;
    let shown: MailboxDetail = ok(&detail);
    assert!(shown.can_reveal);
    assert!(!detail.body.contains(&secret));

    let refused = app
        .call(
            "/api/mailboxes/reveal",
            Some(&editor),
            &[("id", &m.mailbox_id)],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(!refused.body.contains(&secret));
    assert!(app
        .sandbox
        .control
        .requests_to("GET", "/mailboxes/admin-mailbox-details")
        .is_empty());

    let revealed = app
        .call(
            "/api/mailboxes/reveal",
            Some(&admin),
            &[("id", &m.mailbox_id)],
        )
        .await;
    let credentials: Credentials = ok(&revealed);
    assert!(credentials
        .fields
        .iter()
        .any(|(k, v)| k == "adminPassword" && v == &secret));
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT changes::text FROM audit_log
          WHERE action = 'mailbox.reveal_credentials' AND target_id = $1",
    )
    .bind(&m.mailbox_id)
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(audited.len(), 1);
    assert!(audited[0].contains("adminPassword") && !audited[0].contains(&secret));
    assert!(
        !captured_logs().contains(&secret),
        "no log line holds the credential"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn an_editor_renames_a_mailbox_with_one_audited_call(db: PgPool) {
    let app = ready(&db).await;
    let viewer = signed_in(&app, Role::Viewer).await;
    let editor = signed_in(&app, Role::Editor).await;
    let m = removable(&app);
    let rename = |cookie: String, first: &'static str| {
        let id = m.mailbox_id.clone();
        let username = m.user_name.clone();
        let app = &app;
        async move {
            app.call(
                "/api/mailboxes/rename",
                Some(&cookie),
                &[
                    ("change[id]", id.as_str()),
                    ("change[username]", username.as_str()),
                    ("change[first_name]", first),
                    ("change[last_name]", "Renamed"),
                ],
            )
            .await
        }
    };
    assert_eq!(rename(viewer.clone(), "Vera").await.status, 403);
    let blank = rename(editor.clone(), " ").await;
    assert_eq!(blank.status, 422);
    assert!(blank.error().field("first_name").is_some());
    assert!(app
        .sandbox
        .control
        .requests_to("PATCH", "/mailboxes/update-mailbox-details")
        .is_empty());

    let done = rename(editor.clone(), "Grace").await;
    assert!(done.is_ok(), "{}", done.body);
    let sent = app
        .sandbox
        .control
        .requests_to("PATCH", "/mailboxes/update-mailbox-details");
    assert_eq!(sent.len(), 1);
    let body = sent[0].body.clone().unwrap();
    assert_eq!(body["mailboxData"]["firstName"], "Grace");
    assert!(
        body["mailboxData"].get("userName").is_none(),
        "unchanged fields are not sent"
    );
    let shown: MailboxDetail = ok(&app
        .call(
            "/api/mailboxes/get",
            Some(&editor),
            &[("id", &m.mailbox_id)],
        )
        .await);
    // CMR shows the new name (the sandbox applies it at once), or the page says requested.
    assert!(
        shown.row.name == "Grace Renamed"
            || shown
                .requested
                .as_ref()
                .is_some_and(|(n, _)| n == "Grace Renamed"),
        "{shown:?}"
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'mailbox.rename' AND outcome = 'ok'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test(migrations = "../migrations")]
async fn only_an_admin_who_types_the_address_removes_a_mailbox(db: PgPool) {
    let app = ready(&db).await;
    let editor = signed_in(&app, Role::Editor).await;
    let admin = signed_in(&app, Role::Admin).await;
    let m = removable(&app);
    let customer = m.user_id.clone().unwrap_or_default();
    let remove = |cookie: String, typed: String| {
        let (id, customer, app) = (m.mailbox_id.clone(), customer.clone(), &app);
        async move {
            app.call(
                "/api/mailboxes/remove",
                Some(&cookie),
                &[
                    ("id", id.as_str()),
                    ("customer_id", customer.as_str()),
                    ("confirm_email", typed.as_str()),
                ],
            )
            .await
        }
    };
    assert_eq!(remove(editor.clone(), m.email.clone()).await.status, 403);
    let mistyped = remove(admin.clone(), "someone@else.com".into()).await;
    assert_eq!(mistyped.status, 422);
    assert!(app
        .sandbox
        .control
        .requests_to("DELETE", "/mailboxes/remove")
        .is_empty());

    let done = remove(admin.clone(), m.email.clone()).await;
    assert!(done.status < 400, "{} {}", done.status, done.body);
    assert_eq!(
        app.sandbox
            .control
            .requests_to("DELETE", "/mailboxes/remove")
            .len(),
        1
    );
    assert!(!app
        .sandbox
        .control
        .mailboxes()
        .iter()
        .any(|x| x.mailbox_id == m.mailbox_id));
    assert_eq!(list(&app, &admin, &m.email, "").await.total, 0);
}

#[sqlx::test(migrations = "../migrations")]
async fn every_mailbox_function_refuses_a_call_without_a_session(db: PgPool) {
    let app = ready(&db).await;
    for path in [
        "/api/mailboxes/list",
        "/api/mailboxes/get",
        "/api/mailboxes/reveal",
        "/api/mailboxes/rename",
        "/api/mailboxes/remove",
        "/api/mailboxes/update_many",
    ] {
        assert_eq!(
            app.call(path, None, &[("id", "x")]).await.status,
            401,
            "{path}"
        );
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn several_mailboxes_are_updated_with_one_call_per_customer_and_a_result_each(db: PgPool) {
    use app::model::mailbox::ItemResult;
    let app = ready(&db).await;
    let editor = signed_in(&app, Role::Editor).await;
    let viewer = signed_in(&app, Role::Viewer).await;
    let all = app.sandbox.control.mailboxes();
    // Two mailboxes of one customer and one of another.
    let a = &all[0];
    let a2 = all
        .iter()
        .find(|m| m.user_id == a.user_id && m.mailbox_id != a.mailbox_id)
        .expect("a customer with two mailboxes");
    let b = all.iter().find(|m| m.user_id != a.user_id).unwrap();
    let update = |cookie: String, picture: &'static str| {
        let ids = [
            a.mailbox_id.clone(),
            a2.mailbox_id.clone(),
            b.mailbox_id.clone(),
        ];
        let app = &app;
        async move {
            app.call(
                "/api/mailboxes/update_many",
                Some(&cookie),
                &[
                    ("request[ids][0]", ids[0].as_str()),
                    ("request[ids][1]", ids[1].as_str()),
                    ("request[ids][2]", ids[2].as_str()),
                    ("request[ids][3]", "NOT-A-MAILBOX"),
                    ("request[last_name]", "Teamname"),
                    ("request[profile_picture]", picture),
                ],
            )
            .await
        }
    };
    assert_eq!(update(viewer, "").await.status, 403);
    let bad = update(editor.clone(), "http://insecure.example/a.png").await;
    assert_eq!(bad.status, 422);
    assert!(bad.error().field("profile_picture").is_some());
    assert!(app
        .sandbox
        .control
        .requests_to("PATCH", "/mailboxes/update-mailbox-details")
        .is_empty());

    let results: Vec<ItemResult> = ok(&update(editor, "https://example.com/team.png").await);
    assert_eq!(results.len(), 4);
    let refused: Vec<&str> = results
        .iter()
        .filter(|r| r.refused.is_some())
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(refused, ["NOT-A-MAILBOX"]);
    let calls = app
        .sandbox
        .control
        .requests_to("PATCH", "/mailboxes/update-mailbox-details");
    assert_eq!(calls.len(), 2, "one call per customer");
    assert!(calls
        .iter()
        .any(|c| c.body.as_ref().unwrap()["mailboxData"].is_array()));
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'mailbox.update'")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(audited, 3);
}
