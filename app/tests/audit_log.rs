//! The audit viewer: its filters (staff member, action, target, outcome, dates), what each
//! role may read, the CSV of the filtered view, and a log the application cannot rewrite.

use crate::common;

use app::model::audit::AuditLogPage;
use app::model::{Role, StaffView};
use app::server::audit::{self, Actor, Change, Entry, Target};
use common::{spawn, TestApp, PASSWORD};
use sqlx::PgPool;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 3600);

async fn read(app: &TestApp, cookie: &str, filter: &[(&str, &str)]) -> AuditLogPage {
    // The browser sends every part of the filter; `page` stands for them when none is set.
    let mut form: Vec<(String, &str)> = Vec::new();
    if !filter.iter().any(|(k, _)| *k == "page") {
        form.push(("filter[page]".into(), "1"));
    }
    form.extend(filter.iter().map(|(k, v)| (format!("filter[{k}]"), *v)));
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let answer = app.call("/api/audit/page", Some(cookie), &form).await;
    assert!(answer.is_ok(), "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

fn actions(page: &AuditLogPage) -> Vec<String> {
    page.entries.iter().map(|e| e.action.clone()).collect()
}

/// A small history over three days: two customers edited by two people, a failed change, a
/// DNS change, and staff management.
async fn history(app: &TestApp, admin: &StaffView, ed: &StaffView) {
    let record = |entry| audit::record(&app.state, entry);
    record(
        Entry::ok(
            Actor::Staff(ed),
            "customer.update",
            Some(Target::Customer("U1")),
        )
        .with_changes(vec![Change::new("city", "Oslo", "Bergen")]),
    )
    .await
    .unwrap();
    app.clock.advance(DAY);
    record(Entry {
        target: Some(Target::Customer("U2")),
        ..Entry::refused(Actor::Staff(ed), "customer.update", "CMR refused it")
    })
    .await
    .unwrap();
    record(Entry::ok(
        Actor::Staff(ed),
        "dns.create",
        Some(Target::DnsRecord {
            domain: "acme.test",
            record: "r9",
        }),
    ))
    .await
    .unwrap();
    app.clock.advance(DAY);
    record(Entry::ok(
        Actor::Staff(admin),
        "customer.update",
        Some(Target::Customer("U1")),
    ))
    .await
    .unwrap();
    record(Entry::ok(
        Actor::Staff(admin),
        "staff.disable",
        Some(Target::Staff(ed.id)),
    ))
    .await
    .unwrap();
}

fn day(app: &TestApp, days_ago: i64) -> String {
    (app.state.clock.now() - time::Duration::days(days_ago))
        .date()
        .to_string()
}

#[sqlx::test(migrations = "../migrations")]
async fn the_filters_narrow_the_log(db: PgPool) {
    let app = spawn(db).await;
    let admin = app.staff("admin@example.com", Role::Admin).await;
    let ed = app.staff("ed@example.com", Role::Editor).await;
    history(&app, &admin, &ed).await;
    let cookie = app.sign_in("admin@example.com", PASSWORD).await;

    let all = read(&app, &cookie, &[]).await;
    assert!(all.everything);
    assert_eq!(all.entries[0].action, "auth.sign_in", "newest first");
    assert_eq!(all.total, 6);

    let one_customer = read(
        &app,
        &cookie,
        &[("target_kind", "customer"), ("target_id", "U1")],
    )
    .await;
    assert_eq!(one_customer.total, 2);
    assert!(one_customer
        .entries
        .iter()
        .all(|e| e.target.as_deref() == Some("customer U1")));
    assert_eq!(
        one_customer.entries[0].target_href.as_deref(),
        Some("/customers/U1")
    );
    assert_eq!(
        one_customer.entries[1].changes,
        vec![("city".to_string(), "Oslo".to_string(), "Bergen".to_string())],
        "each entry shows before → after"
    );

    let by_ed = read(&app, &cookie, &[("staff", &ed.id.to_string())]).await;
    assert_eq!(
        actions(&by_ed),
        ["dns.create", "customer.update", "customer.update"]
    );

    let failed = read(&app, &cookie, &[("outcome", "error")]).await;
    assert_eq!(failed.total, 1);
    assert_eq!(failed.entries[0].target.as_deref(), Some("customer U2"));

    let action = read(
        &app,
        &cookie,
        &[
            ("action", "customer.update"),
            ("staff", &admin.id.to_string()),
        ],
    )
    .await;
    assert_eq!(action.total, 1);

    let domain = read(
        &app,
        &cookie,
        &[("target_kind", "domain"), ("target_id", "acme.test")],
    )
    .await;
    assert_eq!(
        actions(&domain),
        ["dns.create"],
        "a domain's DNS records count as the domain"
    );

    let (two_ago, one_ago, today) = (day(&app, 2), day(&app, 1), day(&app, 0));
    let first_day = read(&app, &cookie, &[("from", &two_ago), ("to", &two_ago)]).await;
    assert_eq!(actions(&first_day), ["customer.update"]);
    let middle = read(&app, &cookie, &[("from", &one_ago), ("to", &one_ago)]).await;
    assert_eq!(middle.total, 2);
    let since = read(&app, &cookie, &[("from", &one_ago), ("to", &today)]).await;
    assert_eq!(since.total, 5);
    assert!(
        all.actions.contains(&"staff.disable".to_string()),
        "{:?}",
        all.actions
    );
    let mut sorted = all.actions.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(all.actions, sorted, "each action once, in order");
    assert_eq!(
        all.staff,
        [
            (admin.id, "admin@example.com".to_string()),
            (ed.id, "ed@example.com".to_string())
        ],
        "every account to filter by, by email"
    );

    // A page past the end (a bookmarked page 9 of a log that shrank by filter): no entries,
    // and the total still says how many match.
    let past = read(&app, &cookie, &[("page", "9")]).await;
    assert!(past.entries.is_empty());
    assert_eq!((past.total, past.page), (6, 9));
    let none = read(&app, &cookie, &[("outcome", "unknown")]).await;
    assert_eq!((none.total, none.entries.len()), (0, 0));
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_filters_are_refused_field_by_field(db: PgPool) {
    let app = spawn(db).await;
    app.staff("admin@example.com", Role::Admin).await;
    let cookie = app.sign_in("admin@example.com", PASSWORD).await;
    let answer = app
        .call(
            "/api/audit/page",
            Some(&cookie),
            &[
                ("filter[from]", "2026-02-30"),
                ("filter[to]", "2026-01-01"),
                ("filter[target_kind]", "planet"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422);
    let error = answer.error();
    assert!(
        error.field("from").is_some() && error.field("target_kind").is_some(),
        "{}",
        answer.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn viewers_read_customer_data_entries_only(db: PgPool) {
    let app = spawn(db).await;
    let admin = app.staff("admin@example.com", Role::Admin).await;
    let ed = app.staff("ed@example.com", Role::Editor).await;
    app.staff("vi@example.com", Role::Viewer).await;
    history(&app, &admin, &ed).await;
    let viewer = app.sign_in("vi@example.com", PASSWORD).await;
    let page = read(&app, &viewer, &[]).await;
    assert!(!page.everything);
    assert_eq!(
        actions(&page),
        [
            "customer.update",
            "dns.create",
            "customer.update",
            "customer.update"
        ]
    );
    assert!(!page
        .actions
        .iter()
        .any(|a| a.starts_with("auth.") || a.starts_with("staff.")));
    let asked = read(&app, &viewer, &[("action", "staff.disable")]).await;
    assert_eq!(
        asked.total, 0,
        "asking for a security action by name shows nothing"
    );
    let csv = app.get("/audit/export.csv", Some(&viewer)).await;
    assert!(
        !csv.body.contains("staff.disable") && !csv.body.contains("auth.sign_in"),
        "{}",
        csv.body
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_csv_holds_the_filtered_view(db: PgPool) {
    let app = spawn(db).await;
    let admin = app.staff("admin@example.com", Role::Admin).await;
    let ed = app.staff("ed@example.com", Role::Editor).await;
    history(&app, &admin, &ed).await;
    let cookie = app.sign_in("admin@example.com", PASSWORD).await;
    let csv = app
        .get(
            "/audit/export.csv?target_kind=customer&target_id=U1",
            Some(&cookie),
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("audit-"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        lines[0],
        "at_utc,staff,action,target_kind,target_id,outcome,changes,message,cmr_action_id"
    );
    assert_eq!(lines.len(), 3, "{}", csv.body);
    assert!(
        lines[2].contains("ed@example.com,customer.update,customer,U1,ok,city: Oslo -> Bergen"),
        "{}",
        lines[2]
    );
    assert_eq!(
        app.get("/audit/export.csv", None).await.status,
        303,
        "signed in only"
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn the_log_cannot_be_rewritten_and_only_the_prune_removes_old_entries(db: PgPool) {
    let app = spawn(db).await;
    let admin = app.staff("admin@example.com", Role::Admin).await;
    audit::record(
        &app.state,
        Entry::ok(
            Actor::Staff(&admin),
            "customer.update",
            Some(Target::Customer("U1")),
        ),
    )
    .await
    .unwrap();
    for statement in [
        "UPDATE audit_log SET action = 'nothing.happened'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ] {
        let err = sqlx::query(statement)
            .execute(&app.state.db)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("append-only"),
            "{statement}: {err}"
        );
    }
    // Entries from 40 and 800 days ago (written as the log's own INSERT would).
    for days in [40, 800] {
        sqlx::query(
            "INSERT INTO audit_log (at, actor_email, action, outcome) VALUES (now() - make_interval(days => $1), 'old@example.com', 'customer.update', 'ok')",
        )
        .bind(days)
        .execute(&app.state.db)
        .await
        .unwrap();
    }
    let removed = app::server::db::audit::prune(&app.state.db, 730)
        .await
        .unwrap();
    assert_eq!(removed, 1, "only the entry beyond 730 days");
    let removed = app::server::db::audit::prune(&app.state.db, 30)
        .await
        .unwrap();
    assert_eq!(removed, 1, "then the 40-day-old one");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(left, 1, "today's entry stays");
    // Even a prune told to keep nothing cannot remove entries younger than 30 days.
    let mut tx = app.state.db.begin().await.unwrap();
    sqlx::query("SELECT set_config('cmr_admin.audit_prune', 'on', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = sqlx::query("DELETE FROM audit_log")
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}
